"""The API twins of the whistle pages: whistles, summons (the officer's steps), two-way
evaluations (the rater's own side only; the rated party reads aggregates), bulletins.

Thin like the pages: reads through `visible_to` (outside the scope: 404), writes through the same
services (their ValidationError is a 400 with field errors, a policy's refusal a 403)."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as APIResponse

from committees.models import Committee
from core.api import LeanListSerializer, ScopedReadOnlyViewSet
from core.scoping import Action
from demands.models import Demand
from members.models import MemberUnit

from . import bulletins, evaluations, whistles
from .api import visible
from .models import (
    Bulletin,
    BulletinKind,
    Evaluation,
    Project,
    RhythmKind,
    Summons,
    SummonsStatus,
    Whistle,
    WhistleKind,
    WhistleStatus,
)
from .whistle_selectors import summons_counted

# --- whistles ------------------------------------------------------------------------------------


class SummonsSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Summons
        fields = [
            "id",
            "whistle",
            "department",
            "department_name",
            "hours",
            "due_at",
            "status",
            "acknowledged_at",
            "arrived_at",
            "acted_at",
            "on_time",
            "escalated_at",
            "escalated_to",
        ]
        list_serializer_class = LeanListSerializer


class WhistleSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    summons_count = serializers.IntegerField(read_only=True)
    reported_count = serializers.IntegerField(read_only=True)
    late_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Whistle
        fields = [
            "id",
            "committee",
            "committee_name",
            "kind",
            "title",
            "place",
            "request",
            "description",
            "status",
            "blown_at",
            "closed_at",
            "close_summary",
            "summons_count",
            "reported_count",
            "late_count",
        ]
        list_serializer_class = LeanListSerializer
        annotated = ("summons_count", "reported_count", "late_count")  # by the list's queryset


class SummonsInput(serializers.Serializer):
    department = serializers.IntegerField()
    hours = serializers.IntegerField(min_value=1, max_value=whistles.MAX_HOURS)


class WhistleInput(serializers.Serializer):
    committee = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=WhistleKind.choices)
    title = serializers.CharField(max_length=120)
    place = serializers.CharField(max_length=200)
    request = serializers.CharField(max_length=2000)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    summons = SummonsInput(many=True)
    demands = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=50)


class RatingInput(serializers.Serializer):
    summons = serializers.IntegerField()
    punctuality = serializers.IntegerField(min_value=1, max_value=5)
    attitude = serializers.IntegerField(min_value=1, max_value=5)
    result = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CloseInput(serializers.Serializer):
    summary = serializers.CharField(max_length=2000)
    ratings = RatingInput(many=True)


class EntryInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RhythmKind.choices)
    text = serializers.CharField(max_length=2000)


class WhistleReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class WhistleViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Whistles (街乡吹哨): a street blows one summoning departments, keeps its daily rhythm,
    closes it and rates each department."""

    model = Whistle
    serializer_class = WhistleSerializer
    list_values = True
    filterset_fields = ["status", "kind", "committee"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("committee")
            .annotate(
                summons_count=summons_counted(),
                reported_count=summons_counted(Q(arrived_at__isnull=False)),
                late_count=summons_counted(Q(on_time=False)),
            )
            .order_by("-blown_at", "-pk")
        )

    def _fresh(self, whistle):
        return WhistleSerializer(self.get_queryset().get(pk=whistle.pk)).data

    @extend_schema(request=WhistleInput, responses={201: WhistleSerializer})
    def create(self, request, *args, **kwargs):
        body = WhistleInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        committee = visible(Committee, request.user, data["committee"], field="committee")
        units = {
            u.pk: u
            for u in MemberUnit.objects.filter(
                tenant_id=request.user.tenant_id, pk__in=[s["department"] for s in data["summons"]]
            )
        }
        whistle = whistles.whistle_blow(
            actor=request.user,
            committee=committee,
            data=whistles.WhistleData(
                kind=data["kind"],
                title=data["title"],
                place=data["place"],
                request=data["request"],
                description=data.get("description", ""),
                demands=[
                    visible(Demand, request.user, pk, field="demands")
                    for pk in data.get("demands", [])
                ],
                summons=[
                    whistles.SummonsData(units.get(s["department"]), s["hours"])
                    for s in data["summons"]
                ],
            ),
        )
        return APIResponse(self._fresh(whistle), status=201)

    @extend_schema(request=CloseInput, responses=WhistleSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        whistle = self.get_object()
        body = CloseInput(data=request.data)
        body.is_valid(raise_exception=True)
        ratings = {
            r["summons"]: whistles.RatingData(
                r["punctuality"], r["attitude"], r["result"], r.get("comment", "")
            )
            for r in body.validated_data["ratings"]
        }
        whistles.whistle_close(
            actor=request.user,
            whistle=whistle,
            summary=body.validated_data["summary"],
            ratings=ratings,
        )
        return APIResponse(self._fresh(whistle))

    @extend_schema(request=WhistleReasonInput, responses=WhistleSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        whistle = self.get_object()
        body = WhistleReasonInput(data=request.data)
        body.is_valid(raise_exception=True)
        whistles.whistle_cancel(actor=request.user, whistle=whistle, **body.validated_data)
        return APIResponse(self._fresh(whistle))

    @extend_schema(request=EntryInput, responses={201: EntryInput})
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        whistle = self.get_object()
        body = EntryInput(data=request.data)
        body.is_valid(raise_exception=True)
        entry = whistles.whistle_entry_add(
            actor=request.user, whistle=whistle, **body.validated_data
        )
        return APIResponse({"kind": entry.kind, "text": entry.text}, status=201)


class StepInput(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[(s, label) for s, label in SummonsStatus.choices if s != SummonsStatus.SUMMONED]
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class SummonsNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class SummonsViewSet(ScopedReadOnlyViewSet):
    """Summons (部门报到): an officer sees their department's and reports each step."""

    model = Summons
    serializer_class = SummonsSerializer
    list_values = True
    filterset_fields = ["status", "whistle", "department", "on_time"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return super().get_queryset().select_related("department").order_by("due_at", "pk")

    @extend_schema(request=StepInput, responses=SummonsSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        summons = self.get_object()
        body = StepInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        summons = whistles.summons_advance(
            actor=request.user,
            summons=summons,
            to=data["to"],
            note=data.get("note", ""),
            photos=request.FILES.getlist("photos"),
        )
        return APIResponse(SummonsSerializer(summons).data)

    @extend_schema(request=SummonsNoteInput, responses=SummonsSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        summons = self.get_object()
        body = SummonsNoteInput(data=request.data)
        body.is_valid(raise_exception=True)
        whistles.summons_note(
            actor=request.user,
            summons=summons,
            note=body.validated_data["note"],
            photos=request.FILES.getlist("photos"),
        )
        return APIResponse(SummonsSerializer(summons).data)


# --- two-way evaluation --------------------------------------------------------------------------


class EvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evaluation
        fields = [
            "id",
            "project",
            "direction",
            "rater_committee",
            "rater_unit",
            "subject_committee",
            "subject_unit",
            "score",
            "comment",
            "rated_at",
        ]
        list_serializer_class = LeanListSerializer


class ScoreInput(serializers.Serializer):
    unit = serializers.IntegerField()
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ProvidersInput(serializers.Serializer):
    project = serializers.IntegerField()
    scores = ScoreInput(many=True)


class CommitteeInput(serializers.Serializer):
    project = serializers.IntegerField()
    unit = serializers.IntegerField()
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FeedbackSerializer(serializers.Serializer):
    subject = serializers.CharField()
    count = serializers.IntegerField()
    shown = serializers.BooleanField()
    average = serializers.FloatField(allow_null=True)


class EvaluationViewSet(ScopedReadOnlyViewSet):
    """Ratings the caller's side gave (a committee's staff: what it gave the providers; a unit's
    contact: what the unit gave the committee). What others said of the caller is only in
    `feedback`, as an aggregate of at least three (背靠背)."""

    model = Evaluation
    serializer_class = EvaluationSerializer
    list_values = True
    filterset_fields = ["project", "direction"]

    def get_queryset(self):
        return super().get_queryset().order_by("-rated_at", "pk")

    @extend_schema(request=ProvidersInput, responses=EvaluationSerializer(many=True))
    @action(detail=False, methods=["post"])
    def providers(self, request):
        body = ProvidersInput(data=request.data)
        body.is_valid(raise_exception=True)
        project = visible(Project, request.user, body.validated_data["project"], field="project")
        rows = evaluations.providers_rate(
            actor=request.user,
            project=project,
            scores={
                s["unit"]: evaluations.Score(s["score"], s.get("comment", ""))
                for s in body.validated_data["scores"]
            },
        )
        return APIResponse(EvaluationSerializer(rows, many=True).data, status=201)

    @extend_schema(request=CommitteeInput, responses=EvaluationSerializer)
    @action(detail=False, methods=["post"])
    def committee(self, request):
        body = CommitteeInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        project = visible(Project, request.user, data["project"], field="project")
        row = evaluations.committee_rate(
            actor=request.user,
            project=project,
            unit_id=data["unit"],
            score=evaluations.Score(data["score"], data.get("comment", "")),
        )
        return APIResponse(EvaluationSerializer(row).data, status=201)

    @extend_schema(responses=FeedbackSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def feedback(self, request):
        from .whistle_selectors import publishing_committees

        user = request.user
        rows = []
        unit_ids = set(user.unit_ids()) | set(user.department_ids())
        for unit in MemberUnit.objects.filter(pk__in=unit_ids).order_by("name"):
            fb = evaluations.feedback_about_unit(unit.pk)
            rows.append(
                {"subject": unit.name, "count": fb.count, "shown": fb.shown, "average": fb.average}
            )
        for committee in publishing_committees(user):
            fb = evaluations.feedback_about_committee(committee.pk)
            rows.append(
                {
                    "subject": committee.name,
                    "count": fb.count,
                    "shown": fb.shown,
                    "average": fb.average,
                }
            )
        return APIResponse(FeedbackSerializer(rows, many=True).data)


# --- bulletins -----------------------------------------------------------------------------------


class BulletinSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "committee",
            "committee_name",
            "kind",
            "title",
            "body",
            "period",
            "ranking",
            "published_at",
            "recipients",
        ]


class RankInput(serializers.Serializer):
    committee_id = serializers.IntegerField()
    score = serializers.FloatField()
    rank = serializers.IntegerField(min_value=1)


class BulletinInput(serializers.Serializer):
    committee = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=BulletinKind.choices, default=BulletinKind.RESULTS)
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=bulletins.BODY_MAX)
    period = serializers.CharField(max_length=40, required=False, allow_blank=True)
    ranking = RankInput(many=True, required=False)


class BulletinViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Bulletins (通报) of the caller's committees and those above them."""

    model = Bulletin
    serializer_class = BulletinSerializer
    filterset_fields = ["kind", "committee"]

    def get_queryset(self):
        return super().get_queryset().select_related("committee").order_by("-published_at", "-pk")

    @extend_schema(request=BulletinInput, responses={201: BulletinSerializer})
    def create(self, request, *args, **kwargs):
        body = BulletinInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        committee = visible(
            Committee, request.user, data["committee"], field="committee", action=Action.CHANGE
        )
        bulletin = bulletins.publish_bulletin(
            actor=request.user,
            committee=committee,
            title=data["title"],
            body=data["body"],
            kind=data["kind"],
            period=data.get("period", ""),
            ranking=[dict(r) for r in data.get("ranking", [])],
        )
        return APIResponse(BulletinSerializer(bulletin).data, status=201)


__all__ = [
    "BulletinViewSet",
    "EvaluationViewSet",
    "SummonsViewSet",
    "WhistleStatus",
    "WhistleViewSet",
]

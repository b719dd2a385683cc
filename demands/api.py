"""The demands API: demands, two-way claims and the matching engine's proposals.

Thin, like the pages: every read goes through `visible_to` (an object outside the scope is a
404), writes go through `demands.services`, whose `ValidationError`s come back as field errors
(400). A reader acting in their own scope (a leader) gets 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from committees.models import Committee
from core.api import ScopedReadOnlyViewSet
from core.scoping import Action, can
from demands.models import (
    Claim,
    ClaimDirection,
    Demand,
    DemandKind,
    DemandStatus,
    Match,
    Source,
    Urgency,
)
from members.models import MemberUnit
from resources.models import Resource

from . import matching, selectors, services


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )


# --- demands -------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse("demands:attachment", args=[attachment.pk])


class DemandSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    handling_committee_name = serializers.CharField(
        source="handling_committee.name", read_only=True
    )
    raised_by_unit_name = serializers.CharField(
        source="raised_by_unit.name", read_only=True, allow_null=True, default=None
    )
    wish_claimed = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "category",
            "category_name",
            "source",
            "people_affected",
            "urgency",
            "needed_by",
            "quantity",
            "quantity_unit",
            "status",
            "status_reason",
            "committee",
            "committee_name",
            "handling_committee",
            "handling_committee_name",
            "raised_by_unit",
            "raised_by_unit_name",
            "wish_claimed",
            "attachments",
            "created_at",
            "published_at",
            "escalation_due_at",
        ]

    def get_wish_claimed(self, demand) -> bool:
        # Who claimed a wish is a party member's personal data: the API says only whether.
        return demand.claimed_by_member_id is not None


class DemandWriteSerializer(serializers.Serializer):
    """Input only: the rules (known category, needed-by not in the past, ...) are the service's."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(
        max_length=50, required=False, help_text=gettext_lazy("类别的编号或名称")
    )
    kind = serializers.CharField(max_length=16, required=False)
    source = serializers.CharField(max_length=16, required=False)
    urgency = serializers.CharField(max_length=16, required=False)
    people_affected = serializers.IntegerField(required=False)
    needed_by = serializers.DateField(required=False, allow_null=True)
    quantity = serializers.CharField(max_length=30, required=False, allow_blank=True)
    quantity_unit = serializers.CharField(max_length=16, required=False, allow_blank=True)
    committee = serializers.IntegerField(
        required=False, help_text=gettext_lazy("提出地（协调委员会编号）")
    )
    raised_by_unit = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("单位联络员以本单位名义提出时填写；提出地即该单位所在地"),
    )
    publish = serializers.BooleanField(required=False, default=False)


DATA_FIELDS = [
    "title",
    "description",
    "category",
    "kind",
    "source",
    "urgency",
    "people_affected",
    "needed_by",
    "quantity",
    "quantity_unit",
]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[
            DemandStatus.PUBLISHED,
            DemandStatus.REJECTED,
            DemandStatus.WITHDRAWN,
            DemandStatus.FULFILLED,
        ]
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DemandFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=DemandStatus.choices)
    category = filters.NumberFilter(field_name="category_id")
    source = filters.ChoiceFilter(choices=Source.choices)
    urgency = filters.ChoiceFilter(choices=Urgency.choices)
    kind = filters.ChoiceFilter(choices=DemandKind.choices)
    committee = filters.NumberFilter(
        method="filter_committee", label=gettext_lazy("提出地（含下级）")
    )
    q = filters.CharFilter(
        field_name="title", lookup_expr="icontains", label=gettext_lazy("标题包含")
    )
    sort = filters.ChoiceFilter(
        method="filter_sort",
        choices=[(f"{d}{key}", f"{d}{key}") for key in selectors.SORTS for d in ("", "-")],
        label=gettext_lazy("排序"),
    )

    class Meta:
        model = Demand
        fields = ["status", "category", "source", "urgency", "kind", "committee", "q", "sort"]

    def filter_committee(self, queryset, name, value):
        return selectors.subtree(
            queryset, selectors.visible_committee(self.request.user, int(value))
        )

    def filter_sort(self, queryset, name, value):
        return selectors.sort_demands(queryset, value)


class DemandViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """The demand list of the caller's subtree (a unit contact: the demands its unit raised,
    matched or claimed). Staff create and correct demands and move them along their states."""

    model = Demand
    serializer_class = DemandSerializer
    filterset_class = DemandFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("category", "committee", "handling_committee", "raised_by_unit")
            .prefetch_related("attachments")
            .order_by("-created_at", "-pk")
        )

    def place_for_create(self, fields: dict) -> tuple[Committee, MemberUnit | None]:
        user = self.request.user
        unit_id = fields.pop("raised_by_unit", None)
        committee_id = fields.pop("committee", None)
        if unit_id is not None:
            unit = (
                MemberUnit.objects.visible_to(user)
                .filter(pk=unit_id, pk__in=user.unit_ids(), is_active=True)
                .select_related("committee")
                .first()
            )
            if unit is None:
                raise serializers.ValidationError(
                    {"raised_by_unit": [_("只能以您联络的单位名义提出需求。")]}
                )
            return unit.committee, unit
        if not user.committee_scopes(Action.CHANGE):
            raise PermissionDenied
        committee = (
            Committee.objects.visible_to(user, Action.CHANGE).open().filter(pk=committee_id).first()
            if committee_id is not None
            else None
        )
        if committee is None:
            raise serializers.ValidationError(
                {"committee": [_("请选择您工作范围内的协调委员会。")]}
            )
        return committee, None

    @extend_schema(request=DemandWriteSerializer, responses=DemandSerializer)
    def create(self, request, *args, **kwargs):
        data = DemandWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        publish = fields.pop("publish", False)
        committee, unit = self.place_for_create(fields)
        if unit is not None:
            fields["source"], fields["kind"] = Source.MEMBER_UNIT, DemandKind.NEED
        values = {
            "title": "",
            "description": "",
            "category": None,
            **{k: v for k, v in fields.items() if k in DATA_FIELDS},
        }
        try:
            demand = services.demand_create(
                actor=request.user,
                committee=committee,
                data=services.DemandData(**values),
                publish=publish,
                raised_by_unit=unit,
            )
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(
            self.get_serializer(self.get_queryset().get(pk=demand.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def rights(self, demand: Demand) -> selectors.Rights:
        return selectors.Rights.of(self.request.user, demand)

    @extend_schema(request=DemandWriteSerializer, responses=DemandSerializer)
    def partial_update(self, request, *args, **kwargs):
        demand = self.get_object()
        rights = self.rights(demand)
        if not rights.edit:
            raise PermissionDenied
        data = DemandWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k in DATA_FIELDS}
        if not rights.change:
            changes.pop("kind", None)
            changes.pop("source", None)
        current = {name: getattr(demand, name) for name in DATA_FIELDS}
        current["category"] = demand.category
        try:
            services.demand_update(
                actor=request.user,
                demand=demand,
                data=services.DemandData(**{**current, **changes}),
            )
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=demand.pk)).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=TransitionSerializer, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Publish, reject or withdraw (with a reason), or mark fulfilled."""
        demand = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        to, reason = body.validated_data["to"], body.validated_data["reason"]
        if not self.rights(demand).may(to):
            raise PermissionDenied
        try:
            if to == DemandStatus.PUBLISHED and demand.status == DemandStatus.DRAFT:
                services.demand_publish(demand=demand, actor=request.user)
            else:
                services.demand_transition(demand=demand, to=to, actor=request.user, reason=reason)
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=demand.pk)).data)

    @extend_schema(request=None, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        demand = self.get_object()
        if not self.rights(demand).may(DemandStatus.PUBLISHED):
            raise PermissionDenied
        try:
            services.demand_publish(demand=demand, actor=request.user)
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=demand.pk)).data)


# --- claims --------------------------------------------------------------------------------------


class ClaimSerializer(serializers.ModelSerializer):
    demand_title = serializers.CharField(source="demand.title", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    resource_title = serializers.CharField(
        source="resource.title", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "demand",
            "demand_title",
            "direction",
            "unit",
            "unit_name",
            "resource",
            "resource_title",
            "quantity",
            "message",
            "status",
            "reason",
            "created_at",
            "decided_at",
        ]


class ClaimWriteSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=ClaimDirection.choices)
    demand = serializers.IntegerField()
    resource = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy(
            "单位认领时：以哪个单位认领（默认为资源的提供单位，或联络员唯一的单位）"
        ),
    )
    quantity = serializers.CharField(max_length=30, required=False, allow_blank=True)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ClaimViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Two-way claims (双向认领): a unit claims a demand (`unit_claims`), or staff request a unit's
    resource for a demand (`staff_requests`); the other side accepts or declines."""

    model = Claim
    serializer_class = ClaimSerializer
    filterset_fields = ["demand", "status", "direction", "unit"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("demand", "unit", "resource", "demand__committee")
            .order_by("-created_at", "-pk")
        )

    def resource_for(self, demand: Demand, resource_id) -> Resource | None:
        """A resource the caller can see, or one proposed for this demand that the caller sees."""
        if resource_id is None:
            return None
        user = self.request.user
        resource = Resource.objects.visible_to(user).filter(pk=resource_id).first()
        if resource is None:
            match = (
                Match.objects.visible_to(user)
                .filter(demand=demand, resource_id=resource_id)
                .select_related("resource")
                .first()
            )
            resource = match.resource if match else None
        if resource is None:
            raise NotFound(_("找不到该资源。"))
        return resource

    @extend_schema(request=ClaimWriteSerializer, responses=ClaimSerializer)
    def create(self, request, *args, **kwargs):
        body = ClaimWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        user = request.user
        demand = Demand.objects.visible_to(user).filter(pk=fields["demand"]).first()
        if demand is None:
            raise NotFound(_("找不到该需求。"))
        resource = self.resource_for(demand, fields.get("resource"))
        try:
            if fields["direction"] == ClaimDirection.UNIT_CLAIMS:
                own = user.unit_ids()
                if not own:
                    raise PermissionDenied
                unit_id = (
                    fields.get("unit")
                    or (resource.offered_by_id if resource else None)
                    or (next(iter(own)) if len(own) == 1 else None)
                )
                if unit_id is None:
                    raise serializers.ValidationError({"unit": [_("请选择以哪个单位认领。")]})
                if unit_id not in own:
                    raise PermissionDenied
                unit = MemberUnit.objects.get(pk=unit_id)
                claim = services.claim_by_unit(
                    actor=user,
                    unit=unit,
                    demand=demand,
                    resource=resource,
                    quantity=fields.get("quantity"),
                    message=fields["message"],
                )
            else:
                if not can(user, Action.CHANGE, demand.committee):
                    raise PermissionDenied
                if resource is None:
                    raise serializers.ValidationError({"resource": [_("请选择要申请的资源。")]})
                claim = services.claim_request_resource(
                    actor=user,
                    demand=demand,
                    resource=resource,
                    quantity=fields.get("quantity"),
                    message=fields["message"],
                )
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(
            self.get_serializer(self.get_queryset().get(pk=claim.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def decide(self, request, decision: str):
        claim = self.get_object()
        change = can(request.user, Action.CHANGE, claim.demand.committee)
        allowed = (
            selectors.may_release(request.user, claim, change=change)
            if decision == "release"
            else selectors.may_answer(request.user, claim, change=change)
        )
        if not allowed:
            raise PermissionDenied
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"]
        try:
            if decision == "accept":
                services.claim_accept(claim=claim, actor=request.user)
            elif decision == "decline":
                services.claim_decline(claim=claim, actor=request.user, reason=reason)
            else:
                services.claim_release(claim=claim, actor=request.user, reason=reason)
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The answering side accepts: capacity is committed and the demand is matched."""
        return self.decide(request, "accept")

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The answering side declines, with a reason."""
        return self.decide(request, "decline")

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Either side gives an accepted claim's capacity back."""
        return self.decide(request, "release")


# --- matches -------------------------------------------------------------------------------------


class MatchSerializer(serializers.ModelSerializer):
    resource_title = serializers.CharField(source="resource.title", read_only=True)
    unit = serializers.IntegerField(source="resource.offered_by_id", read_only=True)
    unit_name = serializers.CharField(
        source="resource.offered_by.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "demand",
            "resource",
            "resource_title",
            "unit",
            "unit_name",
            "rank",
            "score",
            "components",
            "reason",
            "computed_at",
        ]


class MatchViewSet(ScopedReadOnlyViewSet):
    """The engine's proposals with their score, its components and the reason in words; staff
    see every match in their subtree, a unit the matches of its own resources."""

    model = Match
    serializer_class = MatchSerializer
    filterset_fields = ["demand", "resource"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("resource", "resource__offered_by")
            .order_by("demand_id", "rank")
        )


# --- matching: several demands at once, and why a resource is (not) proposed ----------------------

MAX_DEMANDS_PER_CALL = 100


class CandidateSerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource.id")
    resource_title = serializers.CharField(source="resource.title")
    rank = serializers.IntegerField()
    proposed = serializers.BooleanField()
    score = serializers.FloatField()
    components = serializers.DictField(child=serializers.FloatField())
    reason = serializers.CharField()


class DemandMatchingSerializer(serializers.Serializer):
    demand = serializers.IntegerField()
    matching = serializers.ChoiceField(choices=["pending", "done", "closed"])
    matched_at = serializers.DateTimeField(allow_null=True)
    matches = MatchSerializer(many=True)


class DemandMatchesResponseSerializer(serializers.Serializer):
    results = DemandMatchingSerializer(many=True)


class ExplanationSerializer(serializers.Serializer):
    demand = serializers.IntegerField()
    matching = serializers.ChoiceField(choices=["pending", "done", "closed"])
    resource = serializers.IntegerField(allow_null=True)
    proposed = serializers.BooleanField()
    verdict = serializers.CharField()
    why_not = serializers.ListField(child=serializers.CharField())
    candidate = CandidateSerializer(allow_null=True)
    threshold = serializers.FloatField()
    candidates = CandidateSerializer(many=True)


class DemandMatchesView(APIView):
    """`GET /api/demand-matches/?demand=1&demand=2` (or `?demands=1,2`): for each demand the
    caller may see, whether its matching is pending or done (closed: it is not open) and its
    proposals, in two queries whatever the number of demands (at most 100)."""

    serializer_class = DemandMatchesResponseSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("demand", int, many=True, description="需求编号，可重复"),
            OpenApiParameter("demands", str, description="逗号分隔的需求编号"),
        ],
        responses=DemandMatchesResponseSerializer,
    )
    def get(self, request):
        raw = request.query_params.getlist("demand") + [
            part for value in request.query_params.getlist("demands") for part in value.split(",")
        ]
        try:
            ids = list(dict.fromkeys(int(value) for value in raw if value.strip()))
        except ValueError:
            raise serializers.ValidationError({"demand": [_("需求编号应为整数。")]}) from None
        if not ids:
            raise serializers.ValidationError({"demand": [_("请给出至少一个需求编号。")]})
        if len(ids) > MAX_DEMANDS_PER_CALL:
            raise serializers.ValidationError(
                {"demand": [_("一次最多%(n)d个需求。") % {"n": MAX_DEMANDS_PER_CALL}]}
            )
        demands = list(
            Demand.objects.visible_to(request.user)
            .filter(pk__in=ids)
            .only("pk", "status", "matched_at", "matching_requested_at")
            .order_by("pk")
        )
        matches: dict[int, list] = {d.pk: [] for d in demands}
        for match in (
            Match.objects.visible_to(request.user)
            .filter(demand_id__in=list(matches))
            .select_related("resource", "resource__offered_by")
            .order_by("demand_id", "rank")
        ):
            matches[match.demand_id].append(match)
        return Response(
            {
                "results": [
                    {
                        "demand": demand.pk,
                        "matching": matching.matching_state(demand),
                        "matched_at": demand.matched_at,
                        "matches": MatchSerializer(matches[demand.pk], many=True).data,
                    }
                    for demand in demands
                ]
            }
        )


class DemandExplainView(APIView):
    """`GET /api/demands/{id}/explain/?resource={id}`: where a resource stands for a demand,
    scored now — proposed at which rank, or every reason it is not — beside every candidate's
    score components. Scoped like the demand: 404 outside the caller's scope; a unit contact,
    who only sees its own proposals, gets 403."""

    serializer_class = ExplanationSerializer

    @extend_schema(
        parameters=[OpenApiParameter("resource", int, description="资源编号")],
        responses=ExplanationSerializer,
    )
    def get(self, request, pk):
        demand = get_object_or_404(
            Demand.objects.visible_to(request.user).select_related(
                "category", "committee", "handling_committee"
            ),
            pk=pk,
        )
        resource = None
        if request.query_params.get("resource"):
            try:
                resource_id = int(request.query_params["resource"])
            except ValueError:
                raise serializers.ValidationError({"resource": [_("资源编号应为整数。")]}) from None
            resource = matching.explainable_resource(request.user, demand, resource_id)
            if resource is None:
                raise NotFound(_("找不到该资源。"))
        try:
            explanation = matching.explain(user=request.user, demand=demand, resource=resource)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        scored = explanation.scored
        return Response(
            {
                "demand": demand.pk,
                "matching": matching.matching_state(demand),
                "resource": resource.pk if resource else None,
                "proposed": bool(scored and scored.proposed),
                "verdict": explanation.verdict,
                "why_not": explanation.why_not,
                "candidate": CandidateSerializer(scored).data if scored else None,
                "threshold": matching.MIN_TEXT,
                "candidates": CandidateSerializer(explanation.candidates, many=True).data,
            }
        )

"""The project list's API: projects, milestones, meetings, attendees, tasks and the overdue list.

Thin, like the pages: reads go through `visible_to` (outside the scope: 404), the FilterSet is the
page's, writes call the same services as the pages (their ValidationError is a 400 with field
errors, a policy's refusal a 403). Ids named in a body are looked up only among what the caller
may see."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as APIResponse
from rest_framework.settings import api_settings

from committees.models import Committee
from core.api import (
    LeanListSerializer,
    PkUrlField,
    ScopedReadOnlyViewSet,
    bulk_failures,
    bulk_payload,
)
from core.bulk import BulkRejected
from core.scoping import Action
from demands.models import Demand
from members.models import MemberUnit, Seat, Subcommittee
from resources.models import Resource

from . import imports, selectors, services, supervision
from .filtersets import ProjectFilterSet
from .models import (
    AgendaItem,
    Attendee,
    Decision,
    DecisionKind,
    Meeting,
    Milestone,
    Project,
    ProjectStatus,
    Response,
    Task,
)


def visible(model, user, pk, *, field: str | None = None, action=Action.VIEW):
    """The object named by an id in a body, among what the user may see: a field error when a
    field names it, else a 404."""
    if pk in (None, ""):
        return None
    found = model.objects.visible_to(user, action).filter(pk=pk).first()
    if found is None:
        if field:
            raise serializers.ValidationError({field: [_("找不到编号为%(n)s的记录。") % {"n": pk}]})
        raise NotFound
    return found


# --- projects ------------------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "project",
            "position",
            "title",
            "due_on",
            "done_at",
            "overdue_at",
            "escalated_at",
            "escalated_to",
        ]


class ProjectSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    lead_unit_name = serializers.CharField(
        source="lead_unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Project
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "year",
            "title",
            "description",
            "committee",
            "committee_name",
            "category",
            "lead_unit",
            "lead_unit_name",
            "budget",
            "start_on",
            "due_on",
            "status",
            "status_reason",
            "source",
            "claim",
            "decision",
            "created_at",
            "started_at",
            "completed_at",
            "overdue_at",
            "escalated_at",
            "escalated_to",
        ]


class ProjectDetailSerializer(ProjectSerializer):
    demands = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    resources = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "demands", "resources", "units", "milestones"]


class MilestoneInput(serializers.Serializer):
    title = serializers.CharField(max_length=120, allow_blank=True)
    due_on = serializers.DateField()


class ProjectWrite(serializers.Serializer):
    """Input only; the rules are the service's. Name where the project comes from: an accepted
    `claim`, a `match`, a committee's `resource` committed to a `demand`, or a `demand`."""

    claim = serializers.IntegerField(required=False)
    match = serializers.IntegerField(required=False)
    demand = serializers.IntegerField(required=False)
    resource = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    committee = serializers.IntegerField(required=False)
    lead_unit = serializers.IntegerField(required=False, allow_null=True)
    units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    budget = serializers.CharField(max_length=30, required=False, allow_blank=True, default="0")
    start_on = serializers.DateField(required=False, allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)
    milestones = MilestoneInput(many=True, required=False, default=list)


class TransitionInput(serializers.Serializer):
    to = serializers.ChoiceField(choices=ProjectStatus.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ProgressInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000, allow_blank=True)
    milestone = serializers.IntegerField(required=False, allow_null=True)
    finish_milestone = serializers.BooleanField(required=False, default=False)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    posted_at = serializers.DateTimeField()
    photos = serializers.SerializerMethodField()

    def get_photos(self, update) -> list[str]:
        return [reverse("projects:photo", args=[p.pk]) for p in update.photos.all()]


def project_data(user, body: dict, *, committee: Committee | None = None) -> services.ProjectData:
    units = [visible(MemberUnit, user, pk, field="units") for pk in body.get("units", [])]
    return services.ProjectData(
        title=body.get("title", ""),
        description=body.get("description", ""),
        committee=committee or visible(Committee, user, body.get("committee"), field="committee"),
        lead_unit=visible(MemberUnit, user, body.get("lead_unit"), field="lead_unit"),
        units=units,
        budget=body.get("budget"),
        start_on=body.get("start_on"),
        due_on=body.get("due_on"),
        milestones=[
            services.MilestoneData(m["title"], m["due_on"]) for m in body.get("milestones", [])
        ],
    )


class ProjectBulkItem(serializers.Serializer):
    """One row of the project list's template, as the Excel import reads it."""

    title = serializers.CharField()
    committee = serializers.CharField(help_text=gettext_lazy("区划代码、名称或编号"))
    lead_unit = serializers.CharField(
        required=False, help_text=gettext_lazy("名称或统一社会信用代码")
    )
    category = serializers.CharField(required=False)
    budget = serializers.CharField(required=False)
    start_on = serializers.DateField()
    due_on = serializers.DateField()
    demand = serializers.CharField(required=False, help_text=gettext_lazy("需求编号"))
    description = serializers.CharField(required=False)


class ProjectBulkBody(serializers.Serializer):
    items = ProjectBulkItem(many=True)


class ProjectBulkMixin:
    @extend_schema(
        request=ProjectBulkBody,
        responses={201: ProjectSerializer(many=True), 400: bulk_failures()},
    )
    @action(detail=False, methods=["post"], url_path="bulk", parser_classes=[JSONParser])
    def bulk(self, request):
        """A year's project list at once, through the same row form as the Excel import: every
        item or none; the bad ones by index with their errors by field."""
        user = request.user
        try:
            created = imports.PROJECT_ROWS.bulk(
                context=imports.ProjectRowContext(user, committee=None),
                payload=bulk_payload(request),
                save=lambda items: services.projects_bulk_create(actor=user, items=items),
            )
        except BulkRejected as rejected:
            return APIResponse(rejected.failures, status=status.HTTP_400_BAD_REQUEST)
        return APIResponse(
            ProjectSerializer(created, many=True).data, status=status.HTTP_201_CREATED
        )


class ProjectViewSet(
    ProjectBulkMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet
):
    """The project list (项目清单) of the caller's subtree, filtered as the page filters it; a unit's
    contact sees the projects its unit leads or takes part in."""

    model = Project
    filterset_class = ProjectFilterSet
    list_values = True
    list_columns = (
        *("year", "title", "description", "budget", "start_on", "due_on", "status"),
        *("status_reason", "source", "claim", "decision", "created_at", "started_at"),
        *("completed_at", "overdue_at", "escalated_at", "escalated_to"),
        *("committee__name", "lead_unit__name", "category__name"),
    )
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer

    def get_queryset(self):
        queryset = selectors.project_list(user=self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("demands", "resources", "units", "milestones")
        return queryset.order_by("-created_at", "-pk")

    def read(self, project: Project, code=status.HTTP_200_OK) -> APIResponse:
        fresh = self.get_queryset().get(pk=project.pk)
        return APIResponse(ProjectSerializer(fresh).data, status=code)

    @extend_schema(request=ProjectWrite, responses=ProjectSerializer)
    def create(self, request, *args, **kwargs):
        body = ProjectWrite(data=request.data)
        body.is_valid(raise_exception=True)
        fields, user = body.validated_data, request.user
        data = project_data(user, fields)
        if data.committee is None:
            raise serializers.ValidationError(
                {"committee": [_("请选择您工作范围内的协调委员会。")]}
            )
        if fields.get("claim"):
            claim = selectors.claim_for_project(user=user, pk=fields["claim"])
            project = services.project_from_claim(actor=user, claim=claim, data=data)
        elif fields.get("match"):
            match = selectors.match_for_project(user=user, pk=fields["match"])
            project = services.project_from_match(actor=user, match=match, data=data)
        elif fields.get("demand"):
            demand = visible(Demand, user, fields["demand"])
            resource = visible(Resource, user, fields.get("resource"))
            project = (
                services.project_from_committed_resource(
                    actor=user, demand=demand, resource=resource, data=data
                )
                if resource
                else services.project_create(actor=user, data=data, demands=[demand])
            )
        else:
            raise serializers.ValidationError({"demand": [_("请指明立项依据：认领、匹配或需求。")]})
        return self.read(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectWrite, responses=ProjectSerializer)
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        body = ProjectWrite(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        current = {
            "title": project.title,
            "description": project.description,
            "lead_unit": project.lead_unit_id,
            "units": list(project.units.values_list("pk", flat=True)),
            "budget": project.budget,
            "start_on": project.start_on,
            "due_on": project.due_on,
        }
        changes = {
            k: v for k, v in body.validated_data.items() if k in current and k in request.data
        }
        data = project_data(request.user, {**current, **changes}, committee=project.committee)
        return self.read(services.project_update(actor=request.user, project=project, data=data))

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=TransitionInput, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the project: in_progress, completed, evaluated, suspended or cancelled (with a
        reason), planned (resume)."""
        project = self.get_object()
        body = TransitionInput(data=request.data)
        body.is_valid(raise_exception=True)
        return self.read(
            services.project_transition(actor=request.user, project=project, **body.validated_data)
        )

    @extend_schema(request=MilestoneInput, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        """Add a milestone with its due date."""
        project = self.get_object()
        body = MilestoneInput(data=request.data)
        body.is_valid(raise_exception=True)
        milestone = services.milestone_add(
            actor=request.user, project=project, **body.validated_data
        )
        return APIResponse(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": ProgressInput}, responses=ProgressSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def progress(self, request, pk=None):
        """Post progress with photos (the lead unit's contact or the owner committee's staff)."""
        project = self.get_object()
        body = ProgressInput(
            data={**request.data.dict(), "photos": request.FILES.getlist("photos")}
            if hasattr(request.data, "dict")
            else request.data
        )
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        milestone = (
            project.milestones.filter(pk=fields["milestone"]).first()
            if fields.get("milestone")
            else None
        )
        update = services.progress_post(
            actor=request.user,
            project=project,
            text=fields["text"],
            photos=fields["photos"],
            milestone=milestone,
            finish_milestone=fields["finish_milestone"],
        )
        return APIResponse(ProgressSerializer(update).data, status=status.HTTP_201_CREATED)


class MilestoneViewSet(ScopedReadOnlyViewSet):
    model = Milestone
    serializer_class = MilestoneSerializer
    list_values = True
    filterset_fields = ["project"]

    def get_queryset(self):
        return super().get_queryset().order_by("project_id", "due_on", "pk")

    @extend_schema(request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Mark the milestone reached."""
        milestone = services.milestone_finish(actor=request.user, milestone=self.get_object())
        return APIResponse(MilestoneSerializer(milestone).data)


# --- meetings ------------------------------------------------------------------------------------


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "position", "title", "notes", "demand", "resource", "project"]


class AttendeeSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Attendee
        fields = [
            "id",
            "meeting",
            "seat",
            "unit",
            "unit_name",
            "name",
            "role",
            "response",
            "deputy_name",
            "responded_at",
            "present",
        ]


class DecisionSerializer(serializers.ModelSerializer):
    project = serializers.PrimaryKeyRelatedField(read_only=True)
    task = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "meeting",
            "agenda_item",
            "kind",
            "text",
            "owner_unit",
            "owner_committee",
            "due_on",
            "project",
            "task",
        ]


class MeetingSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    ics = PkUrlField("projects:meeting_ics")

    class Meta:
        model = Meeting
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "committee",
            "committee_name",
            "subcommittee",
            "title",
            "starts_at",
            "ends_at",
            "location",
            "chair_name",
            "status",
            "minutes",
            "minutes_published_at",
            "invitations_sent_at",
            "ics",
        ]


class MeetingDetailSerializer(MeetingSerializer):
    agenda = AgendaItemSerializer(many=True, read_only=True)
    attendees = AttendeeSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "agenda", "attendees", "decisions"]


class AgendaInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    demand = serializers.IntegerField(required=False, allow_null=True)
    resource = serializers.IntegerField(required=False, allow_null=True)
    project = serializers.IntegerField(required=False, allow_null=True)


class MeetingWrite(serializers.Serializer):
    committee = serializers.IntegerField()
    subcommittee = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(max_length=200, allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=300, allow_blank=True)
    agenda = AgendaInput(many=True, required=False, default=list)
    seats = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    invite = serializers.BooleanField(required=False, default=False)


class AttendanceInput(serializers.Serializer):
    present = serializers.ListField(child=serializers.IntegerField(), default=list)


class MinutesInput(serializers.Serializer):
    minutes = serializers.CharField(allow_blank=True)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RescheduleInput(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=300, allow_blank=True)


class DecisionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    text = serializers.CharField(max_length=400, allow_blank=True)
    due_on = serializers.DateField()
    agenda_item = serializers.IntegerField(required=False, allow_null=True)
    owner_unit = serializers.IntegerField(required=False, allow_null=True)
    owner_committee = serializers.IntegerField(required=False, allow_null=True)
    budget = serializers.CharField(max_length=30, required=False, allow_blank=True, default="0")


def agenda_data(user, item: dict) -> services.AgendaData:
    return services.AgendaData(
        title=item["title"],
        notes=item.get("notes", ""),
        demand=visible(Demand, user, item.get("demand"), field="agenda"),
        resource=visible(Resource, user, item.get("resource"), field="agenda"),
        project=visible(Project, user, item.get("project"), field="agenda"),
    )


class MeetingViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Meetings (议事协调) of the caller's subtree, or those the caller's unit is invited to."""

    model = Meeting
    filterset_fields = ["committee", "subcommittee", "status"]
    list_values = True

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("committee")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("agenda", "attendees__unit", "decisions__task")
        return queryset.order_by("-starts_at", "-pk")

    def read(self, meeting, code=status.HTTP_200_OK):
        return APIResponse(MeetingSerializer(meeting).data, status=code)

    @extend_schema(request=MeetingWrite, responses=MeetingSerializer)
    def create(self, request, *args, **kwargs):
        body = MeetingWrite(data=request.data)
        body.is_valid(raise_exception=True)
        fields, user = body.validated_data, request.user
        committee = visible(Committee, user, fields["committee"], field="committee")
        sub = visible(Subcommittee, user, fields.get("subcommittee"), field="subcommittee")
        meeting = services.meeting_schedule(
            actor=user,
            data=services.MeetingData(
                title=fields["title"],
                committee=committee,
                subcommittee=sub,
                starts_at=fields["starts_at"],
                ends_at=fields["ends_at"],
                location=fields["location"],
            ),
            agenda=[agenda_data(user, item) for item in fields["agenda"]],
            seats=[visible(Seat, user, pk, field="seats") for pk in fields["seats"]],
            units=[visible(MemberUnit, user, pk, field="units") for pk in fields["units"]],
            invite=fields["invite"],
        )
        return self.read(meeting, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Send the invitations (each carries the meeting's .ics link)."""
        meeting = self.get_object()
        services.meeting_invite(actor=request.user, meeting=meeting)
        meeting.refresh_from_db()
        return self.read(meeting)

    @extend_schema(request=RescheduleInput, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        body = RescheduleInput(data=request.data)
        body.is_valid(raise_exception=True)
        return self.read(
            services.meeting_reschedule(
                actor=request.user, meeting=self.get_object(), **body.validated_data
            )
        )

    @extend_schema(request=ReasonInput, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = ReasonInput(data=request.data)
        body.is_valid(raise_exception=True)
        return self.read(
            services.meeting_cancel(
                actor=request.user, meeting=self.get_object(), **body.validated_data
            )
        )

    @extend_schema(request=AgendaInput, responses=AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def agenda(self, request, pk=None):
        meeting = self.get_object()
        body = AgendaInput(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.agenda_item_add(
            actor=request.user, meeting=meeting, item=agenda_data(request.user, body.validated_data)
        )
        return APIResponse(AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AttendanceInput, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        body = AttendanceInput(data=request.data)
        body.is_valid(raise_exception=True)
        return self.read(
            services.attendance_record(
                actor=request.user, meeting=self.get_object(), **body.validated_data
            )
        )

    @extend_schema(request=MinutesInput, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def minutes(self, request, pk=None):
        """Issue the minutes; the attendees' units and the committee's staff receive them."""
        body = MinutesInput(data=request.data)
        body.is_valid(raise_exception=True)
        return self.read(
            services.minutes_publish(
                actor=request.user, meeting=self.get_object(), **body.validated_data
            )
        )

    @extend_schema(request=DecisionInput, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def decisions(self, request, pk=None):
        """Record a decision: a project formed at once, or a task with an owner and due date."""
        meeting = self.get_object()
        body = DecisionInput(data=request.data)
        body.is_valid(raise_exception=True)
        fields, user = body.validated_data, request.user
        item = (
            meeting.agenda.filter(pk=fields.get("agenda_item")).first()
            if fields.get("agenda_item")
            else None
        )
        decision = services.decision_record(
            actor=user,
            meeting=meeting,
            data=services.DecisionData(
                kind=fields["kind"],
                text=fields["text"],
                due_on=fields["due_on"],
                agenda_item=item,
                owner_unit=visible(MemberUnit, user, fields.get("owner_unit"), field="owner"),
                owner_committee=visible(
                    Committee, user, fields.get("owner_committee"), field="owner"
                ),
                budget=fields["budget"],
            ),
        )
        fresh = Decision.objects.select_related("task").get(pk=decision.pk)
        return APIResponse(DecisionSerializer(fresh).data, status=status.HTTP_201_CREATED)


class AnswerInput(serializers.Serializer):
    response = serializers.ChoiceField(
        choices=[c for c in Response.choices if c[0] != Response.PENDING]
    )
    deputy_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class AttendeeViewSet(ScopedReadOnlyViewSet):
    """Invitations: staff see their meetings' attendees; a unit's contact its own invitations."""

    model = Attendee
    serializer_class = AttendeeSerializer
    filterset_fields = ["meeting", "unit", "response"]

    def get_queryset(self):
        return super().get_queryset().select_related("unit").order_by("meeting_id", "pk")

    @extend_schema(request=AnswerInput, responses=AttendeeSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Attend, cannot attend, or send a deputy (with the deputy's name)."""
        body = AnswerInput(data=request.data)
        body.is_valid(raise_exception=True)
        attendee = services.attendee_answer(
            actor=request.user, attendee=self.get_object(), **body.validated_data
        )
        return APIResponse(AttendeeSerializer(attendee).data)


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "committee",
            "decision",
            "title",
            "owner_unit",
            "owner_committee",
            "due_on",
            "status",
            "note",
            "done_at",
            "overdue_at",
            "escalated_at",
            "escalated_to",
        ]


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TaskViewSet(ScopedReadOnlyViewSet):
    """Tasks handed out by meetings (交办任务)."""

    model = Task
    serializer_class = TaskSerializer
    list_values = True
    filterset_fields = ["status", "owner_unit", "owner_committee"]

    def get_queryset(self):
        return super().get_queryset().order_by("due_on", "pk")

    @extend_schema(request=NoteInput, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        body = NoteInput(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_close(
            actor=request.user, task=self.get_object(), **body.validated_data
        )
        return APIResponse(TaskSerializer(task).data)


# --- supervision ---------------------------------------------------------------------------------


class OverdueSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=supervision.KIND_CHOICES)
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    place = serializers.CharField()
    due_on = serializers.DateField()
    overdue_at = serializers.DateTimeField()
    escalated_at = serializers.DateTimeField(allow_null=True)


class RemindInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=supervision.KIND_CHOICES)
    id = serializers.IntegerField()


class OverdueViewSet(viewsets.ViewSet):
    """What is overdue in the caller's subtree, oldest first; send a reminder for one item."""

    # Paged like every list (the schema says so).
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        parameters=[OpenApiParameter("committee", int, description="只看该协调委员会及其下级")],
        responses=OverdueSerializer(many=True),
    )
    def list(self, request):
        committee = selectors.visible_committee(
            request.user, request.query_params.get("committee", "")
        )
        rows = selectors.overdue_list(user=request.user, committee=committee)
        paginator = self.paginator
        page = paginator.paginate_queryset(rows, request, view=self)
        data = OverdueSerializer(selectors.overdue_rows(page), many=True).data
        return paginator.get_paginated_response(data)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = self.pagination_class()
        return self._paginator

    @extend_schema(
        request=RemindInput,
        responses={200: inline_serializer("ReminderSent", {"sent": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"])
    def remind(self, request):
        body = RemindInput(data=request.data)
        body.is_valid(raise_exception=True)
        sent = services.reminder_send(
            actor=request.user, kind=body.validated_data["kind"], pk=body.validated_data["id"]
        )
        return APIResponse({"sent": sent})

"""The project list (项目清单), the meetings that deliberate and decide (议事协调), and the due
dates that supervision chases (督导落实).

A project meets one or more demands with one or more resources: it is owned by a committee, led
by a member unit with others taking part, and runs planned → in progress → completed →
evaluated, or is suspended or cancelled with a reason. Meetings of a committee or one of its
subcommittees carry agenda items, attendees, minutes and decisions; a decision becomes a project
or a task. Projects, milestones and tasks carry a `due_at`, scanned once a minute.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from categories.models import Category
from committees.models import Committee, Tenant
from core.choices import ChoiceLabels
from core.scoping import Action, ScopedQuerySetMixin
from demands.models import Claim, Demand
from members.models import MemberUnit, Seat, Subcommittee
from resources.models import Resource

# --- supervision ---------------------------------------------------------------------------------


class SupervisionPolicy(models.Model):
    """A tenant's supervision rhythm: how many days before a due date the reminder goes out, and
    how long past it an overdue item rises to the committee one level up."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="supervision_policy"
    )
    remind_days_before = models.PositiveSmallIntegerField(_("提前提醒天数"), default=3)
    escalate_after_days = models.PositiveSmallIntegerField(_("逾期上报天数"), default=3)

    class Meta:
        verbose_name = _("督办设置")
        verbose_name_plural = _("督办设置")

    def __str__(self) -> str:
        return f"{self.tenant}: {self.remind_days_before}/{self.escalate_after_days}"


class Supervised(ChoiceLabels, models.Model):
    """What supervision needs of a row with a due date. `supervise_at` is when the scan must look
    at it next (the reminder, the due date, the escalation), null once nothing is left to do; the
    three stamps say what was done, so no stage happens twice."""

    due_at = models.DateTimeField(_("期限"), null=True, blank=True)
    supervise_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上报至"),
    )

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["supervise_at"],
                name="%(class)s_supervise",
                condition=Q(supervise_at__isnull=False),
            ),
            models.Index(
                fields=["tenant", "due_at"],
                name="%(class)s_overdue",
                condition=Q(overdue_at__isnull=False),
            ),
        ]

    @property
    def is_overdue(self) -> bool:
        return self.overdue_at is not None


# --- meetings ------------------------------------------------------------------------------------


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class MeetingQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff see the meetings of their subtree; a unit's contact the meetings it is invited to."""

    committee_paths = ("committee",)

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids or action != Action.VIEW:
            return []
        return [
            Q(
                pk__in=Attendee.objects.filter(unit_id__in=unit_ids).values("meeting_id"),
                tenant_id=user.tenant_id,
            )
        ]


class Meeting(models.Model):
    """A meeting of a committee, or of one of its subcommittees with its acting chair of the day."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("协调委员会")
    )
    subcommittee = models.ForeignKey(
        Subcommittee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("专业委员会"),
    )
    title = models.CharField(_("会议名称"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    location = models.CharField(_("地点"), max_length=200)
    chair_name = models.CharField(_("主持人"), max_length=64, blank=True)
    chair_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("轮值单位"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    minutes = models.TextField(_("会议纪要"), blank=True)
    minutes_published_at = models.DateTimeField(_("纪要印发时间"), null=True, blank=True)
    invitations_sent_at = models.DateTimeField(_("通知发出时间"), null=True, blank=True)
    # The calendar event's identity: an updated invitation replaces the old one in a calendar.
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("议事会议")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["tenant", "committee", "starts_at"], name="meeting_list")]

    def __str__(self) -> str:
        return self.title


class MeetingPartQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Agenda items and decisions are seen with their meeting."""

    committee_paths = ("meeting__committee",)

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids or action != Action.VIEW:
            return []
        return [
            Q(
                meeting_id__in=Attendee.objects.filter(unit_id__in=unit_ids).values("meeting_id"),
                tenant_id=user.tenant_id,
            )
        ]


class AgendaItem(models.Model):
    """One item of a meeting's agenda; it may be about a demand, a resource or a project."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("议题"), max_length=200)
    notes = models.TextField(_("说明"), blank=True)
    demand = models.ForeignKey(
        Demand,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("需求"),
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("资源"),
    )
    project = models.ForeignKey(
        "Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("项目"),
    )

    objects = MeetingPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Response(models.TextChoices):
    PENDING = "pending", _("未回复")
    ATTEND = "attend", _("参加")
    DECLINE = "decline", _("不能参加")
    DEPUTY = "deputy", _("委派代表")


class AttendeeQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff see the attendees of their subtree's meetings; a unit's contact answers its own
    invitations (and reads the meeting's other attendees through the meeting)."""

    committee_paths = ("meeting__committee",)

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids:
            return []
        own = Q(unit_id__in=unit_ids, tenant_id=user.tenant_id)
        if action != Action.VIEW:
            return [own]
        return [
            own
            | Q(
                meeting_id__in=Attendee.objects.filter(unit_id__in=unit_ids).values("meeting_id"),
                tenant_id=user.tenant_id,
            )
        ]


class Attendee(models.Model):
    """Someone invited: a seat of the committee (a person, maybe of a member unit) or a member
    unit; their answer to the invitation, and whether they came."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    seat = models.ForeignKey(
        Seat, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("单位"),
    )
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    role = models.CharField(_("身份"), max_length=100, blank=True)
    response = models.CharField(
        _("回复"), max_length=16, choices=Response.choices, default=Response.PENDING
    )
    deputy_name = models.CharField(_("代表姓名"), max_length=64, blank=True)
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    present = models.BooleanField(_("出席"), null=True, blank=True)

    objects = AttendeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("参会人")
        verbose_name_plural = _("参会人")
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "seat"], condition=Q(seat__isnull=False), name="attendee_seat"
            ),
            models.UniqueConstraint(
                fields=["meeting", "unit"],
                condition=Q(seat__isnull=True, unit__isnull=False),
                name="attendee_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.unit or "")

    @property
    def label(self) -> str:
        if self.name and self.unit_id:
            return f"{self.name}（{self.unit.name}）"
        return self.name or (self.unit.name if self.unit_id else "")


class DecisionKind(models.TextChoices):
    PROJECT = "project", _("立项")
    TASK = "task", _("交办任务")


class Decision(models.Model):
    """What a meeting decided: a project to form, or a task with an owner and a due date."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("议题"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DecisionKind.choices)
    text = models.CharField(_("决定事项"), max_length=300)
    owner_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任单位"),
    )
    owner_committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任协调委员会"),
    )
    due_on = models.DateField(_("完成期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeetingPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议决定")
        verbose_name_plural = _("会议决定")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.text


# --- tasks ---------------------------------------------------------------------------------------


class TaskStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    DONE = "done", _("已办结")
    CANCELLED = "cancelled", _("已取消")


class TaskQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Seen by the staff of the deciding committee's subtree and of the owner committee's, and by
    the contacts of the owner unit, who also close it."""

    committee_paths = ("committee", "owner_committee")

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        return [Q(owner_unit_id__in=unit_ids, tenant_id=user.tenant_id)] if unit_ids else []


class Task(Supervised):
    """A task a meeting handed out (交办): an owner (a unit or a committee) and a due date."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="+", verbose_name=_("交办单位")
    )
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="task"
    )
    title = models.CharField(_("任务"), max_length=300)
    owner_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任单位"),
    )
    owner_committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任协调委员会"),
    )
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("办理情况"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TaskQuerySet.as_manager()

    class Meta(Supervised.Meta):
        verbose_name = _("交办任务")
        verbose_name_plural = _("交办任务")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_unit__isnull=False) | Q(owner_committee__isnull=False),
                name="task_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- projects ------------------------------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("实施中")
    COMPLETED = "completed", _("已完成")
    EVALUATED = "evaluated", _("已评价")
    SUSPENDED = "suspended", _("已暂停")
    CANCELLED = "cancelled", _("已取消")


# The ways a project may move; suspending and cancelling need a reason.
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.PLANNED: frozenset(
        {ProjectStatus.IN_PROGRESS, ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED}
    ),
    ProjectStatus.IN_PROGRESS: frozenset(
        {ProjectStatus.COMPLETED, ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED}
    ),
    ProjectStatus.SUSPENDED: frozenset(
        {ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED}
    ),
    ProjectStatus.COMPLETED: frozenset({ProjectStatus.EVALUATED}),
    ProjectStatus.EVALUATED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}
NEEDS_REASON = frozenset({ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED})
# While a project is in one of these its demands are "in project" and its dates are chased.
RUNNING = frozenset({ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS})


class ProjectSource(models.TextChoices):
    CLAIM = "claim", _("认领对接")
    MATCH = "match", _("匹配对接")
    RESOURCE = "resource", _("直接对接")
    DECISION = "decision", _("会议决定")
    DIRECT = "direct", _("直接立项")
    IMPORT = "import", _("Excel导入")


class ProjectQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff and leaders see the projects of their subtree (an escalated one is seen by the level
    it rose to, which holds the owner in its subtree); a unit's contact sees the projects its unit
    leads or takes part in, and acts (posts progress) on those it leads."""

    committee_paths = ("committee",)
    tenant_on_row_from = 100  # a district's 187 committees: its newest page by project_newest

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids:
            return []
        lead = Q(lead_unit_id__in=unit_ids, tenant_id=user.tenant_id)
        if action != Action.VIEW:
            return [lead]
        taking_part = Q(
            pk__in=ProjectUnit.objects.filter(unit_id__in=unit_ids).values("project_id"),
            tenant_id=user.tenant_id,
        )
        return [lead | taking_part]


class Project(Supervised):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("牵头协调委员会"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("项目名称"), max_length=120)
    description = models.TextField(_("项目内容"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("类别"),
    )
    lead_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_projects",
        verbose_name=_("牵头单位"),
    )
    units = models.ManyToManyField(
        MemberUnit, through="ProjectUnit", related_name="projects", verbose_name=_("参与单位")
    )
    demands = models.ManyToManyField(
        Demand, through="ProjectDemand", related_name="projects", verbose_name=_("需求")
    )
    resources = models.ManyToManyField(
        Resource, through="ProjectResource", related_name="projects", verbose_name=_("资源")
    )
    budget = models.DecimalField(_("预算（元）"), max_digits=14, decimal_places=2, default=0)
    start_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    status_reason = models.CharField(_("原因"), max_length=300, blank=True)
    source = models.CharField(_("立项方式"), max_length=16, choices=ProjectSource.choices)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="project"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("立项时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开工时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta(Supervised.Meta):
        verbose_name = _("项目")
        verbose_name_plural = _("项目清单")
        indexes = [
            *Supervised.Meta.indexes,
            models.Index(fields=["tenant", "year", "committee", "status"], name="project_list"),
            models.Index(fields=["lead_unit", "year"], name="project_lead_unit"),
            # A city's list, newest first, walked in the order the list sorts by.
            models.Index(fields=["tenant", "-created_at", "-id"], name="project_newest"),
            # The overdue list: its keys walked in its order off the index alone, and the
            # running projects of a scope's committees that an overdue milestone is checked
            # against, read off an index rather than the table's 30,000 rows (a district's
            # count: 20 -> 8 ms, a street's 24 -> 5).
            models.Index(
                fields=["tenant", "due_on", "id"],
                include=["status"],
                name="project_overdue_keys",
                condition=Q(overdue_at__isnull=False),
            ),
            models.Index(
                fields=["committee", "id"],
                name="project_running",
                condition=Q(status__in=sorted(RUNNING)),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("start_on")), name="project_dates_order"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING


def project_unit_terms(user, action, path: str) -> list[Q]:
    """A unit contact reaches a project's parts through the projects it reaches (`path` leads
    from the part to its project)."""
    if not user.unit_ids():
        return []
    projects = (
        Project.objects.filter(tenant_id=user.tenant_id)
        .filter(*Project.objects.extra_terms(user, action))
        .values("pk")
    )
    return [Q(**{f"{path}_id__in": projects})]


class ProjectPartQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """A project's parts are seen by whoever sees the project; its lead unit acts on them."""

    committee_paths = ("project__committee",)

    def extra_terms(self, user, action):
        return project_unit_terms(user, action, "project")


class ProjectLink(models.Model):
    """A row tying a project to what it meets, uses or involves."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.project_id} · {self.linked_id}"


class ProjectDemand(ProjectLink):
    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("项目·需求")
        verbose_name_plural = _("项目·需求")
        constraints = [
            models.UniqueConstraint(fields=["project", "demand"], name="project_demand_once")
        ]

    @property
    def linked_id(self) -> int:
        return self.demand_id


class ProjectResource(ProjectLink):
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("项目·资源")
        verbose_name_plural = _("项目·资源")
        constraints = [
            models.UniqueConstraint(fields=["project", "resource"], name="project_resource_once")
        ]

    @property
    def linked_id(self) -> int:
        return self.resource_id


class ProjectUnit(ProjectLink):
    """A member unit taking part in a project (the lead unit is on the project itself)."""

    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("项目·参与单位")
        verbose_name_plural = _("项目·参与单位")
        constraints = [
            models.UniqueConstraint(fields=["project", "unit"], name="project_unit_once")
        ]

    @property
    def linked_id(self) -> int:
        return self.unit_id


class ProjectTransition(models.Model):
    """Every change of a project's state: who, when, from what to what, and why."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status} → {self.to_status}"


class Milestone(Supervised):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("里程碑"), max_length=120)
    due_on = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ProjectPartQuerySet.as_manager()

    class Meta(Supervised.Meta):
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        ordering = ["project", "due_on", "position", "pk"]
        indexes = [
            *Supervised.Meta.indexes,
            # The overdue list's keys of milestones still open, walked in its order off the
            # index alone.
            models.Index(
                fields=["tenant", "due_on", "id"],
                include=["project"],
                name="milestone_open_overdue",
                condition=Q(overdue_at__isnull=False, done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProgressUpdate(models.Model):
    """A report of progress, by the lead unit's contact on the spot or by staff, with photos."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("里程碑"),
    )
    text = models.TextField(_("进展情况"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(_("报送时间"), auto_now_add=True)

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")
        ordering = ["-posted_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:40]


class ProgressPhotoQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("update__project__committee",)

    def extra_terms(self, user, action):
        return project_unit_terms(user, action, "update__project")


class ProgressPhoto(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="projects/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ProgressPhotoQuerySet.as_manager()

    def __str__(self) -> str:
        return self.original_name


# Whistles and summons, evaluations, satisfaction and bulletins live in their own module.
from .models_whistles import *  # noqa: E402, F403

"""Whistles and summons (街乡吹哨、部门报到), two-way evaluation (双向评价), residents'
satisfaction and bulletins (通报).

A street or township committee blows a whistle about a problem and summons government
departments (member units of kind `department`); each summoned department has its own number of
hours to report (报到: arrive on site). The department's officer answers on a phone-sized page:
acknowledged → arrived on site → action taken. A summons still not reported when its `due_at`
comes is escalated once, by the once-a-minute supervision scan, to the committee one level above
the whistle's (the district), whose staff are notified once. The street closes the whistle and
rates each department's response.

When a project completes, its demand side (the owner committee) rates each provider and each
provider rates the organising committee; the rated party sees only aggregates of at least
`MIN_RATINGS_SHOWN` ratings (背靠背). Residents rate a completed project or a closed whistle
through an anonymous link. A committee publishes bulletins of results and rankings to its subtree.

These models are read by the leaders' dashboard: see `projects/WHISTLES_CONTRACT.md`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Tenant
from core.choices import ChoiceLabels
from core.scoping import Action, ScopedQuerySetMixin, user_scopes
from demands.models import Demand
from members.models import MemberUnit

# The assessed party sees feedback about itself only once at least this many ratings exist.
MIN_RATINGS_SHOWN = 3
# A residents' rating of 4 or 5 (满意、非常满意) counts as satisfied.
SATISFIED_FROM = 4

score_validators = [MinValueValidator(1), MaxValueValidator(5)]


def department_terms(user) -> set[int]:
    """The departments the user answers for as their officer."""
    ids = getattr(user, "department_ids", None)
    return set(ids()) if ids else set()


# --- whistles ------------------------------------------------------------------------------------


class WhistleKind(models.TextChoices):
    PRIORITY = "priority", _("重点哨")
    TOUGH = "tough", _("攻坚哨")
    LIVELIHOOD = "livelihood", _("民生哨")
    MUSTER = "muster", _("集结哨")
    VANGUARD = "vanguard", _("先锋哨")


class WhistleStatus(models.TextChoices):
    OPEN = "open", _("处置中")  # blown; the departments are summoned
    CLOSED = "closed", _("已办结")  # closed by the street, each department rated
    CANCELLED = "cancelled", _("已撤销")


# The ways a whistle may move (services refuse any other).
WHISTLE_TRANSITIONS: dict[str, frozenset[str]] = {
    WhistleStatus.OPEN: frozenset({WhistleStatus.CLOSED, WhistleStatus.CANCELLED}),
    WhistleStatus.CLOSED: frozenset(),
    WhistleStatus.CANCELLED: frozenset(),
}


class WhistleQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff and leaders see the whistles of their subtree (the district sees its streets'); a
    department officer sees (reads) only the whistles that summon their department."""

    committee_paths = ("committee",)

    def extra_terms(self, user, action):
        departments = department_terms(user)
        if not departments or action != Action.VIEW:
            return []
        return [
            Q(
                pk__in=Summons.objects.filter(department_id__in=departments).values("whistle_id"),
                tenant_id=user.tenant_id,
            )
        ]


class Whistle(ChoiceLabels, models.Model):
    """A street's or township's whistle (吹哨): a problem that needs government departments.

    `committee` is the street or township that blew it (and closes it). `blown_at` starts every
    summons' clock. `closed_at` is set when the street closes it (status closed)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="whistles", verbose_name=_("吹哨单位")
    )
    kind = models.CharField(_("哨型"), max_length=16, choices=WhistleKind.choices)
    title = models.CharField(_("事项"), max_length=120)
    place = models.CharField(_("地点"), max_length=200)
    request = models.TextField(_("需要部门做什么"))
    description = models.TextField(_("问题描述"), blank=True)
    demands = models.ManyToManyField(
        Demand, through="WhistleDemand", related_name="whistles", verbose_name=_("关联需求")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=WhistleStatus.choices, default=WhistleStatus.OPEN
    )
    blown_at = models.DateTimeField(_("吹哨时间"))
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_summary = models.TextField(_("办结情况"), blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WhistleQuerySet.as_manager()

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("街乡吹哨")
        ordering = ["-blown_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "committee", "blown_at"], name="whistle_list"),
            models.Index(fields=["tenant", "status", "blown_at"], name="whistle_status"),
            # A city's list, newest first, walked in the order the list sorts by.
            models.Index(fields=["tenant", "-blown_at", "-id"], name="whistle_newest"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == WhistleStatus.OPEN


class WhistleDemand(models.Model):
    """A demand the whistle is about (a whistle may be about none)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="+")
    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["whistle", "demand"], name="whistle_demand_once")
        ]

    def __str__(self) -> str:
        return f"{self.whistle_id} · {self.demand_id}"


class SummonsStatus(models.TextChoices):
    SUMMONED = "summoned", _("待响应")
    ACKNOWLEDGED = "acknowledged", _("已接收")
    ARRIVED = "arrived", _("已到场")  # reported (报到)
    ACTED = "acted", _("已处置")


# A summons moves forward one step at a time; acknowledging may be skipped by arriving.
SUMMONS_TRANSITIONS: dict[str, frozenset[str]] = {
    SummonsStatus.SUMMONED: frozenset({SummonsStatus.ACKNOWLEDGED, SummonsStatus.ARRIVED}),
    SummonsStatus.ACKNOWLEDGED: frozenset({SummonsStatus.ARRIVED}),
    SummonsStatus.ARRIVED: frozenset({SummonsStatus.ACTED}),
    SummonsStatus.ACTED: frozenset(),
}


class SummonsQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Seen by the staff of the whistle's subtree and of the committee it was escalated to; a
    department officer sees (and answers) only their own department's summons."""

    committee_paths = ("whistle__committee", "escalated_to")

    def extra_terms(self, user, action):
        departments = department_terms(user)
        if not departments:
            return []
        return [Q(department_id__in=departments, tenant_id=user.tenant_id)]


class Summons(models.Model):
    """One department summoned by a whistle (部门报到), with its own deadline.

    - `hours`: the hours it was given to report; `due_at` = whistle.blown_at + hours.
    - `acknowledged_at`: the officer said the summons was received.
    - `arrived_at` = `reported_at`: the department arrived on site, which is what 报到 means.
    - `acted_at`: the officer reported the action taken.
    - `on_time`: null while the department has not reported and `due_at` has not passed; True
      when it reported (arrived) at or before `due_at`; False when it reported after `due_at` or
      the deadline passed without a report (set by the scan when it escalates).
    - `escalated_at` / `escalated_to`: when the scan found it unreported past `due_at` and rose it
      to the committee above the whistle's (the district); done once.
    - `supervise_at`: when the scan must look at it next (its `due_at`), null once nothing is left.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summons")
    department = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, related_name="summons", verbose_name=_("职能部门")
    )
    hours = models.PositiveSmallIntegerField(
        _("报到时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    due_at = models.DateTimeField(_("报到期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=SummonsStatus.choices, default=SummonsStatus.SUMMONED
    )
    acknowledged_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    acted_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时报到"), null=True, blank=True)
    supervise_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上报至"),
    )

    objects = SummonsQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门报到")
        verbose_name_plural = _("部门报到")
        ordering = ["whistle", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["whistle", "department"], name="summons_once"),
        ]
        indexes = [
            models.Index(
                fields=["supervise_at"],
                name="summons_supervise",
                condition=Q(supervise_at__isnull=False),
            ),
            models.Index(fields=["tenant", "department", "due_at"], name="summons_department"),
        ]

    def __str__(self) -> str:
        return f"{self.whistle_id} · {self.department_id}"

    @property
    def reported_at(self):
        """报到 is arriving on site."""
        return self.arrived_at

    @property
    def is_reported(self) -> bool:
        return self.arrived_at is not None


class SummonsReportKind(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", _("已接收")
    ARRIVED = "arrived", _("已到场")
    ACTED = "acted", _("已处置")
    NOTE = "note", _("补充说明")


class SummonsPartQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("summons__whistle__committee", "summons__escalated_to")

    def extra_terms(self, user, action):
        departments = department_terms(user)
        if not departments:
            return []
        return [Q(summons__department_id__in=departments, tenant_id=user.tenant_id)]


class SummonsReport(models.Model):
    """One answer of a department's officer: a step of the summons (or a note), with photos."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    summons = models.ForeignKey(Summons, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("类型"), max_length=16, choices=SummonsReportKind.choices)
    note = models.TextField(_("情况说明"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("报送时间"))

    objects = SummonsPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("报到情况")
        verbose_name_plural = _("报到情况")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.summons_id}: {self.kind}"


class SummonsPhotoQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("report__summons__whistle__committee", "report__summons__escalated_to")

    def extra_terms(self, user, action):
        departments = department_terms(user)
        if not departments:
            return []
        return [Q(report__summons__department_id__in=departments, tenant_id=user.tenant_id)]


class SummonsPhoto(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(SummonsReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="whistles/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = SummonsPhotoQuerySet.as_manager()

    def __str__(self) -> str:
        return self.original_name


class RhythmKind(models.TextChoices):
    """The daily rhythm of a whistle campaign (日会商、日销账、日反馈)."""

    CONSULT = "consult", _("日会商")
    CLOSE_OUT = "close_out", _("日销账")
    FEEDBACK = "feedback", _("日反馈")


class WhistleEntryQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Read by whoever reads the whistle: its subtree's staff, and the officers it summons."""

    committee_paths = ("whistle__committee",)

    def extra_terms(self, user, action):
        departments = department_terms(user)
        if not departments or action != Action.VIEW:
            return []
        return [
            Q(
                whistle_id__in=Summons.objects.filter(department_id__in=departments).values(
                    "whistle_id"
                ),
                tenant_id=user.tenant_id,
            )
        ]


class WhistleEntry(models.Model):
    """One line of a whistle's daily rhythm: a consultation note, an item closed that day, or the
    feedback given to residents; `day` is the Beijing date it belongs to."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("类型"), max_length=16, choices=RhythmKind.choices)
    day = models.DateField(_("日期"))
    text = models.TextField(_("内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WhistleEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("日会商、日销账、日反馈")
        verbose_name_plural = _("日会商、日销账、日反馈")
        ordering = ["-day", "pk"]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


class DepartmentRatingQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """The street's ratings of departments are read by the whistle's subtree (the street, the
    district above it); a department sees them only in aggregate, through selectors."""

    committee_paths = ("whistle__committee",)


class DepartmentRating(models.Model):
    """The street's rating of one summoned department's response, given when it closes the
    whistle: on time, attitude and result, each 1–5, their mean as `score`, and a comment.
    Read by the dashboard's assessment of departments."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    summons = models.OneToOneField(Summons, on_delete=models.CASCADE, related_name="rating")
    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="ratings")
    department = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("职能部门")
    )
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="+", verbose_name=_("评价单位")
    )
    punctuality = models.PositiveSmallIntegerField(_("响应及时"), validators=score_validators)
    attitude = models.PositiveSmallIntegerField(_("工作态度"), validators=score_validators)
    result = models.PositiveSmallIntegerField(_("处置效果"), validators=score_validators)
    score = models.DecimalField(_("综合得分"), max_digits=3, decimal_places=2)
    comment = models.CharField(_("评语"), max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"))

    objects = DepartmentRatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门响应评价")
        verbose_name_plural = _("部门响应评价")
        indexes = [models.Index(fields=["tenant", "department", "rated_at"], name="rating_dept")]
        constraints = [
            models.CheckConstraint(
                condition=Q(punctuality__gte=1, punctuality__lte=5)
                & Q(attitude__gte=1, attitude__lte=5)
                & Q(result__gte=1, result__lte=5),
                name="department_rating_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.department_id}: {self.score}"


class DepartmentRobot(models.Model):
    """The department's own WeCom or DingTalk group robot (a webhook endpoint that hears only what
    is addressed to it): it gets each summons of the department."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    department = models.OneToOneField(
        MemberUnit, on_delete=models.CASCADE, related_name="robot", verbose_name=_("职能部门")
    )
    endpoint = models.OneToOneField(
        "notifications.WebhookEndpoint", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("部门群机器人")
        verbose_name_plural = _("部门群机器人")

    def __str__(self) -> str:
        return f"{self.department_id} → {self.endpoint_id}"


# --- two-way evaluation --------------------------------------------------------------------------


class EvaluationDirection(models.TextChoices):
    DEMAND_TO_PROVIDER = "demand_to_provider", _("需求方评价服务单位")
    PROVIDER_TO_COMMITTEE = "provider_to_committee", _("服务单位评价组织方")


class EvaluationQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Raw evaluations (who rated whom) are read only by the raters' side: the staff of the
    project's subtree see what the committee gave, a unit's contact what its unit gave. The rated
    party reads only aggregates, through `projects.evaluations` selectors (背靠背)."""

    committee_paths = ("rater_committee",)

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids:
            return []
        return [Q(rater_unit_id__in=unit_ids, tenant_id=user.tenant_id)]


class Evaluation(models.Model):
    """One rating of the two-way evaluation of a completed project (双向评价).

    demand → provider: the owner committee (`rater_committee`, for the residents whose demands the
    project met) rates a provider unit (`subject_unit`: the lead unit or a participating unit).
    provider → committee: a provider unit (`rater_unit`) rates the organising committee
    (`subject_committee`). `score` is 1–5. Aggregates of a subject are shown to it only from
    `MIN_RATINGS_SHOWN` ratings on, never one by one."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(_("方向"), max_length=32, choices=EvaluationDirection.choices)
    rater_committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rater_unit = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_unit = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("评分"), validators=score_validators)
    comment = models.CharField(_("评语"), max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"))

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("双向评价")
        verbose_name_plural = _("双向评价")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="evaluation_range"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        direction="demand_to_provider",
                        rater_committee__isnull=False,
                        subject_unit__isnull=False,
                        rater_unit__isnull=True,
                        subject_committee__isnull=True,
                    )
                    | Q(
                        direction="provider_to_committee",
                        rater_unit__isnull=False,
                        subject_committee__isnull=False,
                        rater_committee__isnull=True,
                        subject_unit__isnull=True,
                    )
                ),
                name="evaluation_sides",
            ),
            models.UniqueConstraint(
                fields=["project", "subject_unit"],
                condition=Q(direction="demand_to_provider"),
                name="evaluation_provider_once",
            ),
            models.UniqueConstraint(
                fields=["project", "rater_unit"],
                condition=Q(direction="provider_to_committee"),
                name="evaluation_committee_once",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "subject_unit"], name="evaluation_unit"),
            models.Index(fields=["tenant", "subject_committee"], name="evaluation_committee"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.direction}: {self.score}"


# --- residents' satisfaction ---------------------------------------------------------------------


class SatisfactionMode(models.TextChoices):
    PER_LINK = "per_link", _("每个链接评价一次")
    PER_DEVICE = "per_device", _("每台设备评价一次")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SatisfactionLinkQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("committee",)


class SatisfactionLink(models.Model):
    """A link (and its QR code) a resident opens without an account to rate a completed project or
    a closed whistle. `mode` per_link: the link takes one rating; per_device: one per device (a
    random cookie, stored only as a keyed hash). Refused after `expires_at`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    whistle = models.ForeignKey(
        Whistle, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    mode = models.CharField(
        _("评价方式"),
        max_length=16,
        choices=SatisfactionMode.choices,
        default=SatisfactionMode.PER_DEVICE,
    )
    expires_at = models.DateTimeField(_("失效时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SatisfactionLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("满意度评价链接")
        verbose_name_plural = _("满意度评价链接")
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False, whistle__isnull=True)
                | Q(project__isnull=True, whistle__isnull=False),
                name="satisfaction_link_subject",
            )
        ]

    def __str__(self) -> str:
        return self.token[:8]


class SatisfactionResponseQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("committee",)


class SatisfactionResponse(models.Model):
    """A resident's rating: nothing about the resident but the score (1–5), `satisfied` (score ≥
    4) and an optional comment. `committee`, `project` and `whistle` are copied from the link so
    the dashboard reads the satisfaction rate of a subtree without joining the links.
    `device_key` is a keyed hash of a random per-device cookie (per_device links), or "link" for
    per_link links, unique per link: the database refuses a second rating."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    link = models.ForeignKey(SatisfactionLink, on_delete=models.CASCADE, related_name="responses")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    whistle = models.ForeignKey(
        Whistle, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("满意度"), validators=score_validators)
    satisfied = models.BooleanField(_("满意"))
    comment = models.CharField(_("意见建议"), max_length=300, blank=True)
    device_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("评价时间"))

    objects = SatisfactionResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("群众满意度评价")
        verbose_name_plural = _("群众满意度评价")
        constraints = [
            models.UniqueConstraint(fields=["link", "device_key"], name="satisfaction_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="satisfaction_range"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "committee", "created_at"], name="satisfaction_committee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.link_id}: {self.score}"


# --- bulletins -----------------------------------------------------------------------------------


class BulletinKind(models.TextChoices):
    RESULTS = "results", _("工作通报")
    RANKING = "ranking", _("排名通报")
    ASSESSMENT = "assessment", _("考核结果")


class BulletinQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """A bulletin is read by everyone in its committee's subtree: staff and leaders of the
    committee or any committee below it (their scope lies inside it), staff above it (it lies in
    their scope), and the contacts and officers of every member unit standing below it."""

    committee_paths = ("committee",)

    def extra_terms(self, user, action):
        if action != Action.VIEW:
            return []
        terms = []
        # The committees where the user's grants stand: a bulletin of any of their ancestors.
        for scope in user_scopes(user, action):
            terms.append(
                Q(
                    tenant_id=scope.tenant_id,
                    committee__tree_id=scope.tree_id,
                    committee__lft__lte=scope.lft,
                    committee__rght__gte=scope.rght,
                )
            )
        unit_ids = set(user.unit_ids()) | department_terms(user)
        if unit_ids:
            for committee in Committee.objects.filter(located_units__pk__in=unit_ids).distinct():
                terms.append(
                    Q(
                        tenant_id=committee.tenant_id,
                        committee__tree_id=committee.tree_id,
                        committee__lft__lte=committee.lft,
                        committee__rght__gte=committee.rght,
                    )
                )
        return terms


class Bulletin(models.Model):
    """A bulletin (通报) a committee publishes to its subtree: every committee's staff and every
    member unit's contact below it are notified through the outbox. `ranking` optionally carries
    a ranking of child committees as [{"committee_id", "name", "score", "rank"}, ...] (computed by
    the dashboard's assessment); `period` names what it covers (e.g. "2026年11月")."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("发布单位")
    )
    kind = models.CharField(
        _("类型"), max_length=16, choices=BulletinKind.choices, default=BulletinKind.RESULTS
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"))
    period = models.CharField(_("期间"), max_length=40, blank=True)
    ranking = models.JSONField(_("排名"), default=list, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recipients = models.PositiveIntegerField(_("通知人数"), default=0)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "committee", "published_at"], name="bulletin_list")
        ]

    def __str__(self) -> str:
        return self.title


__all__ = [
    "MIN_RATINGS_SHOWN",
    "SATISFIED_FROM",
    "SUMMONS_TRANSITIONS",
    "WHISTLE_TRANSITIONS",
    "Bulletin",
    "BulletinKind",
    "DepartmentRating",
    "DepartmentRobot",
    "Evaluation",
    "EvaluationDirection",
    "RhythmKind",
    "SatisfactionLink",
    "SatisfactionMode",
    "SatisfactionResponse",
    "Summons",
    "SummonsPhoto",
    "SummonsReport",
    "SummonsReportKind",
    "SummonsStatus",
    "Whistle",
    "WhistleDemand",
    "WhistleEntry",
    "WhistleKind",
    "WhistleStatus",
]

"""The dashboard's rollups and the assessment (考核评价).

The dashboard reads pre-aggregated figures: for every committee and every month, the totals of
its whole subtree (the committee itself and everything below it). `dashboard.rollups.refresh`
rebuilds a tenant's rows in one transaction from the source tables (demands, their transitions,
projects, resources); the beat task runs it every few minutes and the page shows the age of what
it reads (`RollupState.refreshed_at`). Reading one committee is then a handful of rows whatever
the size of its subtree: the page's cost grows with the page (months, children), not the data.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Tenant
from core.scoping import ScopedQuerySetMixin
from members.models import MemberUnit


class RollupQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("committee",)


class MonthlyFigures(models.Model):
    """One committee's subtree in one month (Asia/Shanghai). Each column names the date that
    files a record under the month: see the selectors for the definitions shown on screen."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    # Demands filed by the month they were published (cohorts): what became of them since.
    demands = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    in_project = models.PositiveIntegerField(default=0)
    # Resources by the month they were created, projects by the month they were set up.
    resources = models.PositiveIntegerField(default=0)
    projects = models.PositiveIntegerField(default=0)
    # Projects by the month they were completed, and of those the ones completed by due_on.
    projects_completed = models.PositiveIntegerField(default=0)
    projects_on_time = models.PositiveIntegerField(default=0)
    # Whistles (吹哨) of the subtree's streets by the month they were blown; the departments'
    # summons of those whistles whose report is decided (on time or not), and of those on time.
    whistles = models.PositiveIntegerField(default=0)
    summons_decided = models.PositiveIntegerField(default=0)
    summons_on_time = models.PositiveIntegerField(default=0)
    # Residents' satisfaction responses by the month they were given, and the satisfied ones.
    satisfaction_responses = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度汇总")
        verbose_name_plural = _("月度汇总")
        constraints = [
            models.UniqueConstraint(fields=["committee", "month"], name="monthly_figures_once")
        ]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.month:%Y-%m}"


class MixFigures(models.Model):
    """Published demands of a committee's subtree in a month by one dimension's key (the
    category's id, or the source)."""

    CATEGORY = "category"
    SOURCE = "source"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=32)
    demands = models.PositiveIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["committee", "dimension", "month"], name="mix_read")]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.month:%Y-%m} {self.dimension}={self.key}"


class DurationFigures(models.Model):
    """How many demands of a committee's subtree, published in a month, took `days` whole days
    from one step to the next (`measure`): the histogram the medians are read from."""

    TO_MATCH = "to_match"
    TO_PROJECT = "to_project"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    measure = models.CharField(max_length=16)
    days = models.PositiveIntegerField()
    demands = models.PositiveIntegerField()

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["committee", "measure", "month"], name="duration_read")]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.month:%Y-%m} {self.measure} {self.days}"


class UnitLoad(models.Model):
    """How many running projects (planned or in progress) a member unit leads in a committee's
    subtree, for the units leading at least one."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(MemberUnit, on_delete=models.CASCADE, related_name="+")
    load = models.PositiveIntegerField()

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["committee", "-load", "unit"], name="unit_load_read")]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.unit_id}: {self.load}"


class OverdueEntry(models.Model):
    """A running project flagged overdue by the supervision scan, once under each committee
    whose subtree holds it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["committee", "due_on", "project"], name="overdue_read")]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.project_id}"


class DepartmentFigures(models.Model):
    """A department's summons by whistles of a committee's subtree blown in a month (not
    cancelled): decided (on time or not), on time, escalated."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    department = models.ForeignKey(MemberUnit, on_delete=models.CASCADE, related_name="+")
    decided = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["committee", "month"], name="department_figures_read")]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.month:%Y-%m} {self.department_id}"


class RollupState(models.Model):
    """When a tenant's rollups were last rebuilt, and how long that took."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    # One more each rebuild: what a cached board is filed under.
    generation = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.tenant_id} @ {self.refreshed_at}"


# --- assessment (考核评价) --------------------------------------------------------------------


class Period(models.Model):
    """An assessment period (a year, a half, a quarter): its first and last day."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("考核周期"), max_length=40)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    # The streets' ratings' share of a department's score (0-1): a setting per period.
    street_rating_weight = models.DecimalField(
        _("街乡评价权重"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.3"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    excellent_from = models.DecimalField(
        _("优秀分数线"), max_digits=5, decimal_places=2, default=90
    )
    good_from = models.DecimalField(_("良好分数线"), max_digits=5, decimal_places=2, default=75)
    pass_from = models.DecimalField(_("合格分数线"), max_digits=5, decimal_places=2, default=60)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核周期")
        verbose_name_plural = _("考核周期")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="period_dates_order"
            ),
            models.UniqueConstraint(fields=["tenant", "name"], name="period_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Subject(models.TextChoices):
    COMMITTEE = "committee", _("党建协调委员会")
    UNIT = "unit", _("成员单位")
    DEPARTMENT = "department", _("职能部门")


class IndicatorCategory(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("指标类别"), max_length=60)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("指标类别")
        verbose_name_plural = _("指标类别")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="indicator_category_once")
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One indicator: computed from one of the dashboard's figures (a rate from 0 to 1, scored
    as rate × weight, or inverted for a lower-is-better figure) or entered by hand with evidence.
    `veto` marks an indicator whose failure (score under `veto_below` of its weight) means the
    assessed party cannot be rated excellent (一票否优)."""

    MANUAL = "manual"

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        IndicatorCategory,
        on_delete=models.PROTECT,
        related_name="indicators",
        verbose_name=_("指标类别"),
    )
    subject = models.CharField(
        _("考核对象"), max_length=16, choices=Subject.choices, default=Subject.COMMITTEE
    )
    name = models.CharField(_("指标名称"), max_length=120)
    source = models.CharField(
        _("数据来源"), max_length=32, default=MANUAL, help_text=_("看板指标或手工录入")
    )
    weight = models.DecimalField(
        _("分值"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    veto = models.BooleanField(_("一票否优"), default=False)
    veto_below = models.DecimalField(
        _("否优线（得分率）"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.6"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["category__position", "position", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_manual(self) -> bool:
        return self.source == self.MANUAL


class ManualScore(models.Model):
    """A hand-entered score of an indicator for one assessed party in a period, with evidence."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="manual_scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        MemberUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    evidence = models.TextField(_("佐证材料说明"))
    evidence_file = models.FileField(
        _("佐证材料"), upload_to="assessment/%Y/", max_length=255, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("手工评分")
        verbose_name_plural = _("手工评分")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "indicator", "committee"],
                condition=Q(committee__isnull=False),
                name="manual_score_once_committee",
            ),
            models.UniqueConstraint(
                fields=["period", "indicator", "unit"],
                condition=Q(unit__isnull=False),
                name="manual_score_once_unit",
            ),
            models.CheckConstraint(
                condition=Q(committee__isnull=False) ^ Q(unit__isnull=False),
                name="manual_score_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.score}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class AssessmentResult(models.Model):
    """The score of one assessed party in a period, as computed when the period was scored;
    `details` keeps each indicator's score so the published result can be explained."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="results")
    subject = models.CharField(_("考核对象"), max_length=16, choices=Subject.choices)
    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        MemberUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=16, choices=Grade.choices)
    vetoed = models.BooleanField(_("一票否优"), default=False)
    details = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"{self.period_id} {self.subject}: {self.score}"


# --- 党建五星, 软弱涣散, 背靠背 ---------------------------------------------------------------


class Star(models.TextChoices):
    """The five stars of a community committee (党建五星), each graded 1 (lowest) to 5."""

    ORGANISATION = "organisation", _("组织建设星")
    SERVICE = "service", _("服务群众星")
    GOVERNANCE = "governance", _("基层治理星")
    CO_BUILDING = "co_building", _("共驻共建星")
    CULTURE = "culture", _("文明和谐星")


class StarRating(models.Model):
    """A community's grade on one star in one year; the rows of past years are its history.
    A star is won at grade 4 or above (`STAR_WON_FROM`)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    star = models.CharField(_("星"), max_length=16, choices=Star.choices)
    grade = models.PositiveSmallIntegerField(
        _("等级"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.CharField(_("评定说明"), max_length=300, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(auto_now=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("五星评定")
        verbose_name_plural = _("五星评定")
        constraints = [
            models.UniqueConstraint(fields=["committee", "year", "star"], name="star_once"),
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="star_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.year} {self.star}={self.grade}"


STAR_WON_FROM = 4


class WeakCommittee(models.Model):
    """A committee flagged as weak (软弱涣散) for rectification, until it is lifted."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("认定原因"))
    plan = models.TextField(_("整顿方案"))
    due_on = models.DateField(_("整顿期限"))
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    flagged_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("软弱涣散整顿")
        verbose_name_plural = _("软弱涣散整顿")
        constraints = [
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(lifted_at__isnull=True),
                name="weak_committee_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.committee_id} ({self.flagged_at:%Y-%m-%d})"


class RectificationStepQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("weak__committee",)


class RectificationStep(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    weak = models.ForeignKey(WeakCommittee, on_delete=models.CASCADE, related_name="steps")
    text = models.CharField(_("整改进展"), max_length=300)
    percent = models.PositiveSmallIntegerField(
        _("完成进度（%）"), validators=[MaxValueValidator(100)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = RectificationStepQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return self.text


class Feedback(models.Model):
    """Back-to-back feedback (背靠背): a rater's score of an assessed committee in a period. The
    assessed party sees only the aggregate (count, mean), never a row, and only from
    `FEEDBACK_MIN_RATERS` raters on, so no single rater can be told apart."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "committee", "rater"], name="feedback_once_per_rater"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.committee_id}"


FEEDBACK_MIN_RATERS = 3

"""The demand list (需求清单), two-way claims (双向认领) and the matching engine's proposals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from categories.models import Category
from committees.models import Committee, Tenant
from core.choices import ChoiceLabels
from core.scoping import Action, ScopedQuerySetMixin
from members.models import MemberUnit
from party_members.models import PartyMember
from resources.models import Resource


class Source(models.TextChoices):
    RESIDENT = "resident", _("居民反映")
    HOTLINE = "hotline", _("12345热线")
    SNAPSHOT = "snapshot", _("随手拍")
    MEMBER_UNIT = "member_unit", _("成员单位")
    MEETING = "meeting", _("议事会议")


class DemandKind(models.TextChoices):
    NEED = "need", _("需求")
    WISH = "wish", _("微心愿")


class Urgency(models.TextChoices):
    LOW = "low", _("一般")
    NORMAL = "normal", _("较急")
    HIGH = "high", _("紧急")
    CRITICAL = "critical", _("特急")


class DemandStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    MATCHED = "matched", _("已对接")
    IN_PROJECT = "in_project", _("已立项")
    FULFILLED = "fulfilled", _("已办结")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_DEMAND_STATUSES = [DemandStatus.PUBLISHED]
# The ways a demand may move, and which of them need a reason.
TRANSITIONS: dict[str, set[str]] = {
    DemandStatus.DRAFT: {DemandStatus.PUBLISHED, DemandStatus.WITHDRAWN},
    DemandStatus.PUBLISHED: {
        DemandStatus.MATCHED,
        DemandStatus.REJECTED,
        DemandStatus.WITHDRAWN,
        DemandStatus.FULFILLED,
    },
    DemandStatus.MATCHED: {
        DemandStatus.IN_PROJECT,
        DemandStatus.PUBLISHED,
        DemandStatus.FULFILLED,
        DemandStatus.WITHDRAWN,
    },
    DemandStatus.IN_PROJECT: {DemandStatus.FULFILLED, DemandStatus.MATCHED},
    DemandStatus.FULFILLED: set(),
    DemandStatus.REJECTED: set(),
    DemandStatus.WITHDRAWN: set(),
}
NEEDS_REASON = {DemandStatus.REJECTED, DemandStatus.WITHDRAWN}
# The states a demand may still be corrected in.
EDITABLE_STATUSES = (DemandStatus.DRAFT, DemandStatus.PUBLISHED)


class DemandQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff see demands arising or handled in their subtree (an escalated demand is seen both
    where it arose and by the level it rose to); a unit contact sees the demands its unit raised,
    claimed or was matched with, and keeps (changes) the ones it raised."""

    committee_paths = ("committee", "handling_committee")

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids:
            return []
        raised = Q(raised_by_unit_id__in=unit_ids, tenant_id=user.tenant_id)
        if action != Action.VIEW:
            return [raised]
        return [
            raised
            | Q(
                pk__in=Match.objects.filter(resource__offered_by_id__in=unit_ids).values(
                    "demand_id"
                )
            )
            | Q(pk__in=Claim.objects.filter(unit_id__in=unit_ids).values("demand_id"))
        ]


class Demand(ChoiceLabels, models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="demands", verbose_name=_("提出地")
    )
    # Where it is handled now: the committee where it arose, or the level it escalated to.
    handling_committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        related_name="handled_demands",
        verbose_name=_("承办委员会"),
    )
    kind = models.CharField(
        _("类型"), max_length=16, choices=DemandKind.choices, default=DemandKind.NEED
    )
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("描述"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="demands", verbose_name=_("类别")
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    people_affected = models.PositiveIntegerField(_("涉及人数"), default=1)
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    needed_by = models.DateField(_("期望解决日期"), null=True, blank=True)
    quantity = models.DecimalField(
        _("需求数量"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    quantity_unit = models.CharField(_("数量单位"), max_length=16, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DemandStatus.choices, default=DemandStatus.DRAFT
    )
    status_reason = models.CharField(_("原因"), max_length=300, blank=True)
    raised_by_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="raised_demands",
        verbose_name=_("提出单位"),
    )
    claimed_by_member = models.ForeignKey(
        PartyMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_wishes",
        verbose_name=_("认领党员"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    escalation_due_at = models.DateTimeField(_("上报期限"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Matching is pending from the moment it is asked for until it has run (the API tells which).
    matching_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    matched_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求清单")
        indexes = [
            models.Index(fields=["tenant", "status", "category"], name="demand_open_by_category"),
            models.Index(
                fields=["escalation_due_at"],
                name="demand_escalation_due",
                condition=Q(status="published"),
            ),
            models.Index(
                fields=["tenant", "committee", "status", "created_at"], name="demand_list"
            ),
            # A city's list, newest first, walked in the order the list sorts by.
            models.Index(fields=["tenant", "-created_at", "-id"], name="demand_newest"),
        ]

    def __str__(self) -> str:
        return self.title


class DemandTransition(models.Model):
    """Every change of a demand's state: who, when, from what to what, and why."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    demand = models.ForeignKey(
        Demand, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("需求")
    )
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("需求状态变更")
        verbose_name_plural = _("需求状态变更")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.from_status} → {self.to_status}"


class DemandAttachment(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    demand = models.ForeignKey(
        Demand, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("需求")
    )
    file = models.FileField(_("文件"), upload_to="demands/%Y/%m/", max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("需求附件")
        verbose_name_plural = _("需求附件")

    def __str__(self) -> str:
        return self.original_name


class ClaimDirection(models.TextChoices):
    UNIT_CLAIMS = "unit_claims", _("单位认领需求")
    STAFF_REQUESTS = "staff_requests", _("社区申请资源")
    # A committee's own resource (no member unit) committed to a demand by the offering
    # committee's staff: accepted from the start, with the same capacity rules and record.
    COMMITTEE_COMMITS = "committee_commits", _("协调委员会直接对接")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待回应")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已谢绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    RELEASED = "released", _("已释放")


class ClaimQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff see the claims on demands of their subtree; a unit contact its unit's claims."""

    committee_paths = ("demand__committee", "demand__handling_committee")

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        return [Q(unit_id__in=unit_ids, tenant_id=user.tenant_id)] if unit_ids else []


class Claim(ChoiceLabels, models.Model):
    """Either side's move to pair a demand with a resource (双向认领): a unit claims a demand, or
    staff request a resource for a demand. The other side accepts or declines; an accepted claim
    commits capacity until it is released. A committee's own resource is committed directly by
    the offering committee's staff (直接对接): the same record, accepted at once, with no unit."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    demand = models.ForeignKey(
        Demand, on_delete=models.PROTECT, related_name="claims", verbose_name=_("需求")
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("资源"),
    )
    unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("成员单位"),
    )
    direction = models.CharField(
        max_length=20, choices=ClaimDirection.choices, verbose_name=_("方向")
    )
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=1, default=0)
    message = models.CharField(_("留言"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("回应人"),
    )
    decided_at = models.DateTimeField(_("回应时间"), null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        # A city's list, newest first, walked in the order the list sorts by.
        indexes = [models.Index(fields=["tenant", "-created_at", "-id"], name="claim_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="claim_quantity_non_negative"
            ),
            models.UniqueConstraint(
                fields=["demand", "unit"],
                condition=Q(status__in=["pending", "accepted"]),
                name="claim_one_open_per_unit",
            ),
            # Only a committee's direct commitment has no unit, and it always names its resource.
            models.CheckConstraint(
                condition=Q(
                    direction="committee_commits", unit__isnull=True, resource__isnull=False
                )
                | (~Q(direction="committee_commits") & Q(unit__isnull=False)),
                name="claim_unit_unless_committee_commits",
            ),
            models.UniqueConstraint(
                fields=["demand", "resource"],
                condition=Q(direction="committee_commits", status="accepted"),
                name="claim_one_commitment_per_resource",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit or self.resource} ↔ {self.demand}"

    @property
    def party_name(self) -> str:
        """Who pairs with the demand: the unit, or the committee offering its own resource."""
        if self.unit_id is not None:
            return self.unit.name
        return self.resource.committee.name if self.resource_id else ""


class MatchQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff see the proposals for demands of their subtree; a unit contact the proposals of its
    unit's resources and those for the demands it raised."""

    committee_paths = ("demand__committee", "demand__handling_committee")

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        if not unit_ids:
            return []
        own = Q(resource__offered_by_id__in=unit_ids, tenant_id=user.tenant_id)
        if action != Action.VIEW:
            return [own]
        return [own | Q(demand__raised_by_unit_id__in=unit_ids, tenant_id=user.tenant_id)]


class Match(models.Model):
    """A pairing the engine proposes, with its score, each component of it, and the reason in
    words a staff member understands."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="matches")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="matches")
    score = models.FloatField(_("得分"))
    components = models.JSONField(_("得分构成"), default=dict)
    reason = models.CharField(_("匹配理由"), max_length=500)
    rank = models.PositiveSmallIntegerField(_("排名"))
    computed_at = models.DateTimeField(auto_now=True)
    # The score, rank and components in one digest, and a digest of what the reason was worded
    # from: a pass compares both with what it would write and leaves an unchanged proposal
    # alone, without reading it back or wording its reason again.
    digest = models.CharField(max_length=16, blank=True, default="")
    basis = models.CharField(max_length=32, blank=True, default="")

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("匹配")
        verbose_name_plural = _("匹配")
        ordering = ["demand", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["demand", "resource"], name="match_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.demand_id}↔{self.resource_id} {self.score:.2f}"

    @property
    def reason_text(self) -> str:
        """The reason with the resource's capacity as it is now, not as it was when the engine
        wrote it (read with the match's resource and demand joined in)."""
        from .matching import reason_now

        return reason_now(self.reason, self.resource, self.demand)


class TermStatistics(models.Model):
    """How many of a category's proposable resources carry each term (the matching engine's
    weights), with the version of the tenant's vocabulary they were counted under. Renewed by
    every full-pass chunk; read by every worker, so none counts them again on its own."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    lexicon = models.CharField(max_length=64)
    documents = models.PositiveIntegerField()
    frequency = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "category"], name="term_statistics_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.documents}"


class StoredAnalysis(models.Model):
    """What the matching engine read in one text (its concepts with the words it used, its
    bigrams, the terms a score reads), under a `key` naming everything the reading depends on:
    the vocabulary's version, the place names taken out, the text itself. A full pass reads these instead of analysing
    tens of thousands of texts again; any change of the three gives another key, and the text
    is read afresh. Derived data: never audited, always rebuildable."""

    key = models.CharField(max_length=32)
    terms = models.TextField(blank=True)  # what the scores read, RS between
    concepts = models.TextField(blank=True)  # headword US word RS headword US word …
    bigrams = models.TextField(blank=True)  # sorted, RS between

    class Meta:
        abstract = True


class DemandAnalysis(StoredAnalysis):
    demand = models.OneToOneField(
        Demand, on_delete=models.CASCADE, primary_key=True, related_name="analysis"
    )
    # The text as read (places taken out): a reason quotes the runs of it a resource shares.
    text = models.TextField(blank=True)
    # The vocabulary and weights the reasons of this demand's proposals were last worded under
    # (a digest): while they hold, a pass finding a proposal's own inputs unchanged need not
    # word it.
    worded_under = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.key}"


class ResourceAnalysis(StoredAnalysis):
    resource = models.OneToOneField(
        Resource, on_delete=models.CASCADE, primary_key=True, related_name="analysis"
    )

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.key}"

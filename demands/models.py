"""The demand list, the resource list, two-way claims and the matching engine's proposals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Tenant
from committees.scoping import Action, ScopedQuerySetMixin
from members.models import MemberUnit, PartyMember


class Category(models.Model):
    """A tenant's taxonomy of needs, each with how long an unmatched demand may wait at each level
    before it escalates one level up."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=50)
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("用空格分隔，帮助匹配。")
    )
    # {"community": 7, "street": 14, "district": 30}: days; a level not listed never escalates.
    escalation_days = models.JSONField(_("上报期限（天）"), default=dict)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("需求类别")
        verbose_name_plural = _("需求类别")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


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


class UnitAwareScopeMixin(ScopedQuerySetMixin):
    """The scoping entry point of the lists: rows whose committee (along any of
    `committee_paths`) lies in the user's scopes, or that concern a unit the user is contact for.

    An escalated demand is seen both where it arose and by the level it rose to, hence several
    paths. Committee ranges become id subqueries, so the big tables keep their indexes."""

    committee_paths: tuple[str, ...] = ("committee",)

    def unit_condition(self, unit_ids: set[int], action) -> Q | None:
        return None

    def visible_to(self, user, action: Action | str = Action.VIEW):
        from committees.scoping import scope_ids_q, user_scopes

        scopes = user_scopes(user, action)
        terms = [scope_ids_q(scopes, path) for path in self.committee_paths]
        if getattr(user, "is_authenticated", False) and hasattr(user, "unit_ids"):
            unit_ids = user.unit_ids()
            if unit_ids:
                terms.append(self.unit_condition(unit_ids, action))
        terms = [term for term in terms if term is not None]
        if not terms:
            return self.none()
        condition = terms[0]
        for term in terms[1:]:
            condition |= term
        return self.filter(condition)


class DemandQuerySet(UnitAwareScopeMixin, models.QuerySet):
    """Staff see demands arising or handled in their subtree; a unit contact sees the demands its
    unit raised, claimed or was matched with."""

    committee_path = "committee"
    committee_paths = ("committee", "handling_committee")

    def unit_condition(self, unit_ids, action):
        if action != Action.VIEW:
            return None
        return (
            Q(raised_by_unit_id__in=unit_ids)
            | Q(
                pk__in=Match.objects.filter(resource__offered_by_id__in=unit_ids).values(
                    "demand_id"
                )
            )
            | Q(pk__in=Claim.objects.filter(unit_id__in=unit_ids).values("demand_id"))
        )


class Demand(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="demands", verbose_name=_("提出地")
    )
    # Where it is handled now: the committee where it arose, or the level it escalated to.
    handling_committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="handled_demands"
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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    escalation_due_at = models.DateTimeField(_("上报期限"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        ]

    def __str__(self) -> str:
        return self.title


class DemandTransition(models.Model):
    """Every change of a demand's state: who, when, from what to what, and why."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.from_status} → {self.to_status}"


class DemandAttachment(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="demands/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("场地")
    VOLUNTEERS = "volunteers", _("人员")
    EXPERTISE = "expertise", _("专业技能")
    FUNDS = "funds", _("资金")
    GOODS = "goods", _("物资")
    EQUIPMENT = "equipment", _("设备")


class CapacityUnit(models.TextChoices):
    SQUARE_METRES = "m2", _("平方米")
    PEOPLE = "people", _("人")
    HOURS = "hours", _("小时")
    YUAN = "yuan", _("元")
    ITEMS = "items", _("件")
    PLACES = "places", _("个")


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", _("可用")
    PAUSED = "paused", _("暂停")
    WITHDRAWN = "withdrawn", _("已撤回")


class ResourceQuerySet(UnitAwareScopeMixin, models.QuerySet):
    committee_path = "committee"
    committee_paths = ("committee",)

    def unit_condition(self, unit_ids, action):
        return Q(offered_by_id__in=unit_ids)


class Resource(models.Model):
    """What a member unit (or a committee itself) offers to the subtree of `committee`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="resources", verbose_name=_("服务范围")
    )
    offered_by = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
        verbose_name=_("提供单位"),
    )
    kind = models.CharField(_("资源类型"), max_length=16, choices=ResourceKind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="resources", verbose_name=_("类别")
    )
    title = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("描述"), blank=True)
    capacity = models.DecimalField(_("总量"), max_digits=12, decimal_places=1)
    capacity_unit = models.CharField(_("单位"), max_length=16, choices=CapacityUnit.choices)
    remaining = models.DecimalField(_("剩余"), max_digits=12, decimal_places=1)
    available_from = models.DateField(_("可用开始"), null=True, blank=True)
    available_until = models.DateField(_("可用截止"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("资源")
        verbose_name_plural = _("资源清单")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="resource_capacity_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("capacity")),
                name="resource_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_from__isnull=True)
                | Q(available_until__gte=models.F("available_from")),
                name="resource_window_order",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "category", "status"], name="resource_candidates")
        ]

    def __str__(self) -> str:
        return self.title


class ClaimDirection(models.TextChoices):
    UNIT_CLAIMS = "unit_claims", _("单位认领需求")
    STAFF_REQUESTS = "staff_requests", _("社区申请资源")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待回应")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已谢绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    RELEASED = "released", _("已释放")


class ClaimQuerySet(UnitAwareScopeMixin, models.QuerySet):
    committee_path = "demand__committee"
    committee_paths = ("demand__committee", "demand__handling_committee")

    def unit_condition(self, unit_ids, action):
        return Q(unit_id__in=unit_ids)


class Claim(models.Model):
    """Either side's move to pair a demand with a resource (双向认领): a unit claims a demand, or
    staff request a resource for a demand. The other side accepts or declines; an accepted claim
    commits capacity until it is released."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="claims")
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="claims")
    direction = models.CharField(max_length=16, choices=ClaimDirection.choices)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=1, default=0)
    message = models.CharField(_("留言"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="claim_quantity_non_negative"
            ),
            models.UniqueConstraint(
                fields=["demand", "unit"],
                condition=Q(status__in=["pending", "accepted"]),
                name="claim_one_open_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ↔ {self.demand}"


class MatchQuerySet(UnitAwareScopeMixin, models.QuerySet):
    committee_path = "demand__committee"
    committee_paths = ("demand__committee", "demand__handling_committee")

    def unit_condition(self, unit_ids, action):
        return Q(resource__offered_by_id__in=unit_ids)


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

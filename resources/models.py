"""The resource list (资源清单): what member units, or committees themselves, offer to a subtree.

A room of its own below demands: a claim or a match pairs a demand with a resource, so demands
know resources, never the other way round. When resources change, this room says so with a
signal (`resources.signals.resources_changed`) and the demands room rematches.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from categories.models import Category
from committees.models import Committee, Tenant
from core.choices import ChoiceLabels
from core.scoping import ScopedQuerySetMixin
from members.models import MemberUnit


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


class ResourceQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Staff see the resources offered in their subtree; a unit contact its unit's own."""

    committee_paths = ("committee",)

    def extra_terms(self, user, action):
        unit_ids = user.unit_ids()
        return [Q(offered_by_id__in=unit_ids, tenant_id=user.tenant_id)] if unit_ids else []


class Resource(ChoiceLabels, models.Model):
    """What a member unit (or a committee itself) offers to the subtree of `committee`."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

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
            models.Index(fields=["tenant", "category", "status"], name="resource_candidates"),
            # A city's list, newest first, walked in the order the list sorts by.
            models.Index(fields=["tenant", "-created_at", "-id"], name="resource_newest"),
            # Matching one demand: the active resources of its category offered along its
            # chain, or by units that are members there (an OR of two index scans).
            models.Index(
                fields=["category", "committee"],
                name="resource_active_at",
                condition=Q(status="active"),
            ),
            models.Index(
                fields=["category", "offered_by"],
                name="resource_active_by",
                condition=Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

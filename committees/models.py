from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from core.scoping import ScopedQuerySetMixin


class Tenant(models.Model):
    """One city or region running its own committee tree, invisible to every other tenant."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    slug = models.SlugField(_("标识"), max_length=32, unique=True)
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("租户")
        verbose_name_plural = _("租户")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街乡")
    COMMUNITY = "community", _("社区村")
    GRID = "grid", _("网格")
    BUILDING = "building", _("楼栋")


# Top to bottom; a child's level is always below its parent's.
LEVEL_ORDER: list[str] = [choice.value for choice in Level]


class Kind(models.TextChoices):
    TERRITORIAL = "territorial", _("区域型")
    FUNCTIONAL = "functional", _("功能区")


class CommitteeQuerySet(ScopedQuerySetMixin, TreeQuerySet):
    committee_paths = ("",)

    def open(self) -> CommitteeQuerySet:
        return self.filter(closed_at__isnull=True)

    def public_directory(self) -> CommitteeQuerySet:
        """The one read that needs no user: open communities and villages, by name and code, for
        a party member choosing where to register before they have an account. Administrative
        divisions are public facts; nothing else of a tenant is reachable through this."""
        return (
            self.open()
            .filter(level=Level.COMMUNITY)
            .only(
                "id",
                "tenant_id",
                "name",
                "division_code",
                "level",
                "tree_id",
                "lft",
                "rght",
                "closed_at",
            )
        )


class CommitteeManager(TreeManager.from_queryset(CommitteeQuerySet)):
    pass


class Committee(MPTTModel):
    """A coordination committee: one node of its tenant's tree.

    Structural writes (create, rename, move, close) go through `committees.services`, which holds the
    tenant's tree lock; nothing else touches the tree fields.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="committees", verbose_name=_("租户")
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    kind = models.CharField(
        _("类型"), max_length=16, choices=Kind.choices, default=Kind.TERRITORIAL
    )
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CommitteeManager()

    class MPTTMeta:
        # `level` is the committee's administrative level; MPTT's depth gets its own name.
        level_attr = "depth"

    class Meta:
        verbose_name = _("协调委员会")
        verbose_name_plural = _("协调委员会")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "parent", "name"],
                condition=Q(closed_at__isnull=True),
                name="committee_unique_open_sibling_name",
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(parent__isnull=True),
                name="committee_one_root_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant", "division_code"],
                condition=Q(closed_at__isnull=True) & ~Q(division_code=""),
                name="committee_unique_open_division_code",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "tree_id", "lft", "rght"], name="committee_scope_range")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def subtree_size(self) -> int:
        """Committees below this one, read off the MPTT range without a query."""
        return (self.rght - self.lft - 1) // 2


class TreeCheck(models.Model):
    """The result of one consistency check of a tenant's tree, kept so faults stay visible."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tree_checks")
    checked_at = models.DateTimeField(_("检查时间"), auto_now_add=True)
    node_count = models.PositiveIntegerField(_("节点数"))
    faults = models.JSONField(_("问题"), default=list)

    class Meta:
        verbose_name = _("组织树检查")
        verbose_name_plural = _("组织树检查")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.tenant} @ {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def is_consistent(self) -> bool:
        return not self.faults

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Tenant
from committees.scoping import Action, Scope


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("租户管理员")
    STAFF = "staff", _("工作人员")
    LEADER = "leader", _("领导（只读）")
    # 三员分立: the three administrators hold separate duties and see no business records.
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全保密管理员")
    AUDIT_ADMIN = "audit_admin", _("安全审计员")


# Which roles a grant must carry for each action on the committees in its scope.
ROLES_FOR_ACTION: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset({Role.TENANT_ADMIN, Role.STAFF, Role.LEADER}),
    Action.CHANGE: frozenset({Role.TENANT_ADMIN, Role.STAFF}),
    Action.MANAGE_TREE: frozenset({Role.TENANT_ADMIN}),
}


class User(AbstractUser):
    """An account of one tenant. Platform administrators (superusers) may have no tenant."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("租户"),
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.display_name or self.username

    def role_grants(self) -> list[RoleGrant]:
        """The user's grants with their committees, loaded once per request."""
        cached = getattr(self, "_role_grants", None)
        if cached is None:
            cached = list(
                RoleGrant.objects.filter(user=self, tenant_id=self.tenant_id).select_related(
                    "committee"
                )
            )
            self._role_grants = cached
        return cached

    def committee_scopes(self, action: Action) -> list[Scope]:
        if not self.is_active or self.tenant_id is None:
            return []
        roles = ROLES_FOR_ACTION.get(action, frozenset())
        return [
            Scope(
                tenant_id=grant.committee.tenant_id,
                tree_id=grant.committee.tree_id,
                lft=grant.committee.lft,
                rght=grant.committee.rght,
            )
            for grant in self.role_grants()
            if grant.role in roles
            and grant.committee is not None
            and grant.committee.tenant_id == self.tenant_id
        ]

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.role_grants())

    @property
    def scope_committees(self) -> list[Committee]:
        """The committees at which the user reads, outermost first, without nested repeats."""
        committees = sorted(
            {
                grant.committee.pk: grant.committee
                for grant in self.role_grants()
                if grant.committee is not None and grant.role in ROLES_FOR_ACTION[Action.VIEW]
            }.values(),
            key=lambda c: (c.tree_id, c.lft),
        )
        outermost: list[Committee] = []
        for committee in committees:
            if not any(
                o.tree_id == committee.tree_id and o.lft <= committee.lft <= o.rght
                for o in outermost
            ):
                outermost.append(committee)
        return outermost


class RoleGrant(models.Model):
    """A role held at a scope: a committee, which means its whole subtree."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="role_grants")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        related_name="role_grants",
        verbose_name=_("范围"),
    )
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "role", "committee"], name="rolegrant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.committee}"

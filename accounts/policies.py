"""Who may do what with accounts, sign-in and its second factor: the one place these rules live.

**Which role may be granted at which scope, by whom** is the table `GRANT_RULES`: one row per
role, naming the kind of scope it is held at (a committee, which means its whole subtree, or a
member unit, possibly of one kind only), whether it is held at the tenant's root only, and which
managers may grant it. Pages, the Excel template's drop-down and the API read the table; a new
role (the whistles' `department_officer`, held at a member unit of kind `department`) is one more
row, and it is offered as soon as `members.models.Role` has it.

Account managers are the tenant administrator and the system administrator (三员分立): they open
accounts, grant and revoke roles, set one-time passwords and deactivate accounts of their own
tenant, and only at committees in the subtree where they hold their grant. The three separated
administrators are appointed by the tenant administrator alone. Street and community staff,
leaders and contacts manage no accounts. The security administrator sees and unlocks locked
accounts; the audit administrator reads the audit log (`audit.policies`).

The second factor (TOTP) is offered to administrators only: the tenant administrator, the three
separated administrators and platform superusers. For everyone else the page does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.scoping import covers
from members.models import ACCOUNT_MANAGER_ROLES, Role

ADMINISTRATOR_ROLES = (
    Role.TENANT_ADMIN,
    Role.SYSTEM_ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDIT_ADMIN,
)

COMMITTEE = "committee"
UNIT = "unit"


@dataclass(frozen=True)
class GrantRule:
    """Where a role is held and who may grant it."""

    role: str
    scope: str  # COMMITTEE (its subtree) or UNIT
    granted_by: frozenset[str]
    unit_kind: str = ""  # for UNIT: only units of this kind ("" any)
    root_only: bool = False  # held at the tenant's root committee only

    @property
    def label(self) -> str:
        return str(dict(Role.choices).get(self.role, self.role))

    def scope_words(self) -> str:
        """What the scope of this role is, in words for the form and the template."""
        if self.scope == UNIT:
            if self.unit_kind:
                from members.models import UnitKind

                kind = dict(UnitKind.choices).get(self.unit_kind, self.unit_kind)
                return _("成员单位（%(kind)s）") % {"kind": kind}
            return _("成员单位")
        if self.root_only:
            return _("全市（租户根节点）")
        return _("协调委员会及其下级")


TENANT = frozenset({Role.TENANT_ADMIN})
MANAGERS = frozenset(ACCOUNT_MANAGER_ROLES)

# The table. Order is the order the form offers them in.
GRANT_RULES: tuple[GrantRule, ...] = (
    GrantRule(Role.STAFF, COMMITTEE, MANAGERS),
    GrantRule(Role.LEADER, COMMITTEE, MANAGERS),
    GrantRule(Role.UNIT_CONTACT, UNIT, MANAGERS),
    GrantRule("department_officer", UNIT, MANAGERS, unit_kind="department"),
    GrantRule(Role.TENANT_ADMIN, COMMITTEE, TENANT),
    GrantRule(Role.SYSTEM_ADMIN, COMMITTEE, TENANT, root_only=True),
    GrantRule(Role.SECURITY_ADMIN, COMMITTEE, TENANT, root_only=True),
    GrantRule(Role.AUDIT_ADMIN, COMMITTEE, TENANT, root_only=True),
)


def grant_rules() -> list[GrantRule]:
    """The rules of the roles that exist now (a row waits until its role is in `Role`)."""
    return [rule for rule in GRANT_RULES if rule.role in Role.values]


def grant_rule(role: str) -> GrantRule | None:
    return next((rule for rule in grant_rules() if rule.role == role), None)


# --- account managers -------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_account_manager(user) -> bool:
    return _active(user) and user.tenant_id is not None and user.has_role(*ACCOUNT_MANAGER_ROLES)


def require_account_manager(user) -> None:
    if not is_account_manager(user):
        raise NotAllowed(_("只有租户管理员和系统管理员可以管理账号。"))


def manager_committees(user) -> list:
    """The committees where the user manages accounts (each with its subtree)."""
    return [
        grant.committee
        for grant in user.role_grants()
        if grant.role in ACCOUNT_MANAGER_ROLES and grant.committee is not None
    ]


def grantable_rules(user) -> list[GrantRule]:
    """The roles this manager may grant."""
    if not is_account_manager(user):
        return []
    held = {grant.role for grant in user.role_grants()}
    return [rule for rule in grant_rules() if rule.granted_by & held]


def manages_committee(user, committee) -> bool:
    return committee is not None and any(covers(c, committee) for c in manager_committees(user))


def ensure_may_grant(user, *, role: str, committee=None, member_unit=None) -> GrantRule:
    """The rule of a grant this manager may make (or revoke); NotAllowed otherwise. The scope's
    fitness (a unit where a committee is needed) is the service's validation, by field."""
    require_account_manager(user)
    rule = grant_rule(role)
    if rule is None or rule not in grantable_rules(user):
        raise NotAllowed(
            _("您不能授予“%(role)s”角色。") % {"role": dict(Role.choices).get(role, role)}
        )
    place = member_unit.committee if member_unit is not None else committee
    if place is not None and (
        place.tenant_id != user.tenant_id or not manages_committee(user, place)
    ):
        raise NotAllowed(_("只能在您管理的范围内授权。"))
    return rule


def ensure_may_manage_account(user, account) -> None:
    """Deactivate, reactivate, reset the password of, edit an account of the manager's tenant.
    Nobody does it to themselves here (their profile is for that), and an account manager of
    the system administrator's rank cannot touch a tenant administrator."""
    require_account_manager(user)
    if account.tenant_id != user.tenant_id:
        raise NotAllowed(_("找不到该账号。"))
    if account.pk == user.pk:
        raise NotAllowed(_("不能对自己的账号执行此操作，请在“个人设置”中修改。"))
    if account.is_superuser:
        raise NotAllowed(_("平台管理员账号不在此管理。"))
    if not user.has_role(Role.TENANT_ADMIN) and account.has_role(*TENANT):
        raise NotAllowed(_("系统管理员不能管理租户管理员账号。"))


# --- the security administrator: locked accounts ------------------------------------------------


def is_security_admin(user) -> bool:
    return _active(user) and user.tenant_id is not None and user.has_role(Role.SECURITY_ADMIN)


def require_security_admin(user) -> None:
    if not is_security_admin(user):
        raise NotAllowed(_("只有安全保密管理员可以解除账号锁定。"))


# --- the second factor --------------------------------------------------------------------------


def is_administrator(user) -> bool:
    """May enrol a second factor."""
    if not _active(user):
        return False
    return user.is_superuser or user.has_role(*ADMINISTRATOR_ROLES)


def require_administrator(user) -> None:
    if not is_administrator(user):
        raise NotAllowed(_("只有管理员账号可以设置两步验证。"))


def uses_api(user) -> bool:
    """Who is offered the API documentation: administrators and unit contacts, who connect
    their own systems; not a party member on a phone."""
    return _active(user) and (
        user.is_superuser or user.has_role(*ADMINISTRATOR_ROLES) or bool(user.unit_ids())
    )

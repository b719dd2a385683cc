"""Account management: opening accounts and granting roles at a scope."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from committees.models import Committee, Level, Tenant
from members.models import (
    MemberUnit,
    Role,
    RoleGrant,
    User,
)

SEPARATED_ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
COMMUNITY_LEVELS = {Level.COMMUNITY}


# --- accounts ---------------------------------------------------------------------------------


def user_create(
    *,
    tenant: Tenant | None,
    username: str,
    password: str | None = None,
    password_hash: str | None = None,
    display_name: str = "",
    phone: str = "",
    email: str = "",
) -> User:
    """Open an account. `password_hash` lets bulk seeding hash one password once."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名“%(name)s”已被使用。") % {"name": username}})
    user = User(
        tenant=tenant, username=username, display_name=display_name, phone=phone, email=email
    )
    user.password = password_hash or make_password(password)
    user.save()
    return user


@transaction.atomic
def role_grant(
    *,
    user: User,
    role: str,
    committee: Committee | None = None,
    member_unit: MemberUnit | None = None,
) -> RoleGrant:
    """Grant a role at a committee's subtree or for a member unit, keeping the three
    administrators' duties apart."""
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色“%(role)s”。") % {"role": role}})
    scope = member_unit if role == Role.UNIT_CONTACT else committee
    if scope is None:
        field = "member_unit" if role == Role.UNIT_CONTACT else "committee"
        raise ValidationError({field: _("请指定授权范围。")})
    if user.tenant_id is None or scope.tenant_id != user.tenant_id:
        raise ValidationError({"committee": _("只能在账号所属租户内授权。")})
    held = set(user.grants.values_list("role", flat=True))
    separated = _("系统、安全、审计管理员须由不同账号担任（三员分立）。")
    if role in SEPARATED_ADMIN_ROLES and held - {role}:
        raise ValidationError({"role": separated})
    if held & SEPARATED_ADMIN_ROLES and role not in held:
        raise ValidationError({"role": separated})
    grant, _created = RoleGrant.objects.get_or_create(
        tenant_id=user.tenant_id,
        user=user,
        role=role,
        committee=committee if role != Role.UNIT_CONTACT else None,
        member_unit=member_unit if role == Role.UNIT_CONTACT else None,
    )
    user.__dict__.pop("_role_grants", None)
    return grant

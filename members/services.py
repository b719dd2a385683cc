from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from committees.models import Committee, Tenant

from .models import Role, RoleGrant, User

SEPARATED_ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}


def user_create(
    *,
    tenant: Tenant | None,
    username: str,
    password: str | None = None,
    password_hash: str | None = None,
    display_name: str = "",
    phone: str = "",
) -> User:
    """Open an account. `password_hash` lets bulk seeding hash one password once."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名“%(name)s”已被使用。") % {"name": username}})
    user = User(tenant=tenant, username=username, display_name=display_name, phone=phone)
    user.password = password_hash or make_password(password)
    user.save()
    return user


@transaction.atomic
def role_grant(*, user: User, role: str, committee: Committee) -> RoleGrant:
    """Grant a role at a committee's subtree, keeping the three administrators' duties apart."""
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色“%(role)s”。") % {"role": role}})
    if user.tenant_id is None or committee.tenant_id != user.tenant_id:
        raise ValidationError({"committee": _("只能在账号所属租户内授权。")})
    held = set(user.grants.values_list("role", flat=True))
    if role in SEPARATED_ADMIN_ROLES and held - {role}:
        raise ValidationError({"role": _("系统、安全、审计管理员须由不同账号担任(三员分立)。")})
    if held & SEPARATED_ADMIN_ROLES and role not in held:
        raise ValidationError({"role": _("系统、安全、审计管理员须由不同账号担任(三员分立)。")})
    grant, _created = RoleGrant.objects.get_or_create(
        tenant_id=user.tenant_id, user=user, role=role, committee=committee
    )
    user.__dict__.pop("_role_grants", None)
    return grant

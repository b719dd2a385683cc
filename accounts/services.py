"""Account management: opening accounts, granting roles at a scope, and an administrator's
second factor (enrolled and removed with a code, each recorded in the audit trail)."""

from __future__ import annotations

from binascii import unhexlify

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from committees.models import Committee, Level, Tenant
from members.models import (
    MemberUnit,
    Role,
    RoleGrant,
    User,
)

from . import policies
from .selectors import confirmed_device

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


# --- the second factor (TOTP) -----------------------------------------------------------------


def totp_enrolment_start(*, actor: User) -> str:
    """An administrator starts enrolling: a fresh secret for the authenticator app. Nothing is
    stored until a code from the app confirms it (`totp_device_confirm`); the page keeps the
    secret in the session meanwhile, so an enrolment left half done leaves nothing behind."""
    policies.require_administrator(actor)
    return default_key()


@transaction.atomic
def totp_device_confirm(*, actor: User, key: str, code: str) -> TOTPDevice:
    """The code from the app proves it holds the secret: the second factor is on from now, and
    this code may not be used again to log in. The audit trail's triggers record the device
    (accounts' `audited_models`), never its key."""
    policies.require_administrator(actor)
    if confirmed_device(actor) is not None:
        raise ValidationError({"code": _("两步验证已开启。")})
    totp = TOTP(unhexlify(key))
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        raise ValidationError(
            {"code": _("动态验证码不正确，请确认验证器已添加上面的二维码，并输入最新验证码。")}
        )
    device = TOTPDevice.objects.create(
        user=actor,
        name=_("验证器"),
        key=key,
        confirmed=True,
        drift=totp.drift,
        last_t=totp.t(),
    )
    return device


@transaction.atomic
def totp_device_remove(*, actor: User, code: str) -> None:
    """An administrator turns the second factor off, confirming with a current code."""
    policies.require_administrator(actor)
    device = confirmed_device(actor)
    if device is None:
        raise ValidationError({"code": _("两步验证未开启。")})
    if not device.verify_token(code):
        raise ValidationError({"code": _("动态验证码不正确，未关闭两步验证。")})
    device.delete()

"""Account management: opening accounts, granting roles at a scope, one-time passwords,
deactivation (never deletion: an account's history stays), the profile, unlocking a locked
account, and an administrator's second factor (enrolled and removed with a code, each recorded
in the audit trail).

Who may do which is `accounts.policies` (its table `GRANT_RULES` says which role is held at which
kind of scope and who grants it); each service below asks it, works in one transaction and
raises `ValidationError` by field with every problem at once."""

from __future__ import annotations

import secrets
import string
from binascii import unhexlify
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from committees.models import Committee, Level, Tenant
from core.errors import Errors, NotAllowed
from core.identifiers import validate_phone
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
USERNAME_MAX = 150


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
    must_change_password: bool = False,
) -> User:
    """Open an account (seeding and the services below). `password_hash` lets bulk seeding
    hash one password once."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名“%(name)s”已被使用。") % {"name": username}})
    user = User(
        tenant=tenant,
        username=username,
        display_name=display_name,
        phone=phone,
        email=email,
        must_change_password=must_change_password,
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
    administrators' duties apart. No actor: seeding and `account_grant` (which asks the policy)."""
    errors = Errors()
    rule = grant_scope_check(errors, role=role, committee=committee, member_unit=member_unit)
    errors.raise_if_any()
    scope = member_unit if rule.scope == policies.UNIT else committee
    if user.tenant_id is None or scope.tenant_id != user.tenant_id:
        raise ValidationError({"committee": _("只能在账号所属租户内授权。")})
    held = set(user.grants.values_list("role", flat=True))
    separated = _("系统、安全、审计管理员须由不同账号担任（三员分立）。")
    if role in SEPARATED_ADMIN_ROLES and held - {role}:
        raise ValidationError({"role": separated})
    if held & SEPARATED_ADMIN_ROLES and role not in held:
        raise ValidationError({"role": separated})
    unit_scoped = rule.scope == policies.UNIT
    grant, _created = RoleGrant.objects.get_or_create(
        tenant_id=user.tenant_id,
        user=user,
        role=role,
        committee=None if unit_scoped else committee,
        member_unit=member_unit if unit_scoped else None,
    )
    user.__dict__.pop("_role_grants", None)
    return grant


def grant_scope_check(
    errors: Errors, *, role: str, committee: Committee | None, member_unit: MemberUnit | None
) -> policies.GrantRule | None:
    """Whether the scope fits the role, by the table: the rule, or None with the problems noted."""
    rule = policies.grant_rule(role)
    if rule is None:
        errors.add("role", _("未知的角色“%(role)s”。") % {"role": role})
        return None
    if rule.scope == policies.UNIT:
        if member_unit is None:
            errors.add(
                "member_unit",
                _("“%(role)s”须指定成员单位。") % {"role": rule.label},
            )
        elif rule.unit_kind and member_unit.kind != rule.unit_kind:
            errors.add(
                "member_unit",
                _("“%(role)s”只能授予%(scope)s。")
                % {"role": rule.label, "scope": rule.scope_words()},
            )
        elif not member_unit.is_active:
            errors.add("member_unit", _("该成员单位已停用。"))
    else:
        if committee is None:
            errors.add("committee", _("“%(role)s”须指定协调委员会。") % {"role": rule.label})
        elif rule.root_only and committee.parent_id is not None:
            errors.add(
                "committee",
                _("“%(role)s”只能在全市（租户根节点）授予。") % {"role": rule.label},
            )
        elif committee.closed_at is not None:
            errors.add("committee", _("该协调委员会已撤销。"))
    return rule


@dataclass
class AccountData:
    """A new account and, optionally, its first role."""

    username: str
    display_name: str = ""
    phone: str = ""
    email: str = ""
    password: str = ""  # one-time: changed at first sign-in
    role: str = ""
    committee: Committee | None = None
    member_unit: MemberUnit | None = None
    extra: dict = field(default_factory=dict)


def clean_contact(errors: Errors, *, phone: str, email: str) -> tuple[str, str]:
    phone = (phone or "").strip()
    email = (email or "").strip()
    if phone:
        phone = errors.check("phone", validate_phone, phone)
    if email:
        try:
            EmailValidator(message=_("“%(value)s”不是有效的电子邮箱。") % {"value": email})(email)
        except ValidationError as error:
            errors.add("email", error.messages[0])
    return phone, email


def check_password(errors: Errors, password: str, *, user: User | None, name="password") -> None:
    if not password:
        errors.add(name, _("请填写密码。"))
        return
    try:
        validate_password(password, user)
    except ValidationError as error:
        for message in error.messages:
            errors.add(name, message)


def account_validate(
    *, actor: User, data: AccountData, taken: set[str] | None = None, check_pw: bool = True
) -> None:
    """Every problem of a new account at once, by field: the page's, a workbook row's and an API
    item's checks. `taken` (lower-cased usernames) lets a batch read them once."""
    policies.require_account_manager(actor)
    errors = Errors()
    username = data.username.strip()
    if not username:
        errors.add("username", _("请填写“用户名”。"))
    elif len(username) > USERNAME_MAX or not all(c.isalnum() or c in "@.+-_" for c in username):
        errors.add("username", _("用户名只能包含字母、数字和 @ . + - _，最长150个字符。"))
    elif (
        username.lower() in taken
        if taken is not None
        else User.objects.filter(username__iexact=username).exists()
    ):
        errors.add("username", _("用户名“%(name)s”已被使用。") % {"name": username})
    data.username = username
    data.phone, data.email = clean_contact(errors, phone=data.phone, email=data.email)
    if check_pw:
        probe = User(username=username, display_name=data.display_name, email=data.email)
        check_password(errors, data.password, user=probe)
    if data.role:
        rule = grant_scope_check(
            errors, role=data.role, committee=data.committee, member_unit=data.member_unit
        )
        if rule is not None and not errors.by_field.keys() & {"committee", "member_unit"}:
            try:
                policies.ensure_may_grant(
                    actor,
                    role=data.role,
                    committee=data.committee,
                    member_unit=data.member_unit,
                )
            except NotAllowed as refusal:
                errors.add("role", refusal.message)
    errors.raise_if_any()


def _open(actor: User, data: AccountData, password_hash: str) -> User:
    user = user_create(
        tenant=actor.tenant,
        username=data.username,
        password_hash=password_hash,
        display_name=data.display_name.strip(),
        phone=data.phone,
        email=data.email,
        must_change_password=True,
    )
    if data.role:
        role_grant(
            user=user, role=data.role, committee=data.committee, member_unit=data.member_unit
        )
    return user


@transaction.atomic
def account_create(*, actor: User, data: AccountData) -> User:
    """A manager opens an account with a one-time password (changed at first sign-in) and,
    optionally, its first role."""
    account_validate(actor=actor, data=data)
    return _open(actor, data, make_password(data.password))


@transaction.atomic
def accounts_create_many(*, actor: User, items: list[AccountData], password: str) -> list[User]:
    """An import: every account of the workbook with the one-time password given for the upload,
    all or none. The rows were checked by the row form; the usernames are checked again under
    the transaction (a name taken a moment ago refuses the whole file)."""
    policies.require_account_manager(actor)
    errors = Errors()
    check_password(errors, password, user=None)
    errors.raise_if_any()
    names = [item.username for item in items]
    taken = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    if taken or len({n.lower() for n in names}) != len(names):
        raise ValidationError(
            _("保存时发现用户名已被使用：%(names)s。") % {"names": "、".join(sorted(taken)) or "-"}
        )
    password_hash = make_password(password)
    return [_open(actor, item, password_hash) for item in items]


def _managed(actor: User, account: User) -> User:
    policies.ensure_may_manage_account(actor, account)
    return User.objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def account_grant(
    *,
    actor: User,
    account: User,
    role: str,
    committee: Committee | None = None,
    member_unit: MemberUnit | None = None,
) -> RoleGrant:
    """A manager grants a role to an account of their tenant at a scope they manage."""
    account = _managed(actor, account)
    errors = Errors()
    grant_scope_check(errors, role=role, committee=committee, member_unit=member_unit)
    errors.raise_if_any()
    policies.ensure_may_grant(actor, role=role, committee=committee, member_unit=member_unit)
    return role_grant(user=account, role=role, committee=committee, member_unit=member_unit)


@transaction.atomic
def account_revoke(*, actor: User, grant: RoleGrant) -> None:
    """A manager takes a role back. A manager keeps at least one administrator in the tenant:
    the last tenant administrator cannot be revoked."""
    account = _managed(actor, grant.user)
    policies.ensure_may_grant(
        actor, role=grant.role, committee=grant.committee, member_unit=grant.member_unit
    )
    if (
        grant.role == Role.TENANT_ADMIN
        and not RoleGrant.objects.filter(
            tenant_id=grant.tenant_id, role=Role.TENANT_ADMIN, user__is_active=True
        )
        .exclude(pk=grant.pk)
        .exists()
    ):
        raise ValidationError(_("这是本租户最后一个租户管理员，不能撤销。"))
    RoleGrant.objects.filter(pk=grant.pk, user=account).delete()


@transaction.atomic
def account_set_active(*, actor: User, account: User, active: bool) -> User:
    """Deactivate (never delete: the account's history stays) or reactivate an account. A
    deactivated account cannot sign in and its API token stops working."""
    account = _managed(actor, account)
    account.is_active = active
    account.save(update_fields=["is_active"])
    if not active:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=account).delete()
    return account


@transaction.atomic
def account_password_reset(*, actor: User, account: User, password: str) -> User:
    """A manager sets a one-time password: the account must change it at its next sign-in."""
    account = _managed(actor, account)
    errors = Errors()
    check_password(errors, password, user=account)
    errors.raise_if_any()
    account.set_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    return account


def random_password(length: int = 12) -> str:
    """A one-time password that passes the policy: letters of both cases, digits, a symbol."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _i in range(length - 1))
        candidate = body + secrets.choice("@#%+")
        if (
            any(c.islower() for c in body)
            and any(c.isupper() for c in body)
            and any(c.isdigit() for c in body)
        ):
            return candidate


# --- the profile ----------------------------------------------------------------------------------


def password_change_check(errors: Errors, *, user: User, old_password: str, new_password: str):
    if not old_password or not user.check_password(old_password):
        errors.add("old_password", _("当前密码不正确。"))
    if new_password:
        check_password(errors, new_password, user=user, name="new_password")
    if old_password and new_password and old_password == new_password:
        errors.add("new_password", _("新密码不能与当前密码相同。"))


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Every user changes their own password (the one-time one at first sign-in, too)."""
    errors = Errors()
    password_change_check(errors, user=user, old_password=old_password, new_password=new_password)
    if not new_password:
        errors.add("new_password", _("请填写新密码。"))
    errors.raise_if_any()
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def profile_update(*, user: User, display_name: str, email: str, phone: str) -> User:
    """Every user keeps their name, and the email and phone notifications reach them at."""
    errors = Errors()
    phone, email = clean_contact(errors, phone=phone, email=email)
    display_name = (display_name or "").strip()
    if len(display_name) > 64:
        errors.add("display_name", _("姓名最多64个字符。"))
    errors.raise_if_any()
    user.display_name, user.email, user.phone = display_name, email, phone
    user.save(update_fields=["display_name", "email", "phone"])
    return user


# --- locked accounts --------------------------------------------------------------------------------


@transaction.atomic
def account_unlock(*, actor: User, username: str) -> int:
    """The security administrator lifts a lockout of an account of their tenant (every address
    it is locked at). Returns how many locks were lifted."""
    from axes.models import AccessAttempt

    policies.require_security_admin(actor)
    if not User.objects.filter(tenant_id=actor.tenant_id, username=username).exists():
        raise NotAllowed(_("找不到该账号。"))
    deleted, _detail = AccessAttempt.objects.filter(username=username).delete()
    return deleted


def usernames_taken(names: Iterable[str]) -> set[str]:
    """The lower-cased usernames already used, among `names`: one query for a batch."""
    lowered = {n.strip().lower() for n in names if n and n.strip()}
    if not lowered:
        return set()
    return set(
        User.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=lowered)
        .values_list("lowered", flat=True)
    )


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

"""Read queries of accounts: the accounts a manager sees, where they may grant, locked accounts,
and the second factor of an account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from committees.models import Committee
from committees.selectors import CommitteeResolver
from core.scoping import any_of, subtree_q
from members.models import MemberUnit, RoleGrant, User
from members.selectors import UnitResolver

from . import policies


def confirmed_device(user) -> TOTPDevice | None:
    """The account's second factor, if it enrolled one."""
    if user is None or not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


# --- accounts as their managers see them ----------------------------------------------------------


def accounts_for(user, *, query: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    """The accounts a manager reads (their tenant's), with their grants: two queries per page."""
    accounts = User.objects.visible_to(user).filter(is_superuser=False)
    if not policies.is_account_manager(user):
        return accounts.none()
    query = query.strip()
    if query:
        accounts = accounts.filter(
            Q(username__icontains=query) | Q(display_name__icontains=query) | Q(phone=query)
        )
    if role:
        accounts = accounts.filter(grants__role=role).distinct()
    if active in ("1", "0"):
        accounts = accounts.filter(is_active=active == "1")
    grants = RoleGrant.objects.visible_to(user).select_related("committee", "member_unit")
    return accounts.order_by("-is_active", "username").prefetch_related(
        Prefetch("grants", queryset=grants.order_by("pk"), to_attr="shown_grants")
    )


def account_for(user, pk: int) -> User | None:
    return accounts_for(user).filter(pk=pk).first()


def grantable_committees(user) -> QuerySet[Committee]:
    """The open committees where the manager may grant roles: the subtrees of their grants."""
    condition = any_of([subtree_q(c, path="") for c in policies.manager_committees(user)])
    if condition is None:
        return Committee.objects.none()
    return Committee.objects.filter(condition, tenant_id=user.tenant_id)


def grantable_units(user) -> QuerySet[MemberUnit]:
    condition = any_of([subtree_q(c) for c in policies.manager_committees(user)])
    if condition is None:
        return MemberUnit.objects.none()
    return MemberUnit.objects.filter(condition, tenant_id=user.tenant_id).select_related(
        "committee"
    )


def grant_committee_resolver(user, *, field: str = "committee") -> CommitteeResolver:
    return CommitteeResolver(
        grantable_committees(user),
        field=field,
        label=_("授权范围"),
        scope=_("您管理范围内的协调委员会"),
    )


def grant_unit_resolver(user, *, field: str = "member_unit") -> UnitResolver:
    return UnitResolver(
        grantable_units(user),
        field=field,
        label=_("成员单位"),
        scope=_("您管理范围内的成员单位"),
    )


def root_committee(user) -> Committee | None:
    """Where an account manager's uploads are kept: their outermost committee."""
    committees = sorted(policies.manager_committees(user), key=lambda c: (c.tree_id, c.lft))
    return committees[0] if committees else None


# --- locked accounts ------------------------------------------------------------------------------


@dataclass
class Lock:
    username: str
    account: User | None
    ip_address: str
    failures: int
    last_attempt: dt.datetime
    unlocks_at: dt.datetime


def locked_accounts(user) -> list[Lock]:
    """Usernames of the security administrator's tenant that django-axes holds locked now (by
    username and address together), newest first. Two queries."""
    from axes.models import AccessAttempt

    if not policies.is_security_admin(user):
        return []
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = list(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        ).order_by("-attempt_time")[:500]
    )
    accounts = {
        account.username: account
        for account in User.objects.filter(
            tenant_id=user.tenant_id, username__in={a.username for a in attempts}
        )
    }
    return [
        Lock(
            username=attempt.username,
            account=accounts[attempt.username],
            ip_address=attempt.ip_address or "",
            failures=attempt.failures_since_start,
            last_attempt=attempt.attempt_time,
            unlocks_at=attempt.attempt_time + settings.AXES_COOLOFF_TIME,
        )
        for attempt in attempts
        if attempt.username in accounts
    ]

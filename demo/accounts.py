"""Demo and benchmark accounts: one per role, and at scale one per street and community. Every
demo account shares one password, printed at the end of the seeding."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.hashers import make_password

from accounts import services as account_services
from committees.models import Committee, Level, Tenant
from members.models import (
    Role,
    RoleGrant,
    User,
)

DEMO_PASSWORD = "Dangjian@2026"
PARTY_MEMBER_ROLE = "party_member"  # printed for the demo member's login; not a RoleGrant role


@cache
def demo_password_hash() -> str:
    """Hashing is deliberately slow; every seeded account shares one hash of the demo password."""
    return make_password(DEMO_PASSWORD)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    committee_code: str  # where the role is granted; "" for the tenant's root
    committee_name: str = ""  # for committees without a code (grids)


BEIJING_ACCOUNTS = [
    DemoAccount("bj_admin", "北京市租户管理员", Role.TENANT_ADMIN, ""),
    DemoAccount("bj_leader", "市委社会工委领导", Role.LEADER, ""),
    DemoAccount("dongcheng_leader", "东城区领导", Role.LEADER, "110101000000"),
    DemoAccount("donghuamen_staff", "东华门街道工作人员", Role.STAFF, "110101001000"),
    DemoAccount("jingshan_staff", "景山街道工作人员", Role.STAFF, "110101002000"),
    DemoAccount("community_staff", "社区工作人员", Role.STAFF, "110101001001"),
    DemoAccount("bj_sysadmin", "系统管理员", Role.SYSTEM_ADMIN, ""),
    DemoAccount("bj_secadmin", "安全保密管理员", Role.SECURITY_ADMIN, ""),
    DemoAccount("bj_auditor", "安全审计员", Role.AUDIT_ADMIN, ""),
]
SHANGHAI_ACCOUNTS = [
    DemoAccount("sh_admin", "上海市租户管理员", Role.TENANT_ADMIN, ""),
    DemoAccount("huangpu_leader", "黄浦区领导", Role.LEADER, "310101000000"),
]
DATONG_ACCOUNTS = [
    DemoAccount("dt_admin", "大同市租户管理员", Role.TENANT_ADMIN, ""),
    DemoAccount("pingcheng_staff", "平城区永泰街道工作人员", Role.STAFF, "140213050000"),
]
# Logins that the demo data creates: a party member registered at 多福巷社区 and the contact of
# 解放军总医院 (printed with the committee or unit they act at).
PARTY_MEMBER_DEMO = DemoAccount("dangyuan_demo", "李文静", PARTY_MEMBER_ROLE, "110101001001")
UNIT_CONTACT_DEMO = DemoAccount("unit_contact_demo", "周海燕", Role.UNIT_CONTACT, "110108001021")


def ensure_accounts(
    tenant: Tenant, accounts: list[DemoAccount]
) -> list[tuple[DemoAccount, Committee]]:
    root = Committee.objects.get(tenant=tenant, parent__isnull=True)
    password_hash = demo_password_hash()
    created = []
    for account in accounts:
        committee = (
            Committee.objects.get(tenant=tenant, division_code=account.committee_code)
            if account.committee_code
            else root
        )
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = account_services.user_create(
                tenant=tenant,
                username=account.username,
                password_hash=password_hash,
                display_name=account.display_name,
            )
        account_services.role_grant(user=user, role=account.role, committee=committee)
        created.append((account, committee))
    return created


def scale_accounts(tenant: Tenant, *, prefix: str) -> int:
    """A staff account for every street and community and a leader for every district: the
    accounts of a whole city. One password hash serves all, so this takes seconds."""
    password_hash = demo_password_hash()
    committees = list(
        Committee.objects.filter(
            tenant=tenant, level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY]
        ).values_list("pk", "level", "division_code")
    )
    existing = set(
        User.objects.filter(
            tenant=tenant, username__in=[f"{prefix}{code or pk}" for pk, _level, code in committees]
        ).values_list("username", flat=True)
    )
    users, grants_for = [], []
    for pk, level, code in committees:
        username = f"{prefix}{code or pk}"
        if username in existing:
            continue
        users.append(User(tenant=tenant, username=username, password=password_hash))
        grants_for.append((pk, Role.LEADER if level == Level.DISTRICT else Role.STAFF))
    User.objects.bulk_create(users, batch_size=2000)
    RoleGrant.objects.bulk_create(
        [
            RoleGrant(tenant=tenant, user=user, role=role, committee_id=committee_id)
            for user, (committee_id, role) in zip(users, grants_for, strict=True)
        ],
        batch_size=2000,
    )
    return len(users)

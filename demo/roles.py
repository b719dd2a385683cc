"""The people who play the source documents' cases: a staff account at each street and community
where a case happens, a contact for each member unit that offers or claims something in a case,
and an audit administrator in every tenant. Opened through the account services, with the demo
password; running again adds only what is missing.

Each case names where it happens (division codes) and the units that act in it (keys of
`demo.cases`); `make demo` prints the accounts grouped by role and case."""

from __future__ import annotations

from dataclasses import dataclass

from accounts import services as account_services
from committees.models import Committee, Tenant
from demo.accounts import DemoAccount, demo_password_hash
from demo.cases import BEIJING_UNITS, DATONG_UNITS, SHANGHAI_UNITS
from members.models import MemberUnit, Role, RoleGrant, User


@dataclass(frozen=True)
class Case:
    name: str
    tenant: str  # tenant slug
    places: tuple[tuple[str, str], ...]  # (division code, username) for each staff account
    units: tuple[str, ...]  # unit keys whose contact acts in the case


# fmt: off
CASES = [
    Case("五棵松交通治理（海淀万寿路）", "beijing",
         (("110108001000", "wanshoulu_staff"), ("110108001021", "fuxinglu28_staff")),
         ("plagh", "huaxi", "barracks", "wsl_law")),
    Case("核桃园党群服务中心（西城广安门内）", "beijing",
         (("110102017000", "guanganmennei_staff"), ("110102017006", "hetaoyuan_staff")),
         ("bus3",)),
    Case("河防口村梨园土壤改良（怀柔怀北）", "beijing",
         (("110116106000", "huaibei_staff"), ("110116106208", "hefangkou_staff")),
         ("ucas", "hfk_coop")),
    Case("快递小哥移动网格员（丰台新村）", "beijing",
         (("110106010000", "xincun_staff"),),
         ("sf", "meituan", "eleme")),
    Case("东华门街道三个清单", "beijing",
         (("110101001000", "donghuamen_staff"), ("110101001001", "community_staff"),
          ("110101001006", "dhm_c6_staff"), ("110101001009", "dhm_c9_staff"),
          ("110101001015", "dhm_c15_staff")),
         ("palace", "pumch", "wfj", "dsk_primary", "dhm_housing", "dhm_police", "dhm_fire",
          "dhm_water", "dhm_traffic")),
    Case("安贞街道六大联盟（朝阳安贞）", "beijing",
         (("110105008000", "anzhen_staff"),),
         ("anzhen_hosp", "anzhen_estate")),
    Case("康家弄家庭服务站（黄浦小东门）", "shanghai",
         (("310101017000", "xiaodongmen_staff"),),
         ("audit",)),
    Case("加装电梯（虹口江湾镇）", "shanghai",
         (("310109019000", "jiangwan_staff"),),
         ("jiajiale",)),
    Case("永泰街道党群服务（大同平城）", "datong",
         (("140213050000", "pingcheng_staff"), ("140213050001", "yongtai_c1_staff")),
         ("dt_center", "dt_estate")),
]
# fmt: on

AUDITORS = {"beijing": "bj_auditor", "shanghai": "sh_auditor", "datong": "dt_auditor"}
UNIT_NAMES = {spec.key: spec.name for spec in [*BEIJING_UNITS, *SHANGHAI_UNITS, *DATONG_UNITS]}


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    case: str
    where: str


def _account(tenant: Tenant, username: str, display_name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.user_create(
            tenant=tenant,
            username=username,
            password_hash=demo_password_hash(),
            display_name=display_name,
        )
    return user


def ensure_case_accounts(tenants: dict[str, Tenant]) -> list[Login]:
    """Open the accounts of every case whose tenant was seeded; the logins for printing."""
    logins: list[Login] = []
    for slug, username in AUDITORS.items():
        tenant = tenants.get(slug)
        if tenant is None:
            continue
        root = Committee.objects.get(tenant=tenant, parent__isnull=True)
        user = _account(tenant, username, f"{tenant.name}安全审计员")
        if not user.grants.exclude(role=Role.AUDIT_ADMIN).exists():
            account_services.role_grant(user=user, role=Role.AUDIT_ADMIN, committee=root)
        logins.append(Login(username, Role.AUDIT_ADMIN, "", root.name))
    for case in CASES:
        tenant = tenants.get(case.tenant)
        if tenant is None:
            continue
        codes = [code for code, _username in case.places]
        places = {
            c.division_code: c
            for c in Committee.objects.filter(tenant=tenant, division_code__in=codes)
        }
        for code, username in case.places:
            committee = places.get(code)
            if committee is None:
                continue
            user = _account(tenant, username, f"{committee.name}工作人员")
            account_services.role_grant(user=user, role=Role.STAFF, committee=committee)
            logins.append(Login(username, Role.STAFF, case.name, committee.name))
        names = [UNIT_NAMES[key] for key in case.units if key in UNIT_NAMES]
        units = {u.name: u for u in MemberUnit.objects.filter(tenant=tenant, name__in=names)}
        for key in case.units:
            unit = units.get(UNIT_NAMES.get(key, ""))
            if unit is None:
                continue
            grant = (
                RoleGrant.objects.filter(role=Role.UNIT_CONTACT, member_unit=unit)
                .select_related("user")
                .first()
            )
            if grant is None:
                user = _account(tenant, f"{key}_contact", unit.contact_name or unit.name)
                account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
            else:
                user = grant.user
            logins.append(Login(user.username, Role.UNIT_CONTACT, case.name, unit.name))
    return logins


def general_logins(accounts: list[tuple[DemoAccount, object]], taken: set[str]) -> list[Login]:
    """The per-role demo accounts not already listed under a case."""
    return [
        Login(account.username, account.role, "", place.name)
        for account, place in accounts
        if account.username not in taken
    ]


ROLE_ORDER = [
    Role.TENANT_ADMIN,
    Role.LEADER,
    Role.STAFF,
    Role.UNIT_CONTACT,
    "party_member",
    Role.SYSTEM_ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDIT_ADMIN,
]


def grouped(logins: list[Login]) -> list[tuple[str, list[tuple[str, list[Login]]]]]:
    """Logins by role (in `ROLE_ORDER`), then by case ("" first: not tied to one case)."""
    labels = {**dict(Role.choices), "party_member": "在职党员"}
    out = []
    for role in ROLE_ORDER + sorted({login.role for login in logins} - set(ROLE_ORDER)):
        of_role = [login for login in logins if login.role == role]
        if not of_role:
            continue
        cases: dict[str, list[Login]] = {}
        for login in of_role:
            cases.setdefault(login.case, []).append(login)
        out.append((str(labels.get(role, role)), sorted(cases.items(), key=lambda c: c[0] != "")))
    return out

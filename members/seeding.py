"""Seeding of the members domain.

- Demo and benchmark accounts: one per role, and at scale one per street and community.
- The demo's real-looking data (`seed_beijing`, `seed_shanghai`, `seed_datong`): member units
  from the source documents placed at the right committees of the real trees, seats,
  subcommittees with rotating chairs, alliances, registered party members, service teams and
  service records. Everything is written through `members.services`, so it obeys the same rules
  as data entered by hand, and every step looks first for what an earlier run created: a second
  run adds nothing.
- The Beijing-scale benchmark dataset (`ScaleSeeder`): 17,000 units, 720,000 party members and
  3,000,000 service records, written in bulk (PostgreSQL COPY).

People in the demo are fictional; units, places and figures come from the source documents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from committees.models import Committee, Kind, Level, Tenant

from . import identifiers, services
from .models import (
    Alliance,
    AllianceKind,
    Membership,
    MemberUnit,
    PartyMember,
    PartyOrgType,
    PointsEntry,
    PointsRule,
    RecordStatus,
    Registration,
    RegistrationStatus,
    Role,
    RoleGrant,
    Seat,
    SeatRole,
    ServiceKind,
    ServiceRecord,
    ServiceTeam,
    Subcommittee,
    SubcommitteeField,
    TeamKind,
    UnitKind,
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
            user = services.user_create(
                tenant=tenant,
                username=account.username,
                password_hash=password_hash,
                display_name=account.display_name,
            )
        services.role_grant(user=user, role=account.role, committee=committee)
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


# --- identifiers that look real -----------------------------------------------------------------

# GB 11714: the 9-character organisation code inside a credit code has a check character of its own.
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def organisation_code(serial: int) -> str:
    digits = f"{serial % 10**8:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, ORG_CODE_WEIGHTS, strict=True)) % 11
    return digits + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(category: str, region: str, serial: int) -> str:
    """A unified social credit code (GB 32100): registration authority and category ("11" an
    agency, "12" a public institution, "51"/"52" a social organisation, "91" a company, "N2" a
    village collective), the 6-digit region, the organisation code, and the check character."""
    first17 = f"{category}{region}{organisation_code(serial)}"
    return first17 + identifiers.credit_code_check_character(first17)


def stable_number(*parts: object) -> int:
    """A number that depends only on its inputs (Python's hash() changes between runs)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:15], 16)


def words(text: str) -> list[str]:
    return text.split()


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
GIVEN_CHARS = (
    "建国华明丽军平静敏伟芳娜秀英强磊洋艳勇杰娟涛超霞刚桂兰飞鹏辉玲宇晨雪梅琳红志海文斌波东亮"
    "春燕晓峰颖琦欣瑞嘉怡婷浩然子轩思雨佳宁博远振兴永立新凤云鑫佩蕾慧娴淑俊彦卫民"
)
MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 158 159 180 181 185 186 187 188 189"
)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, area: str) -> str:
    digits = 7 if area == "0352" else 8
    return f"{area}-{rng.choice('568')}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


# --- the demo's member units, from the source documents ------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    key: str  # how the rest of the demo data refers to the unit
    name: str
    kind: str
    category: str  # credit code category; "" for a military unit, which has no code
    at: str  # division code (or name, for a functional zone) of the committee where it stands
    joins: tuple[str, ...] = ()  # further committees it is a member of
    address: str = ""
    party_org_type: str = PartyOrgType.BRANCH
    party_member_count: int = 0


# fmt: off
BEIJING_UNITS = [
    # 海淀区万寿路街道: the 五棵松 traffic clean-up (2022) with the hospital, 华熙LIVE and the barracks.
    UnitSpec("plagh", "中国人民解放军总医院", UnitKind.HOSPITAL, "12", "110108001021",
             ("110108001000",), "海淀区复兴路28号", PartyOrgType.COMMITTEE, 2860),
    UnitSpec("huaxi", "华熙LIVE·五棵松", UnitKind.PRIVATE, "91", "110108001000", (),
             "海淀区复兴路69号", PartyOrgType.GENERAL_BRANCH, 46),
    UnitSpec("barracks", "驻区部队某部营区房管处", UnitKind.MILITARY, "", "110108001010",
             ("110108001000",), "海淀区复兴路22号", PartyOrgType.BRANCH, 23),
    UnitSpec("wsl_law", "海淀区万寿路街道综合行政执法队", UnitKind.DEPARTMENT, "11",
             "110108001000", (), "海淀区万寿路街道", PartyOrgType.BRANCH, 18),
    # 西城区广安门内街道: the bus plant lent a 1,500 m² building for the 核桃园 party service centre.
    UnitSpec("bus3", "北京公交集团保修三厂", UnitKind.STATE_OWNED, "91", "110102017006",
             ("110102017000",), "西城区广安门内核桃园", PartyOrgType.GENERAL_BRANCH, 134),
    # 怀柔区: UCAS improves the soil of 河防口村's pear orchard ("论文写在大地上").
    UnitSpec("ucas", "中国科学院大学", UnitKind.UNIVERSITY, "12", "110116000000",
             ("怀柔科学城党建工作协调委员会", "110116106000", "110116106208"),
             "怀柔区雁栖湖东路1号", PartyOrgType.COMMITTEE, 5120),
    UnitSpec("hfk_coop", "河防口村股份经济合作社", UnitKind.OTHER, "N2", "110116106208", (),
             "怀柔区怀北镇河防口村", PartyOrgType.BRANCH, 31),
    # 丰台区 science park: couriers and riders as "mobile grid members" (随手拍+接诉即办+积分激励).
    UnitSpec("sf", "顺丰速运丰台科技园营业部", UnitKind.NEW_ECONOMY, "91", "110106010000", (),
             "丰台区丰台科技园", PartyOrgType.JOINT_BRANCH, 9),
    UnitSpec("meituan", "美团外卖丰台科技园站", UnitKind.NEW_ECONOMY, "91", "110106010000", (),
             "丰台区丰台科技园", PartyOrgType.JOINT_BRANCH, 7),
    UnitSpec("eleme", "饿了么蜂鸟即配丰台科技园站", UnitKind.NEW_ECONOMY, "91", "110106010000",
             (), "丰台区丰台科技园", PartyOrgType.JOINT_BRANCH, 5),
    # 东城区东华门街道, the demo street: central and municipal units, a hospital, schools, a shop.
    UnitSpec("palace", "故宫博物院", UnitKind.CENTRAL_AGENCY, "12", "110101001000", (),
             "东城区景山前街4号", PartyOrgType.COMMITTEE, 960),
    UnitSpec("nmc", "中国国家博物馆", UnitKind.CENTRAL_AGENCY, "12", "110101001000", (),
             "东城区东长安街16号", PartyOrgType.COMMITTEE, 620),
    UnitSpec("commerce", "北京市商务局", UnitKind.MUNICIPAL_AGENCY, "11", "110101001000", (),
             "", PartyOrgType.COMMITTEE, 410),
    UnitSpec("pumch", "北京协和医院", UnitKind.HOSPITAL, "12", "110101001015", (),
             "东城区帅府园1号", PartyOrgType.COMMITTEE, 2310),
    UnitSpec("wfj", "北京王府井百货（集团）股份有限公司", UnitKind.STATE_OWNED, "91",
             "110101001015", (), "东城区王府井大街255号", PartyOrgType.COMMITTEE, 386),
    UnitSpec("school27", "北京市第二十七中学", UnitKind.SCHOOL, "12", "110101001006", (),
             "东城区智德北巷", PartyOrgType.GENERAL_BRANCH, 88),
    UnitSpec("dsk_primary", "北京市东城区灯市口小学", UnitKind.SCHOOL, "12", "110101001009",
             ("110101001000",), "东城区灯市口", PartyOrgType.BRANCH, 41),
    UnitSpec("dhm_socorg", "东华门街道社会组织联合会", UnitKind.SOCIAL_ORGANISATION, "51",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 12),
    # 东华门's departments, which answer the street's whistles (街乡吹哨、部门报到).
    UnitSpec("dhm_cg", "东城区城市管理综合行政执法局东华门街道执法队", UnitKind.DEPARTMENT,
             "11", "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 21),
    UnitSpec("dhm_police", "北京市公安局东城分局东华门派出所", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.GENERAL_BRANCH, 64),
    UnitSpec("dhm_fire", "东城区消防救援支队东华门消防救援站", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 17),
    UnitSpec("dhm_water", "东城区水务局东华门水务所", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 9),
    UnitSpec("dhm_housing", "东城区住房和城乡建设委员会东华门房屋管理站", UnitKind.DEPARTMENT,
             "11", "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 11),
    UnitSpec("dhm_traffic", "东城交通支队东华门大队", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 26),
    UnitSpec("dhm_env", "东城区生态环境局东华门执法组", UnitKind.DEPARTMENT, "11",
             "110101001000", (), "东城区东华门街道", PartyOrgType.BRANCH, 7),
    # 景山街道.
    UnitSpec("namoc", "中国美术馆", UnitKind.CENTRAL_AGENCY, "12", "110101002000", (),
             "东城区五四大街1号", PartyOrgType.COMMITTEE, 215),
    UnitSpec("bjart", "北京人民艺术剧院", UnitKind.MUNICIPAL_AGENCY, "12", "110101002000", (),
             "东城区王府井大街22号", PartyOrgType.COMMITTEE, 178),
    # 朝阳区安贞街道: 167 member units in "six alliances", each with a joint party branch.
    UnitSpec("anzhen_hosp", "首都医科大学附属北京安贞医院", UnitKind.HOSPITAL, "12",
             "110105008000", (), "朝阳区安贞路2号", PartyOrgType.COMMITTEE, 1840),
    UnitSpec("anzhen_chc", "朝阳区安贞社区卫生服务中心", UnitKind.HOSPITAL, "12",
             "110105008000", (), "朝阳区安贞街道", PartyOrgType.BRANCH, 38),
    UnitSpec("anzhen_mall", "北京华联安贞购物中心", UnitKind.PRIVATE, "91", "110105008052",
             ("110105008000",), "朝阳区安贞里", PartyOrgType.BRANCH, 27),
    UnitSpec("anzhen_estate", "北京安华物业管理有限公司", UnitKind.PRIVATE, "91", "110105008053",
             ("110105008000",), "朝阳区安贞西里", PartyOrgType.BRANCH, 14),
    UnitSpec("anzhen_school", "北京市朝阳区安贞里小学", UnitKind.SCHOOL, "12", "110105008052",
             ("110105008000",), "朝阳区安贞里", PartyOrgType.BRANCH, 33),
    UnitSpec("anzhen_police", "北京市公安局朝阳分局安贞派出所", UnitKind.DEPARTMENT, "11",
             "110105008000", (), "朝阳区安贞街道", PartyOrgType.GENERAL_BRANCH, 58),
    # 朝阳区 (district): the five subcommittees' member units; SKP and 莱锦 in 八里庄 (CBD).
    UnitSpec("skp", "北京SKP", UnitKind.PRIVATE, "91", "110105015000", (),
             "朝阳区建国路87号", PartyOrgType.GENERAL_BRANCH, 96),
    UnitSpec("laijin", "莱锦文化创意产业园", UnitKind.STATE_OWNED, "91", "110105015000", (),
             "朝阳区八里庄东里1号", PartyOrgType.BRANCH, 44),
    UnitSpec("cbd", "北京商务中心区管理委员会", UnitKind.DISTRICT_AGENCY, "11", "110105000000",
             (), "朝阳区", PartyOrgType.COMMITTEE, 160),
    UnitSpec("cy_police", "北京市公安局朝阳分局", UnitKind.DEPARTMENT, "11", "110105000000", (),
             "朝阳区", PartyOrgType.COMMITTEE, 2400),
    UnitSpec("cy_fire", "朝阳区消防救援支队", UnitKind.DEPARTMENT, "11", "110105000000", (),
             "朝阳区", PartyOrgType.COMMITTEE, 310),
    UnitSpec("cy_culture", "北京市朝阳区文化馆", UnitKind.DISTRICT_AGENCY, "12", "110105000000",
             (), "朝阳区", PartyOrgType.BRANCH, 45),
    UnitSpec("cy_hosp", "首都医科大学附属北京朝阳医院", UnitKind.HOSPITAL, "12", "110105000000",
             (), "朝阳区工人体育场南路8号", PartyOrgType.COMMITTEE, 1650),
    UnitSpec("cy_city", "北京市朝阳区城市管理委员会", UnitKind.DEPARTMENT, "11", "110105000000",
             (), "朝阳区", PartyOrgType.COMMITTEE, 120),
]

SHANGHAI_UNITS = [
    # 小东门街道: the audit bureau gave a 2,000 m² building for the 康家弄 family service station.
    UnitSpec("audit", "上海市审计局", UnitKind.MUNICIPAL_AGENCY, "11", "310101017000", (),
             "", PartyOrgType.COMMITTEE, 520),
    UnitSpec("bund", "上海外滩投资开发（集团）有限公司", UnitKind.STATE_OWNED, "91",
             "310101013000", (), "黄浦区", PartyOrgType.COMMITTEE, 210),
    UnitSpec("bwt", "上海北外滩（集团）有限公司", UnitKind.STATE_OWNED, "91", "310109018000", (),
             "虹口区", PartyOrgType.COMMITTEE, 180),
    UnitSpec("ypbj", "上海杨浦滨江投资开发有限公司", UnitKind.STATE_OWNED, "91", "310110018000",
             (), "杨浦区", PartyOrgType.GENERAL_BRANCH, 64),
    UnitSpec("xhbj", "上海徐汇滨江开发投资建设有限公司", UnitKind.STATE_OWNED, "91",
             "310104016000", (), "徐汇区", PartyOrgType.GENERAL_BRANCH, 72),
    UnitSpec("lujiazui", "上海陆家嘴（集团）有限公司", UnitKind.STATE_OWNED, "91",
             "310115005000", (), "浦东新区", PartyOrgType.COMMITTEE, 640),
    UnitSpec("shtower", "上海中心大厦建设发展有限公司", UnitKind.STATE_OWNED, "91",
             "310115005000", (), "浦东新区陆家嘴银城中路501号", PartyOrgType.GENERAL_BRANCH, 86),
    # 虹口区江湾镇街道: the first social organisation whose business is adding lifts to old blocks.
    UnitSpec("jiajiale", "家加乐加装电梯事务所", UnitKind.SOCIAL_ORGANISATION, "52",
             "310109019000", (), "虹口区江湾镇街道", PartyOrgType.BRANCH, 9),
]

DATONG_UNITS = [
    UnitSpec("dt_center", "大同市党群服务中心", UnitKind.MUNICIPAL_AGENCY, "12", "140213050000",
             (), "平城区", PartyOrgType.BRANCH, 36),
    UnitSpec("dt_dongxin", "东信电子商圈", UnitKind.PRIVATE, "91", "140213050000", (),
             "平城区", PartyOrgType.COMMITTEE, 112),
    UnitSpec("dt_hosp", "大同市第三人民医院", UnitKind.HOSPITAL, "12", "140213050000", (),
             "平城区", PartyOrgType.COMMITTEE, 640),
    UnitSpec("dt_estate", "大同市御河物业服务有限公司", UnitKind.PRIVATE, "91", "140213050001",
             ("140213050000",), "平城区永泰街道康吉社区", PartyOrgType.BRANCH, 8),
    UnitSpec("dt_wenyuan", "平城区水泊寺街道文源社区卫生服务站", UnitKind.HOSPITAL, "12",
             "140213066006", (), "平城区水泊寺街道", PartyOrgType.BRANCH, 6),
]
# fmt: on


def unit_credit_code(spec: UnitSpec, committee: Committee) -> str:
    if not spec.category:
        return ""
    region = (committee.division_code or committee.parent.division_code)[:6]
    return credit_code(spec.category, region, stable_number("unit", spec.name))


@dataclass(frozen=True)
class SubcommitteeSpec:
    committee: str  # division code
    field: str
    chairs: tuple[tuple[str, str], ...]  # (unit key, acting chair) in rotation order
    start: dt.date = dt.date(2025, 1, 1)
    months: int = 3


# 朝阳区's five fields, chaired in turn by the member units' leaders the way 大兴区 does it; and
# one street-level pair at 东华门 so the demo street shows a rotation too.
SUBCOMMITTEES = [
    SubcommitteeSpec(
        "110105000000",
        SubcommitteeField.ECONOMY,
        (("skp", "陈立新"), ("cbd", "赵永刚"), ("anzhen_mall", "孙丽华")),
    ),
    SubcommitteeSpec(
        "110105000000", SubcommitteeField.SAFETY, (("cy_police", "马振国"), ("cy_fire", "韩志强"))
    ),
    SubcommitteeSpec(
        "110105000000", SubcommitteeField.CULTURE, (("laijin", "吴晓燕"), ("cy_culture", "郑文博"))
    ),
    SubcommitteeSpec(
        "110105000000",
        SubcommitteeField.LIVELIHOOD,
        (("anzhen_hosp", "冯建华"), ("cy_hosp", "曹雪梅"), ("anzhen_estate", "邓海峰")),
    ),
    SubcommitteeSpec(
        "110105000000",
        SubcommitteeField.URBAN_GOVERNANCE,
        (("cy_city", "彭立军"), ("anzhen_school", "肖春燕")),
    ),
    SubcommitteeSpec(
        "110101001000",
        SubcommitteeField.LIVELIHOOD,
        (("pumch", "蒋文华"), ("wfj", "沈志明"), ("school27", "姚晓琳")),
        dt.date(2025, 7, 1),
        4,
    ),
    SubcommitteeSpec(
        "110101001000",
        SubcommitteeField.SAFETY,
        (("dhm_police", "卢建军"), ("dhm_fire", "钟振宇"), ("dhm_cg", "谭国强")),
        dt.date(2026, 1, 1),
        2,
    ),
]


@dataclass(frozen=True)
class SeatSpec:
    role: str
    person_name: str
    title: str
    unit: str = ""  # unit key


SEATS = {
    # 东华门街道: the street's party secretary directs; units' leaders sit as members;
    # departments' and communities' heads are part-time members.
    "110101001000": [
        SeatSpec(SeatRole.DIRECTOR, "周立群", "东华门街道工委书记"),
        SeatSpec(SeatRole.DEPUTY_DIRECTOR, "高文彬", "东华门街道办事处主任"),
        SeatSpec(SeatRole.DEPUTY_DIRECTOR, "林晓东", "故宫博物院党委副书记", "palace"),
        SeatSpec(SeatRole.MEMBER, "蒋文华", "北京协和医院党委副书记", "pumch"),
        SeatSpec(SeatRole.MEMBER, "沈志明", "王府井百货集团党委书记", "wfj"),
        SeatSpec(SeatRole.MEMBER, "何静怡", "中国国家博物馆机关党委常务副书记", "nmc"),
        SeatSpec(SeatRole.MEMBER, "姚晓琳", "北京市第二十七中学党总支书记", "school27"),
        SeatSpec(SeatRole.MEMBER, "罗振兴", "北京市商务局机关党委专职副书记", "commerce"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "卢建军", "东华门派出所所长", "dhm_police"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "谭国强", "东华门街道执法队队长", "dhm_cg"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "宋丽娟", "多福巷社区党委书记"),
    ],
    # 万寿路街道: the hospital's service centre sits on the committee that cleared 五棵松.
    "110108001000": [
        SeatSpec(SeatRole.DIRECTOR, "许国栋", "万寿路街道工委书记"),
        SeatSpec(SeatRole.DEPUTY_DIRECTOR, "唐振华", "解放军总医院服务保障中心主任", "plagh"),
        SeatSpec(SeatRole.MEMBER, "韦思雨", "华熙LIVE·五棵松党总支书记", "huaxi"),
        SeatSpec(SeatRole.PART_TIME_MEMBER, "秦海涛", "万寿路街道综合行政执法队队长", "wsl_law"),
    ],
}


@dataclass(frozen=True)
class AllianceSpec:
    home: str  # division code, "" for the tenant's root
    name: str
    kind: str
    units: tuple[str, ...]
    committees: tuple[str, ...] = ()
    description: str = ""


ANZHEN_ALLIANCE_NOTE = (
    "安贞街道将167家党建工作协调委员会成员单位按工作性质、资源优势组建“六大联盟”，"
    "并成立各联盟联合党支部。"
)
BEIJING_ALLIANCES = [
    AllianceSpec(
        "110105008000",
        "医疗健康联盟",
        AllianceKind.WORK,
        ("anzhen_hosp", "anzhen_chc"),
        description=ANZHEN_ALLIANCE_NOTE,
    ),
    AllianceSpec(
        "110105008000",
        "商务楼宇联盟",
        AllianceKind.WORK,
        ("anzhen_mall", "anzhen_estate"),
        description=ANZHEN_ALLIANCE_NOTE,
    ),
    AllianceSpec(
        "110105008000",
        "平安建设联盟",
        AllianceKind.WORK,
        ("anzhen_police", "anzhen_estate", "anzhen_school"),
        description=ANZHEN_ALLIANCE_NOTE,
    ),
]
# From 杨浦大桥 to 徐浦大桥, 45 km of riverside across 5 districts and 25 streets and towns.
RIVERSIDE_STREETS = (
    # 杨浦区
    "310110018000",
    "310110006000",
    "310110001000",
    "310110008000",
    # 虹口区
    "310109018000",
    # 黄浦区
    "310101002000",
    "310101013000",
    "310101017000",
    "310101018000",
    "310101015000",
    "310101020000",
    # 徐汇区
    "310104007000",
    "310104016000",
    "310104010000",
    "310104103000",
    # 浦东新区
    "310115011000",
    "310115013000",
    "310115005000",
    "310115004000",
    "310115008000",
    "310115010000",
    "310115007000",
    "310115009000",
    "310115015000",
    "310115130000",
)
SHANGHAI_ALLIANCES = [
    AllianceSpec(
        "",
        "滨江党建跨区域联盟",
        AllianceKind.CROSS_REGION,
        ("bund", "bwt", "ypbj", "xhbj", "lujiazui", "shtower", "audit"),
        RIVERSIDE_STREETS,
        "黄浦江两岸45公里滨江公共空间（杨浦大桥至徐浦大桥）贯通开放，横跨5个区25个街镇；"
        "由街镇党组织领导沿线单位、行业党组织和党员志愿者共同参与滨江治理。",
    ),
]

# Units' party organisations register with the community where they stand (双报到).
UNIT_REGISTRATIONS = [
    ("plagh", "110108001021", True),
    ("barracks", "110108001010", True),
    ("bus3", "110102017006", True),
    ("hfk_coop", "110116106208", True),
    ("palace", "110101001007", True),
    ("nmc", "110101001010", True),
    ("pumch", "110101001015", True),
    ("wfj", "110101001015", True),
    ("school27", "110101001006", True),
    ("dsk_primary", "110101001009", True),
    ("commerce", "110101001013", True),
    ("dhm_socorg", "110101001001", False),
]


# --- the demo's registered party members and their service ----------------------------------------


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    handle: str  # for usernames
    confirmed: int
    pending: int
    rejected: int = 0


DONGHUAMEN_MEMBERS = [
    CommunityPlan("110101001001", "dfx", 18, 3, 1),  # 多福巷社区
    CommunityPlan("110101001002", "yz", 6, 1),  # 银闸社区
    CommunityPlan("110101001007", "ncz", 5, 1),  # 南池子社区
    CommunityPlan("110101001015", "wfj", 4, 0),  # 王府井社区
    CommunityPlan("110101001009", "dsk", 3, 1),  # 灯市口社区
]
DATONG_MEMBERS = [CommunityPlan("140213050001", "dt-kj", 6, 1)]  # 永泰街道康吉社区

EMPLOYER_KEYS = ["palace", "pumch", "nmc", "wfj", "school27", "commerce", "namoc", "bjart", "plagh"]
OTHER_EMPLOYERS = [
    "国家电网北京市电力公司",
    "中国移动通信集团北京有限公司",
    "北京银行总行营业部",
    "北京市东城区教育委员会",
    "中国工商银行北京分行",
    "北京市自来水集团",
]
REJECT_REASON = "所填居住地址不在本社区，请到居住地所在社区报到。"


@dataclass(frozen=True)
class TeamSpec:
    community: str
    name: str
    kind: str
    members: slice  # which of the community's confirmed members join, in registration order


DONGHUAMEN_TEAMS = [
    TeamSpec("110101001001", "多福巷社区在职党员心愿认领队", TeamKind.WISH_CLAIMING, slice(0, 9)),
    TeamSpec("110101001001", "多福巷社区在职党员组团服务队", TeamKind.GROUP_SERVICE, slice(9, 19)),
    TeamSpec("110101001001", "多福巷社区共产党员先锋队", TeamKind.VANGUARD, slice(0, 19, 3)),
    TeamSpec("110101001002", "银闸社区在职党员组团服务队", TeamKind.GROUP_SERVICE, slice(0, 6)),
    TeamSpec("110101001007", "南池子社区在职党员心愿认领队", TeamKind.WISH_CLAIMING, slice(0, 5)),
]
DATONG_TEAMS = [
    # One of the 888 共产党员先锋队 and volunteer teams Datong formed in the epidemic.
    TeamSpec("140213050001", "康吉社区共产党员先锋队", TeamKind.VANGUARD, slice(0, 7)),
]

# What members do, by kind, in the words of the source documents.
SERVICE_WORK = {
    ServiceKind.ENVIRONMENT: [
        "周末卫生大扫除，清理胡同堆物堆料",
        "背街小巷环境整治，清理小广告",
        "“门前三包”检查，督促商户落实责任",
        "垃圾分类桶前值守，指导居民分类投放",
    ],
    ServiceKind.ELDERLY: [
        "为独居老人代购药品、上门探访",
        "老年餐桌助餐服务，为高龄老人送餐",
        "陪同行动不便老人就医",
        "为空巢老人检查燃气、更换灯泡",
    ],
    ServiceKind.CIVILITY: [
        "文明引导，规范非机动车停放",
        "王府井步行街文明劝导",
        "地铁口高峰时段秩序疏导",
    ],
    ServiceKind.VOLUNTEER: [
        "社区议事厅会议记录与意见整理",
        "胡同消防安全隐患排查",
        "社区义诊，测量血压、健康咨询",
        "为居民讲解医保、养老政策",
        "社区图书角整理与少儿阅读辅导",
    ],
    ServiceKind.WISH: [
        "心愿认领：为低保家庭孩子送去学习用品",
        "心愿认领：帮助高龄老人修理轮椅",
        "心愿认领：为残疾居民安装扶手",
    ],
    ServiceKind.EPIDEMIC: ["疫情防控卡口值守，协助登记出入人员", "协助开展核酸检测秩序维护"],
}
SERVICE_PLACES = ["社区党群服务中心", "胡同口", "居民楼院", "社区活动室", "街巷"]
VILLAGE_PLACES = ["党群服务中心", "村委会大院", "村口", "文化活动室"]
DEMO_HOURS = ["1.0", "1.5", "2.0", "2.0", "2.5", "3.0", "3.0", "4.0"]


# --- writing the demo --------------------------------------------------------------------------


class Places:
    """The tenant's committees by division code (or, for functional zones, by name), loaded once."""

    def __init__(self, tenant: Tenant, refs: Iterable[str]):
        refs = set(refs)
        codes = {ref for ref in refs if ref.isdigit()}
        names = refs - codes
        self.tenant = tenant
        self.by_ref: dict[str, Committee] = {}
        query = Committee.objects.filter(tenant=tenant).select_related("parent")
        for committee in query.filter(division_code__in=codes):
            self.by_ref[committee.division_code] = committee
        for committee in query.filter(name__in=names, kind=Kind.FUNCTIONAL):
            self.by_ref[committee.name] = committee
        self.root = Committee.objects.get(tenant=tenant, parent__isnull=True)
        missing = refs - set(self.by_ref)
        if missing:
            raise LookupError(f"{tenant}: no committee {sorted(missing)}")

    def __getitem__(self, ref: str) -> Committee:
        return self.root if ref == "" else self.by_ref[ref]


AREA_CODES = {"11": "010", "31": "021", "14": "0352"}


def _joined_on(key: str, committee_ref: str) -> dt.date:
    n = stable_number("joined", key, committee_ref)
    return dt.date(2018 + n % 7, 1 + n // 7 % 12, 1 + n // 84 % 28)


def ensure_units(
    tenant: Tenant, places: Places, specs: list[UnitSpec], *, managed_memberships: set
) -> dict[str, MemberUnit]:
    """Create the units missing from the tenant, each a member where it stands and of the
    committees it joins. `managed_memberships` lists (unit key, committee ref) pairs that the
    subcommittee step adds with the subcommittee set."""
    area = AREA_CODES.get(tenant.division_code[:2], "0352")
    existing = {
        (unit.credit_code or (unit.name, unit.committee_id)): unit
        for unit in MemberUnit.objects.filter(tenant=tenant)
    }
    joined = set(Membership.objects.filter(tenant=tenant).values_list("unit_id", "committee_id"))
    units: dict[str, MemberUnit] = {}
    for spec in specs:
        committee = places[spec.at]
        code = unit_credit_code(spec, committee)
        unit = existing.get(code or (spec.name, committee.pk))
        if unit is None:
            rng = random.Random(stable_number("contact", spec.key))
            phone = (
                mobile(rng)
                if spec.kind in {UnitKind.PRIVATE, UnitKind.NEW_ECONOMY, UnitKind.OTHER}
                else landline(rng, area)
            )
            unit = services.member_unit_create(
                tenant=tenant,
                committee=committee,
                data=services.UnitData(
                    name=spec.name,
                    kind=spec.kind,
                    credit_code=code,
                    address=spec.address,
                    contact_name=person_name(rng),
                    contact_phone=phone,
                    party_org_type=spec.party_org_type,
                    party_member_count=spec.party_member_count,
                ),
                join=(spec.key, spec.at) not in managed_memberships,
            )
        units[spec.key] = unit
        for ref in spec.joins:
            if (spec.key, ref) in managed_memberships:
                continue
            target = places[ref]
            if (unit.pk, target.pk) not in joined:
                services.membership_add(
                    unit=unit, committee=target, joined_on=_joined_on(spec.key, ref)
                )
    return units


def ensure_subcommittees(
    places: Places, units: dict[str, MemberUnit], specs: list[SubcommitteeSpec]
) -> None:
    for spec in specs:
        committee = places[spec.committee]
        sub = Subcommittee.objects.filter(committee=committee, field=spec.field).first()
        if sub is None:
            sub = services.subcommittee_create(committee=committee, field=spec.field)
        for key, _chair in spec.chairs:
            if not Membership.objects.filter(unit=units[key], committee=committee).exists():
                services.membership_add(
                    unit=units[key],
                    committee=committee,
                    joined_on=_joined_on(key, spec.committee),
                    subcommittee=sub,
                )
        if sub.rotation_start is None:
            services.rotation_set(
                subcommittee=sub,
                start=spec.start,
                months=spec.months,
                chairs=[(units[key], chair) for key, chair in spec.chairs],
            )


def ensure_seats(
    places: Places, units: dict[str, MemberUnit], seats: dict[str, list[SeatSpec]]
) -> None:
    year = timezone.localdate().year
    for ref, specs in seats.items():
        committee = places[ref]
        if Seat.objects.filter(committee=committee).exists():
            continue
        for spec in specs:
            services.seat_create(
                committee=committee,
                role=spec.role,
                person_name=spec.person_name,
                title=spec.title,
                unit=units[spec.unit] if spec.unit else None,
                term_start=dt.date(year - 1, 1, 1),
                term_end=dt.date(year + 1, 12, 31),
            )


def ensure_alliances(
    places: Places, units: dict[str, MemberUnit], specs: list[AllianceSpec]
) -> None:
    for spec in specs:
        home = places[spec.home]
        if Alliance.objects.filter(home_committee=home, name=spec.name).exists():
            continue
        services.alliance_create(
            home_committee=home,
            name=spec.name,
            kind=spec.kind,
            committees=[places[ref] for ref in spec.committees],
            units=[units[key] for key in spec.units],
            description=spec.description,
        )


def ensure_unit_registrations(
    places: Places, units: dict[str, MemberUnit], plan: list[tuple[str, str, bool]], actor: User
) -> None:
    for key, ref, confirm in plan:
        unit = units[key]
        if Registration.objects.filter(unit=unit).exists():
            continue
        registration = services.unit_registration_request(unit=unit, community=places[ref])
        if confirm:
            services.registration_decide(registration=registration, actor=actor, confirm=True)


def _member_create(
    *,
    tenant: Tenant,
    username: str,
    name: str,
    phone: str,
    community: Committee,
    employer: MemberUnit | None,
    employer_name: str,
) -> PartyMember:
    """What `services.member_self_register` writes, with the shared demo password hash: the
    service hashes each password itself (about 0.4 s apiece), which would make the demo slow."""
    phone = identifiers.validate_phone(phone)
    user = services.user_create(
        tenant=tenant,
        username=username,
        password_hash=demo_password_hash(),
        display_name=name,
        phone=phone,
    )
    member = PartyMember.objects.create(
        tenant=tenant,
        user=user,
        name=name,
        phone=phone,
        employer=employer,
        employer_name=employer_name,
        community=community,
        registration_status=RegistrationStatus.PENDING,
    )
    member.open_registration = Registration.objects.create(
        tenant=tenant, community=community, member=member
    )
    return member


def ensure_members(
    tenant: Tenant,
    places: Places,
    plans: list[CommunityPlan],
    employers: list[MemberUnit],
    staff_for: Callable[[Committee], User],
) -> dict[str, list[PartyMember]]:
    """Party members registered with their communities: most confirmed, some waiting, one sent
    back. Returns each community's confirmed members in registration order."""
    confirmed: dict[str, list[PartyMember]] = {}
    for plan in plans:
        community = places[plan.code]
        rng = random.Random(stable_number("members", tenant.slug, plan.code))
        confirmed[plan.code] = []
        total = plan.confirmed + plan.pending + plan.rejected
        for i in range(total):
            name, phone = person_name(rng), mobile(rng)
            employer = employers[rng.randrange(len(employers))] if rng.random() < 0.7 else None
            employer_name = employer.name if employer else rng.choice(OTHER_EMPLOYERS)
            username = f"{plan.handle}-{i + 1:02d}"
            member = PartyMember.objects.filter(user__username=username).first()
            if member is None:
                member = _member_create(
                    tenant=tenant,
                    username=username,
                    name=name,
                    phone=phone,
                    community=community,
                    employer=employer,
                    employer_name=employer_name,
                )
                registration = member.open_registration
                if i < plan.confirmed or i >= plan.confirmed + plan.pending:
                    confirm = i < plan.confirmed
                    registration = services.registration_decide(
                        registration=registration,
                        actor=staff_for(community),
                        confirm=confirm,
                        reason="" if confirm else REJECT_REASON,
                    )
                member.registration_status = registration.status  # as the service set it
            if member.registration_status == RegistrationStatus.CONFIRMED:
                confirmed[plan.code].append(member)
    return confirmed


def ensure_demo_member(
    tenant: Tenant, community: Committee, employer: MemberUnit, actor: User
) -> PartyMember:
    """The demo party member's login: self-registered, then confirmed by the community."""
    account = PARTY_MEMBER_DEMO
    member = PartyMember.objects.filter(user__username=account.username).first()
    if member is None:
        member = services.member_self_register(
            tenant=tenant,
            username=account.username,
            password=DEMO_PASSWORD,
            name=account.display_name,
            phone="13911082026",
            community=community,
            employer=employer,
        )
        services.registration_decide(
            registration=member.registrations.get(), actor=actor, confirm=True
        )
        member.refresh_from_db()
    return member


def ensure_unit_contact(tenant: Tenant, unit: MemberUnit) -> User:
    account = UNIT_CONTACT_DEMO
    user = User.objects.filter(username=account.username).first()
    if user is None:
        user = services.user_create(
            tenant=tenant,
            username=account.username,
            password_hash=demo_password_hash(),
            display_name=account.display_name,
            phone="13601012026",
        )
    services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user


def ensure_teams(
    places: Places, specs: list[TeamSpec], confirmed: dict[str, list[PartyMember]]
) -> list[ServiceTeam]:
    teams = []
    for spec in specs:
        community = places[spec.community]
        team = ServiceTeam.objects.filter(community=community, name=spec.name).first()
        if team is None:
            team = services.team_create(community=community, name=spec.name, kind=spec.kind)
        for member in confirmed[spec.community][spec.members]:
            services.team_join(team=team, member=member)
        teams.append(team)
    return teams


def service_window(today: dt.date, quarters: int) -> dt.date:
    """The first day of the quarter `quarters - 1` quarters before today's."""
    index = today.year * 4 + (today.month - 1) // 3 - (quarters - 1)
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def log_service(
    *,
    rng: random.Random,
    owner: PartyMember | ServiceTeam,
    days: list[dt.date],
    staff: User,
    pending_days: list[dt.date],
) -> int:
    """Log an owner's service through the services: mostly recorded by community staff (certified
    at once) or logged by the member and verified; the latest ones still waiting; a few rejected."""
    is_member = isinstance(owner, PartyMember)
    for day in days:
        kind = rng.choice(list(SERVICE_WORK))
        data = services.ServiceData(
            served_on=day,
            hours=Decimal(rng.choice(DEMO_HOURS)),
            kind=kind,
            description=rng.choice(SERVICE_WORK[kind]),
            location=short_name(owner.community.name) + rng.choice(SERVICE_PLACES),
        )
        who = {"member": owner} if is_member else {"team": owner}
        mode = rng.random()
        if day not in pending_days and (not is_member or mode < 0.55):
            services.service_record_log(
                actor=staff, community=owner.community, data=data, certified=True, **who
            )
            continue
        record = services.service_record_log(
            actor=owner.user, community=owner.community, data=data, **who
        )
        if day in pending_days:
            continue  # still waiting for the community to verify it
        if mode < 0.95:
            services.service_record_verify(record=record, actor=staff)
        else:
            services.service_record_reject(record=record, actor=staff)
    return len(days)


def ensure_service(
    tenant: Tenant,
    members: list[PartyMember],
    teams: list[ServiceTeam],
    staff_for: Callable[[Committee], User],
    *,
    per_member: tuple[int, int] = (2, 5),
    extra: dict[int, int] | None = None,
) -> int:
    """Service records over the last two quarters for members and teams that have none yet."""
    today = timezone.localdate()
    start = service_window(today, 2)
    span = (today - start).days
    extra = extra or {}
    logged = 0
    members_done = set(
        ServiceRecord.objects.filter(member__in=members).values_list("member_id", flat=True)
    )
    teams_done = set(ServiceRecord.objects.filter(team__in=teams).values_list("team_id", flat=True))
    owners: list[PartyMember | ServiceTeam] = [
        *(m for m in members if m.pk not in members_done),
        *(t for t in teams if t.pk not in teams_done),
    ]
    for owner in owners:
        is_member = isinstance(owner, PartyMember)
        rng = random.Random(stable_number("service", tenant.slug, type(owner).__name__, owner.pk))
        count = rng.randint(*per_member) + (extra.get(owner.pk, 0) if is_member else 0)
        offsets = sorted(rng.sample(range(span + 1), min(count, span + 1)))
        if is_member and owner.pk in extra:  # the demo member logged something last week
            offsets = sorted({*offsets[:-1], max(0, span - rng.randint(1, 7))})
        days = [start + dt.timedelta(days=offset) for offset in offsets]
        # Some members' latest log, from the last three weeks, still waits for verification.
        recent = is_member and (today - days[-1]).days <= 21
        pending = days[-1:] if recent and (owner.pk in extra or rng.random() < 0.4) else []
        logged += log_service(
            rng=rng,
            owner=owner,
            days=days,
            staff=staff_for(owner.community),
            pending_days=pending,
        )
    return logged


@dataclass
class DemoResult:
    tenant: Tenant
    units: int = 0
    members: int = 0
    records: int = 0
    logins: list[tuple[DemoAccount, object]] = field(default_factory=list)


def _staff_lookup(tenant: Tenant, by_code: dict[str, str], default: str) -> Callable:
    users = {
        u.username: u
        for u in User.objects.filter(tenant=tenant).filter(
            username__in=[*by_code.values(), default]
        )
    }

    def staff_for(committee: Committee) -> User:
        return users[by_code.get(committee.division_code, default)]

    return staff_for


def _summary(result: DemoResult) -> DemoResult:
    tenant = result.tenant
    result.units = MemberUnit.objects.filter(tenant=tenant).count()
    result.members = PartyMember.objects.filter(tenant=tenant).count()
    result.records = ServiceRecord.objects.filter(tenant=tenant).count()
    return result


def _refs(specs: list[UnitSpec]) -> set[str]:
    return {ref for spec in specs for ref in (spec.at, *spec.joins)}


@transaction.atomic
def seed_beijing(tenant: Tenant) -> DemoResult:
    managed = {(key, spec.committee) for spec in SUBCOMMITTEES for key, _chair in spec.chairs}
    places = Places(
        tenant,
        _refs(BEIJING_UNITS)
        | {spec.committee for spec in SUBCOMMITTEES}
        | set(SEATS)
        | {spec.home for spec in BEIJING_ALLIANCES if spec.home}
        | {ref for _key, ref, _c in UNIT_REGISTRATIONS}
        | {plan.code for plan in DONGHUAMEN_MEMBERS},
    )
    units = ensure_units(tenant, places, BEIJING_UNITS, managed_memberships=managed)
    ensure_subcommittees(places, units, SUBCOMMITTEES)
    ensure_seats(places, units, SEATS)
    ensure_alliances(places, units, BEIJING_ALLIANCES)
    staff_for = _staff_lookup(
        tenant, {"110101001001": "community_staff"}, default="donghuamen_staff"
    )
    admin = User.objects.get(username="bj_admin")
    ensure_unit_registrations(places, units, UNIT_REGISTRATIONS, admin)

    duofu = places["110101001001"]
    demo_member = ensure_demo_member(tenant, duofu, units["pumch"], staff_for(duofu))
    confirmed = ensure_members(
        tenant, places, DONGHUAMEN_MEMBERS, [units[k] for k in EMPLOYER_KEYS], staff_for
    )
    confirmed["110101001001"].insert(0, demo_member)
    teams = ensure_teams(places, DONGHUAMEN_TEAMS, confirmed)
    members = [m for code_members in confirmed.values() for m in code_members]
    ensure_service(tenant, members, teams, staff_for, extra={demo_member.pk: 5})
    ensure_unit_contact(tenant, units["plagh"])
    result = _summary(DemoResult(tenant))
    result.logins = [(PARTY_MEMBER_DEMO, duofu), (UNIT_CONTACT_DEMO, units["plagh"])]
    return result


@transaction.atomic
def seed_shanghai(tenant: Tenant) -> DemoResult:
    places = Places(
        tenant,
        _refs(SHANGHAI_UNITS) | {ref for spec in SHANGHAI_ALLIANCES for ref in spec.committees},
    )
    units = ensure_units(tenant, places, SHANGHAI_UNITS, managed_memberships=set())
    ensure_alliances(places, units, SHANGHAI_ALLIANCES)
    return _summary(DemoResult(tenant))


@transaction.atomic
def seed_datong(tenant: Tenant) -> DemoResult:
    places = Places(tenant, _refs(DATONG_UNITS) | {plan.code for plan in DATONG_MEMBERS})
    units = ensure_units(tenant, places, DATONG_UNITS, managed_memberships=set())
    staff_for = _staff_lookup(tenant, {}, default="pingcheng_staff")
    ensure_unit_registrations(
        places, units, [("dt_estate", "140213050001", True)], staff_for(places["140213050001"])
    )
    confirmed = ensure_members(tenant, places, DATONG_MEMBERS, list(units.values()), staff_for)
    teams = ensure_teams(places, DATONG_TEAMS, confirmed)
    members = [m for code_members in confirmed.values() for m in code_members]
    ensure_service(tenant, members, teams, staff_for)
    return _summary(DemoResult(tenant))


# --- the Beijing-scale benchmark dataset ----------------------------------------------------------
#
# Rows are written in bulk: PostgreSQL COPY fed by generators (other databases: executemany, for
# the small sizes the tests use). Bulk writes send no signals, so the audit log and any other
# receiver see none of these rows; that is acceptable for a benchmark dataset, and nothing else
# may write this way.

# COPY reads the text form of each value: str() of it, with "None" for NULL (no generated text is
# "None") and True/False, which PostgreSQL reads as booleans. Generated values never contain a
# backslash, tab or newline, so nothing needs escaping; `BulkTable` checks the defaults it adds.
COPY_OPTIONS = "(FORMAT text, NULL 'None')"


class _LineStream(io.TextIOBase):
    """A read()-able stream over an iterator of text chunks, so COPY reads while we generate."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        size = -1 if size is None else size
        parts, length = [self.buffer], len(self.buffer)
        while size < 0 or length < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            length += len(chunk)
        data = "".join(parts)
        if size < 0 or len(data) <= size:
            self.buffer = ""
            return data
        self.buffer = data[size:]
        return data[:size]


class BulkTable:
    """Writes many rows of one model: the given columns from each row, every other column its
    model default (auto_now fields: now). Primary keys come from the rows when `id` is among
    the columns (reserve them with `reserve_ids`), otherwise from the database."""

    def __init__(self, model: type[models.Model], columns: list[str]):
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        self.model = model
        self.table = meta.db_table
        self.fields = [fields[name] for name in columns]
        now = timezone.now()
        self.constant_fields, self.constants = [], []
        for f in meta.concrete_fields:
            if f.attname in columns or f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            if value is None and not f.null:
                raise ValueError(f"{self.table}.{f.column}: no value and no default")
            self.constant_fields.append(f)
            self.constants.append(value)
        qn = connection.ops.quote_name
        self.column_sql = ", ".join(qn(f.column) for f in [*self.fields, *self.constant_fields])
        if any(
            isinstance(v, str) and (v == "None" or any(c in v for c in "\\\t\n\r"))
            for v in self.constants
        ):
            raise ValueError(f"{self.table}: a default cannot be written in COPY text format")
        self.suffix = "".join("\t" + str(v) for v in self.constants) + "\n"

    def write(self, rows: Iterable[tuple]) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        return self._insert(rows)

    def _copy(self, rows: Iterable[tuple]) -> int:
        count = 0
        suffix = self.suffix

        def chunks() -> Iterator[str]:
            nonlocal count
            lines = []
            for row in rows:
                lines.append("\t".join(map(str, row)) + suffix)
                if len(lines) == 2000:
                    count += len(lines)
                    yield "".join(lines)
                    lines = []
            count += len(lines)
            yield "".join(lines)

        table = connection.ops.quote_name(self.table)
        sql = f"COPY {table} ({self.column_sql}) FROM STDIN WITH {COPY_OPTIONS}"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, _LineStream(chunks()), 1 << 17)
        return count

    def _insert(self, rows: Iterable[tuple]) -> int:
        fields = [*self.fields, *self.constant_fields]
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {connection.ops.quote_name(self.table)} ({self.column_sql}) VALUES ({marks})"
        count, batch = 0, []
        with connection.cursor() as cursor:
            for row in rows:
                values = [*row, *self.constants]
                batch.append(
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
                )
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


@contextmanager
def bulk_loading(*models_: type[models.Model]) -> Iterator[None]:
    """Load millions of rows the way PostgreSQL's manual advises ("Populating a Database"): with
    the tables' foreign keys and secondary indexes dropped, and rebuilt once at the end.

    A foreign key checks every inserted row by itself, at commit (Django's keys are deferred):
    some 12 µs a key a row. An index takes every row at a random place. Rebuilt at the end, an
    index is built from sorted rows and a key checks all rows in one join. Primary keys and
    unique constraints stay (the generated keys are ascending, so they are cheap to keep); unique
    indexes that are rebuilt check uniqueness as they are built. All of it runs in the caller's
    transaction: if anything fails, it rolls back and nothing was ever dropped. The tables are
    locked until the transaction ends."""
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_loading() needs a transaction")
    qn = connection.ops.quote_name
    keys: list[tuple[str, str, str]] = []
    indexes: list[str] = []
    with connection.cursor() as cursor:
        # A table with deferred checks still pending cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            for name, definition in cursor.fetchall():
                keys.append((table, name, definition))
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid"
                "  AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))"
                " ORDER BY i.relname",
                [table],
            )
            for name, definition in cursor.fetchall():
                indexes.append(definition)
                cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve `count` primary keys of a model's table; returns the first. On PostgreSQL the
    sequence is moved past them at once, so ordinary inserts meanwhile cannot collide."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return cursor.fetchone()[0] + 1
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}),"
            f" (SELECT last_value FROM {sequence})) + %s)",
            [sequence, count],
        )
        return cursor.fetchone()[0] - count + 1


@dataclass(frozen=True)
class ScaleSize:
    units: int = 17_000
    members: int = 720_000
    teams: int = 2_000
    records: int = 3_000_000


@dataclass
class Place:
    """What the generator needs to know of a committee."""

    id: int
    level: str
    kind: str
    code: str
    name: str
    parent_id: int | None
    district: str = ""
    district_code: str = ""
    short: str = ""  # 东华门, 多福巷, 河防口村: for names of things at the place
    is_village: bool = False


def short_name(name: str) -> str:
    for suffix in (
        "党建工作协调委员会",
        "社区居民委员会",
        "社区居委会",
        "居民委员会",
        "居委会",
        "街道",
        "地区",
        "社区",
    ):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    for suffix in ("村民委员会", "村委会"):
        if name.endswith(suffix):
            village = name.removesuffix(suffix)
            return village if village.endswith("村") else village + "村"
    return name


def load_places(tenant: Tenant) -> dict[int, Place]:
    places = {
        row[0]: Place(*row)
        for row in Committee.objects.filter(tenant=tenant).values_list(
            "id", "level", "kind", "division_code", "name", "parent_id"
        )
    }
    for place in sorted(places.values(), key=lambda p: LEVELS.index(p.level)):
        parent = places.get(place.parent_id)
        if place.level == Level.DISTRICT:
            place.district, place.district_code = place.name, place.code
        elif parent is not None:
            place.district, place.district_code = parent.district, parent.district_code
        place.short = short_name(place.name)
        place.is_village = place.level == Level.COMMUNITY and place.name.endswith(
            ("村委会", "村民委员会")
        )
    return places


LEVELS = [choice.value for choice in Level]

# Units at the street level and in communities, by kind (weights in percent).
STREET_UNIT_KINDS = {
    UnitKind.CENTRAL_AGENCY: 4,
    UnitKind.MUNICIPAL_AGENCY: 6,
    UnitKind.DISTRICT_AGENCY: 8,
    UnitKind.STATE_OWNED: 15,
    UnitKind.PRIVATE: 23,
    UnitKind.HOSPITAL: 6,
    UnitKind.UNIVERSITY: 2,
    UnitKind.SCHOOL: 10,
    UnitKind.MILITARY: 2,
    UnitKind.SOCIAL_ORGANISATION: 8,
    UnitKind.NEW_ECONOMY: 16,
}
COMMUNITY_UNIT_KINDS = {
    UnitKind.STATE_OWNED: 8,
    UnitKind.PRIVATE: 32,
    UnitKind.HOSPITAL: 8,
    UnitKind.SCHOOL: 12,
    UnitKind.SOCIAL_ORGANISATION: 18,
    UnitKind.NEW_ECONOMY: 20,
    UnitKind.MILITARY: 2,
}
DEPARTMENT_NAMES = [
    "{district}城市管理综合行政执法局{short}执法队",
    "北京市公安局{district_short}分局{short}派出所",
    "{district}消防救援支队{short}消防救援站",
    "{district}市场监督管理局{short}市场监管所",
    "{district}生态环境局{short}执法组",
    "{district}水务局{short}水务所",
    "{district}住房和城乡建设委员会{short}房屋管理站",
]
CENTRAL_BODIES = words(
    "国家统计局 国家档案局 国家知识产权局 国家体育总局 国家林业和草原局 国家文物局 国家中医药管理局 "
    "国家药品监督管理局 国家粮食和物资储备局 国家邮政局 中国气象局 中国地震局 国家信访局 "
    "中国科学院 中国社会科学院 中国工程院 新华通讯社 中国铁路北京局集团 全国总工会 共青团中央 "
    "全国妇联 中国科协 中国残联 中国红十字会总会 中国作家协会"
)
CENTRAL_PARTS = words(
    "机关服务中心 信息中心 宣传教育中心 培训中心 档案馆 后勤服务中心 研究院 出版社 离退休干部局 直属机关"
)
MUNICIPAL_BODIES = words(
    "市教委 市卫生健康委 市交通委 市水务局 市园林绿化局 市文化和旅游局 市商务局 市住房城乡建设委 "
    "市城市管理委 市民政局 市人力社保局 市市场监管局 市生态环境局 市规划自然资源委 市体育局 "
    "市科委 市经济和信息化局 市应急管理局 市司法局 市税务局"
)
MUNICIPAL_PARTS = words("机关 信息中心 执法总队 服务中心 直属事业单位 宣传中心 监测中心")
DISTRICT_BODIES = words(
    "区教委 区卫生健康委 区民政局 区人力社保局 区文化和旅游局 区市场监管局 区税务局 区司法局 "
    "区退役军人事务局 区残联 区总工会 区妇联 区团委 区图书馆 区文化馆 区档案馆"
)
SOE_BRANDS = [
    ("中国工商银行北京", "支行"),
    ("中国建设银行北京", "支行"),
    ("中国农业银行北京", "支行"),
    ("中国银行北京", "支行"),
    ("北京银行", "支行"),
    ("北京农商银行", "支行"),
    ("中国邮政北京", "邮政支局"),
    ("中国移动北京", "营业厅"),
    ("中国联通北京", "营业厅"),
    ("中国电信北京", "营业厅"),
    ("国网北京电力", "供电服务中心"),
    ("北京燃气", "燃气服务所"),
    ("北京自来水集团", "营业所"),
    ("北京排水集团", "运营所"),
    ("北京公交集团", "车队"),
    ("北京城建", "项目部"),
    ("北京建工", "项目部"),
    ("首开集团", "物业服务中心"),
    ("北京首农", "服务站"),
    ("中建一局", "项目部"),
]
BRAND_CHARS = (
    "华信恒通鼎盛瑞丰嘉禾博远中科天成金泰盛世宏达安泰润泽云海晨光正阳九州东方华宇新锐京海长城"
)
BRAND_CHARS += (
    "永昌国安百川汇通德润佳和明远兴业卓越同创启明致远康宁和顺万象鸿运融创锦程辰星未来智联"
)
INDUSTRIES = words(
    "科技 信息技术 物业管理 餐饮管理 文化传媒 商贸 建筑工程 医药 教育科技 家政服务 养老服务 物流 "
    "广告 咨询 设计 环保科技 电子商务 软件 网络科技 健康管理 装饰工程 酒店管理 体育文化 律师事务"
)
COMPANY_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
NEW_ECONOMY_BRANDS = words(
    "美团外卖 饿了么蜂鸟即配 顺丰速运 京东物流 中通快递 圆通速递 韵达快递 申通快递 极兔速递 "
    "闪送 滴滴出行 货拉拉 叮咚买菜 盒马鲜生 菜鸟驿站 邮政EMS"
)
SCHOOL_STAGES = words(
    "小学 中学 幼儿园 第二小学 第三小学 实验学校 第一中学 第二中学 中心小学 第二幼儿园"
)
UNIVERSITY_FIELDS = words(
    "电子科技 财贸 信息 交通运输 农业 劳动保障 社会管理 艺术 体育 卫生 政法 经济管理 工业 科技 "
    "戏曲艺术 汽车工程 城市 建筑工程 旅游 工商"
)
PARTY_MEMBERS_BY_KIND = {
    UnitKind.CENTRAL_AGENCY: (80, 1500),
    UnitKind.MUNICIPAL_AGENCY: (40, 800),
    UnitKind.DISTRICT_AGENCY: (15, 300),
    UnitKind.DEPARTMENT: (8, 90),
    UnitKind.STATE_OWNED: (10, 900),
    UnitKind.PRIVATE: (0, 60),
    UnitKind.HOSPITAL: (20, 2500),
    UnitKind.UNIVERSITY: (300, 6000),
    UnitKind.SCHOOL: (10, 120),
    UnitKind.MILITARY: (20, 300),
    UnitKind.SOCIAL_ORGANISATION: (1, 20),
    UnitKind.NEW_ECONOMY: (1, 40),
    UnitKind.OTHER: (5, 60),
}
EXTERNAL_EMPLOYERS = [
    "国家电网有限公司",
    "中国石油天然气集团有限公司",
    "中国建筑集团有限公司",
    "中国移动通信集团有限公司",
    "中国工商银行股份有限公司",
    "北京市人民政府机关",
    "中国人民银行营业管理部",
    "国家税务总局北京市税务局",
    "北京市教育委员会",
    "中国铁路北京局集团有限公司",
]


def _org_type(kind: str, count: int) -> str:
    if count >= 100:
        return PartyOrgType.COMMITTEE
    if count >= 50:
        return PartyOrgType.GENERAL_BRANCH
    if count >= 3:
        return PartyOrgType.BRANCH
    if count >= 1:
        return PartyOrgType.JOINT_BRANCH
    return PartyOrgType.NONE


def _category(kind: str, name: str, rng: random.Random) -> str:
    if kind == UnitKind.MILITARY:
        return ""
    if kind == UnitKind.DEPARTMENT:
        return "11"
    if kind in {UnitKind.CENTRAL_AGENCY, UnitKind.MUNICIPAL_AGENCY, UnitKind.DISTRICT_AGENCY}:
        return "12" if name[-1] in "心院所馆社站" else "11"
    if kind in {UnitKind.HOSPITAL, UnitKind.UNIVERSITY, UnitKind.SCHOOL}:
        return "12"
    if kind == UnitKind.SOCIAL_ORGANISATION:
        return rng.choice(["51", "52"])
    if kind == UnitKind.OTHER:
        return "N2"
    return "91"


def _weighted(weights: dict[str, int]) -> tuple[list[str], list[int]]:
    kinds = list(weights)
    return kinds, [weights[k] for k in kinds]


class ScaleSeeder:
    """The Beijing-scale dataset on a tenant that has the real tree and the scale accounts.

    Stages: units (with memberships and the units' dual registration), party members (accounts,
    members and their registrations), service teams (with their members), service records (with
    the points ledger and the members' and teams' totals). Each stage runs in one transaction
    and is skipped when its rows exist, so an interrupted run can simply be started again.
    """

    def __init__(
        self,
        tenant: Tenant,
        size: ScaleSize,
        *,
        account_prefix: str,
        out: Callable[[str], None] = print,
        seed: int = 2026,
    ):
        self.tenant = tenant
        self.size = size
        self.account_prefix = account_prefix  # the staff accounts' usernames: prefix + code
        self.out = out
        self.seed = seed
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.places = load_places(tenant)
        self.streets = [p for p in self.places.values() if p.level == Level.STREET]
        self.communities = sorted(
            (p for p in self.places.values() if p.level == Level.COMMUNITY), key=lambda p: p.id
        )
        self.children: dict[int, list[Place]] = defaultdict(list)
        for community in self.communities:
            self.children[community.parent_id].append(community)
        self._staff: dict[int, int] | None = None

    # -- helpers --

    def rng(self, stage: str) -> random.Random:
        return random.Random(f"{self.seed}-{self.tenant.slug}-{stage}")

    @property
    def staff(self) -> dict[int, int]:
        """The staff account of each street and community (by committee id)."""
        if self._staff is None:
            usernames = {
                f"{self.account_prefix}{place.code or place.id}": place.id
                for place in self.places.values()
            }
            staff = {
                usernames[username]: user_id
                for username, user_id in User.objects.filter(
                    tenant=self.tenant, username__in=list(usernames)
                ).values_list("username", "id")
            }
            # A committee without an account of its own is served by its nearest ancestor's.
            self._staff = {}
            for place in self.places.values():
                node: Place | None = place
                while node is not None and node.id not in staff:
                    node = self.places.get(node.parent_id)
                if node is not None:
                    self._staff[place.id] = staff[node.id]
        return self._staff

    def moment(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        value = dt.datetime.combine(
            day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone()
        )
        return min(value, self.now)

    def community_weights(self) -> list[int]:
        """Urban communities house more registered members than villages."""
        return [1 if c.is_village else 3 for c in self.communities]

    def analyze(self, *models_: type[models.Model]) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in models_:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def run(self) -> None:
        started = time.perf_counter()
        for name, stage in [
            ("units", self.stage_units),
            ("party members", self.stage_members),
            ("service teams", self.stage_teams),
            ("service records", self.stage_records),
        ]:
            step = time.perf_counter()
            with transaction.atomic():
                report = stage()
            self.out(f"{name}: {report} in {time.perf_counter() - step:.1f}s")
        step = time.perf_counter()
        if self.vacuum():
            self.out(f"vacuum and statistics: {time.perf_counter() - step:.1f}s")
        self.out(f"members data: {time.perf_counter() - started:.1f}s")

    VACUUMED = [
        Committee,
        User,
        RoleGrant,
        MemberUnit,
        Membership,
        Registration,
        PartyMember,
        ServiceTeam,
        ServiceTeam.members.through,
        ServiceRecord,
        PointsEntry,
    ]

    def vacuum(self) -> bool:
        """VACUUM (ANALYZE) what was loaded, as autovacuum would some time later: fresh planner
        statistics, and a visibility map, without which a count cannot use an index-only scan.
        Skipped inside a transaction (tests), where VACUUM cannot run."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return False
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in self.VACUUMED:
                cursor.execute(f"VACUUM (ANALYZE) {qn(model._meta.db_table)}")
        return True

    # -- units --

    def unit_name(self, kind: str, place: Place, rng: random.Random) -> str:
        district, short = place.district, place.short
        district_short = district.removesuffix("区")
        if kind == UnitKind.CENTRAL_AGENCY:
            return rng.choice(CENTRAL_BODIES) + rng.choice(CENTRAL_PARTS)
        if kind == UnitKind.MUNICIPAL_AGENCY:
            return "北京" + rng.choice(MUNICIPAL_BODIES) + rng.choice(MUNICIPAL_PARTS)
        if kind == UnitKind.DISTRICT_AGENCY:
            return district + rng.choice(DISTRICT_BODIES).removeprefix("区")
        if kind == UnitKind.STATE_OWNED:
            brand, branch = rng.choice(SOE_BRANDS)
            return f"{brand}{short}{branch}"
        if kind == UnitKind.PRIVATE:
            brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
            return f"北京{brand}{rng.choice(INDUSTRIES)}{rng.choice(COMPANY_FORMS)}"
        if kind == UnitKind.NEW_ECONOMY:
            return f"{rng.choice(NEW_ECONOMY_BRANDS)}{district_short}{short}站"
        if kind == UnitKind.HOSPITAL:
            if place.level == Level.COMMUNITY:
                return f"{district}{short}社区卫生服务站"
            return rng.choice(
                [
                    f"{district}{short}社区卫生服务中心",
                    f"北京{short}{rng.choice(['中医', '口腔', '康复', '妇产', '骨科'])}医院",
                ]
            )
        if kind == UnitKind.UNIVERSITY:
            return f"北京{rng.choice(UNIVERSITY_FIELDS)}职业学院{short}校区"
        if kind == UnitKind.SCHOOL:
            stage = rng.choice(SCHOOL_STAGES)
            return f"北京市{district}{short}{stage}"
        if kind == UnitKind.MILITARY:
            return f"驻{short}部队某部{rng.choice(['营区管理处', '干休所', '仓库', '服务保障队'])}"
        if kind == UnitKind.SOCIAL_ORGANISATION:
            return rng.choice(
                [
                    f"{district}{short}社区社会组织联合会",
                    f"{short}志愿者协会",
                    f"北京市{district}{short}{rng.choice(['公益服务中心', '养老助残服务中心', '青少年服务社'])}",
                ]
            )
        return f"{short}股份经济合作社"

    def stage_units(self) -> str:
        existing = MemberUnit.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.rng("units")
        n = self.size.units
        territorial = [s for s in self.streets if s.kind == Kind.TERRITORIAL]
        plan: list[tuple[Place, str, str]] = []  # (where, kind, name template or "")
        n_departments = min(round(n * 0.06), len(territorial) * len(DEPARTMENT_NAMES))
        for i in range(n_departments):
            street = territorial[i % len(territorial)]
            plan.append((street, UnitKind.DEPARTMENT, DEPARTMENT_NAMES[i // len(territorial)]))
        n_street = round(n * 0.24)
        kinds, weights = _weighted(STREET_UNIT_KINDS)
        for street, kind in zip(
            rng.choices(self.streets, k=n_street),
            rng.choices(kinds, weights, k=n_street),
            strict=True,
        ):
            plan.append((street, kind, ""))
        n_community = n - len(plan)
        kinds, weights = _weighted(COMMUNITY_UNIT_KINDS)
        collectives: set[int] = set()
        for community in rng.choices(self.communities, self.community_weights(), k=n_community):
            if community.is_village and community.id not in collectives:
                collectives.add(community.id)
                plan.append((community, UnitKind.OTHER, ""))
            else:
                plan.append((community, rng.choices(kinds, weights)[0], ""))

        first_id = reserve_ids(MemberUnit, len(plan))
        names: set[str] = set()
        units, memberships, registrations = [], [], []
        for i, (place, kind, template) in enumerate(plan):
            if template:
                name = template.format(
                    district=place.district,
                    district_short=place.district.removesuffix("区"),
                    short=place.short,
                )
            else:
                name = self.unit_name(kind, place, rng)
                for _ in range(20):  # another draw rather than a numbered copy
                    if name not in names:
                        break
                    name = self.unit_name(kind, place, rng)
            if name in names:
                name = f"{name}（{place.short}分部）"
            names.add(name)
            region = (place.district_code or self.tenant.division_code)[:6]
            category = _category(kind, name, rng)
            code = credit_code(category, region, 20_000_000 + i) if category else ""
            low, high = (3, 40) if "社区卫生" in name else PARTY_MEMBERS_BY_KIND[kind]
            count = int(low + (high - low) * rng.random() ** 3)
            org_type = _org_type(kind, count)
            phone = (
                mobile(rng)
                if kind in {UnitKind.PRIVATE, UnitKind.NEW_ECONOMY}
                else landline(rng, AREA_CODES.get(self.tenant.division_code[:2], "010"))
            )
            unit_id = first_id + i
            address = f"{place.district}{place.short}{rng.randint(1, 200)}号"
            units.append(
                (
                    unit_id,
                    self.tenant.pk,
                    place.id,
                    name,
                    code,
                    kind,
                    address,
                    person_name(rng),
                    phone,
                    org_type,
                    count,
                )
            )
            joined = dt.date(2018, 6, 1) + dt.timedelta(days=rng.randrange(2400))
            joined = min(joined, self.today)
            memberships.append((self.tenant.pk, unit_id, place.id, joined, "active"))
            parent = self.places.get(place.parent_id)
            # A unit in a community is a member of its street too; some street units of the district.
            joins_parent = place.level == Level.COMMUNITY or (
                kind != UnitKind.DEPARTMENT and rng.random() < 0.1
            )
            if joins_parent and parent is not None:
                memberships.append((self.tenant.pk, unit_id, parent.id, joined, "active"))
            community = place if place.level == Level.COMMUNITY else None
            if community is None and self.children.get(place.id):
                community = rng.choice(self.children[place.id])
            if org_type != PartyOrgType.NONE and community is not None:
                requested = self.moment(joined + dt.timedelta(days=rng.randint(0, 60)), 10)
                decided = self.moment(requested.date() + dt.timedelta(days=rng.randint(1, 7)), 15)
                registrations.append(
                    (
                        self.tenant.pk,
                        community.id,
                        None,
                        unit_id,
                        RegistrationStatus.CONFIRMED,
                        requested,
                        decided,
                        self.staff.get(community.id),
                        "",
                    )
                )
        with bulk_loading(MemberUnit, Membership, Registration):
            BulkTable(
                MemberUnit,
                [
                    "id",
                    "tenant_id",
                    "committee_id",
                    "name",
                    "credit_code",
                    "kind",
                    "address",
                    "contact_name",
                    "contact_phone",
                    "party_org_type",
                    "party_member_count",
                ],
            ).write(units)
            BulkTable(
                Membership, ["tenant_id", "unit_id", "committee_id", "joined_on", "status"]
            ).write(memberships)
            BulkTable(
                Registration,
                [
                    "tenant_id",
                    "community_id",
                    "member_id",
                    "unit_id",
                    "status",
                    "requested_at",
                    "decided_at",
                    "decided_by_id",
                    "reason",
                ],
            ).write(registrations)
        self.analyze(MemberUnit, Membership, Registration)
        return (
            f"{len(units)} units, {len(memberships)} memberships, "
            f"{len(registrations)} unit registrations"
        )

    # -- party members --

    def stage_members(self) -> str:
        existing = PartyMember.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.rng("members")
        n = self.size.members
        tenant_id = self.tenant.pk
        units = list(
            MemberUnit.objects.filter(tenant=self.tenant).values_list("id", "name").order_by("id")
        )
        communities = rng.choices(self.communities, self.community_weights(), k=n)
        first_user = reserve_ids(User, n)
        first_member = reserve_ids(PartyMember, n)
        start = dt.date(2018, 5, 1)
        span = (self.today - start).days
        people = []
        for _ in range(n):
            day = start + dt.timedelta(days=rng.randrange(span))
            requested = self.moment(day, rng.randint(8, 21), rng.randrange(60))
            if units and rng.random() < 0.75:
                employer_id, employer_name = units[rng.randrange(len(units))]
            else:
                employer_id, employer_name = None, rng.choice(EXTERNAL_EMPLOYERS)
            pending = rng.random() < 0.01
            people.append(
                (person_name(rng), mobile(rng), employer_id, employer_name, requested, pending)
            )
        with bulk_loading(User, PartyMember, Registration):
            password = demo_password_hash()
            prefix = f"{self.tenant.slug}-pm-"
            users = BulkTable(
                User,
                ["id", "password", "username", "display_name", "phone", "tenant_id", "date_joined"],
            ).write(
                (first_user + i, password, f"{prefix}{i + 1:06d}", p[0], p[1], tenant_id, p[4])
                for i, p in enumerate(people)
            )
            confirmed, pending = RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING
            BulkTable(
                PartyMember,
                [
                    "id",
                    "tenant_id",
                    "user_id",
                    "name",
                    "phone",
                    "employer_id",
                    "employer_name",
                    "community_id",
                    "registration_status",
                    "created_at",
                ],
            ).write(
                (
                    first_member + i,
                    tenant_id,
                    first_user + i,
                    p[0],
                    p[1],
                    p[2],
                    p[3],
                    communities[i].id,
                    pending if p[5] else confirmed,
                    p[4],
                )
                for i, p in enumerate(people)
            )
            staff = self.staff
            one_day = dt.timedelta(days=1)
            BulkTable(
                Registration,
                [
                    "tenant_id",
                    "community_id",
                    "member_id",
                    "status",
                    "requested_at",
                    "decided_at",
                    "decided_by_id",
                    "reason",
                ],
            ).write(
                (
                    tenant_id,
                    communities[i].id,
                    first_member + i,
                    pending if p[5] else confirmed,
                    p[4],
                    None if p[5] else min(p[4] + one_day * (1 + i % 5), self.now),
                    None if p[5] else staff.get(communities[i].id),
                    "",
                )
                for i, p in enumerate(people)
            )
        self.analyze(User, PartyMember, Registration)
        return f"{users} accounts, party members and registrations"

    # -- service teams --

    def confirmed_members(self) -> dict[int, list[int]]:
        by_community: dict[int, list[int]] = defaultdict(list)
        for member_id, community_id in (
            PartyMember.objects.filter(
                tenant=self.tenant, registration_status=RegistrationStatus.CONFIRMED
            )
            .order_by("id")
            .values_list("id", "community_id")
            .iterator(chunk_size=20000)
        ):
            by_community[community_id].append(member_id)
        return by_community

    def stage_teams(self) -> str:
        existing = ServiceTeam.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.rng("teams")
        members = self.confirmed_members()
        # A team needs a few confirmed members of its community (8 to 25 at full scale).
        eligible = [c for c in self.communities if len(members.get(c.id, ())) >= 3]
        if not eligible or not self.size.teams:
            return "no community has enough members"
        where = rng.choices(eligible, [len(members[c.id]) for c in eligible], k=self.size.teams)
        kinds = [TeamKind.WISH_CLAIMING, TeamKind.GROUP_SERVICE, TeamKind.VANGUARD]
        labels = {
            TeamKind.WISH_CLAIMING: "在职党员心愿认领队",
            TeamKind.GROUP_SERVICE: "在职党员组团服务队",
            TeamKind.VANGUARD: "共产党员先锋队",
        }
        first_id = reserve_ids(ServiceTeam, len(where))
        taken: set[tuple[int, str]] = set()
        teams, joins = [], []
        for i, community in enumerate(where):
            kind = rng.choices(kinds, [40, 45, 15])[0]
            base = community.short + ("" if community.is_village else "社区") + labels[kind]
            name, n = base, 1
            while (community.id, name) in taken:
                n += 1
                name = f"{base}第{n}分队"
            taken.add((community.id, name))
            created = self.moment(dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000)), 9)
            teams.append((first_id + i, self.tenant.pk, community.id, name, kind, created))
            pool = members[community.id]
            for member_id in rng.sample(pool, rng.randint(min(8, len(pool)), min(25, len(pool)))):
                joins.append((first_id + i, member_id))
        through = ServiceTeam.members.through
        with bulk_loading(ServiceTeam, through):
            BulkTable(
                ServiceTeam, ["id", "tenant_id", "community_id", "name", "kind", "created_at"]
            ).write(teams)
            BulkTable(through, ["serviceteam_id", "partymember_id"]).write(joins)
        self.analyze(ServiceTeam, through)
        return f"{len(teams)} teams with {len(joins)} members"

    # -- service records and points --

    def stage_records(self) -> str:
        existing = ServiceRecord.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.rng("records")
        tenant_id = self.tenant.pk
        members = list(
            PartyMember.objects.filter(
                tenant=self.tenant, registration_status=RegistrationStatus.CONFIRMED
            )
            .order_by("id")
            .values_list("id", "community_id", "user_id")
            .iterator(chunk_size=20000)
        )
        teams = list(
            ServiceTeam.objects.filter(tenant=self.tenant)
            .order_by("id")
            .values_list("id", "community_id")
        )
        staff = self.staff
        rule, _created = PointsRule.objects.get_or_create(tenant=self.tenant)
        start = service_window(self.today, 4)
        days = [start + dt.timedelta(days=i) for i in range((self.today - start).days + 1)]
        quarters = [services.quarter_of(day) for day in days]
        recent = max(0, len(days) - 15)  # records of the last two weeks may still be pending

        # One random number per record picks everything, through these tables.
        hours_table = [
            Decimal(h)
            for h in words("1.0 1.0 1.5 2.0 2.0 2.0 2.5 3.0 3.0 4.0 4.0 6.0 8.0 0.5 1.5 2.0")
        ]
        points_table = [services.points_for(ServiceRecord(hours=h), rule) for h in hours_table]
        work = [(kind, text) for kind, texts in SERVICE_WORK.items() for text in texts]
        work = (work * (64 // len(work) + 1))[:64]
        created_at = [[self.moment(day, hour) for hour in (18, 19, 20, 21)] for day in days]
        verified_at = [
            [self.moment(day, 10) for day in days[i + 1 : i + 4]] for i in range(len(days))
        ]
        verified_at = [v or [self.now] for v in verified_at]
        places_of = {
            c.id: [
                f"{c.short}{suffix}"
                for suffix in (VILLAGE_PLACES if c.is_village else SERVICE_PLACES)[:4]
            ]
            for c in self.communities
        }

        n_team = min(round(self.size.records * 0.04), len(teams) * 200) if teams else 0
        n_member = self.size.records - n_team
        counts = self.spread(rng, n_member, len(members), cap=len(days))
        team_counts = self.spread(rng, n_team, len(teams), cap=len(days))
        total = sum(counts) + sum(team_counts)
        first_id = reserve_ids(ServiceRecord, total)
        next_id = first_id
        ledger: list[tuple] = []
        verified, pending, rejected = (
            RecordStatus.VERIFIED,
            RecordStatus.PENDING,
            RecordStatus.REJECTED,
        )

        def rows(owners, owner_counts, is_team: bool) -> Iterator[tuple]:
            nonlocal next_id
            sample, bits = rng.sample, rng.getrandbits
            n_days = len(days)
            for owner, k in zip(owners, owner_counts, strict=True):
                if not k:
                    continue
                if is_team:
                    owner_id, community_id = owner
                    user_id = None
                else:
                    owner_id, community_id, user_id = owner
                staff_id = staff.get(community_id)
                places = places_of[community_id]
                for day_index in sample(range(n_days), k):
                    r = bits(32)
                    h = r & 15
                    kind, text = work[(r >> 4) & 63]
                    roll = (r >> 10) & 1023  # 0..1023
                    if is_team:
                        status = verified  # a team's service is recorded by the community
                    elif roll < (512 if day_index >= recent else 10):
                        status = pending  # mostly the last two weeks' logs
                    elif roll >= 983:
                        status = rejected
                    else:
                        status = verified
                    by_staff = is_team or (status == verified and (r >> 20) & 1)
                    created = created_at[day_index][(r >> 21) & 3]
                    checked = None
                    if status != pending:
                        options = verified_at[day_index]
                        checked = max(options[((r >> 23) & 3) % len(options)], created)
                    record_id = next_id
                    next_id += 1
                    yield (
                        record_id,
                        tenant_id,
                        community_id,
                        None if is_team else owner_id,
                        owner_id if is_team else None,
                        days[day_index],
                        hours_table[h],
                        kind,
                        text,
                        places[(r >> 25) & 3],
                        status,
                        staff_id if by_staff else user_id,
                        None if status == pending else staff_id,
                        checked,
                        created,
                    )
                    if status == verified:
                        ledger.append(
                            (
                                tenant_id,
                                community_id,
                                None if is_team else owner_id,
                                owner_id if is_team else None,
                                record_id,
                                points_table[h],
                                quarters[day_index],
                                checked,
                            )
                        )

        record_table = BulkTable(
            ServiceRecord,
            [
                "id",
                "tenant_id",
                "community_id",
                "member_id",
                "team_id",
                "served_on",
                "hours",
                "kind",
                "description",
                "location",
                "status",
                "recorded_by_id",
                "verified_by_id",
                "verified_at",
                "created_at",
            ],
        )
        ledger_table = BulkTable(
            PointsEntry,
            [
                "tenant_id",
                "community_id",
                "member_id",
                "team_id",
                "record_id",
                "points",
                "quarter",
                "created_at",
            ],
        )
        written = entries = 0
        started = time.perf_counter()
        chunk = 50_000
        batches = [
            (members[i : i + chunk], counts[i : i + chunk], False)
            for i in range(0, len(members), chunk)
        ]
        batches.append((teams, team_counts, True))
        with bulk_loading(ServiceRecord, PointsEntry):
            for owners, owner_counts, is_team in batches:
                written += record_table.write(rows(owners, owner_counts, is_team))
                entries += ledger_table.write(ledger)
                ledger.clear()
            copied = time.perf_counter()
        rebuilt = time.perf_counter()
        self.update_totals()
        totals = time.perf_counter()
        self.analyze(ServiceRecord, PointsEntry, PartyMember, ServiceTeam)
        return (
            f"{written} records and {entries} ledger entries (COPY {copied - started:.1f}s, "
            f"indexes and keys {rebuilt - copied:.1f}s), "
            f"points totals from the ledger ({totals - rebuilt:.1f}s)"
        )

    @staticmethod
    def spread(rng: random.Random, total: int, owners: int, *, cap: int) -> list[int]:
        """How many records each owner has: skewed (a few very active, many occasional), summing
        to exactly `total`, none above `cap`."""
        if not owners:
            return []
        if total > owners * cap:
            raise ValueError(f"{total} records cannot be spread over {owners} owners")
        mean = total / owners
        # A skewed shape with mean 1, scaled to the wanted mean.
        shape = [0.0, 0.25, 0.5, 0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5]
        counts = [min(cap, int(mean * rng.choice(shape) + rng.random())) for _ in range(owners)]
        difference = total - sum(counts)
        while difference:
            i = rng.randrange(owners)
            if difference > 0 and counts[i] < cap:
                counts[i] += 1
                difference -= 1
            elif difference < 0 and counts[i] > 0:
                counts[i] -= 1
                difference += 1
        return counts

    def update_totals(self) -> None:
        """Members' and teams' points are the sums of their ledger entries: one aggregate UPDATE
        each."""
        qn = connection.ops.quote_name
        ledger = qn(PointsEntry._meta.db_table)
        with bulk_loading(PartyMember, ServiceTeam), connection.cursor() as cursor:
            for model, owner in [(PartyMember, "member_id"), (ServiceTeam, "team_id")]:
                table = qn(model._meta.db_table)
                cursor.execute(
                    f"UPDATE {table} SET points = totals.points"
                    f" FROM (SELECT {owner} AS owner_id, SUM(points) AS points FROM {ledger}"
                    f" WHERE tenant_id = %s AND {owner} IS NOT NULL GROUP BY {owner}) AS totals"
                    f" WHERE {table}.id = totals.owner_id",
                    [self.tenant.pk],
                )

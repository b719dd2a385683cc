"""The Beijing-scale benchmark dataset of the members domain: 17,000 units, 720,000 party members
and 3,000,000 service records, written in bulk (PostgreSQL COPY)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from committees.models import Committee, Kind, Level, Tenant
from demo.accounts import demo_password_hash
from demo.bulk import BulkTable, bulk_loading, reserve_ids
from demo.cases import SERVICE_PLACES, SERVICE_WORK, VILLAGE_PLACES
from demo.city import service_window
from demo.names import AREA_CODES, credit_code, landline, mobile, person_name, short_name, words
from members.models import (
    Membership,
    MemberUnit,
    PartyOrgType,
    RoleGrant,
    UnitKind,
    User,
)
from party_members import services as party_services
from party_members.models import (
    PartyMember,
    PointsEntry,
    PointsRule,
    RecordStatus,
    Registration,
    RegistrationStatus,
    ServiceRecord,
    ServiceTeam,
    TeamKind,
)


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
        quarters = [party_services.quarter_of(day) for day in days]
        recent = max(0, len(days) - 15)  # records of the last two weeks may still be pending

        # One random number per record picks everything, through these tables.
        hours_table = [
            Decimal(h)
            for h in words("1.0 1.0 1.5 2.0 2.0 2.0 2.5 3.0 3.0 4.0 4.0 6.0 8.0 0.5 1.5 2.0")
        ]
        points_table = [
            party_services.points_for(ServiceRecord(hours=h), rule) for h in hours_table
        ]
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

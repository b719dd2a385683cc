"""The demands part of the Beijing-scale benchmark dataset (DESIGN.md, Performance budgets):
the tenant's default categories, a contact account for every member unit, 50,000 resources and
40,000 demands (about 13,500 of them published, the open list the matching engine works on).

Written like `members.seeding.ScaleSeeder`: in bulk (PostgreSQL COPY through `BulkTable`), one
transaction a stage, a stage skipped when its rows exist, so an interrupted run can be started
again. Not through the services, so no signal, audit entry, notification or matching runs for
these rows. The demands' DemandTransition rows are not written at scale (their history is not
what the benchmark reads). Claims: an accepted one on every demand that was paired and a pending
one on a share of the open demands, by a unit of the demand's community or street. Proposals
(matches) come from the matching engine itself: its full pass is the last stage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from categories.defaults import DEFAULT_DAYS, categories_ensure_defaults
from categories.models import Category
from committees.models import Level, Tenant
from demands import matching
from demands.models import (
    Claim,
    ClaimDirection,
    ClaimStatus,
    Demand,
    DemandKind,
    DemandStatus,
    Match,
    Source,
    Urgency,
)
from demo.accounts import demo_password_hash
from demo.bulk import BulkTable, reserve_ids
from demo.scale_members import Place, ScaleSeeder
from members.models import MemberUnit, Role, RoleGrant, User
from resources.models import CapacityUnit, Resource, ResourceKind, ResourceStatus

OPEN_SHARE = 13_500 / 40_000
# An open demand a unit has claimed, waiting for the community's answer.
PENDING_CLAIM_SHARE = 0.08
PAIRED_STATUSES = (DemandStatus.MATCHED, DemandStatus.IN_PROJECT, DemandStatus.FULFILLED)


@dataclass(frozen=True)
class DemandSize:
    demands: int = 40_000
    resources: int = 50_000


# Per category: demand titles, their descriptions, resource titles (kind, capacity unit, low, high)
# and descriptions. {p} is the place's short name. Words are the ones residents and staff use, so
# jieba finds them on both sides.
# fmt: off
DEMAND_TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "养老服务": [
        ("{p}独居老人助餐送餐", "社区独居老人、高龄老人做饭不便，希望老年餐桌助餐、送餐上门。"),
        ("{p}老年人日间照料场所不足", "老年人多，缺少养老驿站和日间照料、文化娱乐场所。"),
        ("{p}适老化改造需求", "老旧楼房老年人上下楼难，希望加装扶手、适老化改造。"),
        ("{p}空巢老人陪伴探访", "空巢老人、独居老人缺少陪伴，希望志愿者定期上门探访。"),
    ],
    "医疗卫生": [
        ("{p}老年人健康义诊", "慢病老人较多，看病就医不便，希望医院党员专家进社区义诊。"),
        ("{p}居民健康讲座和体检", "居民希望开展健康讲座、免费体检和慢病咨询。"),
        ("{p}行动不便居民上门医疗", "失能、半失能居民就医难，希望医护人员上门随访。"),
    ],
    "教育培训": [
        ("{p}四点半课堂托管", "双职工家庭孩子放学后无人照看，希望开办四点半课堂托管辅导。"),
        ("{p}青少年暑期课堂", "暑期孩子缺少活动，希望开展科普课堂、研学和辅导。"),
        ("{p}老年人智能手机培训", "老年人不会用智能手机挂号、支付，希望开展培训。"),
    ],
    "文化体育": [
        ("{p}居民文体活动缺少场地", "广场舞队、太极拳队缺少活动场地，希望单位场馆开放。"),
        ("{p}社区文化演出", "节日期间希望开展文艺演出、图书漂流等文化活动。"),
    ],
    "环境整治": [
        ("{p}楼道堆物清理", "楼道堆物严重，存在消防隐患，希望开展环境整治。"),
        ("{p}垃圾分类指导", "居民垃圾分类不规范，希望志愿者桶前值守、宣传指导。"),
        ("{p}绿化带补种和卫生死角整治", "小区绿化缺失，卫生死角多，希望补种绿化、清理整治。"),
    ],
    "交通停车": [
        ("{p}夜间停车难", "停车位少，居民下班后停车难、乱停乱放，希望协调错时停车位。"),
        ("{p}非机动车乱停乱放", "地铁口、医院周边非机动车乱停乱放，希望规范停放、疏导秩序。"),
    ],
    "就业创业": [
        ("{p}失业人员就业对接", "登记失业人员希望得到岗位推荐、招聘信息和技能培训。"),
        ("{p}高校毕业生见习岗位", "辖区未就业高校毕业生希望有见习岗位和创业指导。"),
    ],
    "平安建设": [
        ("{p}电动自行车充电隐患排查", "居民楼道给电动自行车充电，希望排查消防隐患、宣传安全。"),
        ("{p}防电信诈骗宣传", "老年人被骗案件增多，希望民警开展防诈骗宣传。"),
        ("{p}消防安全演练", "老旧小区消防设施老化，希望开展消防检查和灭火演练。"),
    ],
    "法律服务": [
        ("{p}邻里纠纷调解", "邻里因噪音、漏水产生纠纷，希望律师提供法律咨询和调解。"),
        ("{p}老年人法律援助", "老年人遇到赡养、房产纠纷，希望得到法律援助和维权咨询。"),
    ],
    "房屋修缮": [
        ("{p}老旧小区屋顶漏水维修", "屋顶防水老化，雨季漏水，希望协调房屋修缮。"),
        ("{p}加装电梯协调", "老楼居民希望加装电梯，需要技术咨询和物业协调。"),
        ("{p}上下水管线维修", "管线老化，汛期易堵，希望排查疏通、维修。"),
    ],
    "企业服务": [
        ("{p}企业政策咨询", "辖区企业希望了解惠企政策、融资支持和人才政策。"),
        ("{p}小微企业融资对接", "小微商户经营困难，希望对接融资、营商服务。"),
    ],
    "其他": [
        ("微心愿：{p}独居老人想要一台收音机", "独居老人眼睛不好，想要一台能听戏的收音机。"),
        ("微心愿：{p}困难家庭孩子需要课外读物", "低保家庭小学生希望得到课外读物和文具。"),
        ("微心愿：{p}空巢老人想学用智能手机", "空巢老人想学会视频通话和网上挂号。"),
    ],
}

RESOURCE_TEMPLATES: dict[str, list[tuple[str, str, str, str, int, int]]] = {
    "养老服务": [
        ("{p}老年餐桌助餐服务", "养老驿站老年餐桌提供午餐助餐，可送餐上门。", ResourceKind.VENUE,
         CapacityUnit.PEOPLE, 20, 120),
        ("{p}助老志愿服务队", "志愿者为独居老人上门陪伴、探访、代购。", ResourceKind.VOLUNTEERS,
         CapacityUnit.PEOPLE, 5, 60),
        ("{p}闲置用房用于日间照料", "单位闲置用房可用于老年人日间照料和文化娱乐。",
         ResourceKind.VENUE, CapacityUnit.SQUARE_METRES, 100, 1500),
    ],
    "医疗卫生": [
        ("{p}党员医护义诊队", "党员医护人员进社区义诊、健康讲座、慢病咨询。", ResourceKind.VOLUNTEERS,
         CapacityUnit.PEOPLE, 3, 30),
        ("{p}免费体检服务", "为居民提供免费体检和健康档案。", ResourceKind.EXPERTISE,
         CapacityUnit.PEOPLE, 50, 500),
    ],
    "教育培训": [
        ("{p}党员教师课后托管", "党员教师提供四点半课堂托管、作业辅导。", ResourceKind.VOLUNTEERS,
         CapacityUnit.PEOPLE, 2, 20),
        ("{p}科普研学课堂", "提供科普讲座、研学课堂和智能手机培训。", ResourceKind.EXPERTISE,
         CapacityUnit.HOURS, 10, 100),
    ],
    "文化体育": [
        ("{p}体育场馆周末开放", "操场、篮球场、活动室周末向居民开放，开展文体活动。",
         ResourceKind.VENUE, CapacityUnit.SQUARE_METRES, 200, 5000),
        ("{p}文艺演出和图书", "提供文艺演出、图书漂流和文化讲座。", ResourceKind.GOODS,
         CapacityUnit.ITEMS, 50, 1000),
    ],
    "环境整治": [
        ("{p}环境整治志愿队", "整治楼道堆物、清理卫生死角，垃圾分类桶前值守。",
         ResourceKind.VOLUNTEERS, CapacityUnit.PEOPLE, 5, 50),
        ("{p}绿化苗木和清运车辆", "提供绿化苗木和垃圾清运车辆。", ResourceKind.EQUIPMENT,
         CapacityUnit.ITEMS, 5, 200),
    ],
    "交通停车": [
        ("{p}单位错时停车位", "单位内部停车场夜间、节假日开放，提供错时停车位。",
         ResourceKind.VENUE, CapacityUnit.PLACES, 10, 200),
        ("{p}停车秩序疏导力量", "文明引导员规范非机动车停放，疏导交通，治理乱停乱放。",
         ResourceKind.VOLUNTEERS, CapacityUnit.PEOPLE, 5, 60),
    ],
    "就业创业": [
        ("{p}招聘岗位和技能培训", "提供招聘岗位、见习岗位和职业技能培训。", ResourceKind.EXPERTISE,
         CapacityUnit.PEOPLE, 5, 100),
    ],
    "平安建设": [
        ("{p}消防安全检查与演练", "排查电动自行车充电、楼道堆物等消防隐患，组织灭火演练。",
         ResourceKind.EXPERTISE, CapacityUnit.HOURS, 4, 40),
        ("{p}防诈骗宣传和治安巡逻", "民警和平安志愿者开展防诈骗宣传、治安巡逻。",
         ResourceKind.VOLUNTEERS, CapacityUnit.PEOPLE, 5, 50),
    ],
    "法律服务": [
        ("{p}律师法律咨询与调解", "律师提供法律咨询、法律援助、纠纷调解和维权服务。",
         ResourceKind.EXPERTISE, CapacityUnit.HOURS, 10, 100),
    ],
    "房屋修缮": [
        ("{p}房屋修缮技术服务", "为老旧小区屋顶防水、管线维修、加装电梯提供技术服务。",
         ResourceKind.EXPERTISE, CapacityUnit.HOURS, 10, 80),
        ("{p}党员维修服务队", "党员技术骨干上门维修水电、管线、楼道设施。",
         ResourceKind.VOLUNTEERS, CapacityUnit.PEOPLE, 3, 20),
    ],
    "企业服务": [
        ("{p}惠企政策解读和融资对接", "讲解惠企政策、融资支持和人才政策，提供营商服务。",
         ResourceKind.EXPERTISE, CapacityUnit.HOURS, 5, 50),
    ],
    "其他": [
        ("{p}微心愿帮扶资金", "党员职工捐款，用于认领微心愿和帮扶困难家庭。", ResourceKind.FUNDS,
         CapacityUnit.YUAN, 1000, 50000),
        ("{p}爱心物资", "提供收音机、课外读物、文具等爱心物资。", ResourceKind.GOODS,
         CapacityUnit.ITEMS, 20, 500),
    ],
}
# fmt: on

CLOSED = [
    (DemandStatus.MATCHED, 35),
    (DemandStatus.FULFILLED, 50),
    (DemandStatus.WITHDRAWN, 15),
]
URGENCIES = [(Urgency.LOW, 30), (Urgency.NORMAL, 50), (Urgency.HIGH, 15), (Urgency.CRITICAL, 5)]
SOURCES = [
    (Source.RESIDENT, 40),
    (Source.HOTLINE, 25),
    (Source.SNAPSHOT, 10),
    (Source.MEMBER_UNIT, 15),
    (Source.MEETING, 10),
]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


class DemandScaleSeeder:
    """Stages: categories, unit contacts, resources, demands (each skipped when present)."""

    def __init__(self, members: ScaleSeeder, size: DemandSize, *, out: Callable = print):
        self.m = members
        self.tenant: Tenant = members.tenant
        self.size = size
        self.out = out

    def run(self) -> None:
        for name, stage in [
            ("demand categories", self.stage_categories),
            ("unit contacts", self.stage_unit_contacts),
            ("resources", self.stage_resources),
            ("demands", self.stage_demands),
            ("claims", self.stage_claims),
            ("proposals", self.stage_proposals),
        ]:
            step = dt.datetime.now()
            with transaction.atomic():
                report = stage()
            seconds = (dt.datetime.now() - step).total_seconds()
            self.out(f"{name}: {report} in {seconds:.1f}s")
        self.m.analyze(User, RoleGrant, Resource, Demand, Claim, Match)

    # -- helpers --

    def units_by_place(self) -> tuple[list[tuple[int, int]], dict[int, list[int]]]:
        units = list(
            MemberUnit.objects.filter(tenant=self.tenant)
            .order_by("pk")
            .values_list("pk", "committee_id")
        )
        by_place: dict[int, list[int]] = defaultdict(list)
        for unit_id, committee_id in units:
            by_place[committee_id].append(unit_id)
        return units, by_place

    def district_of(self, place: Place) -> Place:
        node = place
        while node.level not in (Level.DISTRICT, Level.CITY) and node.parent_id in self.m.places:
            node = self.m.places[node.parent_id]
        return node

    def staff_id(self, place_id: int) -> int:
        staff = self.m.staff
        if place_id in staff:
            return staff[place_id]
        return next(iter(staff.values()))

    # -- stages --

    def stage_categories(self) -> str:
        before = self.tenant_categories()
        categories_ensure_defaults(self.tenant)
        after = self.tenant_categories()
        if len(after) == len(before):
            return f"{len(after)} present, skipped"
        return f"{len(after) - len(before)} categories"

    def tenant_categories(self) -> dict[str, int]:
        pass

        return dict(Category.objects.filter(tenant=self.tenant).values_list("name", "pk"))

    def stage_unit_contacts(self) -> str:
        """One contact account per member unit (the benchmark's bulletin reaches every unit),
        sharing one password hash."""
        grants = RoleGrant.objects.filter(tenant=self.tenant, role=Role.UNIT_CONTACT)
        existing = grants.count()
        if existing:
            return f"{existing} present, skipped"
        units, _by_place = self.units_by_place()
        if not units:
            return "no units"
        first_user = reserve_ids(User, len(units))
        password = demo_password_hash()
        slug = self.tenant.slug
        now = self.m.now
        BulkTable(
            User,
            ["id", "password", "username", "display_name", "email", "tenant_id", "date_joined"],
        ).write(
            (
                first_user + i,
                password,
                f"{slug}-uc-{unit_id}",
                f"联络员{unit_id}",
                f"uc{unit_id}@{slug}.example.cn",
                self.tenant.pk,
                now,
            )
            for i, (unit_id, _committee_id) in enumerate(units)
        )
        BulkTable(RoleGrant, ["tenant_id", "user_id", "role", "member_unit_id"]).write(
            (self.tenant.pk, first_user + i, Role.UNIT_CONTACT, unit_id)
            for i, (unit_id, _committee_id) in enumerate(units)
        )
        return f"{len(units)} contact accounts with their grants"

    def stage_resources(self) -> str:
        existing = Resource.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        n = self.size.resources
        if not n:
            return "none asked"
        rng = self.m.rng("resources")
        categories = self.tenant_categories()
        units, _by_place = self.units_by_place()
        places = self.m.places
        streets, communities = self.m.streets, self.m.communities
        today = self.m.today
        rows = []
        for _ in range(n):
            draw = rng.random()
            unit_id = None
            if units and draw < 0.85:  # a member unit's, where it stands or for its district
                unit_id, committee_id = units[rng.randrange(len(units))]
                place = places[committee_id]
                if rng.random() < 0.15:
                    place = self.district_of(place)
            elif draw < 0.93:
                place = rng.choice(streets)
            else:
                place = rng.choice(communities)
            category = rng.choice(list(RESOURCE_TEMPLATES))
            title, description, kind, unit, low, high = rng.choice(RESOURCE_TEMPLATES[category])
            capacity = Decimal(rng.randint(low, high))
            used = rng.random()
            remaining = (
                capacity
                if used < 0.7
                else (capacity * Decimal(rng.random())).quantize(Decimal("0.1"))
            )
            status = _pick(
                rng,
                [
                    (ResourceStatus.ACTIVE, 90),
                    (ResourceStatus.PAUSED, 5),
                    (ResourceStatus.WITHDRAWN, 5),
                ],
            )
            start = until = None
            if rng.random() < 0.4:
                start = today - dt.timedelta(days=rng.randint(0, 300))
                until = today + dt.timedelta(days=rng.randint(-30, 365))
                until = max(until, start)
            created = self.m.moment(today - dt.timedelta(days=rng.randint(0, 700)), 10)
            rows.append(
                (
                    self.tenant.pk,
                    place.id,
                    unit_id,
                    kind,
                    categories[category],
                    title.format(p=place.short)[:120],
                    description,
                    capacity,
                    unit,
                    remaining,
                    start,
                    until,
                    status,
                    self.staff_id(place.id),
                    created,
                )
            )
        count = BulkTable(
            Resource,
            [
                "tenant_id",
                "committee_id",
                "offered_by_id",
                "kind",
                "category_id",
                "title",
                "description",
                "capacity",
                "capacity_unit",
                "remaining",
                "available_from",
                "available_until",
                "status",
                "created_by_id",
                "created_at",
            ],
        ).write(rows)
        return f"{count} resources"

    def stage_demands(self) -> str:
        existing = Demand.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        n = self.size.demands
        if not n:
            return "none asked"
        rng = self.m.rng("demands")
        categories = self.tenant_categories()
        _units, by_place = self.units_by_place()
        communities, streets = self.m.communities, self.m.streets
        # Cumulative once: rng.choices() with plain weights sums all 7,000 of them every draw.
        weights = list(itertools.accumulate(self.m.community_weights()))
        n_open = round(n * OPEN_SHARE)
        statuses = [DemandStatus.PUBLISHED] * n_open + [
            _pick(rng, CLOSED) for _ in range(n - n_open)
        ]
        rng.shuffle(statuses)
        now, today = self.m.now, self.m.today
        rows = []
        tally: dict[str, int] = defaultdict(int)
        for status in statuses:
            place = (
                rng.choices(communities, cum_weights=weights)[0]
                if rng.random() < 0.9
                else rng.choice(streets)
            )
            category = rng.choice(list(DEMAND_TEMPLATES))
            title, description = rng.choice(DEMAND_TEMPLATES[category])
            kind = DemandKind.WISH if category == "其他" else DemandKind.NEED
            source = _pick(rng, SOURCES)
            local_units = by_place.get(place.id, [])
            raised_by = (
                rng.choice(local_units) if source == Source.MEMBER_UNIT and local_units else None
            )
            if source == Source.MEMBER_UNIT and raised_by is None:
                source = Source.RESIDENT
            quantity, quantity_unit = None, ""
            if category != "其他" and rng.random() < 0.4:
                _t, _d, _k, quantity_unit, low, high = rng.choice(RESOURCE_TEMPLATES[category])
                quantity = Decimal(max(1, rng.randint(low, high) // 2))
            if status == DemandStatus.PUBLISHED:
                # Published in the last days, inside the community's (or street's) deadline.
                days = DEFAULT_DAYS.get(place.level, 7)
                published = now - dt.timedelta(minutes=rng.randint(60, (days - 1) * 24 * 60))
                due = published + dt.timedelta(days=days)
                created = published - dt.timedelta(minutes=rng.randint(5, 600))
                needed_by = today + dt.timedelta(days=rng.randint(7, 120))
            else:
                created = now - dt.timedelta(days=rng.randint(10, 700), minutes=rng.randint(0, 900))
                published = created + dt.timedelta(minutes=rng.randint(5, 600))
                due = None
                needed_by = (created + dt.timedelta(days=rng.randint(7, 120))).date()
            reason = "居民已搬离，需求不再存在" if status == DemandStatus.WITHDRAWN else ""
            tally[status] += 1
            rows.append(
                (
                    self.tenant.pk,
                    place.id,
                    place.id,
                    kind,
                    title.format(p=place.short)[:120],
                    description,
                    categories[category],
                    source,
                    rng.randint(1, 300) if kind == DemandKind.NEED else 1,
                    _pick(rng, URGENCIES),
                    needed_by,
                    quantity,
                    quantity_unit,
                    status,
                    reason,
                    raised_by,
                    self.staff_id(place.id),
                    created,
                    published,
                    due,
                )
            )
        count = BulkTable(
            Demand,
            [
                "tenant_id",
                "committee_id",
                "handling_committee_id",
                "kind",
                "title",
                "description",
                "category_id",
                "source",
                "people_affected",
                "urgency",
                "needed_by",
                "quantity",
                "quantity_unit",
                "status",
                "status_reason",
                "raised_by_unit_id",
                "created_by_id",
                "created_at",
                "published_at",
                "escalation_due_at",
            ],
        ).write(rows)
        spread = ", ".join(f"{n} {s}" for s, n in sorted(tally.items()))
        return f"{count} demands ({spread}; no DemandTransition rows at scale)"

    def stage_claims(self) -> str:
        """An accepted claim on every paired demand, a pending one on some open demands; the
        claiming unit is one of the demand's community, else of its street."""
        existing = Claim.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.m.rng("claims")
        _units, by_place = self.units_by_place()
        contacts = dict(
            RoleGrant.objects.filter(tenant=self.tenant, role=Role.UNIT_CONTACT).values_list(
                "member_unit_id", "user_id"
            )
        )
        demands = Demand.objects.filter(
            tenant=self.tenant, status__in=[*PAIRED_STATUSES, DemandStatus.PUBLISHED]
        ).values_list("pk", "committee_id", "status", "published_at", "quantity")
        rows = []
        tally: dict[str, int] = defaultdict(int)
        for demand_id, place_id, status, published, quantity in demands.order_by("pk"):
            pending = status == DemandStatus.PUBLISHED
            if pending and rng.random() >= PENDING_CLAIM_SHARE:
                continue
            unit_id = self.claiming_unit(rng, place_id, by_place)
            if unit_id is None or unit_id not in contacts:
                continue
            created = published + dt.timedelta(minutes=rng.randint(30, 3 * 24 * 60))
            if pending:
                created = min(created, self.m.now - dt.timedelta(minutes=rng.randint(1, 600)))
            status_of_claim = ClaimStatus.PENDING if pending else ClaimStatus.ACCEPTED
            tally[status_of_claim] += 1
            rows.append(
                (
                    self.tenant.pk,
                    demand_id,
                    unit_id,
                    ClaimDirection.UNIT_CLAIMS,
                    quantity if quantity is not None else Decimal(0),
                    "我单位可以承接，请联系我们对接。",
                    status_of_claim,
                    contacts[unit_id],
                    created,
                    None if pending else self.staff_id(place_id),
                    None if pending else created + dt.timedelta(hours=rng.randint(1, 48)),
                )
            )
        count = BulkTable(
            Claim,
            [
                "tenant_id",
                "demand_id",
                "unit_id",
                "direction",
                "quantity",
                "message",
                "status",
                "created_by_id",
                "created_at",
                "decided_by_id",
                "decided_at",
            ],
        ).write(rows)
        spread = ", ".join(f"{n} {s}" for s, n in sorted(tally.items()))
        return f"{count} claims ({spread})"

    def claiming_unit(
        self, rng: random.Random, place_id: int, by_place: dict[int, list[int]]
    ) -> int | None:
        place = self.m.places.get(place_id)
        while place is not None:
            if by_place.get(place.id):
                return rng.choice(by_place[place.id])
            place = self.m.places.get(place.parent_id)
        return None

    def stage_proposals(self) -> str:
        """The matching engine's own full pass, as the nightly task runs it."""
        existing = Match.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        result = matching.full_pass(self.tenant.pk)
        return (
            f"{result['matches']} proposals for {result['demands']} open demands "
            f"({result['pairs']} pairs scored)"
        )

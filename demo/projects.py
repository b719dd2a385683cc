"""The demo's project list, meetings and supervision: the source documents' cases, played out
through the services (transitions, demands following their projects, notifications), so the
demo shows projects in every state, a district meeting whose decisions became a project and a
task, and an overdue milestone that rose to the district. Every record is looked up by its
title first: a second run adds nothing.

Sources: the bus plant's 1,500 m² three-storey building at 广安门内街道 turned into the 核桃园
dining and activity centre (8 million yuan); the audit bureau's 2,000 m² building at 康家弄 turned
into a family service station with a shared kitchen, laundry and bathrooms; 江湾镇街道's lifts
(5 in use, 20 under way) with 家加乐加装电梯事务所; UCAS's soil trial on 20 mu of 河防口村's pear
orchard, to be spread to 400 mu.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from categories.defaults import categories_ensure_defaults
from committees.models import Committee, Tenant
from demands import services as demand_services
from demands.models import Claim, ClaimStatus, Demand, DemandStatus, Match
from demo.accounts import demo_password_hash
from demo.cases import BEIJING_UNITS, SHANGHAI_UNITS
from members import services as member_services
from members.models import MemberUnit, Role, RoleGrant, Seat, SeatRole, User
from projects import services
from projects.models import DecisionKind, Meeting, Project, ProjectStatus
from projects.services import AgendaData, DecisionData, MeetingData, MilestoneData, ProjectData
from resources import services as resource_services
from resources.models import Resource

GUANGANMENNEI = "110102017000"
HETAOYUAN = "110102017006"
HUAIBEI = "110116106000"
DONGCHENG = "110101000000"
DONGHUAMEN = "110101001000"
XIAODONGMEN = "310101017000"
JIANGWAN = "310109019000"

HETAOYUAN_PROJECT = "核桃园党群服务中心：老年餐吧和活动中心"
PEAR_PROJECT = "河防口村梨园土壤改良试验"
ROOF_PROJECT = "东华门老旧小区屋顶防水修缮"
KANGJIANONG_PROJECT = "康家弄“邻家屋里厢”家庭生活服务站"
DISTRICT_MEETING = "东城区党建工作协调委员会2025年第二次全体会议"
LIFT_ADDRESSES = [
    "汶水东路505弄",
    "汶水东路451弄",
    "奎照路50弄",
    "新市南路1333弄",
    "纪念路200弄",
    *(f"场中路{n}弄" for n in range(300, 320)),
]
LIFTS_IN_USE = 5


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@dataclass
class Places:
    tenant: Tenant
    committees: dict[str, Committee]
    units: dict[str, MemberUnit]

    @classmethod
    def of(cls, tenant: Tenant, codes: list[str], specs) -> Places:
        committees = {
            c.division_code: c
            for c in Committee.objects.filter(tenant=tenant, division_code__in=codes)
        }
        by_name = {spec.name: spec.key for spec in specs}
        units = {
            by_name[u.name]: u
            for u in MemberUnit.objects.filter(tenant=tenant, name__in=list(by_name))
        }
        return cls(tenant, committees, units)


def seed_projects(beijing: Tenant, shanghai: Tenant) -> dict[str, int]:
    """Seed both tenants' projects; each tenant in its own transaction."""
    with transaction.atomic():
        _beijing(beijing)
    with transaction.atomic():
        _shanghai(shanghai)
    # The minute's scan, as beat would run it: the late milestone is flagged, then escalated.
    for _ in range(2):
        services.supervision_scan()
    return {
        "projects": Project.objects.filter(tenant__in=[beijing, shanghai]).count(),
        "meetings": Meeting.objects.filter(tenant__in=[beijing, shanghai]).count(),
        "escalated": Project.objects.filter(
            tenant=beijing, milestones__escalated_at__isnull=False
        ).count(),
    }


def _exists(tenant: Tenant, title: str) -> bool:
    return Project.objects.filter(tenant=tenant, title=title).exists()


def _accepted_claim(demand: Demand | None, unit: MemberUnit | None) -> Claim | None:
    if demand is None or unit is None:
        return None
    return Claim.objects.filter(demand=demand, unit=unit, status=ClaimStatus.ACCEPTED).first()


def _contact(unit: MemberUnit) -> User:
    """The unit's contact: a unit claims through its contact (the rule of demands' policies)."""
    grant = (
        RoleGrant.objects.filter(role=Role.UNIT_CONTACT, member_unit=unit)
        .select_related("user")
        .first()
    )
    if grant is not None:
        return grant.user
    user = User.objects.filter(
        username=f"contact-{unit.pk}"
    ).first() or account_services.user_create(
        tenant=unit.tenant,
        username=f"contact-{unit.pk}",
        password_hash=demo_password_hash(),
        display_name=unit.contact_name or unit.name,
    )
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user


def _finish(project: Project, actor, *, complete: bool, updates: list[str]) -> Project:
    project = services.project_transition(actor=actor, project=project, to="in_progress")
    for text in updates:
        services.progress_post(actor=actor, project=project, text=text)
    if complete:
        for milestone in project.milestones.filter(done_at__isnull=True):
            services.milestone_finish(actor=actor, milestone=milestone)
        project = services.project_transition(actor=actor, project=project, to="completed")
    return project


def _beijing(tenant: Tenant) -> None:
    places = Places.of(
        tenant, [GUANGANMENNEI, HETAOYUAN, HUAIBEI, DONGCHENG, DONGHUAMEN], BEIJING_UNITS
    )
    admin = User.objects.get(username="bj_admin")
    staff = User.objects.filter(username="donghuamen_staff").first() or admin
    demands = {d.title: d for d in Demand.objects.filter(tenant=tenant)}

    # 核桃园: the bus plant's building, claimed and accepted, then formed into the centre.
    if not _exists(tenant, HETAOYUAN_PROJECT) and GUANGANMENNEI in places.committees:
        demand = demands.get("核桃园社区老年人用餐难，需助餐场所")
        building = Resource.objects.filter(
            tenant=tenant, title="保修三厂三层楼房（1500平方米）共建使用"
        ).first()
        bus = places.units.get("bus3")
        if demand is not None and building is not None and bus is not None:
            claim = _accepted_claim(demand, bus)
            if claim is None and demand.status == DemandStatus.PUBLISHED:
                claim = demand_services.claim_by_unit(
                    actor=_contact(bus), unit=bus, demand=demand, resource=building, quantity=1000
                )
                claim = demand_services.claim_accept(claim=claim, actor=admin)
            if claim is not None:
                project = services.project_from_claim(
                    actor=admin,
                    claim=claim,
                    data=ProjectData(
                        title=HETAOYUAN_PROJECT,
                        description="街道工委与公交集团保修三厂共建，将其一栋三层、1500平方米的楼房"
                        "改造为集区域化党建服务、社团活动、老年人用餐和娱乐于一体的核桃园党群服务中心。",
                        committee=places.committees[GUANGANMENNEI],
                        budget=8_000_000,
                        start_on=_days(-200),
                        due_on=_days(-20),
                        milestones=[
                            MilestoneData("楼房改造完工", _days(-90)),
                            MilestoneData("一层老年餐吧开餐（15元一餐，可刷老年卡）", _days(-60)),
                            MilestoneData("老年社团活动常态开展", _days(-30)),
                        ],
                    ),
                )
                _finish(
                    project,
                    admin,
                    complete=True,
                    updates=[
                        "楼房改造完工，通过消防验收。",
                        "老年餐吧开餐，每天中午约120位老人就餐。",
                    ],
                )

    # 河防口村: the soil trial, formed straight from the engine's match.
    if not _exists(tenant, PEAR_PROJECT) and HUAIBEI in places.committees:
        demand = demands.get("河防口村20亩梨树土壤肥力下降，需土壤改良技术")
        match = (
            Match.objects.filter(demand=demand, resource__offered_by=places.units.get("ucas"))
            .select_related("resource", "demand")
            .first()
            if demand
            else None
        )
        if demand is not None and demand.status in (DemandStatus.PUBLISHED, DemandStatus.MATCHED):
            data = ProjectData(
                title=PEAR_PROJECT,
                description="国科大“论文写在大地上”：何裕建教授团队以修复剂提高20亩梨树的土壤肥力，"
                "果实糖度提升，再推广到400亩。",
                committee=places.committees[HUAIBEI],
                lead_unit=places.units.get("ucas"),
                units=[u for u in [places.units.get("hfk_coop")] if u],
                budget=200_000,
                start_on=_days(-120),
                due_on=_days(240),
                milestones=[
                    MilestoneData("20亩梨树试验修复剂", _days(-30)),
                    MilestoneData("推广到400亩", _days(200)),
                ],
            )
            project = (
                services.project_from_match(actor=admin, match=match, data=data)
                if match
                else services.project_create(actor=admin, data=data, demands=[demand])
            )
            project = services.project_transition(actor=admin, project=project, to="in_progress")
            services.milestone_finish(
                actor=admin, milestone=project.milestones.order_by("due_on").first()
            )
            services.progress_post(
                actor=admin,
                project=project,
                text="试验田果树枝干更粗，果实鲜亮、糖度提升，价格随之上涨，果农主动加入土壤改良。",
            )

    # 东华门: an accepted claim on the leaking roofs, whose second milestone is long overdue.
    if not _exists(tenant, ROOF_PROJECT) and DONGHUAMEN in places.committees:
        demand = demands.get("老旧小区屋顶漏水维修")
        claim = _accepted_claim(demand, places.units.get("dhm_housing"))
        if claim is not None and demand.status == DemandStatus.MATCHED:
            project = services.project_from_claim(
                actor=staff,
                claim=claim,
                data=ProjectData(
                    title=ROOF_PROJECT,
                    description="房管站技术骨干勘察老旧小区屋顶，汛期前完成防水修缮。",
                    committee=places.committees[DONGHUAMEN],
                    budget=360_000,
                    start_on=_days(-45),
                    due_on=_days(30),
                    milestones=[
                        MilestoneData("屋顶勘察和修缮方案", _days(-30)),
                        MilestoneData("汛期前完成防水层施工", _days(-8)),
                    ],
                ),
            )
            project = services.project_transition(actor=staff, project=project, to="in_progress")
            services.milestone_finish(
                actor=staff, milestone=project.milestones.order_by("due_on").first()
            )

    _district_meeting(tenant, places, admin, demands)


def _district_meeting(tenant: Tenant, places: Places, admin: User, demands: dict) -> None:
    """东城区's plenary meeting ten days ago: its agenda named two demands; it formed a project
    for one and handed the street a task for the other."""
    district = places.committees.get(DONGCHENG)
    if district is None or Meeting.objects.filter(tenant=tenant, title=DISTRICT_MEETING).exists():
        return
    seats = []
    for role, name, title, key in [
        (SeatRole.DIRECTOR, "王建国", "东城区委书记", ""),
        (SeatRole.DEPUTY_DIRECTOR, "刘晓梅", "东城区委组织部部长", ""),
        (SeatRole.MEMBER, "林晓东", "故宫博物院党委副书记", "palace"),
        (SeatRole.MEMBER, "蒋文华", "北京协和医院党委副书记", "pumch"),
    ]:
        seat = Seat.objects.filter(committee=district, person_name=name).first()
        seats.append(
            seat
            or member_services.seat_create(
                committee=district,
                role=role,
                person_name=name,
                title=title,
                unit=places.units.get(key) if key else None,
                term_start=dt.date(2024, 1, 1),
            )
        )
    parking = demands.get("胡同夜间停车难")
    meals = demands.get("多福巷社区独居老人助餐")
    starts = timezone.now() - dt.timedelta(days=10)
    meeting = services.meeting_schedule(
        actor=admin,
        data=MeetingData(
            title=DISTRICT_MEETING,
            committee=district,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            location="东城区委党校报告厅",
            chair_name="王建国",
        ),
        agenda=[
            AgendaData("胡同夜间停车难：协调机关单位错时开放停车场", demand=parking),
            AgendaData("独居老人助餐：摸排多福巷社区用餐老人", demand=meals),
        ],
        seats=seats,
        units=[u for u in [places.units.get("dhm_traffic")] if u],
    )
    meeting.invitations_sent_at = starts - dt.timedelta(days=5)
    meeting.save(update_fields=["invitations_sent_at"])
    attendees = list(meeting.attendees.all())
    services.attendance_record(actor=admin, meeting=meeting, present=[a.pk for a in attendees[:-1]])
    items = list(meeting.agenda.order_by("position"))
    if parking is not None and parking.status in (DemandStatus.PUBLISHED, DemandStatus.MATCHED):
        services.decision_record(
            actor=admin,
            meeting=meeting,
            data=DecisionData(
                kind=DecisionKind.PROJECT,
                text="东华门胡同夜间错时停车：协调辖区机关夜间开放内部停车场",
                due_on=_days(80),
                agenda_item=items[0],
                owner_unit=places.units.get("dhm_traffic"),
                owner_committee=places.committees.get(DONGHUAMEN),
                budget="120000",
            ),
        )
    services.decision_record(
        actor=admin,
        meeting=meeting,
        data=DecisionData(
            kind=DecisionKind.TASK,
            text="东华门街道摸排多福巷社区独居老人用餐需求，形成名单报区委社会工委",
            due_on=_days(-2),
            agenda_item=items[1],
            owner_committee=places.committees.get(DONGHUAMEN),
        ),
    )
    services.minutes_publish(
        actor=admin,
        meeting=meeting,
        minutes="会议听取了东华门街道关于胡同停车和独居老人助餐的情况汇报。会议议定：\n"
        "一、由东华门大队牵头，协调辖区机关单位夜间错时开放内部停车场，立项实施；\n"
        "二、东华门街道摸排多福巷社区独居老人用餐需求，按期报送名单。",
    )


def _shanghai(tenant: Tenant) -> None:
    places = Places.of(tenant, [XIAODONGMEN, JIANGWAN], SHANGHAI_UNITS)
    admin = User.objects.filter(username="sh_admin").first()
    if admin is None:
        return
    categories = {c.name: c for c in categories_ensure_defaults(tenant)}

    def pair(at: str, unit_key: str, demand_title: str, text: str, resource_title: str, kind):
        demand = Demand.objects.filter(tenant=tenant, title=demand_title).first()
        if demand is None:
            demand = demand_services.demand_create(
                actor=admin,
                committee=places.committees[at],
                publish=True,
                data=demand_services.DemandData(
                    title=demand_title,
                    description=text,
                    category=categories["养老服务" if kind == "venue" else "房屋修缮"],
                    people_affected=200,
                    needed_by=_days(120),
                ),
            )
        resource = Resource.objects.filter(tenant=tenant, title=resource_title).first()
        if resource is None:
            resource = resource_services.resource_create(
                actor=admin,
                committee=places.committees[at],
                offered_by=places.units.get(unit_key),
                data=resource_services.ResourceData(
                    title=resource_title,
                    kind=kind,
                    category=demand.category,
                    capacity=2000 if kind == "venue" else 30,
                    capacity_unit="m2" if kind == "venue" else "hours",
                    description=text,
                ),
            )
        return demand, resource

    if XIAODONGMEN in places.committees and not _exists(tenant, KANGJIANONG_PROJECT):
        demand, building = pair(
            XIAODONGMEN,
            "audit",
            "康家弄居民做饭、洗澡难，私搭乱建严重",
            "康家弄是典型的老城厢，居住狭窄，居民为做饭、洗澡私搭乱建，拆违推不动。",
            "上海市审计局4层近2000平方米楼房无偿提供给街道",
            "venue",
        )
        project = services.project_create(
            actor=admin,
            data=ProjectData(
                title=KANGJIANONG_PROJECT,
                description="康家弄42号：共享厨房、公共洗衣房、家庭式浴室，满足居民生活需求，拆违得以推进。",
                committee=places.committees[XIAODONGMEN],
                lead_unit=places.units.get("audit"),
                budget=3_500_000,
                start_on=_days(-300),
                due_on=_days(-60),
                milestones=[
                    MilestoneData("共享厨房启用", _days(-150)),
                    MilestoneData("公共洗衣房和家庭式浴室启用", _days(-100)),
                ],
            ),
            demands=[demand],
            resources=[building],
            source="resource",
        )
        _finish(
            project, admin, complete=True, updates=["服务站配齐共享厨房、公共洗衣房、家庭式浴室。"]
        )

    if JIANGWAN in places.committees:
        jiajiale = places.units.get("jiajiale")
        for number, address in enumerate(LIFT_ADDRESSES, start=1):
            title = f"{address}加装电梯"
            if _exists(tenant, title):
                continue
            demand, service = pair(
                JIANGWAN,
                "jiajiale",
                f"{address}老房子没有电梯，高龄老人下楼难",
                "老旧住宅集中，老年人上下楼难，加装电梯协调难、耗时长，需要专人长线跟进。",
                "家加乐加装电梯事务所：协调、审批代办和专家顾问",
                "expertise",
            )
            in_use = number <= LIFTS_IN_USE
            # Under way: two in three are being built, the others still in approval (计划中).
            building = not in_use and number % 3
            project = services.project_create(
                actor=admin,
                data=ProjectData(
                    title=title,
                    description="居民自治管理小组和家加乐加装电梯事务所共同推进。",
                    committee=places.committees[JIANGWAN],
                    lead_unit=jiajiale,
                    budget=650_000,
                    start_on=_days(-400 if in_use else -60 + number),
                    due_on=_days(-30 if in_use else 120 + number * 5),
                    milestones=[
                        MilestoneData(
                            "居民意见征询和方案公示",
                            _days(-300 if in_use else -10 if building else 10 + number),
                        ),
                        MilestoneData("施工许可", _days(-200 if in_use else 30 + number)),
                        MilestoneData("电梯投入使用", _days(-30 if in_use else 120 + number * 5)),
                    ],
                ),
                demands=[demand],
                resources=[service],
                source="resource",
            )
            if in_use:
                _finish(project, admin, complete=True, updates=["电梯已投入使用。"])
            elif building:
                project = services.project_transition(
                    actor=admin, project=project, to=ProjectStatus.IN_PROGRESS
                )
                services.milestone_finish(
                    actor=admin, milestone=project.milestones.order_by("due_on").first()
                )

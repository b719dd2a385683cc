"""The demo and scale seeds load the real trees from the official division codes, and the data
they put on them obeys the members domain's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from categories.models import Category
from committees import services
from committees.models import Committee, Kind, Level, Tenant
from core import identifiers
from demands.models import Claim, ClaimStatus, Demand, DemandKind, DemandStatus, Match
from members import selectors
from members.models import (
    Alliance,
    AllianceKind,
    AllianceSpan,
    Membership,
    MemberUnit,
    Role,
    RoleGrant,
    RotationSlot,
    Seat,
    SeatRole,
    Subcommittee,
    UnitKind,
    User,
)
from party_members import selectors as party_selectors
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
from projects.models import Meeting, Milestone, Project, ProjectStatus
from resources.models import Resource

MEMBER_MODELS = [
    MemberUnit,
    Membership,
    Seat,
    Subcommittee,
    RotationSlot,
    Alliance,
    AllianceSpan,
    PartyMember,
    Registration,
    ServiceTeam,
    ServiceTeam.members.through,
    ServiceRecord,
    PointsEntry,
    User,
    RoleGrant,
    Category,
    Demand,
    Resource,
    Claim,
    Match,
]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MEMBER_MODELS}


def assert_ledger_consistent(tenant: Tenant) -> None:
    """One ledger entry per verified record, worth what the tenant's rule gives; members' and
    teams' points are the sums of their entries."""
    records = ServiceRecord.objects.filter(tenant=tenant)
    entries = PointsEntry.objects.filter(tenant=tenant)
    assert entries.count() == records.filter(status=RecordStatus.VERIFIED).count()
    assert not entries.exclude(record__status=RecordStatus.VERIFIED).exists()
    rule = PointsRule.objects.filter(tenant=tenant).first()
    assert rule is not None or not entries.exists()
    for entry in entries.select_related("record")[:500]:
        assert entry.points == party_services.points_for(entry.record, rule)
        assert entry.quarter == party_services.quarter_of(entry.record.served_on)
        assert (entry.member_id, entry.team_id, entry.community_id) == (
            entry.record.member_id,
            entry.record.team_id,
            entry.record.community_id,
        )
    for model, owner in [(PartyMember, "member"), (ServiceTeam, "team")]:
        ledger = dict(
            entries.filter(**{f"{owner}__isnull": False})
            .values_list(owner)
            .annotate(total=Sum("points"))
        )
        for pk, points in model.objects.filter(tenant=tenant).values_list("pk", "points"):
            assert points == ledger.get(pk, 0), (model.__name__, pk)


def assert_demo_projects(beijing) -> None:
    # The project list: the documents' projects, a district meeting whose decisions became a
    # project and a task, and an overdue milestone that rose to the district.
    shanghai = Tenant.objects.get(slug="shanghai")
    centre = Project.objects.get(tenant=beijing, title__startswith="核桃园党群服务中心")
    # Completed, then rated both ways by the whistle seeding (two-way evaluation).
    assert centre.status == ProjectStatus.EVALUATED and centre.budget == 8_000_000
    assert centre.demands.get().status == DemandStatus.FULFILLED
    assert (
        Project.objects.get(tenant=beijing, title="河防口村梨园土壤改良试验").status
        == "in_progress"
    )
    assert Project.objects.get(tenant=shanghai, title__startswith="康家弄").status == "completed"
    lifts = Project.objects.filter(tenant=shanghai, title__endswith="加装电梯")
    assert lifts.filter(status=ProjectStatus.COMPLETED).count() == 5
    assert lifts.exclude(status=ProjectStatus.COMPLETED).count() == 20
    meeting = Meeting.objects.get(tenant=beijing, committee__division_code="110101000000")
    assert sorted(meeting.decisions.values_list("kind", flat=True)) == ["project", "task"]
    assert Project.objects.filter(decision__meeting=meeting).exists()
    late = Milestone.objects.get(project__tenant=beijing, escalated_at__isnull=False)
    assert late.escalated_to.division_code == "110101000000"


@pytest.mark.django_db
def test_seed_demo_loads_three_real_tenants_their_members_and_a_login_per_role(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    beijing = Tenant.objects.get(slug="beijing")
    counts = dict(
        Committee.objects.filter(tenant=beijing, kind=Kind.TERRITORIAL)
        .order_by()
        .values_list("level")
        .annotate(n=Count("id"))
    )
    assert counts == {Level.CITY: 1, Level.DISTRICT: 16, Level.STREET: 349, Level.COMMUNITY: 7535}
    assert Committee.objects.filter(tenant=beijing, kind=Kind.FUNCTIONAL).count() == 3
    datong = Tenant.objects.get(slug="datong")
    assert Committee.objects.filter(tenant=datong, level=Level.BUILDING).exists()
    assert Committee.objects.filter(tenant=datong, level=Level.BUILDING).count() == 36
    building = Committee.objects.filter(tenant=datong, level=Level.BUILDING).first()
    assert [a.level for a in building.get_ancestors()] == [
        Level.CITY,
        Level.DISTRICT,
        Level.STREET,
        Level.COMMUNITY,
        Level.GRID,
    ]
    for tenant in Tenant.objects.all():
        assert services.tree_faults(tenant) == []
    roles = set(User.objects.filter(tenant=beijing).values_list("grants__role", flat=True))
    assert roles - {None} == set(Role.values)
    assert "donghuamen_staff" in out and "Dangjian@2026" in out
    assert "dangyuan_demo" in out and "unit_contact_demo" in out
    assert User.objects.get(username="donghuamen_staff").check_password("Dangjian@2026")
    assert_case_accounts(out)

    assert_demo_members_data(beijing)
    assert_demo_demands(beijing)
    assert_demo_projects(beijing)
    assert "projects: 30 projects" in out
    assert_demo_whistles(beijing)

    before = row_counts()
    call_command("seed_demo")  # a second run adds nothing
    assert Committee.objects.filter(tenant=beijing).count() == 7904
    assert row_counts() == before


def assert_case_accounts(out: str) -> None:
    """Every case is played by real roles: staff where it happens, contacts of the units acting
    in it, an audit administrator in every tenant; printed by role and case, after the seeding
    output, without log lines."""
    from demo.roles import CASES

    for tenant in Tenant.objects.all():
        assert RoleGrant.objects.filter(
            tenant=tenant, role=Role.AUDIT_ADMIN, user__is_active=True
        ).exists(), tenant
    for case in CASES:
        for code, username in case.places:
            grant = RoleGrant.objects.get(user__username=username, role=Role.STAFF)
            assert grant.committee.division_code == code
        assert case.name in out
    bus_plant = MemberUnit.objects.get(name="北京公交集团保修三厂")
    assert RoleGrant.objects.filter(role=Role.UNIT_CONTACT, member_unit=bus_plant).exists()
    audit_bureau = MemberUnit.objects.get(name="上海市审计局")
    assert RoleGrant.objects.filter(role=Role.UNIT_CONTACT, member_unit=audit_bureau).exists()
    logins = out[out.index("Demo logins") :]
    assert " INFO " not in logins and " WARNING " not in logins
    assert logins.index("租户管理员") < logins.index("工作人员") < logins.index("安全审计员")
    assert "核桃园党群服务中心" in logins and "hetaoyuan_staff" in logins


def assert_demo_whistles(beijing: Tenant) -> None:
    """大兴庄镇's three whistles over the 东石桥河 (one department late and escalated to 平谷区),
    金顶街's 32 over 23 offices and 5 enterprises, evaluations and residents' ratings."""
    from projects.models import (
        Evaluation,
        SatisfactionResponse,
        Summons,
        SummonsReport,
        Whistle,
    )

    river = Whistle.objects.filter(tenant=beijing, title__startswith="东石桥河")
    assert river.count() == 3
    late = Summons.objects.get(whistle__in=river, escalated_at__isnull=False)
    assert late.department.name == "平谷区经济和信息化局" and late.on_time is False
    assert late.escalated_to.division_code == "110117000000"
    assert SummonsReport.objects.filter(summons__whistle__in=river, note__contains="72个").exists()
    jinding = Whistle.objects.filter(tenant=beijing, committee__division_code="110107006000")
    assert jinding.count() == 32
    summoned = MemberUnit.objects.filter(summons__whistle__in=jinding).distinct()
    assert summoned.filter(kind=UnitKind.DEPARTMENT).count() == 23
    assert summoned.filter(kind=UnitKind.STATE_OWNED).count() == 5
    assert jinding.filter(kind="muster", title__contains="模式口南小街").exists()
    assert Evaluation.objects.filter(tenant=beijing).exists()
    assert SatisfactionResponse.objects.filter(tenant=beijing, whistle__isnull=False).exists()
    assert SatisfactionResponse.objects.filter(tenant=beijing, project__isnull=False).exists()


def assert_demo_demands(beijing: Tenant) -> None:
    """The real cases are published and matched to each other, with reasons in words."""
    from notifications.models import Event, Notification

    def best(title: str) -> Match:
        demand = Demand.objects.get(tenant=beijing, title=title)
        # The project seeding carries the bus plant's and the orchard's cases on into projects.
        assert demand.status in (
            DemandStatus.PUBLISHED,
            DemandStatus.IN_PROJECT,
            DemandStatus.FULFILLED,
        )
        match = demand.matches.select_related("resource").order_by("rank").first()
        assert match is not None, title
        return match

    parking = best("解放军总医院周边停车难、非机动车乱停乱放")
    assert parking.resource.title == "五棵松周边错时停车泊位"
    assert "错时停车" in parking.reason and "万寿路街道" in parking.reason
    assert parking.demand.raised_by_unit.name == "中国人民解放军总医院"
    dining = best("核桃园社区老年人用餐难，需助餐场所")
    assert dining.resource.offered_by.name == "北京公交集团保修三厂"
    soil = best("河防口村20亩梨树土壤肥力下降，需土壤改良技术")
    assert soil.resource.offered_by.name == "中国科学院大学" and "土壤" in soil.reason

    demands = Demand.objects.filter(tenant=beijing)
    assert demands.count() >= 25 and Resource.objects.filter(tenant=beijing).count() >= 25
    donghuamen = Committee.objects.get(tenant=beijing, division_code="110101001000")
    at_street = Match.objects.filter(
        demand__committee__tree_id=donghuamen.tree_id,
        demand__committee__lft__gte=donghuamen.lft,
        demand__committee__rght__lte=donghuamen.rght,
    )
    assert at_street.values("demand").distinct().count() >= 10
    wishes = demands.filter(kind=DemandKind.WISH, committee__division_code="110101001001")
    assert wishes.count() >= 3
    assert Claim.objects.filter(tenant=beijing, status=ClaimStatus.ACCEPTED).count() >= 3
    assert demands.filter(status=DemandStatus.MATCHED).count() >= 3
    escalated = demands.get(title="电动自行车楼道充电隐患排查")
    assert escalated.handling_committee == donghuamen
    inbox = Notification.objects.filter(recipient__username="unit_contact_demo")
    assert inbox.filter(event=Event.NEW_MATCH).exists()
    assert inbox.filter(event=Event.CLAIM_DECIDED).exists()
    assert Notification.objects.filter(
        recipient__username="donghuamen_staff", event=Event.ESCALATION
    ).exists()


def assert_demo_members_data(beijing: Tenant) -> None:
    """The units, people and service of the source documents, where the documents put them."""
    units = MemberUnit.objects.filter(tenant=beijing).select_related("committee")
    assert units.count() >= 25
    for unit in MemberUnit.objects.all():
        if unit.kind == UnitKind.MILITARY:
            assert unit.credit_code == ""
        else:
            assert identifiers.validate_credit_code(unit.credit_code) == unit.credit_code
        assert unit.contact_name and identifiers.validate_phone(unit.contact_phone)
    by_name = {unit.name: unit for unit in units}

    def joined(unit: MemberUnit) -> set[str]:
        return set(unit.memberships.values_list("committee__division_code", flat=True))

    hospital = by_name["中国人民解放军总医院"]
    assert hospital.committee.division_code == "110108001021"  # 复兴路28号社区, 万寿路街道
    assert hospital.credit_code.startswith("12110108")
    assert "110108001000" in joined(hospital)
    assert by_name["华熙LIVE·五棵松"].committee.division_code == "110108001000"
    plant = by_name["北京公交集团保修三厂"]
    assert plant.committee.division_code == "110102017006"  # 广安门内街道核桃园社区
    ucas = by_name["中国科学院大学"]
    assert ucas.committee.division_code == "110116000000"
    assert "110116106208" in joined(ucas)  # 怀北镇河防口村
    assert by_name["河防口村股份经济合作社"].credit_code.startswith("N2")
    for name in ["顺丰速运丰台科技园营业部", "美团外卖丰台科技园站", "饿了么蜂鸟即配丰台科技园站"]:
        assert by_name[name].committee.division_code.startswith("110106")
    donghuamen = Committee.objects.get(tenant=beijing, division_code="110101001000")
    departments = units.filter(kind=UnitKind.DEPARTMENT, committee=donghuamen)
    assert departments.count() >= 5
    assert units.filter(kind=UnitKind.MILITARY).exists()

    seats = Seat.objects.filter(committee=donghuamen)
    assert seats.filter(role=SeatRole.DIRECTOR).count() == 1
    assert {SeatRole.DEPUTY_DIRECTOR, SeatRole.MEMBER, SeatRole.PART_TIME_MEMBER} <= set(
        seats.values_list("role", flat=True)
    )
    assert seats.filter(unit__isnull=False).count() >= 5

    chaoyang = Committee.objects.get(tenant=beijing, division_code="110105000000")
    for committee, expected in [(chaoyang, 5), (donghuamen, 1)]:
        subs = Subcommittee.objects.filter(committee=committee)
        assert subs.count() >= expected
        for sub in subs:
            slots = list(sub.rotation.all())
            assert len(slots) >= 2 and sub.rotation_start is not None
            assert selectors.current_chair(sub, slots) is not None
            member_ids = set(
                Membership.objects.filter(committee=committee).values_list("unit_id", flat=True)
            )
            assert {slot.unit_id for slot in slots} <= member_ids

    anzhen = Committee.objects.get(tenant=beijing, division_code="110105008000")
    work = Alliance.objects.filter(home_committee=anzhen, kind=AllianceKind.WORK)
    assert work.exists() and all(a.units.count() >= 2 for a in work)
    # The street's figures: 167 member units of its committee, grouped into "six alliances".
    assert Membership.objects.filter(committee=anzhen).values("unit").distinct().count() == 167
    assert work.count() == 6
    riverside = Alliance.objects.get(name="滨江党建跨区域联盟")
    assert riverside.kind == AllianceKind.CROSS_REGION
    streets = riverside.committees.filter(level=Level.STREET)
    assert streets.count() == 25
    assert {c.parent.division_code for c in streets} == {
        "310101000000",
        "310104000000",
        "310109000000",
        "310110000000",
        "310115000000",
    }
    assert MemberUnit.objects.filter(name="上海市审计局", committee__name="小东门街道").exists()

    duofu = Committee.objects.get(tenant=beijing, division_code="110101001001")
    at_duofu = PartyMember.objects.filter(community=duofu)
    assert at_duofu.count() >= 15
    assert at_duofu.filter(registration_status=RegistrationStatus.PENDING).exists()
    street_members = PartyMember.objects.filter(
        community__parent=donghuamen, tenant=beijing
    ).count()
    assert 35 <= street_members <= 60
    for member in PartyMember.objects.all():
        identifiers.validate_phone(member.phone)
        registration = member.registrations.get()
        assert registration.status == member.registration_status
    demo = PartyMember.objects.get(user__username="dangyuan_demo")
    assert demo.community == duofu and demo.registration_status == RegistrationStatus.CONFIRMED
    assert demo.user.check_password("Dangjian@2026")
    assert demo.points > 0
    assert demo.service_records.filter(status=RecordStatus.VERIFIED).count() >= 3
    assert demo.teams.exists()
    contact = User.objects.get(username="unit_contact_demo")
    assert contact.unit_ids() == {hospital.pk}

    teams = ServiceTeam.objects.filter(tenant=beijing)
    assert set(teams.values_list("kind", flat=True)) == set(TeamKind.values)
    bad_team_members = ServiceTeam.members.through.objects.exclude(
        partymember__registration_status=RegistrationStatus.CONFIRMED,
        partymember__community=F("serviceteam__community"),
    )
    assert not bad_team_members.exists()

    records = ServiceRecord.objects.filter(tenant=beijing)
    assert 120 <= records.count() <= 200
    assert records.filter(status=RecordStatus.VERIFIED).count() >= 0.8 * records.count()
    pending = records.filter(status=RecordStatus.PENDING)
    assert pending.exists()
    assert not pending.exclude(recorded_by=F("member__user")).exists()  # logged by members
    start = timezone.localdate() - dt.timedelta(days=190)
    assert not records.filter(Q(served_on__lt=start) | Q(served_on__gt=timezone.localdate()))
    assert records.filter(team__isnull=False).exists()
    for tenant in Tenant.objects.all():
        assert_ledger_consistent(tenant)

    datong = Tenant.objects.get(slug="datong")
    assert MemberUnit.objects.filter(tenant=datong).count() >= 3
    assert ServiceTeam.objects.filter(tenant=datong, kind=TeamKind.VANGUARD).exists()
    assert ServiceRecord.objects.filter(tenant=datong).exists()


def assert_scale_whistles(tenant, sizes) -> None:
    """Whistles at scale: summons of the street's district departments, late ones escalated to
    the district, closed ones rated; the completed projects' lead units rated."""
    from projects.models import DepartmentRating, Evaluation, Summons, Whistle

    whistles = Whistle.objects.filter(tenant=tenant)
    assert whistles.count() == sizes["whistles"]
    summons = Summons.objects.filter(tenant=tenant)
    assert summons.count() >= sizes["whistles"]
    assert not summons.exclude(department__committee=F("whistle__committee__parent")).exists()
    late = summons.filter(escalated_at__isnull=False)
    assert not late.exclude(escalated_to=F("whistle__committee__parent")).exists()
    assert not late.exclude(on_time=False).exists()
    assert (
        DepartmentRating.objects.filter(tenant=tenant).count()
        == summons.filter(whistle__status="closed").count()
    )
    assert Evaluation.objects.filter(tenant=tenant).exists()


def assert_scale_projects(tenant, sizes) -> None:
    """The projects at scale: each with three milestones, supervision stamps as the scan would
    have left them (a scan now finds nothing already past), demands only in done projects."""
    from projects import services as project_services
    from projects.models import Meeting, Milestone, Project, ProjectDemand, Task

    projects = Project.objects.filter(tenant=tenant)
    assert projects.count() == sizes["projects"]
    assert Milestone.objects.filter(tenant=tenant).count() == 3 * sizes["projects"]
    assert 0 < Meeting.objects.filter(tenant=tenant).count() <= sizes["meetings"]
    assert Task.objects.filter(tenant=tenant).exists()
    assert (
        not ProjectDemand.objects.filter(tenant=tenant)
        .exclude(project__status__in=["completed", "evaluated"])
        .exists()
    )
    assert projects.filter(overdue_at__isnull=False, status__in=["planned", "in_progress"]).exists()
    assert (
        not projects.exclude(status__in=["planned", "in_progress"])
        .filter(supervise_at__isnull=False)
        .exists()
    )
    assert project_services.supervision_scan() == {"reminded": 0, "overdue": 0, "escalated": 0}


@pytest.mark.django_db
def test_seed_scale_builds_the_beijing_tree_a_city_of_accounts_and_its_members(capsys):
    sizes = {
        "units": 300,
        "members": 3000,
        "teams": 25,
        "records": 12000,
        "demands": 400,
        "resources": 500,
        "projects": 300,
        "meetings": 20,
        "whistles": 60,
    }
    call_command("seed_scale", slug="bj-scale-test", **sizes)
    tenant = Tenant.objects.get(slug="bj-scale-test")
    assert_scale_projects(tenant, sizes)
    assert_scale_whistles(tenant, sizes)
    assert Committee.objects.filter(tenant=tenant).count() == 7904  # with Huairou's 3 zones
    assert services.tree_faults(tenant) == []
    users = User.objects.filter(tenant=tenant)
    # Staff and leaders, party members, and a contact for every member unit.
    assert users.count() == 16 + 349 + 3 + 7535 + sizes["members"] + sizes["units"]
    staff = users.get(username="bj-scale-test-110101001001")
    assert [(g.role, g.committee.name) for g in staff.grants.select_related("committee")] == [
        (Role.STAFF, "多福巷社区居委会")
    ]

    # The member units (the whistle stage adds a dozen departments at every district).
    units = MemberUnit.objects.filter(tenant=tenant).exclude(committee__level=Level.DISTRICT)
    assert units.count() == sizes["units"]
    codes = [code for code in units.values_list("credit_code", flat=True) if code]
    assert len(codes) == len(set(codes))
    assert all(identifiers.validate_credit_code(code) == code for code in codes)
    assert not units.exclude(kind=UnitKind.MILITARY).filter(credit_code="").exists()
    assert units.filter(kind=UnitKind.DEPARTMENT).exists()
    assert not units.exclude(
        Q(committee__level=Level.STREET) | Q(committee__level=Level.COMMUNITY)
    ).exists()
    assert not units.exclude(memberships__committee=F("committee")).exists()

    members = PartyMember.objects.filter(tenant=tenant)
    assert members.count() == sizes["members"]
    assert not members.exclude(community__level=Level.COMMUNITY).exists()
    registrations = Registration.objects.filter(tenant=tenant, member__isnull=False)
    assert registrations.count() == sizes["members"]
    assert not registrations.exclude(status=F("member__registration_status")).exists()
    confirmed = registrations.filter(status=RegistrationStatus.CONFIRMED)
    assert confirmed.count() >= 0.95 * sizes["members"]
    assert not confirmed.filter(Q(decided_by__isnull=True) | Q(decided_at__isnull=True)).exists()
    member = members.select_related("user").first()
    assert member.user.username.startswith("bj-scale-test-pm-") and member.user.tenant == tenant
    assert member.user.check_password("Dangjian@2026")

    teams = ServiceTeam.objects.filter(tenant=tenant)
    assert teams.count() == sizes["teams"]
    bad_team_members = ServiceTeam.members.through.objects.filter(
        serviceteam__tenant=tenant
    ).exclude(
        partymember__registration_status=RegistrationStatus.CONFIRMED,
        partymember__community=F("serviceteam__community"),
    )
    assert not bad_team_members.exists()

    records = ServiceRecord.objects.filter(tenant=tenant)
    assert records.count() == sizes["records"]
    assert records.filter(status=RecordStatus.VERIFIED).count() >= 0.85 * sizes["records"]
    assert records.filter(team__isnull=False).exists()
    assert not records.filter(member__registration_status=RegistrationStatus.PENDING).exists()
    assert not records.exclude(
        Q(member__community=F("community")) | Q(team__community=F("community"))
    ).exists()
    today = timezone.localdate()
    assert not records.filter(served_on__gt=today).exists()
    assert not records.filter(served_on__lt=today - dt.timedelta(days=366)).exists()
    busiest_day = (
        records.filter(member__isnull=False)
        .values("member", "served_on")
        .annotate(hours=Sum("hours"))
        .order_by("-hours")
        .first()
    )
    assert busiest_day["hours"] <= 24
    assert_ledger_consistent(tenant)
    assert members.filter(points__gt=0).exists()
    quarter = party_services.quarter_of(today)
    street = Committee.objects.get(tenant=tenant, division_code="110101001000")
    district_leader = users.get(username="bj-scale-test-110101000000")
    ranking = party_selectors.points_ranking(
        user=district_leader, committee=street.parent, quarter=quarter
    )
    assert ranking == sorted(ranking, key=lambda row: -row["points"])

    assert_scale_demands(tenant, sizes)

    capsys.readouterr()
    before = row_counts()
    call_command("seed_scale", slug="bj-scale-test", **sizes)  # a second run adds nothing
    assert row_counts() == before
    # every stage: the projects' three and the whistles' three too
    assert capsys.readouterr().out.count("skipped") == 16


def assert_scale_demands(tenant: Tenant, sizes: dict[str, int]) -> None:
    """The default categories, a contact per unit, the resources and the demands (about a
    third open), placed on the tree and offered by the tenant's own units."""
    from demands import matching

    assert Category.objects.filter(tenant=tenant).count() == 12
    contacts = RoleGrant.objects.filter(tenant=tenant, role=Role.UNIT_CONTACT)
    assert contacts.count() == sizes["units"]
    assert contacts.values("member_unit").distinct().count() == sizes["units"]
    assert not contacts.filter(user__email="").exists()
    contact = contacts.select_related("user").first().user
    assert contact.tenant == tenant and contact.check_password("Dangjian@2026")

    resources = Resource.objects.filter(tenant=tenant)
    assert resources.count() == sizes["resources"]
    assert not resources.exclude(category__tenant=tenant).exists()
    assert (
        not resources.exclude(offered_by__isnull=True).exclude(offered_by__tenant=tenant).exists()
    )
    assert resources.filter(offered_by__isnull=False).count() >= 0.7 * sizes["resources"]
    levels = set(resources.values_list("committee__level", flat=True))
    assert {Level.DISTRICT, Level.STREET, Level.COMMUNITY} <= levels
    assert not resources.filter(remaining__gt=F("capacity")).exists()

    demands = Demand.objects.filter(tenant=tenant)
    assert demands.count() == sizes["demands"]
    published = demands.filter(status=DemandStatus.PUBLISHED)
    assert published.count() == round(sizes["demands"] * 13_500 / 40_000)
    statuses = set(demands.values_list("status", flat=True))
    assert statuses == {
        DemandStatus.PUBLISHED,
        DemandStatus.MATCHED,
        DemandStatus.FULFILLED,
        DemandStatus.WITHDRAWN,
    }
    assert not demands.exclude(committee__level__in=[Level.STREET, Level.COMMUNITY]).exists()
    assert not demands.exclude(category__tenant=tenant).exists()
    assert not published.filter(
        Q(published_at__isnull=True) | Q(escalation_due_at__lte=timezone.now())
    ).exists()
    assert demands.filter(status=DemandStatus.WITHDRAWN).exclude(status_reason="").exists()
    # Claims: an accepted one on demands that were paired, pending ones on open demands only,
    # each by a unit standing at the demand's place or above it.
    claims = Claim.objects.filter(tenant=tenant).select_related("demand__committee", "unit")
    accepted = claims.filter(status=ClaimStatus.ACCEPTED)
    assert accepted.exists() and claims.filter(status=ClaimStatus.PENDING).exists()
    assert not accepted.exclude(demand__status__in=[DemandStatus.MATCHED, DemandStatus.FULFILLED])
    assert not accepted.filter(Q(decided_at__isnull=True) | Q(decided_at__lt=F("created_at")))
    assert not claims.filter(status=ClaimStatus.PENDING).exclude(
        demand__status=DemandStatus.PUBLISHED
    )
    assert not claims.filter(created_at__lt=F("demand__published_at"))
    for claim in claims:
        place = claim.demand.committee
        assert place.get_ancestors(include_self=True).filter(pk=claim.unit.committee_id).exists()
    # The proposals are the engine's own: a full pass over the seeded data finds the same.
    proposals = Match.objects.filter(tenant=tenant).count()
    result = matching.full_pass(tenant.pk)
    assert result["demands"] == published.count() and result["matches"] == proposals > 0

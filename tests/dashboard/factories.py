"""A small hand-built case where every dashboard figure is known (see test_selectors.py).

Time is pinned to 2026-06-15 12:00 Asia/Shanghai; the period of 12 months runs from 2025-07 to
2026-06. Rows are written directly with the dates that count for each figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from categories.defaults import categories_ensure_defaults
from categories.models import Category
from committees.models import Level
from dashboard import rollups
from demands.models import Demand, DemandTransition
from members.models import Role
from projects.models import (
    DepartmentRating,
    Project,
    SatisfactionLink,
    SatisfactionResponse,
    Summons,
    Whistle,
)
from resources.models import Resource

from ..factories import CommitteeFactory, user_with_role
from ..members.factories import unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=SHANGHAI)


def at(y, m, d, h=10, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=SHANGHAI)


@dataclass
class Case:
    demands: dict
    projects: dict
    unit: object
    west: object
    west_leader: object
    departments: dict


def _whistle(committee, user, title, blown, status="open"):
    return Whistle.objects.create(
        tenant=committee.tenant,
        committee=committee,
        kind="livelihood",
        title=title,
        place="胡同口",
        request="到场处置",
        status=status,
        blown_at=blown,
        blown_by=user,
    )


def _summons(whistle, department, on_time, escalated=False, rating=None):
    summons = Summons.objects.create(
        tenant=whistle.tenant,
        whistle=whistle,
        department=department,
        hours=24,
        due_at=whistle.blown_at + dt.timedelta(hours=24),
        status="arrived" if on_time is not None else "summoned",
        on_time=on_time,
        escalated_at=whistle.blown_at + dt.timedelta(hours=25) if escalated else None,
    )
    if rating is not None:
        DepartmentRating.objects.create(
            tenant=whistle.tenant,
            summons=summons,
            whistle=whistle,
            department=department,
            committee=whistle.committee,
            punctuality=rating,
            attitude=rating,
            result=rating,
            score=rating,
            rated_by=whistle.blown_by,
            rated_at=whistle.blown_at + dt.timedelta(days=2),
        )
    return summons


def _responses(project, user, scores, when):
    link = SatisfactionLink.objects.create(
        tenant=project.tenant,
        committee=project.committee,
        project=project,
        expires_at=when + dt.timedelta(days=30),
        created_by=user,
    )
    for n, score in enumerate(scores):
        SatisfactionResponse.objects.create(
            tenant=project.tenant,
            link=link,
            committee=project.committee,
            project=project,
            score=score,
            satisfied=score >= 4,
            device_key=f"device-{n}",
            created_at=when,
        )


def _demand(committee, user, title, published, status, category, source="resident", moves=()):
    demand = Demand.objects.create(
        tenant=committee.tenant,
        committee=committee,
        handling_committee=committee,
        title=title,
        description=title,
        category=category,
        source=source,
        status=status,
        created_by=user,
        published_at=published,
    )
    previous = "published"
    for to_status, moment in moves:
        transition = DemandTransition.objects.create(
            tenant=committee.tenant,
            demand=demand,
            from_status=previous,
            to_status=to_status,
            actor=user,
        )
        DemandTransition.objects.filter(pk=transition.pk).update(at=moment)
        previous = to_status
    return demand


def _project(committee, user, title, created, due_on, status, completed=None, lead=None, **f):
    project = Project.objects.create(
        tenant=committee.tenant,
        committee=committee,
        year=2026,
        title=title,
        start_on=created.date(),
        due_on=due_on,
        status=status,
        source="direct",
        created_by=user,
        completed_at=completed,
        lead_unit=lead,
        **f,
    )
    Project.objects.filter(pk=project.pk).update(created_at=created)
    return project


def build_case(world) -> Case:
    tenant = world.city.tenant
    categories_ensure_defaults(tenant)
    elderly = Category.objects.get(tenant=tenant, name="养老服务")
    health = Category.objects.get(tenant=tenant, name="医疗卫生")
    staff = world.street_staff
    c1, c2, sib = world.community, world.community2, world.sibling_community
    demands = {
        # matched after 1 day 23 hours (1 whole day), in a project 5 days 1 hour later (5)
        "d1": _demand(
            c1,
            staff,
            "助餐",
            at(2026, 5, 3, 10),
            "in_project",
            elderly,
            moves=[("matched", at(2026, 5, 5, 9)), ("in_project", at(2026, 5, 10, 10))],
        ),
        # matched after 3 days, then fulfilled
        "d2": _demand(
            c1,
            staff,
            "上门体检",
            at(2026, 5, 10, 8),
            "fulfilled",
            elderly,
            source="hotline",
            moves=[("matched", at(2026, 5, 13, 9)), ("fulfilled", at(2026, 5, 20, 9))],
        ),
        # half an hour into June in Shanghai (still May in UTC): filed under June; rejected
        "d3": _demand(
            c2,
            staff,
            "义诊",
            at(2026, 6, 1, 0, 30),
            "rejected",
            health,
            moves=[("rejected", at(2026, 6, 2, 9))],
        ),
        # withdrawn by its submitter: counted, left out of every rate and the mix
        "d4": _demand(
            c2,
            staff,
            "修车棚",
            at(2026, 6, 2, 9),
            "withdrawn",
            elderly,
            moves=[("withdrawn", at(2026, 6, 3, 9))],
        ),
        # never answered
        "d5": _demand(sib, world.sibling_staff, "助浴", at(2026, 4, 1, 9), "published", elderly),
        # before the period
        "d6": _demand(world.street, staff, "旧需求", at(2025, 1, 5, 9), "fulfilled", elderly),
        # a draft: never published
        "d7": _demand(c1, staff, "草稿", None, "draft", elderly),
    }
    lead = unit(world.street, name="区医院")
    projects = {
        "p1": _project(
            world.street,
            staff,
            "老年餐桌",
            at(2026, 3, 1),
            dt.date(2026, 5, 31),
            "completed",
            completed=at(2026, 5, 20, 16),
        ),
        "p2": _project(
            c1,
            staff,
            "健康驿站",
            at(2026, 2, 1),
            dt.date(2026, 4, 30),
            "evaluated",
            completed=at(2026, 5, 5, 16),
        ),
        "p3": _project(
            world.sibling_street,
            world.sibling_staff,
            "助浴点",
            at(2026, 3, 10),
            dt.date(2026, 5, 1),
            "in_progress",
            lead=lead,
            overdue_at=at(2026, 5, 2, 0),
        ),
        "p4": _project(
            c1, staff, "楼道照明", at(2026, 4, 1), dt.date(2026, 9, 30), "planned", lead=lead
        ),
        "p5": _project(
            c2, staff, "取消的", at(2026, 4, 2), dt.date(2026, 9, 30), "cancelled", lead=lead
        ),
    }
    r1 = Resource.objects.create(
        tenant=tenant,
        committee=world.street,
        kind="venue",
        category=elderly,
        title="活动室",
        capacity=10,
        capacity_unit="people",
        remaining=10,
        created_by=staff,
    )
    Resource.objects.filter(pk=r1.pk).update(created_at=at(2026, 6, 1))
    r2 = Resource.objects.create(
        tenant=tenant,
        committee=world.sibling_street,
        kind="venue",
        category=elderly,
        title="旧场地",
        capacity=10,
        capacity_unit="people",
        remaining=10,
        created_by=staff,
    )
    Resource.objects.filter(pk=r2.pk).update(created_at=at(2024, 6, 1))
    west = CommitteeFactory(
        parent=world.city, name="西城区", level=Level.DISTRICT, division_code="110102000000"
    )
    west_leader = user_with_role(Role.LEADER, west, username="xc_leader")
    # Whistles: two at 东华门 (three summons decided, two on time, one still pending), one at
    # 景山 (one summons late and escalated), one cancelled (left out).
    police = unit(world.district, name="区城管委", kind="department")
    water = unit(world.district, name="区水务局", kind="department")
    w1 = _whistle(world.street, staff, "占道经营", at(2026, 5, 10))
    _summons(w1, police, True, rating=5)
    _summons(w1, water, False, rating=2)
    w2 = _whistle(world.street, staff, "污水外溢", at(2026, 6, 5))
    _summons(w2, water, True, rating=4)
    _summons(w2, police, None)
    w3 = _whistle(world.sibling_street, world.sibling_staff, "违建", at(2026, 4, 20))
    _summons(w3, water, False, escalated=True, rating=1)
    w4 = _whistle(world.street, staff, "撤销的", at(2026, 5, 11), status="cancelled")
    _summons(w4, police, False)
    # Satisfaction: three residents rate p2 (two satisfied), one rates p3 (not satisfied).
    _responses(projects["p2"], staff, [5, 4, 2], at(2026, 5, 20))
    _responses(projects["p3"], world.sibling_staff, [3], at(2026, 5, 21))
    rollups.refresh(tenant.pk)
    return Case(demands, projects, lead, west, west_leader, {"police": police, "water": water})

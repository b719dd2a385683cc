"""Project-list builders over the shared personas, through the services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts import services as account_services
from demands import services as demand_services
from members.models import Role
from projects import services
from projects.services import MilestoneData, ProjectData
from resources import services as resource_services

from ..demands import factories as df
from ..factories import UserFactory
from ..members import factories as mf


def contact_of(unit, username: str | None = None):
    kwargs = {"username": username} if username else {}
    contact = UserFactory(tenant=unit.tenant, **kwargs)
    account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
    return contact


def accepted_claim(world, *, unit=None, title="独居老人助餐", quantity="10"):
    """A demand of 多福巷社区 claimed by a street unit with its resource, accepted by staff."""
    unit = unit or mf.unit(world.street, name="东华门老年餐桌")
    # Built without running their on-commit work: a project needs no matching.
    resource = resource_services.resource_create(
        actor=world.street_staff,
        committee=world.street,
        offered_by=unit,
        data=resource_services.ResourceData(
            title=f"{title}资源",
            kind="venue",
            category=df.category(world.city.tenant),
            capacity="100",
            capacity_unit="people",
            description="可用于老年人助餐",
        ),
    )
    demand = demand_services.demand_create(
        actor=world.community_staff,
        committee=world.community,
        publish=True,
        data=demand_services.DemandData(
            title=title,
            description="社区独居老人多，需要助餐服务",
            category=df.category(world.city.tenant),
            needed_by=timezone.localdate() + dt.timedelta(days=30),
        ),
    )
    contact = contact_of(unit)
    claim = demand_services.claim_by_unit(
        actor=contact, unit=unit, demand=demand, resource=resource, quantity=quantity
    )
    demand_services.claim_accept(claim=claim, actor=world.street_staff)
    claim.refresh_from_db()
    return claim, contact


def project_data(world, **fields) -> ProjectData:
    today = timezone.localdate()
    milestones = fields.pop(
        "milestones",
        [
            MilestoneData("场地改造", today + dt.timedelta(days=10)),
            MilestoneData("开餐运营", today + dt.timedelta(days=20)),
        ],
    )
    return ProjectData(
        title=fields.pop("title", "多福巷老年餐桌"),
        description=fields.pop("description", "为独居老人提供午餐"),
        committee=fields.pop("committee", world.street),
        budget=fields.pop("budget", "50000"),
        start_on=fields.pop("start_on", today),
        due_on=fields.pop("due_on", today + dt.timedelta(days=30)),
        milestones=milestones,
        **fields,
    )


def project(world, **fields):
    """A project formed from an accepted claim by the street's staff; returns (project, contact)."""
    claim, contact = accepted_claim(world, title=fields.pop("demand_title", "独居老人助餐"))
    created = services.project_from_claim(
        actor=world.street_staff, claim=claim, data=project_data(world, **fields)
    )
    return created, contact

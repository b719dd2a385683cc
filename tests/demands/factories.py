from __future__ import annotations

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from accounts import services as account_services
from categories.defaults import categories_ensure_defaults
from categories.models import Category
from demands import services
from members.models import Role
from resources import services as resource_services

from ..factories import UserFactory


def committed(action):
    """Run the on-commit work (matching, notification delivery) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


def category(tenant, name: str = "养老服务") -> Category:
    categories_ensure_defaults(tenant)
    return Category.objects.get(tenant=tenant, name=name)


def demand(
    committee,
    actor,
    title="老年人助餐点",
    description="社区独居老人多，需要助餐服务",
    category_name="养老服务",
    publish=True,
    **fields,
):
    data = services.DemandData(
        title=title,
        description=description,
        category=category(committee.tenant, category_name),
        source=fields.pop("source", "resident"),
        needed_by=fields.pop("needed_by", timezone.localdate() + dt.timedelta(days=30)),
        **fields,
    )
    return committed(
        lambda: services.demand_create(actor=actor, committee=committee, data=data, publish=publish)
    )


def resource(
    committee,
    actor,
    title="助餐场地",
    capacity="100",
    unit=None,
    category_name="养老服务",
    **fields,
):
    data = resource_services.ResourceData(
        title=title,
        kind=fields.pop("kind", "venue"),
        category=category(committee.tenant, category_name),
        capacity=capacity,
        capacity_unit=fields.pop("capacity_unit", "people"),
        description=fields.pop("description", "可用于老年人助餐和娱乐"),
        **fields,
    )
    return committed(
        lambda: resource_services.resource_create(
            actor=actor, committee=committee, offered_by=unit, data=data
        )
    )


def contact_of(unit, username: str | None = None):
    """A unit contact account for a member unit."""
    kwargs = {"username": username} if username else {}
    contact = UserFactory(tenant=unit.tenant, **kwargs)
    account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
    return contact


def unit_claim(demand, unit, **fields):
    """A unit claims a demand through the service, as its contact (only a contact claims for
    their unit)."""
    return services.claim_by_unit(actor=contact_of(unit), unit=unit, demand=demand, **fields)


def listed_demands(world) -> dict:
    """The list pages' demands: four of 东华门街道 of every kind, state, source and urgency, and
    one of the sibling street."""
    today = timezone.localdate()
    return {
        "meals": demand(
            world.community,
            world.community_staff,
            title="老年助餐",
            urgency="low",
            people_affected=30,
            needed_by=today + dt.timedelta(days=30),
        ),
        "parking": demand(
            world.community2,
            world.street_staff,
            title="错时停车",
            category_name="交通停车",
            source="hotline",
            urgency="critical",
            people_affected=200,
            needed_by=today + dt.timedelta(days=5),
        ),
        "draft": demand(
            world.street,
            world.street_staff,
            title="楼道堆物清理",
            category_name="环境整治",
            publish=False,
            urgency="high",
            people_affected=5,
            needed_by=None,
        ),
        "wish": demand(world.community, world.community_staff, title="想要一台收音机", kind="wish"),
        "sibling": demand(world.sibling_community, world.sibling_staff, title="景山助餐"),
    }

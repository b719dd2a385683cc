"""Whistle builders over the shared personas: departments at the district with their officers
(granted directly, as the account pages of another issue will), whistles blown through the
services."""

from __future__ import annotations

from members.models import Role, RoleGrant, UnitKind
from projects import whistles
from projects.models import WhistleKind

from ..factories import UserFactory
from ..members import factories as mf


def department(committee, name: str):
    return mf.unit(committee, name=name, kind=UnitKind.DEPARTMENT)


def officer_of(unit, username: str | None = None):
    kwargs = {"username": username} if username else {}
    user = UserFactory(tenant=unit.tenant, **kwargs)
    RoleGrant.objects.create(
        tenant=unit.tenant, user=user, role=Role.DEPARTMENT_OFFICER, member_unit=unit
    )
    return user


def blow(world, departments, *, hours=24, committee=None, actor=None, **fields):
    """A whistle of 东华门街道 summoning the departments (each `hours`, or a list)."""
    if isinstance(hours, int):
        hours = [hours] * len(departments)
    return whistles.whistle_blow(
        actor=actor or world.street_staff,
        committee=committee or world.street,
        data=whistles.WhistleData(
            kind=fields.pop("kind", WhistleKind.LIVELIHOOD),
            title=fields.pop("title", "东石桥河道污水直排"),
            place=fields.pop("place", "东石桥村北侧河道"),
            request=fields.pop("request", "排查排污口，清理河道"),
            description=fields.pop("description", ""),
            demands=fields.pop("demands", ()),
            summons=[whistles.SummonsData(d, h) for d, h in zip(departments, hours, strict=True)],
        ),
    )


def ratings_for(whistle, score=4, comment=""):
    return {s.pk: whistles.RatingData(score, score, score, comment) for s in whistle.summons.all()}

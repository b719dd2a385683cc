"""Party-member builders over the shared personas, through the services: a member registers
themself, the community's staff confirm."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from core.scoping import Action, can
from members.models import RoleGrant, User
from party_members import services as party_services
from party_members.models import RegistrationStatus

from ..factories import user_with_role

_serial = itertools.count(1)


def staff_for(community) -> User:
    """Someone who may confirm registrations at the community: the first staff member whose
    subtree holds it, else a new one of the community itself."""
    grants = RoleGrant.objects.filter(tenant_id=community.tenant_id, committee__isnull=False)
    for grant in grants.select_related("user").order_by("-committee__lft", "pk"):
        if can(grant.user, Action.CHANGE, community):
            return grant.user
    return user_with_role("staff", community)


def party_member(community, name: str | None = None, confirmed: bool = True, actor=None, **fields):
    n = next(_serial)
    member = party_services.member_self_register(
        tenant=community.tenant,
        username=fields.pop("username", f"pm{n}"),
        password="Dangyuan@2026",
        name=name or f"党员{n}",
        phone=fields.pop("phone", f"139{n:08d}"),
        community=community,
        employer_name=fields.pop("employer_name", "某单位"),
    )
    if confirmed:
        registration = member.registrations.get(status=RegistrationStatus.PENDING)
        party_services.registration_decide(
            registration=registration, actor=actor or staff_for(community), confirm=True
        )
        member.refresh_from_db()
    return member


def service(member, actor, hours="2", days_ago: int = 1, certified: bool = False, **fields):
    return party_services.service_record_log(
        actor=actor,
        community=member.community,
        member=member,
        data=party_services.ServiceData(
            served_on=fields.pop("served_on", timezone.localdate() - dt.timedelta(days=days_ago)),
            hours=hours,
            kind=fields.pop("kind", "volunteer"),
            description=fields.pop("description", "周末卫生大扫除"),
            location=fields.pop("location", ""),
        ),
        certified=certified,
    )

"""Read queries of party members and their service. Every one starts from a model's `visible_to(user)`."""

from __future__ import annotations

from django.db.models import Count, Sum

from committees.models import Committee
from core.scoping import subtree_q

from .models import (
    PartyMember,
    PointsEntry,
    RecordStatus,
    Registration,
    RegistrationStatus,
    ServiceRecord,
    ServiceTeam,
)


def committee_roster(*, user, community: Committee) -> dict:
    """Both halves of the dual registration at one community: units and members, open ones first."""
    registrations = (
        Registration.objects.visible_to(user)
        .filter(community=community)
        .exclude(status=RegistrationStatus.WITHDRAWN)
        .select_related("member", "unit", "decided_by")
        .order_by("status", "-requested_at")
    )
    units = [r for r in registrations if r.unit_id]
    members = [r for r in registrations if r.member_id]
    return {"units": units, "members": members}


def points_ranking(
    *, user, committee: Committee, quarter: str, by: str = "member", limit: int = 20
) -> list[dict]:
    """The points ranking of members (or teams) of a community or street in one quarter.
    Two queries: the totals, then the names."""
    owner = "member" if by == "member" else "team"
    rows = list(
        PointsEntry.objects.visible_to(user)
        .filter(subtree_q(committee, "community"), quarter=quarter, **{f"{owner}__isnull": False})
        .values(owner)
        .annotate(total=Sum("points"), records=Count("id"))
        .order_by("-total", owner)[:limit]
    )
    model = PartyMember if owner == "member" else ServiceTeam
    names = dict(
        model.objects.filter(pk__in=[row[owner] for row in rows]).values_list("pk", "name")
    )
    return [
        {
            "rank": i,
            "id": row[owner],
            "name": names.get(row[owner], ""),
            "points": row["total"],
            "records": row["records"],
        }
        for i, row in enumerate(rows, start=1)
    ]


def member_service_summary(member: PartyMember) -> dict:
    verified = ServiceRecord.objects.filter(member=member, status=RecordStatus.VERIFIED)
    totals = verified.aggregate(hours=Sum("hours"), count=Count("id"))
    return {"hours": totals["hours"] or 0, "count": totals["count"], "points": member.points}

"""Read queries of party members and their service. Every one starts from a model's
`visible_to(user)`, except the public directory of communities a newcomer registers with."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from committees.models import Committee, Tenant
from core.pagination import counted_as
from core.scoping import Action, scope_q, subtree_q, user_scopes

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


def own_party_members(user) -> QuerySet[PartyMember]:
    """The user's own party-member record (none, or one), read through its scoping entry
    point: a party member's pages are a 404 for anyone who is not one."""
    return (
        PartyMember.objects.visible_to(user)
        .filter(user_id=getattr(user, "pk", None))
        .select_related("community")
    )


def own_party_member(user) -> PartyMember | None:
    return own_party_members(user).first()


def own_records(*, user, member: PartyMember) -> QuerySet[ServiceRecord]:
    return (
        ServiceRecord.objects.visible_to(user)
        .filter(member=member)
        .select_related("community")
        .order_by("-served_on", "-pk")
    )


def verified_records(*, user, member: PartyMember) -> list[ServiceRecord]:
    """What a certificate of service lists: the member's verified records, oldest first."""
    return list(
        ServiceRecord.objects.visible_to(user)
        .filter(member=member, status=RecordStatus.VERIFIED)
        .select_related("community")
        .order_by("served_on")
    )


def teams_to_join(*, user, member: PartyMember) -> list[tuple[ServiceTeam, bool]]:
    """The teams of the member's community, each with whether the member is in it already."""
    teams = (
        ServiceTeam.objects.visible_to(user)
        .filter(community_id=member.community_id)
        .order_by("kind", "name")
    )
    joined = set(member.teams.values_list("pk", flat=True))
    return [(team, team.pk in joined) for team in teams]


def community_teams(*, user, community: Committee) -> QuerySet[ServiceTeam]:
    return (
        ServiceTeam.objects.visible_to(user)
        .filter(community=community)
        .annotate(size=Count("members"))
        .order_by("kind", "name")
    )


def party_member_rows(scoped: QuerySet[PartyMember], *, user) -> QuerySet[PartyMember]:
    """Staff's list of members (as the page's base class scoped them), the user's own record
    left out, in the order of the tree (read a page of it through `walked_in_tree_order`)."""
    return scoped.exclude(user=user).select_related("community").order_by("community__lft", "name")


def walked_in_tree_order(
    rows: QuerySet[PartyMember], *, user, columns: tuple[str, ...] = ()
) -> QuerySet[PartyMember]:
    """`party_member_rows` (filtered as the page chose) for a page, counted as they are; read as
    the values of `columns` when given.

    The scope is stated once more on the joined community: the planner then reads the
    communities in tree order off their range index and each one's members in name order, and
    stops after a page, where it sorted a district's 24,000 members for 50 (54 ms, now under
    1 ms). Outside those ranges the user sees only their own record, which is left out anyway.
    The count is of the rows without that join (a city's 720,000 members: 110 ms with it)."""
    in_tree = scope_q(user_scopes(user, Action.VIEW), "community")
    walked = rows.filter(in_tree) if in_tree is not None else rows.none()
    return counted_as(walked.values(*columns) if columns else walked, rows)


def party_member_for_staff() -> QuerySet[PartyMember]:
    return PartyMember.objects.select_related("community", "employer")


def member_records(member: PartyMember, limit: int = 50) -> QuerySet[ServiceRecord]:
    return member.service_records.select_related("community").order_by("-served_on")[:limit]


def pending_records(*, user) -> QuerySet[ServiceRecord]:
    """What waits for the user's verification: the members' logs of their subtrees, oldest
    first.

    The names come in queries of their own (for the page's rows only): joined in, they led the
    planner to walk a district's newest-first index backwards through 190,000 records for 50
    pending ones (580 ms) instead of reading each community's pending records and sorting them
    (3,000 of them in 5 ms)."""
    return (
        ServiceRecord.objects.pending_for(user)
        .prefetch_related("member", "team", "community")
        .order_by("served_on", "pk")
    )


def ranking_committee(*, user, committee_id: str) -> Committee | None:
    """The committee a ranking is for: the one asked for if the user sees it, else the user's
    outermost."""
    if str(committee_id).isdigit():
        committee = Committee.objects.visible_to(user).filter(pk=committee_id).first()
        if committee is not None:
            return committee
    roots = getattr(user, "scope_committees", []) if user_scopes(user, Action.VIEW) else []
    return roots[0] if roots else None


# --- the public directory, for registering ---------------------------------------------------------


def community_suggestions(*, tenant_id, query: str, limit: int = 10) -> QuerySet[Committee]:
    """Suggestions for the join form's community field (public administrative names only)."""
    query = (query or "").strip()
    if len(query) < 2 or not str(tenant_id).isdigit():
        return Committee.objects.none()
    return (
        Committee.objects.public_directory()
        .filter(tenant_id=tenant_id, name__contains=query)
        .order_by("division_code")[:limit]
    )


def community_by_id(pk: int) -> Committee | None:
    """The community a newcomer picked from the search, in the public directory of any city
    (the registration says when it is not in the chosen one)."""
    return Committee.objects.public_directory().filter(pk=pk).first()


def community_by_reference(tenant: Tenant, reference: str) -> Committee:
    """The community a newcomer names, by its 12-digit division code or its name (with or
    without 居委会), in the public directory. Another city's community is returned as found, so
    that the registration can say it is not in this city."""
    reference = (reference or "").strip()
    directory = Committee.objects.public_directory()
    if reference.isdigit():
        found = directory.filter(division_code=reference)
        match = found.filter(tenant=tenant).first() or found.first()
    else:
        named = list(directory.filter(tenant=tenant, name=reference)[:2]) or list(
            directory.filter(tenant=tenant, name=reference + "居委会")[:2]
        )
        if len(named) > 1:
            raise ValidationError(
                _("有多个名为“%(ref)s”的社区，请改填区划代码。") % {"ref": reference}
            )
        match = (
            named[0] if named else directory.exclude(tenant=tenant).filter(name=reference).first()
        )
    if match is None:
        raise ValidationError(_("找不到社区“%(ref)s”，请核对名称或区划代码。") % {"ref": reference})
    return match

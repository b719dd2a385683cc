"""Read queries of the demand list. Every one starts from a model's `visible_to(user)`, and each
costs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from categories.models import Category
from committees.models import Committee
from committees.selectors import in_chains
from core.scoping import Action, subtree_q
from demands.models import (
    Claim,
    ClaimDirection,
    ClaimStatus,
    Demand,
    DemandAttachment,
    DemandKind,
    DemandStatus,
    DemandTransition,
    Match,
    Urgency,
)
from party_members.models import PartyMember, RegistrationStatus
from resources.models import Resource, ResourceStatus

# The list's sort keys, each ascending; "-key" sorts descending.
SORTS = ("created", "needed_by", "urgency", "people")
DEFAULT_SORT = "-created"
URGENCY_RANK = {value: rank for rank, value in enumerate(Urgency.values)}


def sort_demands(queryset: QuerySet, sort: str) -> QuerySet:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "urgency":
        queryset = queryset.annotate(
            urgency_rank=Case(
                *(When(urgency=value, then=Value(rank)) for value, rank in URGENCY_RANK.items()),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        expression = F("urgency_rank")
    elif key == "needed_by":
        expression = F("needed_by")
    elif key == "people":
        expression = F("people_affected")
    else:
        expression = F("created_at")
    # Only a wished-for date may be missing, and goes last either way. The other keys are never
    # empty: said plainly, the newest first is the order the tenant's index holds (SQLite has
    # no NULLS LAST in an index, and PostgreSQL would not walk one without it).
    nulls = {"nulls_last": True} if key == "needed_by" else {}
    order = expression.desc(**nulls) if descending else expression.asc(**nulls)
    # The primary key breaks ties, so pages never repeat or skip a row.
    return queryset.order_by(order, "-pk" if descending else "pk")


def demand_rows(scoped: QuerySet[Demand]) -> QuerySet[Demand]:
    """The demands a user may see (as the page's or the API's base class scoped them), with
    what a row of the list shows joined in: what the list's FilterSet filters and sorts, on the
    page, in its export and in the API."""
    return scoped.select_related("category", "committee", "handling_committee", "raised_by_unit")


def status_counts(filterset) -> dict[str, int]:
    """How many demands of each state the other filters leave: one query for every tab."""
    rows = filterset.without("status").qs.order_by().values("status").annotate(n=Count("*"))
    counts = {row["status"]: row["n"] for row in rows}
    return {value: counts.get(value, 0) for value in DemandStatus.values}


def committee_filter_options(user, selected: Committee | None) -> list[Committee]:
    """For the list's place filter: the user's own committees and the ones right below them."""
    own = [c.pk for c in getattr(user, "scope_committees", [])]
    if not own:
        return [selected] if selected else []
    options = list(
        Committee.objects.visible_to(user)
        .filter(Q(pk__in=own) | Q(parent_id__in=own))
        .order_by("tree_id", "lft")
    )
    if selected is not None and selected.pk not in {c.pk for c in options}:
        options.append(selected)
    return options


def categories_for(user) -> QuerySet[Category]:
    return Category.objects.filter(tenant_id=user.tenant_id, is_active=True)


def demand_detail_rows() -> QuerySet[Demand]:
    """What the detail page of one demand shows, joined in (scoped by the page's base class)."""
    return Demand.objects.select_related(
        "category",
        "committee",
        "handling_committee",
        "raised_by_unit",
        "claimed_by_member",
        "created_by",
    )


def demand_matches(*, user, demand: Demand) -> QuerySet[Match]:
    """The engine's proposals the user may see: staff all of them, a unit its own."""
    return (
        Match.objects.visible_to(user)
        .filter(demand=demand)
        .select_related("demand", "resource", "resource__offered_by", "resource__committee")
        .order_by("rank")
    )


def demand_claims(*, user, demand: Demand) -> QuerySet[Claim]:
    return (
        Claim.objects.visible_to(user)
        .filter(demand=demand)
        # The demand and its committee answer who may respond to each claim, in this query.
        .select_related(
            "demand__committee",
            "unit",
            "resource",
            "resource__committee",
            "created_by",
            "decided_by",
        )
        .order_by("-created_at", "-pk")
    )


def demand_transitions(*, demand: Demand) -> QuerySet[DemandTransition]:
    return demand.transitions.select_related("actor").order_by("at", "pk")


def demand_attachments(*, demand: Demand) -> QuerySet[DemandAttachment]:
    return demand.attachments.order_by("pk")


def attachments_visible_to(user) -> QuerySet[DemandAttachment]:
    """An attachment is seen by whoever may see its demand."""
    return DemandAttachment.objects.filter(demand__in=Demand.objects.visible_to(user).values("pk"))


def resource_for_claim(*, user, demand: Demand, resource_id) -> Resource | None:
    """A resource a claim may name: one the user sees, or one the engine proposed for this
    demand in a match the user sees (staff may ask a district's unit for what serves their
    community without seeing the district's whole list)."""
    if resource_id is None:
        return None
    resource = Resource.objects.visible_to(user).filter(pk=resource_id).first()
    if resource is None:
        match = (
            Match.objects.visible_to(user)
            .filter(demand=demand, resource_id=resource_id)
            .select_related("resource")
            .first()
        )
        resource = match.resource if match else None
    return resource


def committable_resources(*, user, demand: Demand) -> QuerySet[Resource]:
    """直接对接: the committees' own resources the user may commit to this demand now. Offered
    at the demand's committee or a level above it (they serve its place), where the user is
    staff; active, with capacity left, not already committed to it. Nearest level first."""
    place = demand.committee
    committed = Claim.objects.filter(
        demand=demand, direction=ClaimDirection.COMMITTEE_COMMITS, status=ClaimStatus.ACCEPTED
    ).values("resource_id")
    return (
        Resource.objects.visible_to(user, Action.CHANGE)
        .filter(
            tenant_id=demand.tenant_id,
            offered_by__isnull=True,
            status=ResourceStatus.ACTIVE,
            remaining__gt=0,
            committee_id__in=in_chains([place.pk]),
        )
        .exclude(pk__in=committed)
        .select_related("committee")
        .order_by("-committee__depth", "title", "pk")
    )


def committable_demands(*, user, resource: Resource, query: str = "", limit: int = 20):
    """直接对接 from the resource's side: the open demands (published or matched) of the place the
    committee's resource serves (its committee's subtree) that the user sees and it is not yet
    committed to; those it is matched to first, best score first, then the newest. `query`
    searches their titles."""
    from django.db.models import OuterRef, Subquery

    from .policies import COMMITTABLE_STATUSES

    committed = Claim.objects.filter(
        resource=resource, direction=ClaimDirection.COMMITTEE_COMMITS, status=ClaimStatus.ACCEPTED
    ).values("demand_id")
    score = Match.objects.filter(resource=resource, demand=OuterRef("pk")).values("score")[:1]
    rows = (
        Demand.objects.visible_to(user)
        .filter(tenant_id=resource.tenant_id, status__in=COMMITTABLE_STATUSES)
        .filter(subtree_q(resource.committee))
        .exclude(pk__in=committed)
        .annotate(match_score=Subquery(score))
        .select_related("committee")
    )
    query = (query or "").strip()[:100]
    if query:
        rows = rows.filter(title__icontains=query)
    return rows.order_by(F("match_score").desc(nulls_last=True), "-created_at", "-pk")[:limit]


def committable_resource(*, user, demand: Demand, pk) -> Resource | None:
    return committable_resources(user=user, demand=demand).filter(pk=pk).first()


def committee_resource(*, user, pk) -> Resource | None:
    """A committee's own resource the user sees (a unit's is claimed, not committed)."""
    return (
        Resource.objects.visible_to(user)
        .filter(pk=pk, offered_by__isnull=True)
        .select_related("committee")
        .first()
    )


# --- wishes ------------------------------------------------------------------------------------------


def resource_claims(*, user, resource: Resource) -> QuerySet[Claim]:
    """The claims on one resource the user may see, newest first (the resource page's list)."""
    return (
        Claim.objects.visible_to(user)
        .filter(resource=resource)
        .select_related("demand", "unit", "resource", "resource__committee")
        .order_by("-created_at", "-pk")[:100]
    )


def resource_matches(*, user, resource: Resource) -> QuerySet[Match]:
    """The demands a resource is proposed for that the user may see, best first."""
    return (
        Match.objects.visible_to(user)
        .filter(resource=resource)
        .select_related("demand", "resource")
        .order_by("-score", "pk")[:50]
    )


def community_wishes(*, member: PartyMember) -> QuerySet[Demand]:
    """The wishes of the member's community (and of the grids and buildings under it).

    A party member holds no grant, so their reach is their own registration, and only once the
    community has confirmed it: anyone may ask to register with any community."""
    if member.registration_status != RegistrationStatus.CONFIRMED or member.community is None:
        return Demand.objects.none()
    return Demand.objects.filter(
        subtree_q(member.community), tenant_id=member.tenant_id, kind=DemandKind.WISH
    )


def open_wishes(*, member: PartyMember) -> QuerySet[Demand]:
    return (
        community_wishes(member=member)
        .filter(status=DemandStatus.PUBLISHED)
        .select_related("committee", "category")
        .order_by(F("needed_by").asc(nulls_last=True), "pk")
    )


def claimed_wishes(*, member: PartyMember) -> QuerySet[Demand]:
    return (
        Demand.objects.filter(tenant_id=member.tenant_id, claimed_by_member=member)
        .select_related("committee", "category")
        .order_by("-updated_at", "-pk")
    )

"""Read queries of the demand list. Every one starts from a model's `visible_to(user)`, and each
costs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from django.db.models import Case, Count, F, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from categories.models import Category
from committees.models import Committee
from core.scoping import Action, can
from demands.models import (
    Claim,
    ClaimDirection,
    Demand,
    DemandAttachment,
    DemandKind,
    DemandStatus,
    DemandTransition,
    Match,
    Source,
    Urgency,
)
from party_members.models import PartyMember, RegistrationStatus

from .services import TRANSITIONS

# The list's sort keys, each ascending; "-key" sorts descending.
SORTS = ("created", "needed_by", "urgency", "people")
DEFAULT_SORT = "-created"
URGENCY_RANK = {value: rank for rank, value in enumerate(Urgency.values)}


@dataclass(frozen=True)
class DemandFilters:
    """The demand list's filters as the user chose them; unknown values are dropped, never
    turned into errors, so a stale bookmark still opens."""

    status: str = ""
    category: str = ""
    source: str = ""
    urgency: str = ""
    kind: str = ""
    committee: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params: Mapping) -> DemandFilters:
        def value(name: str, allowed=None) -> str:
            text = str(params.get(name) or "").strip()
            if allowed is not None and text not in allowed:
                return ""
            return text

        sort = value("sort")
        return cls(
            status=value("status", DemandStatus.values),
            category=value("category") if value("category").isdigit() else "",
            source=value("source", Source.values),
            urgency=value("urgency", Urgency.values),
            kind=value("kind", DemandKind.values),
            committee=value("committee") if value("committee").isdigit() else "",
            q=value("q")[:100],
            sort=sort if sort.lstrip("-") in SORTS else DEFAULT_SORT,
        )

    def without(self, name: str) -> DemandFilters:
        return replace(self, **{name: "" if name != "sort" else DEFAULT_SORT})

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def subtree(queryset: QuerySet, committee: Committee | None, path: str = "committee") -> QuerySet:
    """Rows whose committee lies in the committee's subtree (nothing for None)."""
    if committee is None:
        return queryset.none()
    return queryset.filter(
        **{
            f"{path}__tree_id": committee.tree_id,
            f"{path}__lft__gte": committee.lft,
            f"{path}__rght__lte": committee.rght,
        }
    )


def visible_committee(user, pk) -> Committee | None:
    return Committee.objects.visible_to(user).filter(pk=pk).first() if str(pk).isdigit() else None


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
    order = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    # The primary key breaks ties, so pages never repeat or skip a row.
    return queryset.order_by(order, "-pk" if descending else "pk")


def filter_demands(queryset: QuerySet, *, user, filters: DemandFilters) -> QuerySet:
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.category:
        queryset = queryset.filter(category_id=int(filters.category))
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.urgency:
        queryset = queryset.filter(urgency=filters.urgency)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.committee:
        queryset = subtree(queryset, visible_committee(user, filters.committee))
    if filters.q:
        queryset = queryset.filter(title__icontains=filters.q)
    return queryset


def demand_list(*, user, filters: DemandFilters | None = None) -> QuerySet[Demand]:
    """The demands a user may see, filtered and sorted, with what a row shows joined in."""
    filters = filters or DemandFilters()
    queryset = filter_demands(Demand.objects.visible_to(user), user=user, filters=filters)
    return sort_demands(
        queryset.select_related("category", "committee", "handling_committee", "raised_by_unit"),
        filters.sort,
    )


def status_counts(*, user, filters: DemandFilters) -> dict[str, int]:
    """How many demands of each state the other filters leave: one query for every tab."""
    queryset = filter_demands(
        Demand.objects.visible_to(user), user=user, filters=filters.without("status")
    )
    rows = queryset.order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in rows}
    return {value: counts.get(value, 0) for value in DemandStatus.values}


def categories_for(user) -> QuerySet[Category]:
    return Category.objects.filter(tenant_id=user.tenant_id, is_active=True)


def demand_detail(*, user, pk) -> Demand:
    """One demand, a 404 outside the user's scope like one that does not exist."""
    return get_object_or_404(
        Demand.objects.visible_to(user).select_related(
            "category",
            "committee",
            "handling_committee",
            "raised_by_unit",
            "claimed_by_member",
            "created_by",
        ),
        pk=pk,
    )


def demand_matches(*, user, demand: Demand) -> QuerySet[Match]:
    """The engine's proposals the user may see: staff all of them, a unit its own."""
    return (
        Match.objects.visible_to(user)
        .filter(demand=demand)
        .select_related("resource", "resource__offered_by", "resource__committee")
        .order_by("rank")
    )


def demand_claims(*, user, demand: Demand) -> QuerySet[Claim]:
    return (
        Claim.objects.visible_to(user)
        .filter(demand=demand)
        .select_related("unit", "resource", "created_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def demand_transitions(*, demand: Demand) -> QuerySet[DemandTransition]:
    return demand.transitions.select_related("actor").order_by("at", "pk")


def demand_attachments(*, demand: Demand) -> QuerySet[DemandAttachment]:
    return demand.attachments.order_by("pk")


def attachment_detail(*, user, pk) -> DemandAttachment:
    """An attachment is seen by whoever may see its demand; everyone else gets a 404."""
    return get_object_or_404(
        DemandAttachment.objects.filter(demand__in=Demand.objects.visible_to(user).values("pk")),
        pk=pk,
    )


# --- wishes ------------------------------------------------------------------------------------------


def party_member_of(user) -> PartyMember | None:
    """The user's own party-member record, read through its scoping entry point."""
    return (
        PartyMember.objects.visible_to(user)
        .filter(user_id=getattr(user, "pk", None))
        .select_related("community")
        .first()
    )


def community_wishes(*, member: PartyMember) -> QuerySet[Demand]:
    """The wishes of the member's community (and of the grids and buildings under it).

    A party member holds no grant, so their reach is their own registration, and only once the
    community has confirmed it: anyone may ask to register with any community."""
    if member.registration_status != RegistrationStatus.CONFIRMED or member.community is None:
        return Demand.objects.none()
    return subtree(
        Demand.objects.filter(tenant_id=member.tenant_id, kind=DemandKind.WISH), member.community
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


# --- who may do what with one demand -------------------------------------------------------------


@dataclass(frozen=True)
class Rights:
    """What a user may do with one demand they can see: staff of its subtree act on it; the unit
    that raised it keeps it (edit, publish, withdraw); leaders and matched units only read."""

    change: bool
    raiser: bool
    status: str

    @classmethod
    def of(cls, user, demand: Demand) -> Rights:
        return cls(
            change=can(user, Action.CHANGE, demand.committee),
            raiser=demand.raised_by_unit_id is not None
            and demand.raised_by_unit_id in user.unit_ids(),
            status=demand.status,
        )

    @property
    def edit(self) -> bool:
        return self.change or self.raiser

    def may(self, to: str) -> bool:
        """Whether the user's role allows this move at all (the service checks the state)."""
        if to in (DemandStatus.PUBLISHED, DemandStatus.WITHDRAWN):
            return self.change or self.raiser
        if to in (DemandStatus.REJECTED, DemandStatus.FULFILLED):
            return self.change
        return False

    def moves(self) -> list[tuple[str, str, bool]]:
        """The moves to offer now: (to, label, whether it needs a reason)."""
        offered = [
            (DemandStatus.PUBLISHED, _("发布"), False),
            (DemandStatus.FULFILLED, _("标记办结"), False),
            (DemandStatus.REJECTED, _("驳回"), True),
            (DemandStatus.WITHDRAWN, _("撤回"), True),
        ]
        reachable = TRANSITIONS[self.status]
        return [move for move in offered if move[0] in reachable and self.may(move[0])]


def may_answer(user, claim: Claim, *, change: bool) -> bool:
    """The side that must answer a claim: staff for a unit's claim, the unit for staff's request."""
    if claim.direction == ClaimDirection.UNIT_CLAIMS:
        return change
    return claim.unit_id in user.unit_ids()


def may_release(user, claim: Claim, *, change: bool) -> bool:
    """Either side may give an accepted claim's capacity back."""
    return change or claim.unit_id in user.unit_ids()

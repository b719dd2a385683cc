"""Reads of whistles, summons, evaluations and bulletins: every one through `visible_to`, each
list in a fixed number of queries whatever its length."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from committees.models import Committee
from core.scoping import Action
from members.models import MemberUnit

from .models import (
    Bulletin,
    DepartmentRating,
    RhythmKind,
    SatisfactionLink,
    Summons,
    SummonsPhoto,
    SummonsReport,
    SummonsStatus,
    Whistle,
    WhistleEntry,
    WhistleStatus,
)


def summons_counted(condition: Q | None = None):
    """How many of a whistle's summons (meeting the condition) there are, as a subquery: it runs
    for the rows of the page only. Joined and grouped, every whistle in the scope was counted
    before the page was cut (a city's 5,000 whistles: 30 ms)."""
    summons = Summons.objects.filter(whistle=OuterRef("pk"))
    if condition is not None:
        summons = summons.filter(condition)
    counted = summons.order_by().values("whistle").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def whistle_list(*, user, status: str = "", kind: str = "", q: str = ""):
    """The whistles the user may see, newest first (their summons counted for the page alone:
    `summons_counts`)."""
    rows = Whistle.objects.visible_to(user, Action.VIEW).order_by("-blown_at", "-pk")
    if status in WhistleStatus.values:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(place__icontains=q))
    return rows


def summons_counts(whistle_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """How many summons each of a page's whistles has, reported (arrived) and late, in one
    grouped query. Scoped by the whistles: the ids are those of a page read through the scope.
    Three counting subqueries a row cost more to build than the page's own read."""
    rows = (
        Summons.objects.filter(whistle_id__in=whistle_ids)
        .order_by()
        .values("whistle_id")
        .annotate(
            n=Count("pk"),
            reported=Count("pk", filter=Q(arrived_at__isnull=False)),
            late=Count("pk", filter=Q(on_time=False)),
        )
    )
    return {row["whistle_id"]: (row["n"], row["reported"], row["late"]) for row in rows}


def whistle_detail(*, user, pk) -> Whistle:
    whistle = (
        Whistle.objects.visible_to(user, Action.VIEW)
        .select_related("committee", "committee__parent", "blown_by", "closed_by")
        .filter(pk=pk)
        .first()
    )
    if whistle is None:
        raise Http404
    return whistle


def summons_of(*, user, whistle: Whistle) -> list[Summons]:
    """The whistle's summons the user may see (an officer: only their department's), with their
    reports, photos and rating, in a fixed number of queries."""
    return list(
        Summons.objects.visible_to(user, Action.VIEW)
        .filter(whistle=whistle)
        .select_related("department", "escalated_to", "rating")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=SummonsReport.objects.select_related("author").prefetch_related("photos"),
            )
        )
        .order_by("due_at", "pk")
    )


def rhythm_of(*, user, whistle: Whistle) -> dict:
    """The daily rhythm: today's consultation notes, items closed and feedback, and the days
    before."""
    today = timezone.localdate()
    entries = list(
        WhistleEntry.objects.visible_to(user, Action.VIEW)
        .filter(whistle=whistle)
        .select_related("author")
        .order_by("-day", "pk")
    )
    by_kind = {
        kind: [e for e in entries if e.day == today and e.kind == kind] for kind in RhythmKind
    }
    return {
        "today": today,
        "today_by_kind": [(kind, by_kind[kind]) for kind in RhythmKind],
        "earlier": [e for e in entries if e.day != today],
    }


def my_summons(*, user):
    """An officer's summons: open ones first, by deadline."""
    departments = user.department_ids() if hasattr(user, "department_ids") else set()
    return (
        Summons.objects.visible_to(user, Action.VIEW)
        .filter(department_id__in=departments)
        .select_related("whistle", "whistle__committee", "department")
        .order_by("-whistle__status", "arrived_at", "due_at", "pk")
    )


def summons_detail(*, user, pk) -> Summons:
    summons = (
        Summons.objects.visible_to(user, Action.VIEW)
        .select_related("whistle", "whistle__committee", "department")
        .prefetch_related("reports__photos")
        .filter(pk=pk)
        .first()
    )
    if summons is None:
        raise Http404
    return summons


def summons_photo(*, user, pk) -> SummonsPhoto:
    photo = SummonsPhoto.objects.visible_to(user, Action.VIEW).filter(pk=pk).first()
    if photo is None:
        raise Http404
    return photo


def departments_for(committee: Committee):
    """The departments (and public-service enterprises) a street may summon: active units
    standing at the street's district or city (any ancestor, or the street itself)."""
    from .whistles import SUMMONABLE_KINDS

    ancestors = committee.get_ancestors(include_self=True)
    return (
        MemberUnit.objects.filter(
            tenant_id=committee.tenant_id,
            kind__in=SUMMONABLE_KINDS,
            is_active=True,
            committee__in=ancestors,
        )
        .select_related("committee")
        .order_by("committee__lft", "name")
    )


def _streets_in_reach(user):
    """The streets and townships within the ranges where the user is staff, or None."""
    from committees.models import Level

    scopes = user.committee_scopes(Action.CHANGE) if user.is_authenticated else []
    if not scopes:
        return None
    condition = Q()
    for scope in scopes:
        condition |= Q(
            tenant_id=scope.tenant_id,
            tree_id=scope.tree_id,
            lft__range=(scope.lft, scope.rght),
        )
    return Committee.objects.filter(condition, level=Level.STREET)


def blowing_committees(user) -> list[Committee]:
    """The streets and townships where the user may blow a whistle."""
    from .policies import may_blow_whistle

    streets = _streets_in_reach(user)
    if streets is None:
        return []
    return [c for c in streets.order_by("tree_id", "lft")[:500] if may_blow_whistle(user, c)]


def may_blow_anywhere(user) -> bool:
    """Whether the list offers the whistle: one existence check, not the streets themselves
    (a district's staff reach hundreds). The policy is the same range as blowing_committees'."""
    streets = _streets_in_reach(user)
    return streets is not None and streets.exists()


def satisfaction_links(*, user, whistle=None, project=None) -> list[SatisfactionLink]:
    rows = SatisfactionLink.objects.visible_to(user, Action.CHANGE)
    if whistle is not None:
        rows = rows.filter(whistle=whistle)
    if project is not None:
        rows = rows.filter(project=project)
    return list(rows.annotate(n=Count("responses")).order_by("-created_at"))


def ratings_of_department_for(*, user, department_id: int):
    """Raw ratings are read only by the rating side (the streets and their district)."""
    return DepartmentRating.objects.visible_to(user, Action.VIEW).filter(
        department_id=department_id
    )


def bulletin_list(*, user):
    return (
        Bulletin.objects.visible_to(user, Action.VIEW)
        .select_related("committee")
        .order_by("-published_at", "-pk")
    )


def bulletin_detail(*, user, pk) -> Bulletin:
    bulletin = bulletin_list(user=user).filter(pk=pk).first()
    if bulletin is None:
        raise Http404
    return bulletin


def publishing_committees(user) -> list[Committee]:
    """The committees where the user may publish a bulletin: where their staff grants stand."""
    from members.models import Role

    return sorted(
        {
            g.committee.pk: g.committee
            for g in user.role_grants()
            if g.committee is not None and g.role in (Role.STAFF, Role.TENANT_ADMIN)
        }.values(),
        key=lambda c: (c.tree_id, c.lft),
    )


def next_steps(summons: Summons) -> list[str]:
    from .models import SUMMONS_TRANSITIONS

    if summons.whistle.status != WhistleStatus.OPEN:
        return []
    order = [SummonsStatus.ACKNOWLEDGED, SummonsStatus.ARRIVED, SummonsStatus.ACTED]
    return [step for step in order if step in SUMMONS_TRANSITIONS[summons.status]]

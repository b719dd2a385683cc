"""Read queries over the committee tree. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from .models import LEVEL_ORDER, Committee, Level


def committee_children(*, user, committee: Committee) -> QuerySet[Committee]:
    return (
        Committee.objects.visible_to(user)
        .filter(parent=committee)
        .order_by("closed_at", "division_code", "name")
    )


def committee_search(*, user, query: str, limit: int = 50) -> list[tuple[Committee, list]]:
    """Committees whose name or code matches, each with its chain of ancestors.

    Two queries whatever the number of results: the matches, then all their ancestors at once.
    """
    query = query.strip()
    if not query:
        return []
    scoped = Committee.objects.visible_to(user)
    if query.isdigit():
        matches = scoped.filter(division_code__startswith=query)
    else:
        matches = scoped.filter(name__icontains=query)
    results = list(matches.order_by("tree_id", "lft")[:limit])
    if not results:
        return []
    ancestors = list(
        Committee.objects.get_queryset_ancestors(
            Committee.objects.filter(pk__in=[c.pk for c in results]), include_self=False
        ).order_by("lft")
    )
    return [(committee, _chain(committee, ancestors)) for committee in results]


def _chain(committee: Committee, ancestors: list[Committee]) -> list[Committee]:
    return [
        a
        for a in ancestors
        if a.tree_id == committee.tree_id and a.lft < committee.lft and committee.rght < a.rght
    ]


def committee_ancestors(committee: Committee) -> list[Committee]:
    """The parent chain, root first. Names above the user's scope are shown, not linked."""
    return list(committee.get_ancestors())


def committee_level_counts(committee: Committee) -> list[tuple[str, int]]:
    """How many open committees of each level lie below this one, in one query."""
    rows = (
        committee.get_descendants()
        .filter(closed_at__isnull=True)
        .order_by()  # the tree ordering would otherwise split the GROUP BY per row
        .values("level")
        .annotate(n=Count("id"))
    )
    counts = {row["level"]: row["n"] for row in rows}
    return [(Level(level).label, counts[level]) for level in LEVEL_ORDER if counts.get(level)]


def committee_by_reference(*, user, reference: str, action) -> list[Committee]:
    """Committees the user may act on, named by exact division code or exact name."""
    reference = (reference or "").strip()
    scoped = Committee.objects.visible_to(user, action).open()
    if reference.isascii() and reference.isdigit():
        return list(scoped.filter(division_code=reference)[:2])
    return list(scoped.filter(name=reference)[:5])


def one_committee_by_reference(*, user, reference: str, action, field: str) -> Committee:
    """The one committee the user may act on that a reference names, or a field error saying
    that none or several do."""
    candidates = committee_by_reference(user=user, reference=reference, action=action)
    if not candidates:
        raise ValidationError({field: _("在您的管理范围内找不到“%(ref)s”。") % {"ref": reference}})
    if len(candidates) > 1:
        raise ValidationError(
            {field: _("有多个名为“%(ref)s”的协调委员会，请改填区划代码。") % {"ref": reference}}
        )
    return candidates[0]


def outermost_committee(*, user, action) -> Committee | None:
    """The first, outermost open committee the user may act on."""
    return Committee.objects.visible_to(user, action).open().order_by("tree_id", "lft").first()

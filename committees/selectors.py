"""Read queries over the committee tree. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.references import ReferenceResolver, as_id
from core.scoping import Action, covers, subtree_q, user_scopes

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
    return [a for a in ancestors if a.pk != committee.pk and covers(a, committee)]


def committee_ancestors(committee: Committee) -> list[Committee]:
    """The parent chain, root first. Names above the user's scope are shown, not linked."""
    return list(
        Committee.objects.filter(pk__scope_in=in_chains([committee.pk]))
        .exclude(pk=committee.pk)
        .order_by("lft")
    )


CHAIN_COLUMNS = ("id", "parent_id", "tree_id", "lft", "rght", "depth", "name")


def chains_sql(committee_ids, columns: tuple[str, ...] = CHAIN_COLUMNS) -> tuple[str, list[int]]:
    """The statement selecting the committees and every committee above them, once each:
    walked up the parent links (a handful of key lookups per chain). Asked as a range, where
    an ancestor is `lft <= x AND rght >= y`, the tree index is bounded on one side only and
    half of a city's 7,900 committees were read for a chain of four (3.0 ms; 0.6 this way)."""
    ids = sorted({int(pk) for pk in committee_ids})
    table = connection.ops.quote_name(Committee._meta.db_table)
    listed = ", ".join(columns)
    joined = ", ".join(f"c.{column}" for column in columns)
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    sql = f"""
        WITH RECURSIVE up ({listed}) AS (
            SELECT {listed} FROM {table} WHERE id IN ({marks})
            UNION
            SELECT {joined} FROM {table} c JOIN up ON c.id = up.parent_id
        )
        SELECT {listed} FROM up"""
    return sql, ids


def committee_chains(committee_ids) -> list[tuple]:
    """The committees and every committee above them, once each, as `CHAIN_COLUMNS` rows, in
    one query (none for no committees)."""
    sql, ids = chains_sql(committee_ids)
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return cursor.fetchall()


def in_chains(committee_ids) -> RawSQL:
    """The ids of the committees and every committee above them, for a key's `__in`, or for
    the committees' own `pk__scope_in`: as an array the few ids are found before the read, where
    `IN` let the planner guess a hundred and scan all 7,900 committees to join them (1.9 ms
    against 0.2 for a chain of four)."""
    sql, ids = chains_sql(committee_ids, ("id", "parent_id"))
    return RawSQL(f"SELECT id FROM ({sql}) AS chain", ids)


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


def committee_filter_choices(user) -> list[Committee]:
    """The committees a list offers to filter by: the user's own and one level below."""
    scope = user.scope_committees if getattr(user, "is_authenticated", False) else []
    if not scope:
        return []
    deepest = max(c.depth for c in scope) + 1
    return list(
        Committee.objects.visible_to(user)
        .open()
        .filter(depth__lte=deepest)
        .order_by("tree_id", "lft")
        .only("id", "name", "depth", "tree_id", "lft")[:500]
    )


def committee_label(committee: Committee) -> str:
    """How a committee is offered in a drop-down: its name and, where it has one, its code."""
    if committee.division_code:
        return f"{committee.name}（{committee.division_code}）"
    return committee.name


# --- naming a committee ---------------------------------------------------------------------------


def committee_picker(user, *, action: str = "change", required: bool = True):
    """The picker widget for a committee field: searches what the user may reach for the
    action and shows the current choice (an id, a code or a name) by its name."""
    from django.urls import reverse

    from core.widgets import PickerWidget

    def label_for(reference: str) -> str:
        key, value = CommitteeResolver.lookup(None, reference.strip())
        found = Committee.objects.visible_to(user).filter(**{key: value}).first()
        return found.name if found else ""

    return PickerWidget(
        reverse("committees:lookup"),
        label_for=label_for,
        action=action,
        placeholder=_("输入协调委员会名称或区划代码搜索"),
    )


DIVISION_CODE_LENGTH = 12


class CommitteeResolver(ReferenceResolver):
    """A committee named by its exact 12-digit division code, its exact name, or its id. A
    closed committee is found but cannot be chosen; where an open and a closed one share a code
    or a name, the open one is meant."""

    model_name = gettext_lazy("协调委员会")
    unusable_words = gettext_lazy("已撤销")
    distinct_by = gettext_lazy("12位区划代码")

    def lookup(self, text: str):
        if len(text) == DIVISION_CODE_LENGTH and text.isascii() and text.isdigit():
            return ("division_code", text)
        pk = as_id(text)
        return ("pk", pk) if pk is not None else ("name", text)

    def keys_of(self, committee: Committee):
        keys = [("pk", committee.pk), ("name", committee.name)]
        if committee.division_code:
            keys.append(("division_code", committee.division_code))
        return keys

    def unusable(self, committee: Committee) -> bool:
        return committee.closed_at is not None


def committee_resolver(
    *,
    user,
    action: Action | str = Action.CHANGE,
    within: Committee | None = None,
    field: str = "committee",
    label: str = "",
    default: Committee | None = None,
) -> CommitteeResolver:
    """The one way to find a committee a user named: among the committees where the user may
    take the action, and with `within` only in that committee's subtree (an import at a street
    cannot place a row in the next street). `label` names the field in messages ("找不到所在地
    “…”"); without one the message names only the reference."""
    action = Action(action)
    candidates = Committee.objects.visible_to(user, action)
    scope = {
        Action.VIEW: _("您能查看的协调委员会"),
        Action.CHANGE: _("您工作范围内的协调委员会"),
        Action.MANAGE_TREE: _("您管理范围内的协调委员会"),
    }[action]
    if within is not None:
        candidates = candidates.filter(subtree_q(within, path=""))
        whole = {(s.tree_id, s.lft, s.rght) for s in user_scopes(user, action)}
        if whole != {(within.tree_id, within.lft, within.rght)}:
            scope = _("“%(name)s”范围内的协调委员会") % {"name": within.name}
    return CommitteeResolver(candidates, field=field, label=label, scope=scope, default=default)


def one_committee_by_reference(*, user, reference: str, action, field: str) -> Committee:
    """The one committee a reference names among those the user may take the action on, or a
    field error saying why there is none: the committee resolver for a single reference."""
    return committee_resolver(user=user, action=action, field=field).resolve(reference)


def outermost_committee(*, user, action) -> Committee | None:
    """The first, outermost open committee the user may act on."""
    return Committee.objects.visible_to(user, action).open().order_by("tree_id", "lft").first()

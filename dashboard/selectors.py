"""The dashboard's reads. Every figure is defined once, here: a function whose docstring says
exactly what it counts (the page shows it on hover, the export writes it beside the value).

Counts come from the rollups (`dashboard.rollups`, rebuilt in the background; the page shows
their age), summed over the months of the period: a demand is filed under the month it was
published and the committee where it arose, a resource under the month it was offered and the
committee it serves, a project under the month it was set up (and, for completion, the month it
was completed) and the committee that leads it. Each committee's rows hold its whole subtree.
The overdue list and the units' load are read live (they are short, indexed lists).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import ExpressionWrapper, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from categories.models import Category
from committees.models import Committee
from core.scoping import Action
from demands.models import Source
from members.models import MemberUnit
from projects.models import Project

from .models import (
    DepartmentFigures,
    DurationFigures,
    MixFigures,
    MonthlyFigures,
    OverdueEntry,
    RollupState,
    UnitLoad,
)

COUNT_FIELDS = (
    "demands",
    "withdrawn",
    "responded",
    "resolved",
    "matched",
    "in_project",
    "resources",
    "projects",
    "projects_completed",
    "projects_on_time",
    "whistles",
    "summons_decided",
    "summons_on_time",
    "satisfaction_responses",
    "satisfied",
)
PERIODS = (3, 6, 12, 24)  # months a leader may look back over
DEFAULT_MONTHS = 12
OVERDUE_SHOWN = 20
UNITS_SHOWN = 10


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # "count", "rate" or "days"
    compute: Callable[[dict], int | float | None]

    @property
    def definition(self) -> str:
        return " ".join((self.compute.__doc__ or "").split())

    def display(self, value) -> str:
        return display(self.kind, value)


def display(kind: str, value) -> str:
    """The one way a figure is written, on screen and in the export."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value}天"
    return f"{value:,}"


FIGURES: dict[str, Figure] = {}


def figure(key: str, label, kind: str = "count"):
    def register(compute):
        FIGURES[key] = Figure(key, label, kind, compute)
        return compute

    return register


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _active(t: dict) -> int:
    return t["demands"] - t["withdrawn"]


@figure("demands", _("需求数"))
def demand_count(t: dict) -> int:
    """需求数：本委员会及其下级在统计期内发布的需求条数（按发布月份、需求产生地计；含此后撤回的，
    不含从未发布的草稿）。"""
    return t["demands"]


@figure("resources", _("资源数"))
def resource_count(t: dict) -> int:
    """资源数：统计期内新登记的资源条数（按登记月份、资源服务范围所在委员会计）。"""
    return t["resources"]


@figure("projects", _("项目数"))
def project_count(t: dict) -> int:
    """项目数：统计期内立项的项目个数（按立项月份、牵头协调委员会计；含此后暂停、取消的）。"""
    return t["projects"]


@figure("match_rate", _("对接率"), "rate")
def match_rate(t: dict) -> float | None:
    """对接率：统计期内发布且未撤回的需求中，已对接过的比例（曾记录转为“已对接”，或现处于
    “已对接”“已立项”状态）。"""
    return _rate(t["matched"], _active(t))


@figure("response_rate", _("响应率"), "rate")
def response_rate(t: dict) -> float | None:
    """响应率：统计期内发布且未撤回的需求中，已得到办理回应的比例：已被推进出“已发布”状态
    （对接、立项、办结或说明理由驳回）；提交人自行撤回的不计入分母。参照12345热线“响应率”，
    以平台记录的状态变化为准，不含电话回访。"""
    return _rate(t["responded"], _active(t))


@figure("resolution_rate", _("解决率"), "rate")
def resolution_rate(t: dict) -> float | None:
    """解决率：统计期内发布且未撤回的需求中，现已办结（状态“已办结”）的比例。驳回的计入分母、
    不计入分子。"""
    return _rate(t["resolved"], _active(t))


@figure("project_on_time_rate", _("项目按期完成率"), "rate")
def project_on_time_rate(t: dict) -> float | None:
    """项目按期完成率：统计期内完成的项目（按完成月份计，含已评价）中，完成日期不晚于完成期限的
    比例。"""
    return _rate(t["projects_on_time"], t["projects_completed"])


@figure("projects_completed", _("完成项目数"))
def completed_project_count(t: dict) -> int:
    """完成项目数：统计期内完成的项目个数（按完成月份计，含已评价的）。"""
    return t["projects_completed"]


@figure("satisfaction_rate", _("满意率"), "rate")
def satisfaction_rate(t: dict) -> float | None:
    """满意率：统计期内群众对本委员会及其下级的项目和吹哨事项所作满意度评价（扫码评价）中，
    评为满意（4分及以上，满分5分）的比例（按评价月份、被评项目或哨事所属委员会计）。平台不做
    电话回访，不评价单条需求：以项目和哨事的评价代表需求办理的满意度。"""
    return _rate(t["satisfied"], t["satisfaction_responses"])


@figure("whistles", _("吹哨数"))
def whistle_count(t: dict) -> int:
    """吹哨数：统计期内本委员会及其下级街乡吹响的哨（按吹哨月份计；不含撤销的）。"""
    return t["whistles"]


@figure("report_on_time_rate", _("部门按时报到率"), "rate")
def report_on_time_rate(t: dict) -> float | None:
    """部门按时报到率：统计期内吹响（不含撤销）的哨所召集的部门中，报到已有定论的（已到场，或已过
    报到期限）按时到场（到场时间不晚于报到期限）的比例。"""
    return _rate(t["summons_on_time"], t["summons_decided"])


@figure("days_to_match", _("需求到对接中位时长"), "days")
def days_to_match(t: dict) -> int | None:
    """需求到对接中位时长：统计期内发布、已记录对接的需求，从发布到首次转为“已对接”所用整天数
    （不足一天计0天）的中位数（偶数个时取较小的中位数）。"""
    return t.get("median_to_match")


@figure("days_to_project", _("对接到立项中位时长"), "days")
def days_to_project(t: dict) -> int | None:
    """对接到立项中位时长：统计期内发布、已记录对接并立项的需求，从首次对接到首次转为“已立项”
    所用整天数的中位数（偶数个时取较小的中位数）。"""
    return t.get("median_to_project")


SUMMARY = (
    "demands",
    "resources",
    "projects",
    "projects_completed",
    "whistles",
    "match_rate",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "project_on_time_rate",
    "report_on_time_rate",
    "days_to_match",
    "days_to_project",
)
RANKING = SUMMARY  # the children are ranked on the same figures
THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")  # 12345's three


# --- reading -------------------------------------------------------------------------------------


def dashboard_committee(user, pk: int) -> Committee:
    """The committee whose dashboard the user may open: a 404 outside their scope."""
    committee = Committee.objects.visible_to(user, Action.VIEW).filter(pk=pk).first()
    if committee is None:
        raise Http404
    return committee


def home_committee(user) -> Committee | None:
    """The committee a user's dashboard opens on: the widest one where they hold a grant."""
    scopes = user.committee_scopes(Action.VIEW)
    if not scopes:
        return None
    widest = max(scopes, key=lambda s: (s.rght - s.lft, -s.lft))
    return Committee.objects.filter(
        tenant_id=widest.tenant_id, tree_id=widest.tree_id, lft=widest.lft
    ).first()


def month_starts(months: int, today: dt.date | None = None) -> list[dt.date]:
    """The first days of the period's months, oldest first, ending with this month."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _month in range(months):
        starts.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return starts[::-1]


@dataclass
class Row:
    committee: Committee
    values: dict[str, int | float | None]

    def shown(self, key: str) -> str:
        return FIGURES[key].display(self.values.get(key))


@dataclass
class Dashboard:
    committee: Committee
    breadcrumb: list[Committee]
    months: list[dt.date]
    totals: dict
    series: dict[str, list[int]]
    ranking: list[Row]
    sort: str
    category_mix: list[tuple[str, int]]
    source_mix: list[tuple[str, int]]
    overdue: list[Project]
    overdue_count: int
    loaded_units: list[MemberUnit]
    worst_departments: list[dict]
    refreshed_at: dt.datetime | None
    figures: list[Figure] = field(default_factory=list)

    @property
    def summary(self) -> list[tuple[Figure, str]]:
        return [(FIGURES[key], FIGURES[key].display(self.totals.get(key))) for key in SUMMARY]

    @property
    def ranking_figures(self) -> list[Figure]:
        return [FIGURES[key] for key in RANKING]


def _empty() -> dict:
    return dict.fromkeys(COUNT_FIELDS, 0)


def _with_figures(totals: dict) -> dict:
    for key, fig in FIGURES.items():
        totals[key] = fig.compute(totals)
    return totals


MEDIAN_SQL = """
WITH b AS (
    SELECT committee_id, measure, days, sum(demands) AS n
    FROM dashboard_durationfigures
    WHERE committee_id = ANY(%s) AND month >= %s AND month <= %s
    GROUP BY 1, 2, 3
), c AS (
    SELECT committee_id, measure, days,
           sum(n) OVER (PARTITION BY committee_id, measure ORDER BY days) AS running,
           sum(n) OVER (PARTITION BY committee_id, measure) AS total
    FROM b
)
SELECT committee_id, measure, min(days) FROM c WHERE running * 2 >= total GROUP BY 1, 2
"""


def medians(committee_ids: list[int], first: dt.date, last: dt.date) -> dict[int, dict]:
    """The lower median of each duration, per committee, read off the day histograms."""
    result: dict[int, dict] = {pk: {} for pk in committee_ids}
    if not committee_ids:
        return result
    if connection.vendor != "postgresql":  # the embedded demo: the same, read in Python
        counts: dict = {}
        for row in (
            DurationFigures.objects.filter(
                committee_id__in=committee_ids, month__gte=first, month__lte=last
            )
            .values("committee_id", "measure", "days")
            .annotate(n=Sum("demands"))
            .order_by("committee_id", "measure", "days")
        ):
            counts.setdefault((row["committee_id"], row["measure"]), []).append(
                (row["days"], row["n"])
            )
        for (committee_id, measure), histogram in counts.items():
            total, running = sum(n for _d, n in histogram), 0
            for days, n in histogram:
                running += n
                if running * 2 >= total:
                    result[committee_id][f"median_{measure}"] = days
                    break
        return result
    with connection.cursor() as cursor:
        cursor.execute(MEDIAN_SQL, [list(committee_ids), first, last])
        for committee_id, measure, days in cursor.fetchall():
            result[committee_id][f"median_{measure}"] = days
    return result


def dashboard(
    user,
    committee: Committee,
    *,
    months: int = DEFAULT_MONTHS,
    sort: str = "demands",
    today: dt.date | None = None,
) -> Dashboard:
    """Everything the dashboard page (and its export) shows for one committee: a fixed number
    of queries whatever the size of the subtree.

    Every figure is read from the rollups, so a committee's board changes only when they are
    rebuilt: it is kept in the cache under the rebuild's time (and the committee, the period,
    the order, the day), and whoever may read the committee reads the whole of its subtree, so
    the board is the same for every such reader. Only the breadcrumb, which stops at the
    reader's own scope, is read for each request."""
    today = today or timezone.localdate()
    breadcrumb = list(
        Committee.objects.visible_to(user, Action.VIEW)
        .filter(tree_id=committee.tree_id, lft__lte=committee.lft, rght__gte=committee.rght)
        .order_by("lft")
    )
    state = RollupState.objects.filter(tenant_id=committee.tenant_id).first()
    stamp = state.generation if state else 0
    key = f"dashboard:{committee.tenant_id}:{committee.pk}:{months}:{sort}:{today}:{stamp}"
    board = cache.get(key)
    if board is None:
        board = _board(user, committee, months=months, sort=sort, today=today, state=state)
        cache.set(key, board, BOARD_CACHE_SECONDS)
    board.breadcrumb = breadcrumb
    return board


BOARD_CACHE_SECONDS = 15 * 60


def warm_boards(tenant_id: int) -> int:
    """After a rebuild, build into the cache the boards leaders open first: the city root and
    each committee right below it, for the default period and order, so that the first reader
    after a rebuild does not pay for them (it shares the cache with the web processes when the
    cache is on Redis). They are built as a reader of the root: a committee's board is the same
    for every reader who may open it. Returns how many boards were built."""
    from members.models import Role, User

    root = (
        Committee.objects.filter(tenant_id=tenant_id, parent__isnull=True).order_by("lft").first()
    )
    if root is None:
        return 0
    reader = (
        User.objects.filter(
            is_active=True,
            grants__committee=root,
            grants__role__in=[Role.LEADER, Role.TENANT_ADMIN, Role.STAFF],
        )
        .order_by("pk")
        .first()
    )
    if reader is None:
        return 0
    committees = [root, *root.get_children().filter(closed_at__isnull=True).order_by("lft")]
    for committee in committees:
        dashboard(reader, committee)
    return len(committees)


def _board(user, committee, *, months, sort, today, state) -> Dashboard:
    starts = month_starts(months, today)
    first, last = starts[0], starts[-1]
    in_period = Q(month__gte=first, month__lte=last)
    readable = MonthlyFigures.objects.visible_to(user, Action.VIEW)
    breadcrumb: list[Committee] = []
    children = list(
        Committee.objects.visible_to(user, Action.VIEW)
        .filter(parent=committee, closed_at__isnull=True)
        .order_by("lft")
    )

    series = {key: [0] * len(starts) for key in COUNT_FIELDS}
    totals = _empty()
    index = {start: i for i, start in enumerate(starts)}
    for row in readable.filter(in_period, committee=committee).values("month", *COUNT_FIELDS):
        for key in COUNT_FIELDS:
            series[key][index[row["month"]]] = row[key]
            totals[key] += row[key]

    child_totals = {child.pk: _empty() for child in children}
    for row in (
        readable.filter(in_period, committee__in=children)
        .values("committee_id")
        .annotate(**{f"s_{key}": Sum(key) for key in COUNT_FIELDS})
    ):
        child_totals[row["committee_id"]] = {key: row[f"s_{key}"] for key in COUNT_FIELDS}

    durations = medians([committee.pk, *child_totals], first, last)
    totals.update(durations[committee.pk])
    _with_figures(totals)
    ranking = []
    for child in children:
        values = child_totals[child.pk]
        values.update(durations[child.pk])
        ranking.append(Row(child, _with_figures(values)))
    sort_key = sort.lstrip("-")
    if sort_key not in RANKING:
        sort, sort_key = "demands", "demands"
    descending = not sort.startswith("-")
    present = [r for r in ranking if r.values[sort_key] is not None]
    missing = [r for r in ranking if r.values[sort_key] is None]
    sign = -1 if descending else 1
    present.sort(key=lambda r: (sign * r.values[sort_key], r.committee.lft))
    ranking = present + missing

    mix = (
        MixFigures.objects.visible_to(user, Action.VIEW)
        .filter(in_period, committee=committee)
        .values("dimension", "key")
        .annotate(n=Sum("demands"))
        .order_by("-n", "key")
    )
    mix_rows = list(mix)
    category_ids = [int(r["key"]) for r in mix_rows if r["dimension"] == MixFigures.CATEGORY]
    names = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    sources = dict(Source.choices)
    category_mix = [
        (names.get(int(r["key"]), r["key"]), r["n"])
        for r in mix_rows
        if r["dimension"] == MixFigures.CATEGORY
    ]
    source_mix = [
        (str(sources.get(r["key"], r["key"])), r["n"])
        for r in mix_rows
        if r["dimension"] == MixFigures.SOURCE
    ]

    overdue_qs = overdue_projects(user, committee)
    overdue = [entry.project for entry in overdue_qs[:OVERDUE_SHOWN]]
    overdue_count = len(overdue) if len(overdue) < OVERDUE_SHOWN else overdue_qs.count()
    return Dashboard(
        committee=committee,
        breadcrumb=breadcrumb,
        months=starts,
        totals=totals,
        series=series,
        ranking=ranking,
        sort=sort,
        category_mix=category_mix,
        source_mix=source_mix,
        overdue=overdue,
        overdue_count=overdue_count,
        loaded_units=loaded_units(user, committee),
        worst_departments=worst_departments(user, committee, first, starts[-1]),
        refreshed_at=state.refreshed_at if state else None,
    )


def overdue_projects(user, committee: Committee):
    """逾期项目：本委员会及其下级牵头、仍在计划或实施中、已被督办扫描标为逾期（超过完成期限）的
    项目，最早到期的在前（随看板数据汇总更新）。"""
    return (
        OverdueEntry.objects.visible_to(user, Action.VIEW)
        .filter(committee=committee)
        .select_related("project__committee", "project__lead_unit")
        .order_by("due_on", "project_id")
    )


def loaded_units(user, committee: Committee) -> list[MemberUnit]:
    """负荷最重的成员单位：牵头本委员会及其下级仍在计划或实施中项目最多的成员单位（前10名），
    `load` 为其牵头的此类项目数。"""
    result = []
    for row in (
        UnitLoad.objects.visible_to(user, Action.VIEW)
        .filter(committee=committee)
        .select_related("unit__committee")
        .order_by("-load", "unit_id")[:UNITS_SHOWN]
    ):
        row.unit.load = row.load
        result.append(row.unit)
    return result


def worst_departments(user, committee: Committee, first: dt.date, last: dt.date) -> list[dict]:
    """报到最差的部门：统计期内本委员会及其下级街乡吹响（不含撤销）的哨所召集、报到已有定论的部门，
    按时报到率由低到高（同率时逾期未报被上报的次数多者在前）前10名；`summoned` 为有定论的召集次数，
    `on_time` 为按时到场次数，`escalated` 为逾期未报被上报的次数。"""
    rows = list(
        DepartmentFigures.objects.visible_to(user, Action.VIEW)
        .filter(committee=committee, month__gte=first, month__lte=last)
        .values("department_id", "department__name")
        .annotate(
            summoned=Sum("decided"),
            on_time_count=Sum("on_time"),
            escalated_count=Sum("escalated"),
            rate=ExpressionWrapper(
                Cast(Sum("on_time"), FloatField()) / Sum("decided"),
                output_field=FloatField(),
            ),
        )
        .order_by("rate", "-escalated_count", "department__name")[:UNITS_SHOWN]
    )
    return [
        {
            "name": row["department__name"],
            "summoned": row["summoned"],
            "on_time": row["on_time_count"],
            "escalated": row["escalated_count"],
            "rate": row["rate"],
            "rate_shown": display("rate", row["rate"]),
        }
        for row in rows
    ]


def _month_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as moments: the first month's first instant to the next month after the last
    (Asia/Shanghai)."""
    end = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=zone),
        dt.datetime.combine(end, dt.time(), tzinfo=zone),
    )


OVERDUE_DEFINITION = " ".join((overdue_projects.__doc__ or "").split())
LOADED_DEFINITION = " ".join((loaded_units.__doc__ or "").split())
WORST_DEFINITION = " ".join((worst_departments.__doc__ or "").split())
MIX_DEFINITION = _(
    "需求构成：统计期内发布且未撤回的需求按类别、按来源的条数（按发布月份、需求产生地计）。"
)


def period_figures(committee_ids: list[int], first: dt.date, last: dt.date) -> dict[int, dict]:
    """Every figure of each committee over the months from `first` to `last` (first days of
    months), as the dashboard computes them: what computed indicators of the assessment read.
    Callers have checked the committees are in the reader's scope."""
    totals = {pk: _empty() for pk in committee_ids}
    for row in (
        MonthlyFigures.objects.filter(
            committee_id__in=committee_ids, month__gte=first, month__lte=last
        )
        .values("committee_id")
        .annotate(**{f"s_{key}": Sum(key) for key in COUNT_FIELDS})
    ):
        totals[row["committee_id"]] = {key: row[f"s_{key}"] for key in COUNT_FIELDS}
    durations = medians(list(committee_ids), first, last)
    for pk, values in totals.items():
        values.update(durations[pk])
        _with_figures(values)
    return totals


def rate_figures() -> list[Figure]:
    """The figures an indicator may be computed from: the rates (0 to 1)."""
    return [fig for fig in FIGURES.values() if fig.kind == "rate"]

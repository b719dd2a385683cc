"""Rebuilding a tenant's rollups (monthly figures, demand mix, durations, units' load, overdue
projects, departments' reports) from the source
tables, in one transaction: the readers see the old rows until the new ones are committed.

Each source row is filed under the committee it belongs to and the month (Asia/Shanghai) of the
date that counts for it, then added to every ancestor of that committee (MPTT ranges), so each
committee's rows hold its whole subtree. The definitions of what each column counts are the
selectors' docstrings (`dashboard.selectors.FIGURES`); this module is their one implementation.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from committees.models import Committee

from .models import (
    DepartmentFigures,
    DurationFigures,
    MixFigures,
    MonthlyFigures,
    OverdueEntry,
    RollupState,
    UnitLoad,
)

# The demands of the tenant that were ever published, with what became of them. A demand has
# been responded to when someone other than its submitter withdrawing moved it on from
# "published" (a recorded transition), or when it now stands matched, in a project, fulfilled
# or rejected; matched when a transition to "matched" is recorded or it now stands matched or
# in a project; in a project likewise.
DEMANDS_SQL = """
CREATE TEMP TABLE dash_demand ON COMMIT DROP AS
SELECT d.id, d.committee_id, d.category_id, d.source, d.status,
       date_trunc('month', d.published_at AT TIME ZONE %(tz)s)::date AS month,
       d.published_at, t.matched_at, t.project_at,
       (coalesce(t.moved_on, false)
        OR d.status IN ('matched', 'in_project', 'fulfilled', 'rejected')) AS responded,
       (t.matched_at IS NOT NULL OR d.status IN ('matched', 'in_project')) AS matched,
       (t.project_at IS NOT NULL OR d.status = 'in_project') AS in_project
FROM demands_demand d
LEFT JOIN LATERAL (
    SELECT min(tr.at) FILTER (WHERE tr.to_status = 'matched') AS matched_at,
           min(tr.at) FILTER (WHERE tr.to_status = 'in_project') AS project_at,
           bool_or(tr.from_status = 'published' AND tr.to_status <> 'withdrawn') AS moved_on
    FROM demands_demandtransition tr WHERE tr.demand_id = d.id
) t ON true
WHERE d.tenant_id = %(tenant)s AND d.published_at IS NOT NULL
"""

# Every committee of the tenant with each of its ancestors (itself included).
ANCESTRY_SQL = """
CREATE TEMP TABLE dash_ancestry ON COMMIT DROP AS
SELECT c.id AS committee_id, a.id AS ancestor_id
FROM committees_committee c
JOIN committees_committee a
  ON a.tenant_id = c.tenant_id AND a.tree_id = c.tree_id AND a.lft <= c.lft AND a.rght >= c.rght
WHERE c.tenant_id = %(tenant)s
"""

MONTHLY_SQL = """
INSERT INTO dashboard_monthlyfigures
    (tenant_id, committee_id, month, demands, withdrawn, responded, resolved, matched,
     in_project, resources, projects, projects_completed, projects_on_time, whistles,
     summons_decided, summons_on_time, satisfaction_responses, satisfied)
SELECT %(tenant)s, x.ancestor_id, own.month, sum(own.demands), sum(own.withdrawn),
       sum(own.responded), sum(own.resolved), sum(own.matched), sum(own.in_project),
       sum(own.resources), sum(own.projects), sum(own.completed), sum(own.on_time),
       sum(own.whistles), sum(own.decided), sum(own.summons_on_time), sum(own.responses),
       sum(own.satisfied)
FROM (
    SELECT committee_id, month, count(*) AS demands,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
           count(*) FILTER (WHERE responded AND status <> 'withdrawn') AS responded,
           count(*) FILTER (WHERE status = 'fulfilled') AS resolved,
           count(*) FILTER (WHERE matched AND status <> 'withdrawn') AS matched,
           count(*) FILTER (WHERE in_project AND status <> 'withdrawn') AS in_project,
           0 AS resources, 0 AS projects, 0 AS completed, 0 AS on_time,
           0 AS whistles, 0 AS decided, 0 AS summons_on_time, 0 AS responses, 0 AS satisfied
    FROM dash_demand GROUP BY 1, 2
    UNION ALL
    SELECT committee_id, date_trunc('month', created_at AT TIME ZONE %(tz)s)::date,
           0, 0, 0, 0, 0, 0, count(*), 0, 0, 0, 0, 0, 0, 0, 0
    FROM resources_resource WHERE tenant_id = %(tenant)s GROUP BY 1, 2
    UNION ALL
    SELECT committee_id, date_trunc('month', created_at AT TIME ZONE %(tz)s)::date,
           0, 0, 0, 0, 0, 0, 0, count(*), 0, 0, 0, 0, 0, 0, 0
    FROM projects_project WHERE tenant_id = %(tenant)s GROUP BY 1, 2
    UNION ALL
    SELECT committee_id, date_trunc('month', completed_at AT TIME ZONE %(tz)s)::date,
           0, 0, 0, 0, 0, 0, 0, 0, count(*),
           count(*) FILTER (WHERE (completed_at AT TIME ZONE %(tz)s)::date <= due_on),
           0, 0, 0, 0, 0
    FROM projects_project
    WHERE tenant_id = %(tenant)s AND completed_at IS NOT NULL
      AND status IN ('completed', 'evaluated')
    GROUP BY 1, 2
    UNION ALL
    SELECT w.committee_id, date_trunc('month', w.blown_at AT TIME ZONE %(tz)s)::date,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, count(DISTINCT w.id),
           count(s.id) FILTER (WHERE s.on_time IS NOT NULL),
           count(s.id) FILTER (WHERE s.on_time), 0, 0
    FROM projects_whistle w LEFT JOIN projects_summons s ON s.whistle_id = w.id
    WHERE w.tenant_id = %(tenant)s AND w.status <> 'cancelled'
    GROUP BY 1, 2
    UNION ALL
    SELECT committee_id, date_trunc('month', created_at AT TIME ZONE %(tz)s)::date,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*), count(*) FILTER (WHERE satisfied)
    FROM projects_satisfactionresponse WHERE tenant_id = %(tenant)s
    GROUP BY 1, 2
) own
JOIN dash_ancestry x ON x.committee_id = own.committee_id
GROUP BY x.ancestor_id, own.month
"""

MIX_SQL = """
INSERT INTO dashboard_mixfigures (tenant_id, committee_id, month, dimension, key, demands)
SELECT %(tenant)s, x.ancestor_id, own.month, own.dimension, own.key, sum(own.n)
FROM (
    SELECT committee_id, month, 'category' AS dimension, category_id::text AS key, count(*) AS n
    FROM dash_demand WHERE status <> 'withdrawn' GROUP BY 1, 2, 4
    UNION ALL
    SELECT committee_id, month, 'source', source, count(*)
    FROM dash_demand WHERE status <> 'withdrawn' GROUP BY 1, 2, 4
) own
JOIN dash_ancestry x ON x.committee_id = own.committee_id
GROUP BY 2, 3, 4, 5
"""

# Whole days (floor) from publication to the first recorded match, and from the first match
# to the first recorded move into a project; only where both moments are recorded.
DURATION_SQL = """
INSERT INTO dashboard_durationfigures (tenant_id, committee_id, month, measure, days, demands)
SELECT %(tenant)s, x.ancestor_id, own.month, own.measure, own.days, sum(own.n)
FROM (
    SELECT committee_id, month, 'to_match' AS measure,
           floor(extract(epoch FROM matched_at - published_at) / 86400)::int AS days,
           count(*) AS n
    FROM dash_demand WHERE matched_at IS NOT NULL AND matched_at >= published_at
    GROUP BY 1, 2, 4
    UNION ALL
    SELECT committee_id, month, 'to_project',
           floor(extract(epoch FROM project_at - matched_at) / 86400)::int, count(*)
    FROM dash_demand WHERE project_at IS NOT NULL AND matched_at IS NOT NULL
      AND project_at >= matched_at
    GROUP BY 1, 2, 4
) own
JOIN dash_ancestry x ON x.committee_id = own.committee_id
GROUP BY 2, 3, 4, 5
"""


UNIT_LOAD_SQL = """
INSERT INTO dashboard_unitload (tenant_id, committee_id, unit_id, load)
SELECT %(tenant)s, x.ancestor_id, p.lead_unit_id, count(*)
FROM projects_project p JOIN dash_ancestry x ON x.committee_id = p.committee_id
WHERE p.tenant_id = %(tenant)s AND p.status IN ('planned', 'in_progress')
  AND p.lead_unit_id IS NOT NULL
GROUP BY 2, 3
"""

OVERDUE_SQL = """
INSERT INTO dashboard_overdueentry (tenant_id, committee_id, project_id, due_on)
SELECT %(tenant)s, x.ancestor_id, p.id, p.due_on
FROM projects_project p JOIN dash_ancestry x ON x.committee_id = p.committee_id
WHERE p.tenant_id = %(tenant)s AND p.status IN ('planned', 'in_progress')
  AND p.overdue_at IS NOT NULL
"""

DEPARTMENT_SQL = """
INSERT INTO dashboard_departmentfigures
    (tenant_id, committee_id, month, department_id, decided, on_time, escalated)
SELECT %(tenant)s, x.ancestor_id, own.month, own.department_id, sum(own.decided),
       sum(own.on_time), sum(own.escalated)
FROM (
    SELECT w.committee_id, date_trunc('month', w.blown_at AT TIME ZONE %(tz)s)::date AS month,
           s.department_id, count(*) AS decided, count(*) FILTER (WHERE s.on_time) AS on_time,
           count(*) FILTER (WHERE s.escalated_at IS NOT NULL) AS escalated
    FROM projects_summons s JOIN projects_whistle w ON w.id = s.whistle_id
    WHERE w.tenant_id = %(tenant)s AND w.status <> 'cancelled' AND s.on_time IS NOT NULL
    GROUP BY 1, 2, 3
) own
JOIN dash_ancestry x ON x.committee_id = own.committee_id
GROUP BY 2, 3, 4
"""

ROLLUP_MODELS = (
    MonthlyFigures,
    MixFigures,
    DurationFigures,
    UnitLoad,
    OverdueEntry,
    DepartmentFigures,
)


def refresh(tenant_id: int, *, force_python: bool = False) -> RollupState:
    """Rebuild every rollup row of the tenant; returns its state (when, how long)."""
    started = time.perf_counter()
    params = {"tenant": tenant_id, "tz": settings.TIME_ZONE}
    with transaction.atomic():
        if connection.vendor != "postgresql" or force_python:
            for model in ROLLUP_MODELS:
                model.objects.filter(tenant_id=tenant_id).delete()
            _refresh_python(tenant_id)
            return _state(tenant_id, started)
        # One rebuild of a tenant at a time: a second waits, then rebuilds from fresh data.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7311, tenant_id])
            for model in ROLLUP_MODELS:
                model.objects.filter(tenant_id=tenant_id).delete()
            # Inside an outer transaction (a test, a caller's atomic block) the temporary
            # tables of an earlier rebuild are still there.
            cursor.execute("DROP TABLE IF EXISTS dash_demand, dash_ancestry")
            cursor.execute(DEMANDS_SQL, params)
            cursor.execute(ANCESTRY_SQL, params)
            cursor.execute("CREATE INDEX ON dash_ancestry (committee_id)")
            cursor.execute(MONTHLY_SQL, params)
            cursor.execute(MIX_SQL, params)
            cursor.execute(DURATION_SQL, params)
            cursor.execute(UNIT_LOAD_SQL, params)
            cursor.execute(OVERDUE_SQL, params)
            cursor.execute(DEPARTMENT_SQL, params)
        return _state(tenant_id, started)


def _state(tenant_id: int, started: float) -> RollupState:
    state, _ = RollupState.objects.update_or_create(
        tenant_id=tenant_id,
        defaults={
            "refreshed_at": timezone.now(),
            "seconds": time.perf_counter() - started,
            "generation": F("generation") + 1,
        },
        create_defaults={
            "refreshed_at": timezone.now(),
            "seconds": time.perf_counter() - started,
            "generation": 1,
        },
    )
    state.refresh_from_db()
    return state


# --- the same rows without PostgreSQL (the embedded SQLite demo) --------------------------------


def _month(moment) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def _ancestry(tenant_id: int) -> dict[int, list[int]]:
    """Each committee's ancestors, itself included, from the MPTT ranges."""
    rows = list(
        Committee.objects.filter(tenant_id=tenant_id).values_list("pk", "tree_id", "lft", "rght")
    )
    return {
        pk: [a for a, t2, l2, r2 in rows if t2 == tree and l2 <= lft and r2 >= rght]
        for pk, tree, lft, rght in rows
    }


def _refresh_python(tenant_id: int) -> None:
    """What the SQL statements above compute, row by row in Python: for a database without
    PostgreSQL's functions, on demo-sized data. `test_rollups_agree` holds the two together."""
    from demands.models import Demand, DemandTransition
    from projects.models import Project, SatisfactionResponse, Summons
    from resources.models import Resource

    ancestry = _ancestry(tenant_id)
    monthly: dict = defaultdict(lambda: defaultdict(int))
    mix: dict = defaultdict(int)
    durations: dict = defaultdict(int)

    def add(committee_id, month, **counts):
        for ancestor in ancestry[committee_id]:
            for key, n in counts.items():
                monthly[(ancestor, month)][key] += n

    moves: dict[int, dict] = defaultdict(dict)
    for demand_id, from_status, to_status, at in DemandTransition.objects.filter(
        tenant_id=tenant_id
    ).values_list("demand_id", "from_status", "to_status", "at"):
        seen = moves[demand_id]
        if to_status in ("matched", "in_project"):
            seen[to_status] = min(at, seen.get(to_status, at))
        if from_status == "published" and to_status != "withdrawn":
            seen["moved_on"] = True
    for d in Demand.objects.filter(tenant_id=tenant_id, published_at__isnull=False).values(
        "pk", "committee_id", "category_id", "source", "status", "published_at"
    ):
        seen, status, month = moves.get(d["pk"], {}), d["status"], _month(d["published_at"])
        matched_at, project_at = seen.get("matched"), seen.get("in_project")
        kept = status != "withdrawn"
        responded = seen.get("moved_on", False) or status in (
            "matched",
            "in_project",
            "fulfilled",
            "rejected",
        )
        add(
            d["committee_id"],
            month,
            demands=1,
            withdrawn=int(not kept),
            responded=int(responded and kept),
            resolved=int(status == "fulfilled"),
            matched=int(kept and (matched_at is not None or status in ("matched", "in_project"))),
            in_project=int(kept and (project_at is not None or status == "in_project")),
        )
        for ancestor in ancestry[d["committee_id"]]:
            if kept:
                mix[(ancestor, month, MixFigures.CATEGORY, str(d["category_id"]))] += 1
                mix[(ancestor, month, MixFigures.SOURCE, d["source"])] += 1
            if matched_at is not None and matched_at >= d["published_at"]:
                days = int((matched_at - d["published_at"]).total_seconds() // 86400)
                durations[(ancestor, month, DurationFigures.TO_MATCH, days)] += 1
            if project_at is not None and matched_at is not None and project_at >= matched_at:
                days = int((project_at - matched_at).total_seconds() // 86400)
                durations[(ancestor, month, DurationFigures.TO_PROJECT, days)] += 1
    for committee_id, created in Resource.objects.filter(tenant_id=tenant_id).values_list(
        "committee_id", "created_at"
    ):
        add(committee_id, _month(created), resources=1)
    loads: dict = defaultdict(int)
    overdue = []
    for p in Project.objects.filter(tenant_id=tenant_id).values(
        "pk",
        "committee_id",
        "created_at",
        "completed_at",
        "status",
        "due_on",
        "lead_unit_id",
        "overdue_at",
    ):
        add(p["committee_id"], _month(p["created_at"]), projects=1)
        if p["completed_at"] and p["status"] in ("completed", "evaluated"):
            on_time = timezone.localtime(p["completed_at"]).date() <= p["due_on"]
            add(
                p["committee_id"],
                _month(p["completed_at"]),
                projects_completed=1,
                projects_on_time=int(on_time),
            )
        if p["status"] in ("planned", "in_progress"):
            for ancestor in ancestry[p["committee_id"]]:
                if p["lead_unit_id"]:
                    loads[(ancestor, p["lead_unit_id"])] += 1
                if p["overdue_at"]:
                    overdue.append((ancestor, p["pk"], p["due_on"]))
    departments: dict = defaultdict(lambda: [0, 0, 0])
    whistles_seen: set = set()
    summons = Summons.objects.filter(tenant_id=tenant_id).exclude(whistle__status="cancelled")
    from projects.models import Whistle

    for w in (
        Whistle.objects.filter(tenant_id=tenant_id)
        .exclude(status="cancelled")
        .values("pk", "committee_id", "blown_at")
    ):
        whistles_seen.add(w["pk"])
        add(w["committee_id"], _month(w["blown_at"]), whistles=1)
    for s in summons.values(
        "whistle__committee_id", "whistle__blown_at", "department_id", "on_time", "escalated_at"
    ):
        if s["on_time"] is None:
            continue
        month = _month(s["whistle__blown_at"])
        add(
            s["whistle__committee_id"],
            month,
            summons_decided=1,
            summons_on_time=int(bool(s["on_time"])),
        )
        for ancestor in ancestry[s["whistle__committee_id"]]:
            row = departments[(ancestor, month, s["department_id"])]
            row[0] += 1
            row[1] += int(bool(s["on_time"]))
            row[2] += int(s["escalated_at"] is not None)
    for committee_id, created, satisfied in SatisfactionResponse.objects.filter(
        tenant_id=tenant_id
    ).values_list("committee_id", "created_at", "satisfied"):
        add(committee_id, _month(created), satisfaction_responses=1, satisfied=int(satisfied))

    MonthlyFigures.objects.bulk_create(
        MonthlyFigures(tenant_id=tenant_id, committee_id=c, month=m, **counts)
        for (c, m), counts in monthly.items()
    )
    MixFigures.objects.bulk_create(
        MixFigures(tenant_id=tenant_id, committee_id=c, month=m, dimension=dim, key=k, demands=n)
        for (c, m, dim, k), n in mix.items()
    )
    DurationFigures.objects.bulk_create(
        DurationFigures(
            tenant_id=tenant_id, committee_id=c, month=m, measure=measure, days=days, demands=n
        )
        for (c, m, measure, days), n in durations.items()
    )
    UnitLoad.objects.bulk_create(
        UnitLoad(tenant_id=tenant_id, committee_id=c, unit_id=u, load=n)
        for (c, u), n in loads.items()
    )
    OverdueEntry.objects.bulk_create(
        OverdueEntry(tenant_id=tenant_id, committee_id=c, project_id=p, due_on=due)
        for c, p, due in overdue
    )
    DepartmentFigures.objects.bulk_create(
        DepartmentFigures(
            tenant_id=tenant_id,
            committee_id=c,
            month=m,
            department_id=d,
            decided=row[0],
            on_time=row[1],
            escalated=row[2],
        )
        for (c, m, d), row in departments.items()
    )

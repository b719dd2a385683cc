"""Rebuilding a tenant's rollups (monthly figures, demand mix, durations, units' load, overdue
projects, departments' reports) from the source
tables, in one transaction: the readers see the old rows until the new ones are committed.

Each source row is filed under the committee it belongs to and the month (Asia/Shanghai) of the
date that counts for it, then added to every ancestor of that committee (MPTT ranges), so each
committee's rows hold its whole subtree. The definitions of what each column counts are the
selectors' docstrings (`dashboard.selectors.FIGURES`); this module is their one implementation.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

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


def refresh(tenant_id: int) -> RollupState:
    """Rebuild every rollup row of the tenant; returns its state (when, how long)."""
    started = time.perf_counter()
    params = {"tenant": tenant_id, "tz": settings.TIME_ZONE}
    with transaction.atomic():
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
        state, _ = RollupState.objects.update_or_create(
            tenant_id=tenant_id,
            defaults={
                "refreshed_at": timezone.now(),
                "seconds": time.perf_counter() - started,
            },
        )
    return state

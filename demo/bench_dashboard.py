"""The dashboard's figures for `manage.py bench` (`--only dashboard`).

For the city root and a district: p50/p95 of the dashboard page (server time through Django's
test client: middleware, scoping, selector over the rollups, template) and of the one hand-written
SQL statement that computes the same figures straight from the source tables (demands and their
transitions, resources, projects, whistles and summons, satisfaction responses, over MPTT ranges),
and the ratio of the two. Then the same at twice the data: every demand, resource, project,
whistle (with its summons) and satisfaction response copied once more inside a transaction that
is rolled back, the rollups rebuilt, and both measured again. The rollup rebuild's own time is a
figure too: it is what the beat task spends every five minutes.

The scale seeder writes no demand history (DemandTransition); `ensure_demand_history` adds one
transition per step for the demands that have moved on (matched, in a project, fulfilled,
rejected), a few days apart, so the match rate and the medians have something to read.
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from committees.models import Committee, Level
from dashboard import rollups, selectors
from demo.bench_budget import within
from members.models import Role, RoleGrant, User

BUDGET_P95_MS = 150.0  # issue 11: the dashboard p95 under 150 ms ...
BUDGET_RATIO = 3.0  # ... and within 3x of the hand-written SQL
SQL_MAX_SECONDS = 30.0  # the hand-written SQL is timed this long at most (5 runs at least)

HISTORY_SQL = """
INSERT INTO demands_demandtransition (tenant_id, demand_id, from_status, to_status, actor_id,
                                      reason, at)
SELECT d.tenant_id, d.id, step.from_status, step.to_status, d.created_by_id, '',
       d.published_at + (step.n * (1 + d.id %% 5)) * interval '1 day' + interval '2 hours'
FROM demands_demand d
CROSS JOIN LATERAL (VALUES
    (1, 'published', CASE WHEN d.status = 'rejected' THEN 'rejected' ELSE 'matched' END),
    (2, 'matched', CASE WHEN d.status = 'fulfilled' THEN 'fulfilled' ELSE 'in_project' END)
) AS step(n, from_status, to_status)
WHERE d.tenant_id = %s AND d.published_at IS NOT NULL
  AND d.status IN ('matched', 'in_project', 'fulfilled', 'rejected')
  AND (step.n = 1 OR d.status IN ('in_project', 'fulfilled'))
  AND NOT EXISTS (SELECT 1 FROM demands_demandtransition t WHERE t.demand_id = d.id)
"""

# The same figures as the page, computed from the source tables in one statement: one row per
# committee (the root and each child) with its counts, rates' parts and medians, plus the root's
# monthly demands, its demand mix, the overdue list, the most loaded units and the worst
# departments as JSON.
HAND_SQL = """
WITH kids AS (
    SELECT id, tenant_id, tree_id, lft, rght FROM committees_committee
    WHERE id = %(root)s OR (parent_id = %(root)s AND closed_at IS NULL)
), scope AS (
    SELECT k.id AS child_id, c.id AS committee_id
    FROM kids k JOIN committees_committee c
      ON c.tenant_id = k.tenant_id AND c.tree_id = k.tree_id AND c.lft BETWEEN k.lft AND k.rght
), dem AS (
    SELECT s.child_id, d.status, d.category_id, d.source, d.published_at,
           t.matched_at, t.project_at,
           coalesce(t.moved_on, false)
             OR d.status IN ('matched', 'in_project', 'fulfilled', 'rejected') AS responded,
           t.matched_at IS NOT NULL OR d.status IN ('matched', 'in_project') AS matched
    FROM scope s JOIN demands_demand d ON d.committee_id = s.committee_id
    LEFT JOIN LATERAL (
        SELECT min(tr.at) FILTER (WHERE tr.to_status = 'matched') AS matched_at,
               min(tr.at) FILTER (WHERE tr.to_status = 'in_project') AS project_at,
               bool_or(tr.from_status = 'published' AND tr.to_status <> 'withdrawn') AS moved_on
        FROM demands_demandtransition tr WHERE tr.demand_id = d.id
    ) t ON true
    WHERE d.published_at >= %(first)s AND d.published_at < %(end)s
), dem_fig AS (
    SELECT child_id, count(*) AS demands,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
           count(*) FILTER (WHERE responded AND status <> 'withdrawn') AS responded,
           count(*) FILTER (WHERE status = 'fulfilled') AS resolved,
           count(*) FILTER (WHERE matched AND status <> 'withdrawn') AS matched,
           percentile_disc(0.5) WITHIN GROUP (
               ORDER BY floor(extract(epoch FROM matched_at - published_at) / 86400))
               FILTER (WHERE matched_at >= published_at) AS to_match,
           percentile_disc(0.5) WITHIN GROUP (
               ORDER BY floor(extract(epoch FROM project_at - matched_at) / 86400))
               FILTER (WHERE project_at >= matched_at) AS to_project
    FROM dem GROUP BY child_id
), res_fig AS (
    SELECT s.child_id, count(*) AS resources
    FROM scope s JOIN resources_resource r ON r.committee_id = s.committee_id
    WHERE r.created_at >= %(first)s AND r.created_at < %(end)s GROUP BY 1
), proj_fig AS (
    SELECT s.child_id,
           count(*) FILTER (WHERE p.created_at >= %(first)s AND p.created_at < %(end)s)
               AS projects,
           count(*) FILTER (WHERE p.completed_at >= %(first)s AND p.completed_at < %(end)s
                            AND p.status IN ('completed', 'evaluated')) AS completed,
           count(*) FILTER (WHERE p.completed_at >= %(first)s AND p.completed_at < %(end)s
                            AND p.status IN ('completed', 'evaluated')
                            AND (p.completed_at AT TIME ZONE %(tz)s)::date <= p.due_on)
               AS on_time
    FROM scope s JOIN projects_project p ON p.committee_id = s.committee_id GROUP BY 1
), wh_fig AS (
    SELECT s.child_id, count(DISTINCT w.id) AS whistles,
           count(sm.id) FILTER (WHERE sm.on_time IS NOT NULL) AS decided,
           count(sm.id) FILTER (WHERE sm.on_time) AS on_time
    FROM scope s JOIN projects_whistle w ON w.committee_id = s.committee_id
    LEFT JOIN projects_summons sm ON sm.whistle_id = w.id
    WHERE w.blown_at >= %(first)s AND w.blown_at < %(end)s AND w.status <> 'cancelled'
    GROUP BY 1
), sat_fig AS (
    SELECT s.child_id, count(*) AS responses, count(*) FILTER (WHERE r.satisfied) AS satisfied
    FROM scope s JOIN projects_satisfactionresponse r ON r.committee_id = s.committee_id
    WHERE r.created_at >= %(first)s AND r.created_at < %(end)s GROUP BY 1
)
SELECT k.id, d.demands, d.withdrawn, d.responded, d.resolved, d.matched, d.to_match,
       d.to_project, r.resources, p.projects, p.completed, p.on_time, w.whistles, w.decided,
       w.on_time, s.responses, s.satisfied,
       CASE WHEN k.id = %(root)s THEN (
           SELECT json_build_object(
               'months', (SELECT json_agg(x) FROM (
                   SELECT date_trunc('month', published_at AT TIME ZONE %(tz)s) AS m, count(*)
                   FROM dem WHERE child_id = %(root)s GROUP BY 1 ORDER BY 1) x),
               'categories', (SELECT json_agg(x) FROM (
                   SELECT c.name, count(*) AS n FROM dem JOIN categories_category c
                     ON c.id = dem.category_id
                   WHERE child_id = %(root)s AND status <> 'withdrawn'
                   GROUP BY c.name ORDER BY n DESC) x),
               'sources', (SELECT json_agg(x) FROM (
                   SELECT source, count(*) AS n FROM dem
                   WHERE child_id = %(root)s AND status <> 'withdrawn'
                   GROUP BY source ORDER BY n DESC) x),
               'overdue', (SELECT json_agg(x) FROM (
                   SELECT p.id, p.title, c.name, u.name AS unit, p.due_on
                   FROM scope s JOIN projects_project p ON p.committee_id = s.committee_id
                   JOIN committees_committee c ON c.id = p.committee_id
                   LEFT JOIN members_memberunit u ON u.id = p.lead_unit_id
                   WHERE s.child_id = %(root)s AND p.status IN ('planned', 'in_progress')
                     AND p.overdue_at IS NOT NULL
                   ORDER BY p.due_on, p.id LIMIT 20) x),
               'overdue_count', (SELECT count(*)
                   FROM scope s JOIN projects_project p ON p.committee_id = s.committee_id
                   WHERE s.child_id = %(root)s AND p.status IN ('planned', 'in_progress')
                     AND p.overdue_at IS NOT NULL),
               'units', (SELECT json_agg(x) FROM (
                   SELECT u.name, c.name AS committee, count(*) AS load
                   FROM scope s JOIN projects_project p ON p.committee_id = s.committee_id
                   JOIN members_memberunit u ON u.id = p.lead_unit_id
                   JOIN committees_committee c ON c.id = u.committee_id
                   WHERE s.child_id = %(root)s AND p.status IN ('planned', 'in_progress')
                   GROUP BY u.id, u.name, c.name ORDER BY load DESC, u.id LIMIT 10) x),
               'departments', (SELECT json_agg(x) FROM (
                   SELECT u.name, count(*) AS summoned,
                          count(*) FILTER (WHERE sm.on_time) AS on_time,
                          count(*) FILTER (WHERE sm.escalated_at IS NOT NULL) AS escalated
                   FROM scope s JOIN projects_whistle w ON w.committee_id = s.committee_id
                   JOIN projects_summons sm ON sm.whistle_id = w.id
                   JOIN members_memberunit u ON u.id = sm.department_id
                   WHERE s.child_id = %(root)s AND sm.on_time IS NOT NULL
                     AND w.status <> 'cancelled'
                     AND w.blown_at >= %(first)s AND w.blown_at < %(end)s
                   GROUP BY u.id, u.name
                   ORDER BY count(*) FILTER (WHERE sm.on_time)::float / count(*),
                            escalated DESC, u.name LIMIT 10) x)
           )) END AS extras
FROM kids k
LEFT JOIN dem_fig d ON d.child_id = k.id
LEFT JOIN res_fig r ON r.child_id = k.id
LEFT JOIN proj_fig p ON p.child_id = k.id
LEFT JOIN wh_fig w ON w.child_id = k.id
LEFT JOIN sat_fig s ON s.child_id = k.id
"""

# Twice the data: each row of these tables copied once (the copies get new ids; summons follow
# their whistle's copy). Run inside a transaction that is rolled back.
DOUBLE_TABLES = (
    "demands_demand",
    "resources_resource",
    "projects_project",
    "projects_satisfactionresponse",
)


def ensure_demand_history(tenant) -> int:
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, [tenant.pk])
        return cursor.rowcount


def city_leader(tenant, root: Committee) -> User:
    """The scale tenant has accounts for districts, streets and communities; the city's leader
    is made here, once."""
    user, created = User.objects.get_or_create(
        username=f"{tenant.slug}-city-leader", defaults={"tenant": tenant}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleGrant.objects.create(tenant=tenant, user=user, role=Role.LEADER, committee=root)
    return user


def _percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[
        min(len(timings) - 1, round(0.95 * (len(timings) - 1)))
    ]


def time_page(
    client: Client, url: str, runs: int, cold: bool = False
) -> tuple[float, float, float]:
    """p50 and p95 of the server time, and p95 of this process's CPU time (what the page
    costs when the machine is shared: the wall time also holds the waits for a core).
    `cold`: the cached board is dropped before each request (the first read after a rebuild)."""
    client.get(url)  # warm up
    timings, cpu = [], []
    for _ in range(runs):
        if cold:
            cache.clear()
        started, used = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
    return (*_percentiles(timings), _percentiles(cpu)[1])


def time_sql(committee: Committee, runs: int) -> tuple[float, float]:
    starts = selectors.month_starts(selectors.DEFAULT_MONTHS)
    first, end = selectors._month_bounds(starts[0], starts[-1])
    params = {"root": committee.pk, "first": first, "end": end, "tz": settings.TIME_ZONE}
    timings = []
    with connection.cursor() as cursor:
        cursor.execute(HAND_SQL, params)  # warm up
        cursor.fetchall()
        deadline = time.perf_counter() + SQL_MAX_SECONDS
        while len(timings) < runs and (len(timings) < 5 or time.perf_counter() < deadline):
            started = time.perf_counter()
            cursor.execute(HAND_SQL, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return _percentiles(timings)


def _copy_table(cursor, table: str, tenant_id: int) -> int:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    columns = [row[0] for row in cursor.fetchall()]
    if table == "projects_satisfactionresponse":
        # one response per (link, device): the copies take a device key of their own
        select = ", ".join("device_key || '-2'" if c == "device_key" else c for c in columns)
    else:
        select = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names from the catalogue)
        f"SELECT {select} FROM {table} WHERE tenant_id = %s",
        [tenant_id],
    )
    return cursor.rowcount


def _double(tenant_id: int) -> dict[str, int]:
    copied = {}
    with connection.cursor() as cursor:
        for table in DOUBLE_TABLES:
            copied[table] = _copy_table(cursor, table, tenant_id)
        cursor.execute(
            "CREATE TEMP TABLE whistle_copy ON COMMIT DROP AS "
            "SELECT id AS old_id, nextval(pg_get_serial_sequence('projects_whistle', 'id')) "
            "AS new_id FROM projects_whistle WHERE tenant_id = %s",
            [tenant_id],
        )
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'projects_whistle' AND column_name <> 'id' "
            "ORDER BY ordinal_position"
        )
        columns = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"INSERT INTO projects_whistle (id, {', '.join(columns)}) "  # noqa: S608
            f"SELECT c.new_id, {', '.join('w.' + n for n in columns)} FROM projects_whistle w "
            "JOIN whistle_copy c ON c.old_id = w.id"
        )
        copied["projects_whistle"] = cursor.rowcount
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'projects_summons' AND column_name NOT IN ('id', 'whistle_id') "
            "ORDER BY ordinal_position"
        )
        columns = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"INSERT INTO projects_summons (whistle_id, {', '.join(columns)}) "  # noqa: S608
            f"SELECT c.new_id, {', '.join('s.' + n for n in columns)} FROM projects_summons s "
            "JOIN whistle_copy c ON c.old_id = s.whistle_id"
        )
        copied["projects_summons"] = cursor.rowcount
    return copied


class Rollback(Exception):
    pass


def vacuum_rollups() -> None:
    """A rebuild rewrites every rollup row. Where autovacuum is off (as on some of our machines)
    the dead rows and the statistics of the run before stay: the planner then expected 7 of a
    city's 9,874 unit loads and read 266,000 index entries for them (a first read of 190 ms
    instead of 60). Vacuumed after each rebuild, as autovacuum does within its minute."""
    if connection.vendor != "postgresql":
        return
    from django.apps import apps

    # Inside the round that is rolled back, VACUUM cannot run: the statistics at least.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in apps.get_app_config("dashboard").get_models():
            cursor.execute(f"{command} {model._meta.db_table}")


def measure(tenant, district_code: str, runs: int) -> list[tuple[str, str, str, bool | None]]:
    root = Committee.objects.get(tenant=tenant, parent__isnull=True)
    district = Committee.objects.get(tenant=tenant, division_code=district_code)
    history = ensure_demand_history(tenant)
    readers = [
        (root, city_leader(tenant, root)),
        (district, User.objects.get(username=f"{tenant.slug}-{district_code}")),
    ]
    rows: list[tuple[str, str, str, bool | None]] = []
    if history:
        rows.append((f"demand history written (transitions): {history:,}", "", "", None))

    def one_round(label: str) -> None:
        state = rollups.refresh(tenant.pk)
        vacuum_rollups()
        rows.append(
            (
                f"{label}: rebuild the rollups (beat task, every 5 min)",
                f"{state.seconds:.1f} s",
                "< 300 s",
                state.seconds < 300,
            )
        )
        for committee, user in readers:
            client = Client()
            client.force_login(user)
            url = f"/dashboard/{committee.pk}/"
            p50, p95, cpu95 = time_page(client, url, runs)
            c50, c95, _cpu = time_page(client, url, runs, cold=True)
            s50, s95 = time_sql(committee, runs)
            ratio = p95 / s95 if s95 else 0.0
            name = "city root" if committee.level == Level.CITY else committee.name
            rows.append(
                (
                    f"{label}: dashboard at {name}, p50 / p95 ms",
                    f"{p50:.1f} / {p95:.1f}",
                    f"< {BUDGET_P95_MS:.0f} ms",
                    within(p95, BUDGET_P95_MS),
                )
            )
            rows.append(
                (f"{label}:   page's own CPU time at {name}, p95 ms", f"{cpu95:.1f}", "", None)
            )
            rows.append(
                (
                    f"{label}:   first read after a rebuild (uncached) at {name}, p50 / p95 ms",
                    f"{c50:.1f} / {c95:.1f}",
                    f"< {BUDGET_P95_MS:.0f} ms",
                    within(c95, BUDGET_P95_MS),
                )
            )
            rows.append(
                (
                    f"{label}:   hand-written SQL at {name}, p50 / p95 ms",
                    f"{s50:.1f} / {s95:.1f}",
                    "",
                    None,
                )
            )
            rows.append(
                (
                    f"{label}:   ratio page p95 / SQL p95 at {name}",
                    f"{ratio:.2f}",
                    f"< {BUDGET_RATIO:.0f}x",
                    within(ratio, BUDGET_RATIO),
                )
            )

    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
        one_round("Beijing scale")
        try:
            with transaction.atomic():
                copied = _double(tenant.pk)
                rows.append(
                    (
                        "twice the data: rows copied (rolled back afterwards)",
                        f"{sum(copied.values()):,}",
                        "",
                        None,
                    )
                )
                one_round("twice the data")
                raise Rollback
        except Rollback:
            pass
        rollups.refresh(tenant.pk)  # the rows of the real data again
    rows.append(("measured at", f"{timezone.localtime():%Y-%m-%d %H:%M}", "", None))
    return rows

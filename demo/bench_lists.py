"""The hand-written SQL of each list's page, for `bench`'s ratio column: what a person writing
the query by hand for the same page would send (the page's rows with the names a row shows, and
the count when the response carries one), timed the same way as the endpoint. The ratio of the
endpoint's p95 to this one's is what the ORM, the view and the serialisation add.

The scope is the reader's one grant: the committees of its MPTT range, by id (the way
`core.scoping.scope_ids_q` writes it: as an array where two keys' scopes are OR-ed)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import connection

from core.pagination import CappedPaginator

SCOPE = """SELECT id FROM committees_committee
    WHERE tenant_id = %(tenant)s AND tree_id = %(tree)s AND lft BETWEEN %(lft)s AND %(rght)s"""


def in_scope(column: str) -> str:
    return f"{column} = ANY(ARRAY({SCOPE}))"


def scope_params(user) -> dict:
    grant = user.grants.select_related("committee").first()
    committee = grant.committee
    return {
        "tenant": committee.tenant_id,
        "tree": committee.tree_id,
        "lft": committee.lft,
        "rght": committee.rght,
        "user": user.pk,
        "depth": committee.depth,
        "whole": committee.lft == 1,
    }


def tenant_wide(sql: str) -> str:
    """For a reader whose range is the whole tree (a city's leader) the scope is the tenant,
    written as a person would: on the row's own tenant column, not as the ids of every one of
    its committees."""

    def own_tenant(match: re.Match) -> str:
        alias = match.group(1).rpartition(".")[0]
        return f"{alias + '.' if alias else ''}tenant_id = %(tenant)s"

    sql = re.sub(rf"([\w.]+) IN \({re.escape(SCOPE)}\)", own_tenant, sql)
    return re.sub(rf"([\w.]+) = ANY\(ARRAY\({re.escape(SCOPE)}\)\)", own_tenant, sql)


def runner(statements: list[str], params: dict) -> Callable[[], int]:
    if params["whole"]:
        statements = [tenant_wide(sql) for sql in statements]

    def run() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql, params)
                rows = rows or len(cursor.fetchall())
        return rows

    return run


def with_pickers(run: Callable[[], int], params: dict, *, categories: bool) -> Callable[[], int]:
    """A page's list and what its filter pickers offer, as the page shows them: the committees
    of the reader's range down to one level below theirs, and (where the list has a category)
    the tenant's categories. An endpoint has no pickers; its page does."""
    statements = [
        f"""SELECT id, name, depth, tree_id, lft FROM committees_committee
            WHERE id IN ({SCOPE}) AND closed_at IS NULL AND depth <= %(depth)s + 1
            ORDER BY tree_id, lft LIMIT 500"""
    ]
    if categories:
        statements.append(
            """SELECT id, name FROM categories_category WHERE tenant_id = %(tenant)s
                AND is_active ORDER BY position, id"""
        )
    pickers = runner(statements, params)

    def both() -> int:
        rows = run()
        pickers()
        return rows

    return both


def member_units(params: dict, *, order: str = "u.id") -> Callable[[], int]:
    where = f"""u.tenant_id = %(tenant)s AND (u.committee_id IN ({SCOPE})
        OR u.id IN (SELECT unit_id FROM members_membership WHERE committee_id IN ({SCOPE})))"""
    return runner(
        [
            f"""SELECT u.*, c.name FROM members_memberunit u
                JOIN committees_committee c ON c.id = u.committee_id
                WHERE {where} ORDER BY {order} LIMIT 50""",
            f"SELECT count(*) FROM members_memberunit u WHERE {where}",
        ],
        params,
    )


def party_members(params: dict, *, count: bool) -> Callable[[], int]:
    where = f"tenant_id = %(tenant)s AND community_id IN ({SCOPE})"
    statements = [
        f"""SELECT id, name, phone, employer_name, community_id, registration_status, points
            FROM party_members_partymember WHERE {where} ORDER BY id LIMIT 50"""
    ]
    if count:
        statements.append(f"SELECT count(*) FROM party_members_partymember WHERE {where}")
    return runner(statements, params)


def party_member_page(params: dict) -> Callable[[], int]:
    """Staff's page: the members of the scope in tree order (community, then name), the reader's
    own record left out, counted up to the page's cap (`core.pagination.CappedPaginator`)."""
    where = f"p.community_id IN ({SCOPE}) AND p.user_id <> %(user)s"
    return runner(
        [
            f"""SELECT p.*, c.name FROM party_members_partymember p
                JOIN committees_committee c ON c.id = p.community_id
                WHERE {where} AND c.tree_id = %(tree)s AND c.lft BETWEEN %(lft)s AND %(rght)s
                ORDER BY c.lft, p.name LIMIT 50""",
            f"""SELECT count(*) FROM (SELECT 1 FROM party_members_partymember p WHERE {where}
                LIMIT {CappedPaginator.cap + 1}) AS counted""",
        ],
        params,
    )


def pending_services(params: dict) -> Callable[[], int]:
    """What waits for verification in the scope, oldest service first, with the member's, the
    team's and the community's names."""
    where = f"r.tenant_id = %(tenant)s AND r.community_id IN ({SCOPE}) AND r.status = 'pending'"
    return runner(
        [
            f"""SELECT r.*, p.name, t.name, c.name FROM party_members_servicerecord r
                JOIN party_members_partymember p ON p.id = r.member_id
                LEFT JOIN party_members_serviceteam t ON t.id = r.team_id
                JOIN committees_committee c ON c.id = r.community_id
                WHERE {where} ORDER BY r.served_on, r.id LIMIT 50""",
            f"SELECT count(*) FROM party_members_servicerecord r WHERE {where}",
        ],
        params,
    )


def service_records(params: dict, *, count: bool) -> Callable[[], int]:
    """The newest page: for a broad scope (a district) walking the tenant's newest-first index
    (the tenant on the row), for a narrow one (a street) reading its communities' rows: the
    better of the two plans, as `ServiceRecordQuerySet` chooses."""
    broad = (params["rght"] - params["lft"] - 1) // 2 >= 100
    tenant = "tenant_id = %(tenant)s AND " if broad else ""
    where = f"{tenant}community_id IN ({SCOPE})"
    statements = [
        f"""SELECT id, community_id, member_id, team_id, served_on, hours, kind, description,
                location, status, verified_at
            FROM party_members_servicerecord WHERE {where}
            ORDER BY served_on DESC, id DESC LIMIT 50"""
    ]
    if count:
        statements.append(f"SELECT count(*) FROM party_members_servicerecord WHERE {where}")
    return runner(statements, params)


def demands(params: dict, *, page: bool = False) -> Callable[[], int]:
    where = f"""d.tenant_id = %(tenant)s
        AND ({in_scope("d.committee_id")} OR {in_scope("d.handling_committee_id")})"""
    statements = [
        f"""SELECT d.*, cat.name, c.name, h.name, u.name FROM demands_demand d
            JOIN categories_category cat ON cat.id = d.category_id
            JOIN committees_committee c ON c.id = d.committee_id
            JOIN committees_committee h ON h.id = d.handling_committee_id
            LEFT JOIN members_memberunit u ON u.id = d.raised_by_unit_id
            WHERE {where} ORDER BY d.created_at DESC, d.id DESC LIMIT 50""",
        # the page counts per state for its tabs, the API counts the whole
        f"SELECT d.status, count(*) FROM demands_demand d WHERE {where} GROUP BY d.status"
        if page
        else f"SELECT count(*) FROM demands_demand d WHERE {where}",
    ]
    return runner(statements, params)


def resources(params: dict) -> Callable[[], int]:
    where = f"r.tenant_id = %(tenant)s AND r.committee_id IN ({SCOPE})"
    return runner(
        [
            f"""SELECT r.*, cat.name, c.name, u.name FROM resources_resource r
                JOIN categories_category cat ON cat.id = r.category_id
                JOIN committees_committee c ON c.id = r.committee_id
                LEFT JOIN members_memberunit u ON u.id = r.offered_by_id
                WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT 50""",
            f"SELECT count(*) FROM resources_resource r WHERE {where}",
        ],
        params,
    )


def matches(params: dict) -> Callable[[], int]:
    where = f"""m.tenant_id = %(tenant)s AND m.demand_id IN (SELECT d.id FROM demands_demand d
        WHERE {in_scope("d.committee_id")} OR {in_scope("d.handling_committee_id")})"""
    if params["whole"]:  # every demand of the tenant: the row's own tenant says it
        where = "m.tenant_id = %(tenant)s"
    return runner(
        [
            # the page's keys on the matches' own table first, then its 50 rows joined
            f"""WITH page AS (SELECT m.id, m.demand_id, m.rank FROM demands_match m
                    WHERE {where} ORDER BY m.demand_id, m.rank LIMIT 50)
                SELECT m.*, r.title, u.name FROM page JOIN demands_match m ON m.id = page.id
                JOIN resources_resource r ON r.id = m.resource_id
                LEFT JOIN members_memberunit u ON u.id = r.offered_by_id
                ORDER BY page.demand_id, page.rank""",
            f"SELECT count(*) FROM demands_match m WHERE {where}",
        ],
        params,
    )


def claims(params: dict) -> Callable[[], int]:
    where = f"""k.tenant_id = %(tenant)s AND k.demand_id IN (SELECT d.id FROM demands_demand d
        WHERE {in_scope("d.committee_id")} OR {in_scope("d.handling_committee_id")})"""
    if params["whole"]:  # every demand of the tenant: the row's own tenant says it
        where = "k.tenant_id = %(tenant)s"
    return runner(
        [
            f"""SELECT k.*, d.title, u.name FROM demands_claim k
                JOIN demands_demand d ON d.id = k.demand_id
                JOIN members_memberunit u ON u.id = k.unit_id
                WHERE {where} ORDER BY k.created_at DESC, k.id DESC LIMIT 50""",
            f"SELECT count(*) FROM demands_claim k WHERE {where}",
        ],
        params,
    )


def projects(params: dict) -> Callable[[], int]:
    where = f"p.tenant_id = %(tenant)s AND p.committee_id IN ({SCOPE})"
    return runner(
        [
            f"""SELECT p.*, c.name FROM projects_project p
                JOIN committees_committee c ON c.id = p.committee_id
                WHERE {where} ORDER BY p.created_at DESC, p.id DESC LIMIT 50""",
            f"SELECT count(*) FROM projects_project p WHERE {where}",
        ],
        params,
    )


def committees(params: dict) -> Callable[[], int]:
    where = """tenant_id = %(tenant)s AND tree_id = %(tree)s
        AND lft BETWEEN %(lft)s AND %(rght)s"""
    return runner(
        [
            f"""SELECT * FROM committees_committee WHERE {where}
                ORDER BY tree_id, lft LIMIT 50""",
            f"SELECT count(*) FROM committees_committee WHERE {where}",
        ],
        params,
    )


def whistles(params: dict) -> Callable[[], int]:
    """The page of whistles with their summons counted (summoned, reported, late), newest first."""
    where = f"w.tenant_id = %(tenant)s AND w.committee_id IN ({SCOPE})"
    return runner(
        [
            f"""SELECT w.*, c.name,
                    count(DISTINCT s.id),
                    count(DISTINCT s.id) FILTER (WHERE s.arrived_at IS NOT NULL),
                    count(DISTINCT s.id) FILTER (WHERE NOT s.on_time)
                FROM projects_whistle w
                JOIN committees_committee c ON c.id = w.committee_id
                LEFT JOIN projects_summons s ON s.whistle_id = w.id
                WHERE {where}
                GROUP BY w.id, c.name ORDER BY w.blown_at DESC, w.id DESC LIMIT 50""",
            f"SELECT count(*) FROM projects_whistle w WHERE {where}",
        ],
        params,
    )


def overdue(params: dict) -> Callable[[], int]:
    """The overdue projects, milestones and tasks of the scope in one union, oldest first: the
    page cut on the parts' keys, then named (a place, a milestone's project), and counted."""
    running = "('planned', 'in_progress')"
    keys = f"""
        SELECT 'project' AS kind, p.id, p.due_on FROM projects_project p
            WHERE p.committee_id IN ({SCOPE}) AND p.status IN {running}
                AND p.overdue_at IS NOT NULL
        UNION ALL
        SELECT 'milestone', m.id, m.due_on
            FROM projects_milestone m JOIN projects_project p ON p.id = m.project_id
            WHERE p.committee_id IN ({SCOPE}) AND m.done_at IS NULL
                AND p.status IN {running} AND m.overdue_at IS NOT NULL
        UNION ALL
        SELECT 'task', t.id, t.due_on FROM projects_task t
            WHERE ({in_scope("t.committee_id")} OR {in_scope("t.owner_committee_id")})
                AND t.status = 'open' AND t.overdue_at IS NOT NULL"""
    page = f"""
        WITH page AS (SELECT * FROM ({keys}) AS k ORDER BY due_on, id, kind LIMIT 50)
        SELECT 'project', p.id, p.title, c.name, p.due_on, p.overdue_at, p.escalated_at
            FROM page JOIN projects_project p ON page.kind = 'project' AND p.id = page.id
            JOIN committees_committee c ON c.id = p.committee_id
        UNION ALL
        SELECT 'milestone', m.id, p.title || ' · ' || m.title, c.name, m.due_on, m.overdue_at,
                m.escalated_at
            FROM page JOIN projects_milestone m ON page.kind = 'milestone' AND m.id = page.id
            JOIN projects_project p ON p.id = m.project_id
            JOIN committees_committee c ON c.id = p.committee_id
        UNION ALL
        SELECT 'task', t.id, t.title, c.name, t.due_on, t.overdue_at, t.escalated_at
            FROM page JOIN projects_task t ON page.kind = 'task' AND t.id = page.id
            JOIN committees_committee c ON c.id = t.committee_id"""
    return runner([page, f"SELECT count(*) FROM ({keys}) AS overdue"], params)


def summons(params: dict) -> Callable[[], int]:
    """Summons of the scope's whistles and those escalated into it, the earliest due first, with
    the department's name."""
    where = f"(w.committee_id IN ({SCOPE}) OR s.escalated_to_id IN ({SCOPE}))"
    return runner(
        [
            f"""SELECT s.*, u.name FROM projects_summons s
                JOIN projects_whistle w ON w.id = s.whistle_id
                JOIN members_memberunit u ON u.id = s.department_id
                WHERE {where} ORDER BY s.due_at, s.id LIMIT 50""",
            f"""SELECT count(*) FROM projects_summons s
                JOIN projects_whistle w ON w.id = s.whistle_id WHERE {where}""",
        ],
        params,
    )


def meetings(params: dict) -> Callable[[], int]:
    where = f"m.committee_id IN ({SCOPE})"
    return runner(
        [
            f"""SELECT m.*, c.name FROM projects_meeting m
                JOIN committees_committee c ON c.id = m.committee_id
                WHERE {where} ORDER BY m.starts_at DESC, m.id DESC LIMIT 50""",
            f"SELECT count(*) FROM projects_meeting m WHERE {where}",
        ],
        params,
    )


def tasks(params: dict) -> Callable[[], int]:
    where = f"({in_scope('t.committee_id')} OR {in_scope('t.owner_committee_id')})"
    return runner(
        [
            f"SELECT t.* FROM projects_task t WHERE {where} ORDER BY t.due_on, t.id LIMIT 50",
            f"SELECT count(*) FROM projects_task t WHERE {where}",
        ],
        params,
    )


def milestones(params: dict) -> Callable[[], int]:
    where = "m.tenant_id = %(tenant)s" if params["whole"] else f"p.committee_id IN ({SCOPE})"
    return runner(
        [
            f"""SELECT m.* FROM projects_milestone m JOIN projects_project p ON p.id = m.project_id
                WHERE {where} ORDER BY m.project_id, m.due_on, m.id LIMIT 50""",
            f"""SELECT count(*) FROM projects_milestone m
                JOIN projects_project p ON p.id = m.project_id WHERE {where}""",
        ],
        params,
    )


def evaluations(params: dict) -> Callable[[], int]:
    where = f"e.rater_committee_id IN ({SCOPE})"
    return runner(
        [
            f"""SELECT e.* FROM projects_evaluation e WHERE {where}
                ORDER BY e.rated_at DESC, e.id LIMIT 50""",
            f"SELECT count(*) FROM projects_evaluation e WHERE {where}",
        ],
        params,
    )

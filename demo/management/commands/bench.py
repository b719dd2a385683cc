"""Measure list reads on the Beijing-scale dataset against DESIGN.md's budget for lists:
"p95 server time under 100 ms, and a fixed number of SQL queries whatever the page size".

Run after `seed_scale` (`make bench` does both). Each read runs as a street's staff and as a
district's leader: the member-unit selector (first page of 50 and the count), the member-unit
page, the list endpoints of the API through Django's test client (server time: middleware, view,
serialisation), and the points ranking of a street for the latest quarter. Each read is warmed
up, then timed over `--runs` requests (fewer for a read slower than `--max-seconds` in all); its
queries are counted on the full first page and on a narrower variant (a smaller page, or a
filter leaving fewer rows), which must be the same number. Benchmarks print figures: nothing is
asserted. For a read over budget, the plan of its slowest query is shown (EXPLAIN ANALYZE).

Then the demands and notifications figures (`--only demands`), each against its budget:
matching one new demand (p50/p95 over `--match-runs` demands created at communities of the scale
tenant, each rolled back afterwards), the full matching pass of the tenant over a quarter, a half
and all of its open demands, with the time per demand (its matches are kept: they are what a
periodic pass leaves), the full pass after one resource of every category changed and after a
thesaurus entry added (rolled back; `--only matching` stops there), importing a 10,000-row resource workbook
(rolled back), and notifying the contacts of all member units of one bulletin (`--only notify`
for these alone): "queued" is `notify` with its transaction's commit (the broker's messages are
counted, not sent), "delivered" is 1, 2 and 4 worker processes taking the tasks from a shared
queue, with the locmem email backend (`demo/bench_notifications.py`). The bulletin's rows are
deleted afterwards.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django.utils.module_loading import import_string
from rest_framework.pagination import CursorPagination

from categories.models import Category
from committees.models import Committee, Level, Tenant
from core.scoping import Action, user_scopes
from demands import matching
from demands.models import Demand, DemandAnalysis, DemandStatus, Match, ResourceAnalysis
from demo import bench_dashboard as dashboard_bench
from demo import bench_demands as demand_bench
from demo import bench_lists as lists
from demo import bench_notifications as notification_bench
from demo import bench_projects as project_bench
from demo import bench_whistles as whistle_bench
from demo.bench_budget import NOISE_MARGIN, within
from demo.scale_demands import DEMAND_TEMPLATES
from demo.scale_members import short_name
from members import selectors
from members.models import MemberUnit, User
from party_members import api as party_api
from party_members import selectors as party_selectors
from party_members import services as party_services
from party_members.models import PartyMember, PointsEntry, ServiceRecord
from resources.models import Resource

BUDGET_P95_MS = 100.0
BUDGET_SQL_RATIO = 3.0  # issue 12: within 3x of the hand-written SQL of the same page
# DESIGN.md, Performance budgets: the demands and notifications figures.
BUDGET_MATCH_MS = 50.0  # issue 13: matching one new demand under 50 ms p95
BUDGET_FULL_PASS_S = 30.0
BUDGET_IMPORT_S = 20.0
# What the matching and import runs write (the supervision scan and the whistles write the
# projects' tables, vacuumed with them).
WRITTEN_BY_BENCHES = (Match, Demand, DemandAnalysis, ResourceAnalysis, Resource)
# A request that shows no list, for the floor every list request pays (see `Command.floor_reads`).
# The API's is the smallest scoped read, the reader's own committee: like every list it reads
# the reader's grants for its scope (the tenant's categories, the floor before, read none).
FLOOR_PATHS = {"page": "/accounts/profile/", "api": "/api/committees/{committee}/"}


def floor_paths(user: User) -> dict[str, str]:
    committee = user.scope_committees[0].pk
    return {kind: path.format(committee=committee) for kind, path in FLOOR_PATHS.items()}


def p95(timings: list[float]) -> float | None:
    if not timings:
        return None
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Read:
    name: str
    run: Callable[[str], int | None]  # "full" or "narrow" -> rows shown; raises on failure
    sql: Callable[[], int] | None = None  # the hand-written SQL of the same page (bench_lists)


@dataclass
class Result:
    read: str
    user: str
    p50: float
    p95: float
    queries: int
    queries_other_page: int
    slowest_sql: str
    note: str = ""
    rows: tuple[int | None, int | None] = (None, None)
    runs: int = 0
    sql_p95: float | None = None
    floor_p95: float | None = None  # the same stack answering with no list, timed beside it

    @property
    def ratio(self) -> float | None:
        return self.p95 / self.sql_p95 if self.sql_p95 else None

    @property
    def ratio_over_floor(self) -> float | None:
        """What the list adds to a request that shows none, against its hand-written SQL."""
        if not self.sql_p95 or self.floor_p95 is None:
            return None
        return max(0.0, self.p95 - self.floor_p95) / self.sql_p95

    @property
    def fixed(self) -> bool:
        return self.queries == self.queries_other_page

    @property
    def within_budget(self) -> bool:
        return (
            within(self.p95, BUDGET_P95_MS)
            and self.fixed
            and (self.ratio is None or within(self.ratio, BUDGET_SQL_RATIO))
        )

    @property
    def within_budget_over_floor(self) -> bool:
        """Within budget once the cost every request pays (session, user, grants, middleware,
        the page's layout) is set apart: what is left is the list's own cost."""
        return (
            within(self.p95, BUDGET_P95_MS)
            and self.fixed
            and self.ratio_over_floor is not None
            and within(self.ratio_over_floor, BUDGET_SQL_RATIO)
        )


class Command(BaseCommand):
    help = "Time list reads (p50/p95, queries per request) on the Beijing-scale tenant."

    def add_arguments(self, parser):
        parser.add_argument("--slug", default="beijing-scale")
        # A p95 of 30 requests is the second slowest: one stall of this shared machine decided
        # it. Of 100, the sixth slowest.
        parser.add_argument("--runs", type=int, default=100, help="timed requests per read")
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=60.0,
            help="stop timing a read after this long (at least 5 requests)",
        )
        parser.add_argument("--street", default="110101001000", help="division code (东华门街道)")
        parser.add_argument("--district", default="110101000000", help="division code (东城区)")
        parser.add_argument(
            "--no-explain", action="store_true", help="do not EXPLAIN the reads over budget"
        )
        parser.add_argument(
            "--only",
            choices=[
                "all",
                "lists",
                "demands",
                "matching",
                "match-one",
                "notify",
                "projects",
                "whistles",
                "dashboard",
            ],
            default="all",
            help="list reads, demands and notifications figures, and the projects' supervision "
            "scan, the dashboard; or only the matching, the notifications, the projects' or the "
            "dashboard's figures",
        )
        parser.add_argument(
            "--match-runs", type=int, default=20, help="new demands matched one by one"
        )
        parser.add_argument(
            "--dashboard-runs", type=int, default=30, help="timed requests per dashboard"
        )

    def handle(
        self,
        *args,
        slug,
        runs,
        max_seconds,
        street,
        district,
        no_explain,
        only,
        match_runs,
        dashboard_runs,
        **_,
    ):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"no tenant {slug!r}: run `manage.py seed_scale` first")
        street_committee = Committee.objects.get(tenant=tenant, division_code=street)
        users = [
            User.objects.get(username=f"{slug}-{street}"),
            User.objects.get(username=f"{slug}-{district}"),
        ]
        if only in ("all", "lists"):
            root = Committee.objects.get(tenant=tenant, parent=None)
            readers = [*users, dashboard_bench.city_leader(tenant, root)]
            self.bench_lists(tenant, readers, street_committee, runs, max_seconds, no_explain)
        if only in ("all", "demands"):
            self.bench_demands(tenant, users[0], street_committee, match_runs)
        if only == "notify":
            with override_settings(
                DEBUG=False, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
            ):
                self.print_figures(self.bench_notify(tenant))
        if only == "match-one":
            with override_settings(
                DEBUG=False, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
            ):
                self.print_figures([self.bench_match_one(tenant, users[0], match_runs)])
        if only == "matching":
            self.bench_demands(tenant, users[0], street_committee, match_runs, matching_only=True)
        if only in ("all", "projects"):
            self.stdout.write("")
            self.stdout.write(f"Projects on {tenant.name}: the supervision scan")
            with override_settings(DEBUG=False):
                self.print_figures(project_bench.supervision_figures(tenant))
        if only in ("all", "whistles"):
            self.stdout.write("")
            self.stdout.write(f"Whistles on {tenant.name}: blowing one, a bulletin to the city")
            with override_settings(DEBUG=False):
                self.print_figures(
                    whistle_bench.whistle_figures(tenant, users[0], street_committee)
                )
        if only in ("all", "dashboard"):
            self.stdout.write("")
            self.stdout.write(
                f"The leaders' dashboard on {tenant.name}: the page (rollups) against the one "
                "hand-written SQL statement over the source tables, at the Beijing scale and at "
                "twice its demands, resources, projects, whistles and satisfaction responses"
            )
            self.print_figures(dashboard_bench.measure(tenant, district, dashboard_runs))

    def bench_lists(self, tenant, users, street_committee, runs, max_seconds, no_explain):
        quarter = party_services.quarter_of(timezone.localdate())
        self.describe(tenant, users, street_committee, quarter)
        self.vacuum_what_benches_write()

        results: list[Result] = []
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(ALLOWED_HOSTS=hosts):
            for user in users:
                client = Client()
                client.force_login(user)
                floors = self.floor_reads(client, floor_paths(user))
                for read in self.reads(user, client, street_committee, quarter):
                    kind = "api" if read.name.startswith("GET /api/") else "page"
                    floor = floors[kind] if read.name.startswith(("GET ", "page ")) else None
                    results.append(self.measure(read, user, runs, max_seconds, floor))
                for kind, path in floor_paths(user).items():
                    seen = [
                        r.floor_p95
                        for r in results
                        if r.user == user.username
                        and r.floor_p95
                        and r.read.startswith("GET /api/" if kind == "api" else "page ")
                    ]
                    if seen:
                        self.stdout.write(
                            f"floor as {user.username}: GET {path} p95 {min(seen):.1f} to "
                            f"{max(seen):.1f} ms (median {statistics.median(seen):.1f}) "
                            "beside the lists"
                        )
        self.print_table(results)
        # The machine's speed drifts (seen here: the same sum 0.30 s at the start of a session
        # and 1.24 s an hour later): said again at the end, so a reader sees whether it moved.
        self.stdout.write(
            f"load average at the end: {os.getloadavg()[0]:.1f}; Python adds ten million "
            f"numbers in {demand_bench.python_speed():.2f} s"
        )
        if not no_explain and connection.vendor == "postgresql":
            for result in results:
                if not within(result.p95, BUDGET_P95_MS) and result.slowest_sql:
                    self.explain(result)

    # -- what is read --

    def reads(self, user: User, client: Client, street: Committee, quarter: str) -> list[Read]:
        """Each read runs in two variants: "full" (the first page of the whole list) and
        "narrow" (fewer rows: a smaller page or a filter). Both must take the same number of
        queries; each returns how many rows it showed."""

        def selector(variant: str) -> int:
            units = selectors.member_units(user=user)
            rows = list(units[: 50 if variant == "full" else 10])
            units.count()
            return len(rows)

        def get(path: str, narrow: dict[str, str]) -> Callable[[str], int | None]:
            def run(variant: str) -> int | None:
                response = client.get(path, {} if variant == "full" else narrow)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: {response.status_code}")
                if response.get("Content-Type", "").startswith("application/json"):
                    return len(response.json()["results"])
                return None

            return run

        def ranking(variant: str) -> int:
            limit = 20 if variant == "full" else 5
            return len(
                party_selectors.points_ranking(
                    user=user, committee=street, quarter=quarter, limit=limit
                )
            )

        scope = lists.scope_params(user)
        page_count = not getattr(
            import_string(settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]),
            "cursor_query_param",
            None,
        )
        members_count = not issubclass(
            party_api.PartyMemberViewSet.pagination_class or object, CursorPagination
        )
        records_count = not issubclass(
            party_api.ServiceRecordViewSet.pagination_class or object, CursorPagination
        )
        # What waits for verification: only for a reader who verifies (a leader reads only).
        verifying = (
            [
                Read(
                    "page /party-members/services/pending/",
                    get("/party-members/services/pending/", {"page": "2"}),
                    lists.pending_services(scope),
                )
            ]
            if user_scopes(user, Action.CHANGE)
            else []
        )
        return [
            Read(
                "member_units selector (50 + count)",
                selector,
                lists.member_units(scope, order="c.lft, u.name"),
            ),
            Read(
                "page /members/units/",
                get("/members/units/", {"kind": "department"}),
                lists.member_units(scope, order="c.lft, u.name"),
            ),
            Read(
                "GET /api/member-units/",
                get("/api/member-units/", {"kind": "department"}),
                lists.member_units(scope),
            ),
            Read(
                "GET /api/party-members/",
                get("/api/party-members/", {"registration_status": "pending"}),
                lists.party_members(scope, count=members_count and page_count),
            ),
            Read(
                "page /party-members/",
                get("/party-members/", {"registration_status": "pending"}),
                lists.party_member_page(scope),
            ),
            *verifying,
            Read(
                "GET /api/service-records/",
                get("/api/service-records/", {"status": "rejected"}),
                lists.service_records(scope, count=records_count and page_count),
            ),
            Read(
                "GET /api/committees/",
                get("/api/committees/", {"level": "street"}),
                lists.committees(scope),
            ),
            Read(f"points_ranking {street.name} {quarter}", ranking),
            Read(
                "page /demands/",
                get("/demands/", {"status": "fulfilled"}),
                lists.with_pickers(lists.demands(scope, page=True), scope, categories=True),
            ),
            Read(
                "GET /api/demands/",
                get("/api/demands/", {"status": "fulfilled"}),
                lists.demands(scope),
            ),
            Read(
                "page /resources/",
                get("/resources/", {"status": "withdrawn"}),
                lists.with_pickers(lists.resources(scope), scope, categories=True),
            ),
            Read(
                "GET /api/resources/",
                get("/api/resources/", {"status": "withdrawn"}),
                lists.resources(scope),
            ),
            Read("GET /api/matches/", get("/api/matches/", {"rank": "1"}), lists.matches(scope)),
            Read(
                "GET /api/claims/", get("/api/claims/", {"status": "accepted"}), lists.claims(scope)
            ),
            Read(
                "page /projects/",
                get("/projects/", {"status": "completed"}),
                lists.with_pickers(lists.projects(scope), scope, categories=False),
            ),
            Read(
                "GET /api/projects/",
                get("/api/projects/", {"status": "completed"}),
                lists.projects(scope),
            ),
            # Its filter is a committee, which the page loads to name it: one query more for
            # any number of rows, so the narrow variant is the next page instead.
            Read(
                "page /projects/overdue/",
                get("/projects/overdue/", {"page": "2"}),
                lists.overdue(scope),
            ),
            Read(
                "page /projects/whistles/",
                get("/projects/whistles/", {"status": "open"}),
                lists.with_pickers(lists.whistles(scope), scope, categories=False),
            ),
            Read(
                "GET /api/whistles/",
                get("/api/whistles/", {"status": "open"}),
                lists.whistles(scope),
            ),
            Read(
                "GET /api/summons/", get("/api/summons/", {"status": "acted"}), lists.summons(scope)
            ),
            Read(
                "GET /api/meetings/",
                get("/api/meetings/", {"status": "held"}),
                lists.meetings(scope),
            ),
            Read("GET /api/tasks/", get("/api/tasks/", {"status": "done"}), lists.tasks(scope)),
            Read(
                "GET /api/milestones/",
                get("/api/milestones/", {"page": "2"}),
                lists.milestones(scope),
            ),
            Read(
                "GET /api/evaluations/",
                get("/api/evaluations/", {"direction": "demand_to_provider"}),
                lists.evaluations(scope),
            ),
        ]

    # -- measuring --

    def floor_reads(self, client: Client, paths: dict[str, str]) -> dict[str, Callable[[], None]]:
        """A request that shows no list, through the same middleware, session and grants: a
        page in the site's layout (the profile) and the smallest scoped API read (the reader's
        own committee). Every list request pays this much before its own work."""

        def floor(path: str) -> Callable[[], None]:
            def run() -> None:
                response = client.get(path)
                if response.status_code != 200:
                    raise CommandError(f"GET {path}: {response.status_code}")

            for _ in range(5):  # warm: the first reader's first requests load templates
                run()
            return run

        return {kind: floor(path) for kind, path in paths.items()}

    def measure(
        self,
        read: Read,
        user: User,
        runs: int,
        max_seconds: float,
        floor: Callable[[], None] | None = None,
    ) -> Result:
        """The read, its hand-written SQL and the floor, timed in turn within one loop: on a
        machine whose load drifts (ours do) three runs a minute apart would compare a quiet
        moment with a busy one, and the ratios would measure the drift."""
        try:
            read.run("full")  # warm up: the first request pays for imports and caches
            read.run("narrow")
            full_queries, rows = self.count_queries(read, "full")
            narrow_queries, narrow_rows = self.count_queries(read, "narrow")
            if read.sql is not None:
                read.sql()
        except Exception as error:  # a failing read is reported, not fatal
            return Result(read.name, user.username, 0, 0, 0, 0, "", note=str(error)[:80])
        timed = {"read": [], "sql": [], "floor": []}
        steps = {"read": lambda: read.run("full"), "sql": read.sql, "floor": floor}
        deadline = time.perf_counter() + max_seconds
        with override_settings(DEBUG=False):  # no query logging while timing
            while len(timed["read"]) < runs and (
                len(timed["read"]) < 5 or time.perf_counter() < deadline
            ):
                for name, step in steps.items():
                    if step is not None:
                        started = time.perf_counter()
                        step()
                        timed[name].append((time.perf_counter() - started) * 1000)
        slowest = max(full_queries, key=lambda q: float(q["time"]), default=None)
        return Result(
            sql_p95=p95(timed["sql"]),
            floor_p95=p95(timed["floor"]),
            read=read.name,
            user=user.username,
            p50=statistics.median(timed["read"]),
            p95=p95(timed["read"]),
            queries=len(full_queries),
            queries_other_page=len(narrow_queries),
            slowest_sql=slowest["sql"] if slowest else "",
            rows=(rows, narrow_rows),
            runs=len(timed["read"]),
        )

    @staticmethod
    def count_queries(read: Read, variant: str) -> tuple[list[dict], int | None]:
        """The queries of one request, the fewer of two tries: a request now and then also
        writes the session (its idle clock, once a minute), which is not the list's cost."""
        tries = []
        for _ in range(2):
            reset_queries()  # the query log holds 9,000 at most: count from an empty one
            with CaptureQueriesContext(connection) as captured:
                rows = read.run(variant)
            tries.append((list(captured.captured_queries), rows))  # a view of the log: copy
        return min(tries, key=lambda t: len(t[0]))

    # -- reporting --

    def vacuum_what_benches_write(self) -> None:
        """The last run's passes, imports and rolled-back measurements leave dead rows behind
        (several hundred thousand in the proposals). Where autovacuum is off (as on some of our
        machines) they stay, and the proposals' list read them all: 28 ms became 500. Vacuumed
        first, every run reads the same tables."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            autovacuum = cursor.fetchone()[0]
            for model in (*WRITTEN_BY_BENCHES, *apps.get_app_config("projects").get_models()):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        self.stdout.write(
            f"autovacuum {autovacuum}; vacuumed the proposals, demands, resources, their stored "
            "analyses and the projects' and whistles' tables before reading"
        )
        self.stdout.write("")

    def describe(self, tenant, users, street, quarter) -> None:
        counts = {
            "committees": Committee.objects.filter(tenant=tenant).count(),
            "member units": MemberUnit.objects.filter(tenant=tenant).count(),
            "party members": PartyMember.objects.filter(tenant=tenant).count(),
            "service records": ServiceRecord.objects.filter(tenant=tenant).count(),
            "points entries": PointsEntry.objects.filter(tenant=tenant).count(),
        }
        self.stdout.write(
            f"{tenant.name} ({tenant.slug}): "
            + ", ".join(f"{n:,} {label}" for label, n in counts.items())
        )
        scopes = ", ".join(
            f"{u.username} = {g.get_role_display()} @ {g.committee.name}"
            for u in users
            for g in u.grants.select_related("committee")
        )
        self.stdout.write(f"readers: {scopes}")
        self.stdout.write(
            f"ranking: {street.name}, quarter {quarter}; database {connection.vendor}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
            f"this machine's Python adds ten million numbers in {demand_bench.python_speed():.2f} s"
        )
        self.stdout.write("")

    def print_table(self, results: list[Result]) -> None:
        self.stdout.write(
            f"Budget (DESIGN.md): any list page or endpoint p95 < {BUDGET_P95_MS:.0f} ms, "
            "fixed number of SQL queries whatever the page size. "
            f"A verdict keeps DESIGN.md's margin: ok is under {1 - NOISE_MARGIN:.0%} of a budget "
            "(the p95 and the ratio alike)."
        )
        header = (
            f"{'read':<38} {'as':<28} {'n':>3} {'p50 ms':>7} {'p95 ms':>7} {'queries':>8} "
            f"{'rows':>9} {'SQL p95':>8} {'ratio':>6} {'floor':>6} {'>floor':>6}  budget"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in results:
            if r.note:
                self.stdout.write(f"{r.read:<38} {r.user:<28} failed: {r.note}")
                continue
            queries = f"{r.queries}" if r.fixed else f"{r.queries}≠{r.queries_other_page}"
            rows = "/".join("-" if n is None else str(n) for n in r.rows)
            if r.within_budget:
                verdict = "ok"
            elif r.within_budget_over_floor:
                verdict = "ok over the floor"
            elif not r.fixed:
                verdict = "queries vary" + ("" if within(r.p95, BUDGET_P95_MS) else ", SLOW")
            elif not within(r.p95, BUDGET_P95_MS):
                verdict = "SLOW"
            else:
                verdict = f"> {BUDGET_SQL_RATIO:.0f}x SQL"
            sql = "-" if r.sql_p95 is None else f"{r.sql_p95:.1f}"
            ratio = "-" if r.ratio is None else f"{r.ratio:.1f}"
            over = "-" if r.ratio_over_floor is None else f"{r.ratio_over_floor:.1f}"
            floor = "-" if r.floor_p95 is None else f"{r.floor_p95:.1f}"
            self.stdout.write(
                f"{r.read:<38} {r.user:<28} {r.runs:>3} {r.p50:>7.1f} {r.p95:>7.1f} {queries:>8} "
                f"{rows:>9} {sql:>8} {ratio:>6} {floor:>6} {over:>6}  {verdict}"
            )
        self.stdout.write("")
        self.stdout.write(
            "n: timed requests. queries: SQL queries of one request of the full list; a≠b: the "
            "narrow variant (a smaller page or a filter) took b. rows: rows shown, full/narrow. "
            "SQL p95: the hand-written SQL of the same page (demo/bench_lists.py); ratio: p95 / "
            f"SQL p95 (budget {BUDGET_SQL_RATIO:.0f}x). floor: the p95 of a request of the same "
            f"kind that shows no list ({FLOOR_PATHS['page']}, {FLOOR_PATHS['api']}: the reader's "
            "own); the read, "
            "its SQL and the floor are timed in turn, as many times each. >floor: (p95 - the "
            "floor) / SQL p95; 'ok over the floor' is a list whose "
            "own cost is within the ratio while the fixed cost of a request is not."
        )

    def explain(self, result: Result) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"== {result.read} as {result.user}: p95 {result.p95:.0f} ms; slowest query:"
        )
        sql = result.slowest_sql
        # django-pghistory puts its context before a statement it takes for a write (a union
        # begins with a parenthesis): explained as it stands, EXPLAIN would cover the context.
        if sql.startswith("SELECT set_config('pghistory."):
            sql = sql.split("; ", 1)[1]
        self.stdout.write(sql[:1500])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                self.stdout.write("   " + line)

    # -- demands and notifications --

    def bench_demands(
        self, tenant: Tenant, staff: User, street: Committee, runs: int, matching_only=False
    ) -> None:
        open_demands = Demand.objects.filter(tenant=tenant, status=DemandStatus.PUBLISHED).count()
        self.stdout.write("")
        self.stdout.write(
            f"Demands and notifications on {tenant.name}: "
            f"{Demand.objects.filter(tenant=tenant).count():,} demands ({open_demands:,} open), "
            f"{Resource.objects.filter(tenant=tenant).count():,} resources, "
            f"{MemberUnit.objects.filter(tenant=tenant).count():,} member units; this machine's "
            f"Python adds ten million numbers in {demand_bench.python_speed():.2f} s"
        )
        rows: list[tuple[str, str, str, bool | None]] = []
        with override_settings(
            DEBUG=False, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        ):
            rows.append(self.bench_match_one(tenant, staff, runs))
            rows += self.bench_full_pass(tenant)
            if not matching_only:
                rows.append(self.bench_import(staff, street))
                rows += self.bench_notify(tenant)
        self.print_figures(rows)

    def print_figures(self, rows: list[tuple[str, str, str, bool | None]]) -> None:
        header = f"{'figure':<58} {'measured':>18}  {'budget':<12} verdict"
        self.stdout.write("")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, measured, budget, ok in rows:
            verdict = "-" if ok is None else ("ok" if ok else "SLOW")
            self.stdout.write(f"{name:<58} {measured:>18}  {budget:<12} {verdict}")
        self.stdout.write(
            f"ok: under {1 - NOISE_MARGIN:.0%} of the budget (DESIGN.md: a figure within "
            f"{NOISE_MARGIN:.0%} of its budget is not within it)"
        )
        self.stdout.write(f"load average at the end: {os.getloadavg()[0]:.1f}")

    def bench_match_one(self, tenant: Tenant, staff: User, runs: int):
        """A demand published at a community: read candidates, score, write the top matches
        (and the notifications of new matches, in the same transaction, as the task does).
        Each run is rolled back, so the dataset stays as seeded."""
        rng = random.Random(2026)
        communities = list(
            Committee.objects.filter(tenant=tenant, level=Level.COMMUNITY).values_list("pk", "name")
        )
        categories = dict(Category.objects.filter(tenant=tenant).values_list("name", "pk"))
        timings, found, cold, cpu = [], [], [], []
        # One warm-up demand per category: a worker compiles a category's lexicon and term
        # weights on its first demand and keeps them (demands.matching._cache); that first one
        # is shown apart ("cold"), the figure is the steady state.
        warm_up = len(DEMAND_TEMPLATES)
        for n in range(max(runs, 1) + warm_up):
            committee_id, name = rng.choice(communities)
            category = list(DEMAND_TEMPLATES)[n % len(DEMAND_TEMPLATES)]
            title, description = rng.choice(DEMAND_TEMPLATES[category])
            with transaction.atomic():
                now = timezone.now()
                demand = Demand.objects.create(
                    tenant=tenant,
                    committee_id=committee_id,
                    handling_committee_id=committee_id,
                    title=title.format(p=short_name(name)),
                    description=description,
                    category_id=categories[category],
                    source="resident",
                    status=DemandStatus.PUBLISHED,
                    quantity=Decimal(10) if n % 2 else None,
                    quantity_unit="people" if n % 2 else "",
                    created_by=staff,
                    published_at=now,
                )
                started, cpu_started = time.perf_counter(), time.process_time()
                matches = matching.match_demand(demand.pk)
                elapsed = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - cpu_started) * 1000
                transaction.set_rollback(True)
            if n >= warm_up:
                timings.append(elapsed)
                cpu.append(cpu_ms)
                found.append(len(matches))
            else:
                cold.append(elapsed)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        return (
            f"match one new demand, p50/p95 ms (n={len(timings)}, "
            f"{statistics.mean(found):.1f} matches; this process's CPU p50 "
            f"{statistics.median(cpu):.0f}; cold median {statistics.median(cold):.0f})",
            f"{p50:.1f} / {p95:.1f}",
            f"< {BUDGET_MATCH_MS:.0f} ms",
            within(p95, BUDGET_MATCH_MS),
        )

    def bench_full_pass(self, tenant: Tenant):
        """The full pass over a quarter, a half and all of the open demands (the first part of
        each category's), each as the beat task runs it: chunk after chunk, one category at a
        time. Time per demand shows whether it grows linearly; the slowest chunk is the longest
        another tenant's incremental matching can wait behind it on one worker. These find
        what the last pass left (texts read, reasons worded); then the pass after a change that
        makes it word every reason again, and after one that makes it read every text again
        (each rolled back)."""
        rows = []
        points = []
        for fraction in (0.25, 0.5, 1.0):
            started, cpu = time.perf_counter(), time.process_time()
            result = matching.full_pass(tenant.pk, fraction=fraction)
            elapsed, used = time.perf_counter() - started, time.process_time() - cpu
            points.append((result["demands"], elapsed))
            share = {0.25: "a quarter", 0.5: "half", 1.0: "all"}[fraction]
            if fraction < 1:
                rows.append(
                    (
                        f"full pass, {share} of the open demands ({result['demands']:,}): "
                        "ms per demand",
                        f"{elapsed / result['demands'] * 1000:.2f} ({elapsed:.1f} s)",
                        "",
                        None,
                    )
                )
                continue
            rows.append(
                (
                    f"full pass: {result['demands']:,} demands x {result['resources']:,} "
                    f"resources -> {result['matches']:,} matches ({result['pairs']:,} pairs, "
                    f"{used:.1f} s CPU in this process)",
                    f"{elapsed:.1f} s",
                    f"< {BUDGET_FULL_PASS_S:.0f} s",
                    within(elapsed, BUDGET_FULL_PASS_S),
                )
            )
            rows.append(
                (
                    f"  ... ms per demand; the slowest of its {result['chunks']} chunks",
                    f"{elapsed / result['demands'] * 1000:.2f}; {result['slowest']:.2f} s",
                    "",
                    None,
                )
            )
        for change, words in (
            ("resources", "after one resource of every category changed (every reason worded)"),
            ("vocabulary", "after a thesaurus entry added (every text read, every reason worded)"),
        ):
            after = demand_bench.full_pass_after(tenant, change)
            rows.append(
                (
                    f"full pass {words}, {after['cpu']:.1f} s CPU",
                    f"{after['seconds']:.1f} s",
                    f"< {BUDGET_FULL_PASS_S:.0f} s",
                    within(after["seconds"], BUDGET_FULL_PASS_S),
                )
            )
        (n1, t1), (n2, t2) = points[0], points[-1]
        slope = (t2 - t1) / (n2 - n1) if n2 != n1 else 0.0
        rows.append(
            (
                "  ... growth: fixed s + ms per demand (quarter to all)",
                f"{t1 - slope * n1:.1f} + {slope * 1000:.2f}",
                "",
                None,
            )
        )
        return rows

    def bench_import(self, staff: User, street: Committee):
        seconds = demand_bench.resource_import_seconds(staff, street)
        return (
            f"import a 10,000-row resource workbook ({street.name})",
            f"{seconds:.1f} s",
            f"< {BUDGET_IMPORT_S:.0f} s",
            within(seconds, BUDGET_IMPORT_S),
        )

    def bench_notify(self, tenant: Tenant):
        """One bulletin to the contacts of every member unit, queued and then delivered by 1,
        2 and 4 worker processes (`demo.bench_notifications`)."""
        return notification_bench.bench_notify(tenant)

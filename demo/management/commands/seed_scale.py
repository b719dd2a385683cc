"""Build the Beijing-scale benchmark dataset on the real Beijing tree (DESIGN.md, Performance).

On the `beijing-scale` tenant: the real tree (7,904 committees), a staff or leader account for every
district, street and community, then 17,000 member units with their memberships and dual
registration, 720,000 party members (each with an account, all sharing one password hash) and
their registrations, 2,000 service teams, and 3,000,000 service records over the last four
quarters with their points ledger; members' and teams' points are set from the ledger by one
aggregate UPDATE each. Then (`demands.scale`) the default demand categories, a contact account
for every member unit, 50,000 resources and 40,000 demands (13,500 open; no DemandTransition
rows at scale).

The rows are written in bulk (PostgreSQL COPY), not through the services one by one: no signal is
sent for them, so the audit log records none of them and no other receiver runs. That is
acceptable for a benchmark dataset and for nothing else. The rules the services enforce hold by
construction (valid and unique credit codes, confirmed members only in teams, at most 8 hours a
record and one record a member a day, points from the tenant's PointsRule through
`members.services.points_for`, one ledger entry per verified record).

Each stage runs in one transaction and is skipped when its rows already exist, so a second run
adds nothing and an interrupted run can be started again. `--fraction` (or the count options)
scales the dataset down, for tests and quick looks.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo import accounts as demo_accounts
from demo import scale_demands as demand_scale
from demo import scale_members
from demo import scale_projects as project_scale
from demo import scale_whistles as whistle_scale
from demo import trees as committee_seeding


class Command(BaseCommand):
    help = (
        "Create the Beijing-scale tenant: the real Beijing tree, a city's worth of accounts, "
        "member units, party members and service records."
    )

    def add_arguments(self, parser):
        default = scale_members.ScaleSize()
        parser.add_argument("--slug", default="beijing-scale")
        parser.add_argument(
            "--fraction",
            type=float,
            default=1.0,
            help="scale every count below by this factor (e.g. 0.01)",
        )
        parser.add_argument("--units", type=int, help=f"member units (default {default.units})")
        parser.add_argument(
            "--members", type=int, help=f"party members (default {default.members})"
        )
        parser.add_argument("--teams", type=int, help=f"service teams (default {default.teams})")
        parser.add_argument(
            "--records", type=int, help=f"service records (default {default.records})"
        )
        demands = demand_scale.DemandSize()
        parser.add_argument("--demands", type=int, help=f"demands (default {demands.demands})")
        parser.add_argument(
            "--resources", type=int, help=f"resources (default {demands.resources})"
        )
        projects = project_scale.ProjectSize()
        parser.add_argument("--projects", type=int, help=f"projects (default {projects.projects})")
        parser.add_argument("--meetings", type=int, help=f"meetings (default {projects.meetings})")
        whistle_size = whistle_scale.WhistleSize()
        parser.add_argument(
            "--whistles", type=int, help=f"whistles (default {whistle_size.whistles})"
        )

    def handle(self, *args, slug, fraction, **options):
        if fraction <= 0:
            raise CommandError("--fraction must be positive")
        default = scale_members.ScaleSize()
        counts = {
            name: options[name] if options.get(name) is not None else round(value * fraction)
            for name, value in vars(default).items()
        }
        if any(value < 0 for value in counts.values()):
            raise CommandError("counts cannot be negative")
        size = scale_members.ScaleSize(**counts)
        demand_counts = {
            name: options[name] if options.get(name) is not None else round(value * fraction)
            for name, value in vars(demand_scale.DemandSize()).items()
        }
        if any(value < 0 for value in demand_counts.values()):
            raise CommandError("counts cannot be negative")
        demand_size = demand_scale.DemandSize(**demand_counts)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # For this session only: a stage's commit need not wait for the disk, and the
                # totals' aggregate and the index rebuilds may use more memory.
                cursor.execute("SET synchronous_commit = off")
                cursor.execute("SET work_mem = '64MB'")
                cursor.execute("SET maintenance_work_mem = '512MB'")
        total = time.perf_counter()
        started = time.perf_counter()
        tenant = committee_seeding.tenant_with_tree(
            committee_seeding.BEIJING, slug=slug, name="北京市（规模测试）"
        )
        tree_seconds = time.perf_counter() - started
        self.stdout.write(f"tree: {tenant.committees.count()} committees in {tree_seconds:.1f}s")
        started = time.perf_counter()
        prefix = f"{slug}-"
        created = demo_accounts.scale_accounts(tenant, prefix=prefix)
        self.stdout.write(f"accounts: {created} created in {time.perf_counter() - started:.1f}s")
        self.stdout.write(
            f"target: {size.units} units, {size.members} party members, {size.teams} teams, "
            f"{size.records} service records, {demand_size.demands} demands, "
            f"{demand_size.resources} resources"
        )
        seeder = scale_members.ScaleSeeder(
            tenant, size, account_prefix=prefix, out=self.stdout.write
        )
        seeder.run()
        started = time.perf_counter()
        demand_scale.DemandScaleSeeder(seeder, demand_size, out=self.stdout.write).run()
        self.stdout.write(f"demands data: {time.perf_counter() - started:.1f}s")
        project_counts = {
            name: options[name] if options.get(name) is not None else round(value * fraction)
            for name, value in vars(project_scale.ProjectSize()).items()
        }
        if any(value < 0 for value in project_counts.values()):
            raise CommandError("counts cannot be negative")
        started = time.perf_counter()
        project_scale.ProjectScaleSeeder(
            seeder, project_scale.ProjectSize(**project_counts), out=self.stdout.write
        ).run()
        self.stdout.write(f"projects data: {time.perf_counter() - started:.1f}s")
        whistles = options.get("whistles")
        if whistles is None:
            whistles = round(whistle_scale.WhistleSize().whistles * fraction)
        if whistles < 0:
            raise CommandError("counts cannot be negative")
        started = time.perf_counter()
        whistle_scale.WhistleScaleSeeder(
            seeder, whistle_scale.WhistleSize(whistles=whistles), out=self.stdout.write
        ).run()
        self.stdout.write(f"whistles data: {time.perf_counter() - started:.1f}s")
        self.stdout.write(f"total: {time.perf_counter() - total:.1f}s")

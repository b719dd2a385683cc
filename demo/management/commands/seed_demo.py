"""Seed a realistic city for the demo: Beijing, Shanghai and Datong with their real trees.

The seeding commands live in `dashboard`, the top floor, because they compose the seeding
functions of every app below it. Running it again adds only what is missing.
"""

import time

from django.core.management.base import BaseCommand

from committees.models import Tenant
from dashboard import rollups as dashboard_rollups
from demo import accounts as demo_accounts
from demo import city as member_seeding
from demo import demands as demand_seeding
from demo import projects as project_seeding
from demo import roles as case_roles
from demo import trees as committee_seeding
from demo import whistles as whistle_seeding


class Command(BaseCommand):
    help = (
        "Load three demo tenants (Beijing, Shanghai, Datong) with real trees, demo accounts, "
        "and member units, party members, service records, demands and resources from the "
        "source documents."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        beijing = self.timed(committee_seeding.tenant_with_tree, committee_seeding.BEIJING)
        shanghai = self.timed(committee_seeding.tenant_with_tree, committee_seeding.SHANGHAI)
        datong = self.timed(committee_seeding.tenant_with_tree, committee_seeding.DATONG)
        accounts = [
            *demo_accounts.ensure_accounts(beijing, demo_accounts.BEIJING_ACCOUNTS),
            *demo_accounts.ensure_accounts(shanghai, demo_accounts.SHANGHAI_ACCOUNTS),
            *demo_accounts.ensure_accounts(datong, demo_accounts.DATONG_ACCOUNTS),
        ]
        for seed, tenant in [
            (member_seeding.seed_beijing, beijing),
            (member_seeding.seed_shanghai, shanghai),
            (member_seeding.seed_datong, datong),
        ]:
            step = time.perf_counter()
            result = seed(tenant)
            accounts += result.logins
            self.stdout.write(
                f"{tenant.name}: {result.units} member units, {result.members} party members, "
                f"{result.records} service records ({time.perf_counter() - step:.1f}s)"
            )
        step = time.perf_counter()
        logins = case_roles.ensure_case_accounts(
            {"beijing": beijing, "shanghai": shanghai, "datong": datong}
        )
        self.stdout.write(
            f"case accounts: {len(logins)} logins ({time.perf_counter() - step:.1f}s)"
        )
        step = time.perf_counter()
        counts = demand_seeding.seed_beijing_demands(beijing)
        self.stdout.write(
            f"{beijing.name}: {counts['demands']} demands, {counts['resources']} resources, "
            f"{counts['matches']} demands with matches ({time.perf_counter() - step:.1f}s)"
        )
        step = time.perf_counter()
        counts = project_seeding.seed_projects(beijing, shanghai)
        self.stdout.write(
            f"projects: {counts['projects']} projects, {counts['meetings']} meetings, "
            f"{counts['escalated']} escalated ({time.perf_counter() - step:.1f}s)"
        )
        step = time.perf_counter()
        counts = whistle_seeding.seed_whistles(beijing)
        accounts += counts.pop("logins")
        self.stdout.write(
            f"whistles: {counts['whistles']} whistles, {counts['summons']} summons "
            f"({counts['escalated']} escalated), {counts['evaluations']} evaluations, "
            f"{counts['responses']} residents' ratings ({time.perf_counter() - step:.1f}s)"
        )
        for tenant in Tenant.objects.all():  # the dashboard reads its rollups (beat: every 5 min)
            dashboard_rollups.refresh(tenant.pk)
        self.stdout.write(f"seeded in {time.perf_counter() - started:.1f}s")
        self.print_logins(accounts, logins)

    def timed(self, load, spec):
        started = time.perf_counter()
        tenant = load(spec)
        count = tenant.committees.count()
        self.stdout.write(
            f"{tenant.name}: {count} committees ({time.perf_counter() - started:.1f}s)"
        )
        return tenant

    def print_logins(self, accounts, case_logins):
        """The logins grouped by role, then by the case of the source documents they play."""
        taken = {(login.username, login.role) for login in case_logins}
        logins = list(case_logins) + [
            login
            for login in case_roles.general_logins(accounts, set())
            if (login.username, login.role) not in taken
        ]
        tenants = {}
        for account, place in accounts:
            tenants[account.username] = place.tenant.name
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {member_seeding.DEMO_PASSWORD})")
        for role_label, cases in case_roles.grouped(logins):
            self.stdout.write(f"{role_label}")
            for case, rows in cases:
                self.stdout.write(f"  {case or '通用'}")
                for login in rows:
                    self.stdout.write(f"    {login.username:<22} {login.where}")

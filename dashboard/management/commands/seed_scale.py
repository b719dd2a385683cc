"""Start the Beijing-scale benchmark dataset on the real Beijing tree (DESIGN.md, Performance)."""

import time

from django.core.management.base import BaseCommand

from committees import seeding as committee_seeding
from members import seeding as member_seeding


class Command(BaseCommand):
    help = "Create the Beijing-scale tenant: the real Beijing tree and a city's worth of accounts."

    def add_arguments(self, parser):
        parser.add_argument("--slug", default="beijing-scale")

    def handle(self, *args, slug, **options):
        started = time.perf_counter()
        tenant = committee_seeding.tenant_with_tree(
            committee_seeding.BEIJING, slug=slug, name="北京市（规模测试）"
        )
        tree_seconds = time.perf_counter() - started
        self.stdout.write(f"tree: {tenant.committees.count()} committees in {tree_seconds:.1f}s")
        started = time.perf_counter()
        created = member_seeding.scale_accounts(tenant, prefix=f"{slug}-")
        self.stdout.write(f"accounts: {created} created in {time.perf_counter() - started:.1f}s")

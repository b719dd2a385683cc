from django.core.management.base import BaseCommand, CommandError

from committees import services
from committees.models import Tenant


class Command(BaseCommand):
    help = "Check the consistency of every tenant's committee tree (or one, by slug)."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?")

    def handle(self, *args, slug=None, **options):
        tenants = Tenant.objects.filter(slug=slug) if slug else Tenant.objects.all()
        if slug and not tenants:
            raise CommandError(f"no tenant {slug!r}")
        broken = 0
        for tenant in tenants:
            check = services.tree_check(tenant)
            if check.faults:
                broken += 1
                self.stderr.write(f"{tenant.slug}: {len(check.faults)} faults")
                for fault in check.faults:
                    self.stderr.write(f"  {fault}")
            else:
                self.stdout.write(f"{tenant.slug}: {check.node_count} committees, consistent")
        if broken:
            raise CommandError(f"{broken} tree(s) inconsistent")

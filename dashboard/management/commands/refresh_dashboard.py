"""Rebuild the dashboard's rollups now (what the beat task does every five minutes)."""

from django.core.management.base import BaseCommand

from committees.models import Tenant
from dashboard import rollups


class Command(BaseCommand):
    help = "Rebuild the dashboard's rollups of every active tenant (or of --slug)."

    def add_arguments(self, parser):
        parser.add_argument("--slug")

    def handle(self, *args, slug=None, **options):
        tenants = Tenant.objects.filter(is_active=True)
        if slug:
            tenants = tenants.filter(slug=slug)
        for tenant in tenants:
            state = rollups.refresh(tenant.pk)
            self.stdout.write(f"{tenant.slug}: {state.seconds:.2f} s")

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import backups


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and the media files into one folder."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="folder to write (default: backups/<local date and time>)",
        )

    def handle(self, *args, output=None, **options):
        target = Path(output or f"backups/{timezone.localtime():%Y%m%d-%H%M%S}")
        try:
            manifest = backups.backup_create(target)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest.tables.values())
        self.stdout.write(
            f"backup written to {target}: {len(manifest.tables)} tables, {rows} rows, "
            f"{len(manifest.media)} media files"
        )

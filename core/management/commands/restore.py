from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = "Restore a backup folder into the configured, empty database and the media root."

    def add_arguments(self, parser):
        parser.add_argument("folder")

    def handle(self, *args, folder, **options):
        try:
            differences = backups.backup_restore(Path(folder))
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        if differences:
            raise CommandError("restored, but not completely:\n" + "\n".join(differences))
        self.stdout.write(f"restored {folder}: every row and file matches the backup")

"""`make backup` and `make restore`: a seeded database and its media files, backed up, restored
into a fresh database and media root, and found complete (DESIGN: backups made by one command and
proven by restoring them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from demands.models import Demand, DemandAttachment

from .demands import factories as f
from .workers import test_database_url as database_url

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{settings.DATABASES['default']['NAME']}_restored"
    admin = psycopg2.connect(database_url().rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_backup_restores_every_row_and_file(world, tmp_path, settings, fresh_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    demand = f.demand(world.community, world.community_staff, publish=False)
    attachment = DemandAttachment(
        tenant_id=demand.tenant_id, demand=demand, original_name="现场照片.png"
    )
    attachment.file.save("photo.png", SimpleUploadedFile("photo.png", PNG), save=True)

    backup = tmp_path / "backup"
    call_command("backup", output=str(backup))
    assert {p.name for p in backup.iterdir()} == {"database.dump", "media.tar.gz", "manifest.json"}

    restored_media = tmp_path / "restored-media"
    url = database_url().rsplit("/", 1)[0] + f"/{fresh_database}"
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup)],
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(restored_media),
            "REDIS_URL": "",
        },
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "every row and file matches" in result.stdout
    # And not only by its own account: the demand and its photo are there.
    with psycopg2.connect(url) as restored, restored.cursor() as cursor:
        cursor.execute(f"SELECT title FROM {Demand._meta.db_table} WHERE id = %s", [demand.pk])
        assert cursor.fetchone() == (demand.title,)
    assert (restored_media / attachment.file.name).read_bytes() == PNG


def test_restore_refuses_a_database_that_is_not_empty(world, tmp_path, settings):
    from core import backups

    settings.MEDIA_ROOT = tmp_path / "media"
    backups.backup_create(tmp_path / "backup")
    with pytest.raises(backups.BackupError, match="不是空的"):
        backups.backup_restore(tmp_path / "backup")

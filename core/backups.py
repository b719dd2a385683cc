"""Backups that restore: the database (pg_dump's custom format) and the media files, in one folder.

`manage.py backup` writes `<dir>/database.dump`, `<dir>/media.tar.gz` and `<dir>/manifest.json`
(what was backed up: row counts per table, the media files with their sizes and SHA-256). `manage.py
restore <dir>` loads them into the configured database, which must be empty, and the media root,
then checks the restored rows and files against the manifest. PostgreSQL only: the embedded
SQLite demo is a file to copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar.gz"
MANIFEST_FILE = "manifest.json"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Manifest:
    created_at: str
    tables: dict[str, int]
    media: dict[str, dict]

    def to_json(self) -> str:
        return json.dumps(
            {"created_at": self.created_at, "tables": self.tables, "media": self.media},
            ensure_ascii=False,
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_file(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["created_at"], data["tables"], data["media"])


def _libpq_environment() -> dict[str, str]:
    """pg_dump and pg_restore are told where the database is the way libpq reads it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError(
            "备份与恢复仅支持PostgreSQL；嵌入式演示库是一个SQLite文件，直接复制即可。"
        )
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def table_counts() -> dict[str, int]:
    """Rows in every table of the public schema, in one query per table (a backup check, not a
    hot path)."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def media_files(root: Path) -> dict[str, dict]:
    files = {}
    if not root.exists():
        return files
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        files[str(path.relative_to(root))] = {"size": path.stat().st_size, "sha256": digest}
    return files


def backup_create(target: Path) -> Manifest:
    """Dump the database and pack the media files into `target` (created; must not hold a
    backup already)."""
    env = _libpq_environment()
    target.mkdir(parents=True, exist_ok=True)
    if (target / DATABASE_FILE).exists():
        raise BackupError(f"{target} 中已有备份，请换一个目录。")
    manifest = Manifest(
        created_at=timezone.now().isoformat(),
        tables=table_counts(),
        media=media_files(Path(settings.MEDIA_ROOT)),
    )
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target / DATABASE_FILE)],
        env=env,
        check=True,
    )
    with tarfile.open(target / MEDIA_FILE, "w:gz") as archive:
        media_root = Path(settings.MEDIA_ROOT)
        if media_root.exists():
            archive.add(media_root, arcname=".")
    (target / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def backup_restore(source: Path) -> list[str]:
    """Load a backup into the configured (empty) database and the media root; returns the
    differences from the manifest, which are none when the backup restored completely."""
    env = _libpq_environment()
    manifest = Manifest.from_file(source / MANIFEST_FILE)
    with connection.cursor() as cursor:
        if connection.introspection.table_names(cursor):
            raise BackupError("目标数据库不是空的：请恢复到一个新建的数据库。")
    connection.close()
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            env["PGDATABASE"],
            str(source / DATABASE_FILE),
        ],
        env=env,
        check=True,
    )
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA_FILE, "r:gz") as archive:
        archive.extractall(media_root, filter="data")
    return backup_differences(manifest)


def backup_differences(manifest: Manifest) -> list[str]:
    differences = []
    restored = table_counts()
    for table, count in manifest.tables.items():
        if restored.get(table) != count:
            differences.append(f"{table}: {count} rows backed up, {restored.get(table)} restored")
    files = media_files(Path(settings.MEDIA_ROOT))
    for name, meta in manifest.media.items():
        if files.get(name) != meta:
            differences.append(f"media {name}: missing or changed")
    return differences


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

"""`make demo` on the embedded database: the whole seeding runs on SQLite, as on a fresh machine.

The suite runs on PostgreSQL; this test is the one place the SQLite path of every seeder, the
matching engine and the dashboard's rollups is exercised end to end. It runs the real commands in
a child process against a throwaway SQLite file, and checks that they succeed, that the seeding
output ends with the demo logins and that nothing was written to stderr (the log is quiet when
nothing is wrong)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_embedded_demo_seeds_on_sqlite_with_a_quiet_log(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "TEST_CLOCK"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env["MEDIA_ROOT"] = str(tmp_path / "media")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    migrated = run("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    # The indexes PostgreSQL builds concurrently (core.migration_operations) are plain ones here.
    import sqlite3

    with sqlite3.connect(tmp_path / "demo.sqlite3") as sqlite:
        indexes = {row[0] for row in sqlite.execute("SELECT name FROM sqlite_master")}
    assert {"milestone_open_overdue", "servicerecord_recent", "demand_newest"} <= indexes
    seeded = run("seed_demo")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert seeded.stderr.strip() == ""
    assert "Demo logins" in seeded.stdout
    assert "北京市" in seeded.stdout

    # The lists read through the scoping entry point on SQLite too (the written scope, the lean
    # rows), as a street's staff and the city's administrator see them after `make demo`.
    pages = run(
        "shell",
        "-c",
        "from django.test import Client\n"
        "from django.test.utils import override_settings\n"
        "from members.models import User\n"
        "with override_settings(ALLOWED_HOSTS=['*']):\n"
        "    for name in ('donghuamen_staff', 'community_staff'):\n"
        "        client = Client()\n"
        "        client.force_login(User.objects.get(username=name))\n"
        "        for path in ('/demands/', '/resources/', '/projects/', '/projects/whistles/',\n"
        "                     '/api/demands/', '/api/resources/', '/api/claims/',\n"
        "                     '/api/matches/', '/api/committees/', '/api/whistles/',\n"
        "                     '/projects/overdue/', '/api/overdue/'):\n"
        "            response = client.get(path)\n"
        "            print(name, path, response.status_code)\n",
    )
    assert pages.returncode == 0, pages.stderr[-3000:]
    statuses = [line.rsplit(" ", 1)[1] for line in pages.stdout.splitlines() if "/" in line]
    assert len(statuses) == 24 and set(statuses) == {"200"}, pages.stdout

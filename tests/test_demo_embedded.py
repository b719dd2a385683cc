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
    seeded = run("seed_demo")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert seeded.stderr.strip() == ""
    assert "Demo logins" in seeded.stdout
    assert "北京市" in seeded.stdout

"""The project list's figures for `manage.py bench`: the supervision scan over every due date of
the scale tenant (projects, milestones, tasks), now and after a week in which nobody scanned.
Both run inside a transaction that is rolled back, so the dataset stays as seeded."""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone

from demo.bench_budget import within
from projects import services
from projects.models import Milestone, Project, Task

BUDGET_SCAN_S = 60.0  # one beat period: a scan must end before the next one starts


class Rollback(Exception):
    pass


def timed_scan(now: dt.datetime) -> tuple[float, dict[str, int]]:
    counts: dict[str, int] = {}
    started = time.perf_counter()
    try:
        with transaction.atomic():
            counts = services.supervision_scan(now=now)
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, counts


def supervision_figures(tenant) -> list[tuple[str, str, str, bool | None]]:
    rows = {
        "projects": Project.objects.filter(tenant=tenant).count(),
        "milestones": Milestone.objects.filter(tenant=tenant).count(),
        "tasks": Task.objects.filter(tenant=tenant).count(),
    }
    watched = sum(
        model.objects.filter(supervise_at__isnull=False).count()
        for model in (Project, Milestone, Task)
    )
    figures = []
    for label, now in (
        ("now", timezone.now()),
        ("after a week without a scan", timezone.now() + dt.timedelta(days=7)),
    ):
        seconds, counts = timed_scan(now)
        done = ", ".join(f"{n:,} {stage}" for stage, n in counts.items())
        figures.append(
            (
                f"supervision scan {label} over {sum(rows.values()):,} due dates "
                f"({watched:,} watched): {done}",
                f"{seconds:.2f} s",
                f"< {BUDGET_SCAN_S:.0f} s",
                within(seconds, BUDGET_SCAN_S),
            )
        )
    return figures

"""Celery entry points of the project list: ids in (or nothing), a service call."""

from __future__ import annotations

from celery import shared_task

from . import services, whistles


@shared_task(ignore_result=True)
def run_supervision() -> dict[str, int]:
    """Once a minute (beat): reminders, overdue flags and escalations that have come due."""
    return services.supervision_scan()


@shared_task(ignore_result=True)
def run_summons_scan() -> int:
    """Once a minute (beat): the summons whose report deadline passed unreported, escalated."""
    return whistles.summons_scan()

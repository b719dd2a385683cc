"""Celery entry points of the project list: ids in (or nothing), a service call."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def run_supervision() -> dict[str, int]:
    """Once a minute (beat): reminders, overdue flags and escalations that have come due."""
    return services.supervision_scan()

"""Celery entry points of the dashboard."""

from __future__ import annotations

from celery import shared_task

from committees.models import Tenant

from . import rollups, selectors


@shared_task(ignore_result=True)
def refresh_rollups() -> dict[int, float]:
    """Every five minutes (beat): rebuild each active tenant's rollups, then build the boards
    leaders open first into the cache; seconds each rebuild took."""
    seconds = {}
    for pk in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        seconds[pk] = rollups.refresh(pk).seconds
        selectors.warm_boards(pk)
    return seconds

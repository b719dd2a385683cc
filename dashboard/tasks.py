"""Celery entry points of the dashboard."""

from __future__ import annotations

from celery import shared_task

from committees.models import Tenant

from . import rollups


@shared_task(ignore_result=True)
def refresh_rollups() -> dict[int, float]:
    """Every five minutes (beat): rebuild each active tenant's rollups; seconds each took."""
    return {
        pk: rollups.refresh(pk).seconds
        for pk in Tenant.objects.filter(is_active=True).values_list("pk", flat=True)
    }

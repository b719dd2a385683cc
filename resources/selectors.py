"""Read queries of the resource list. Every one starts from `Resource.objects.visible_to(user)`."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Resource


def visible_resources(user) -> QuerySet[Resource]:
    """The resources the user reads, with what a list row shows, newest first."""
    return (
        Resource.objects.visible_to(user)
        .select_related("committee", "category", "offered_by")
        .order_by("-created_at", "-pk")
    )

"""The resource list's filters, shared by the list page, its Excel export and the API, so the
three read a list the same way (a `committee` means that committee's subtree everywhere)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from committees.filtersets import SubtreeFilter
from core.references import as_id

from .models import Resource, ResourceKind, ResourceStatus
from .selectors import visible_resources

SORTS = {
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "remaining": ("remaining", "pk"),
    "-remaining": ("-remaining", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}
SORT_CHOICES = [
    ("-created", _("最新登记")),
    ("created", _("最早登记")),
    ("title", _("名称")),
    ("-remaining", _("剩余从多到少")),
    ("remaining", _("剩余从少到多")),
]
OFFERED_BY_COMMITTEE = "committee"
OFFERED_BY_UNIT = "unit"


class ResourceFilterSet(django_filters.FilterSet):
    """kind, category, status; offered_by ("committee": by a committee itself, "unit": by any
    member unit, or a unit's id); committee (a committee's id, code or name: the resources serving
    its subtree; one out of reach filters to nothing); q (name, description or unit); sort."""

    kind = django_filters.ChoiceFilter(choices=ResourceKind.choices)
    category = django_filters.NumberFilter(field_name="category_id")
    status = django_filters.ChoiceFilter(choices=ResourceStatus.choices)
    offered_by = django_filters.CharFilter(method="filter_offered_by")
    committee = SubtreeFilter()
    q = django_filters.CharFilter(method="filter_q")
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort", empty_label=None)

    class Meta:
        model = Resource
        fields = ["kind", "category", "status", "offered_by", "committee", "q", "sort"]

    def filter_offered_by(self, queryset, name, value):
        value = value.strip()
        if value == OFFERED_BY_COMMITTEE:
            return queryset.filter(offered_by__isnull=True)
        if value == OFFERED_BY_UNIT:
            return queryset.filter(offered_by__isnull=False)
        unit_id = as_id(value)
        return queryset.filter(offered_by_id=unit_id) if unit_id is not None else queryset.none()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(offered_by__name__icontains=value)
        )

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["-created"]))


def filtered_resources(request) -> tuple[ResourceFilterSet, QuerySet[Resource]]:
    """The resource list as the user filtered it: the page and its export agree (the API
    applies the same FilterSet through its filter backend)."""
    filterset = ResourceFilterSet(
        request.GET, queryset=visible_resources(request.user), request=request
    )
    return filterset, filterset.qs

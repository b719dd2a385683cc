"""The project list's filters, once: the page, its Excel export and the API read the same
FilterSet, so every filter means the same everywhere (`committee` is the owner committee with
every committee below it; `year` the project's year, by its start date)."""

from __future__ import annotations

from django import forms
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.scoping import subtree_q

from .models import Project, ProjectSource, ProjectStatus
from .selectors import visible_committee

SORTS = {
    "created": ("created_at",),
    "due": ("due_on",),
    "budget": ("budget",),
    "start": ("start_on",),
}
DEFAULT_SORT = "-created"


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class ProjectFilterSet(filters.FilterSet):
    year = IdFilter(field_name="year", label=_("年度"))
    status = filters.MultipleChoiceFilter(choices=ProjectStatus.choices, label=_("状态"))
    source = filters.ChoiceFilter(choices=ProjectSource.choices, label=_("立项方式"))
    category = IdFilter(field_name="category_id", label=_("类别"))
    committee = IdFilter(method="filter_committee", label=_("牵头协调委员会（含下级）"))
    lead_unit = IdFilter(field_name="lead_unit_id", label=_("牵头单位"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("已逾期"))
    q = filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=100, label=_("名称包含")
    )
    sort = filters.ChoiceFilter(
        method="filter_sort",
        choices=[(f"{d}{key}", f"{d}{key}") for key in SORTS for d in ("", "-")],
        label=_("排序"),
    )

    class Meta:
        model = Project
        fields = [
            "year",
            "status",
            "source",
            "category",
            "committee",
            "lead_unit",
            "overdue",
            "q",
            "sort",
        ]

    def filter_committee(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Projects owned at the committee or below it; nothing for a committee the user does not
        see (another street's id is no filter that shows that street)."""
        user = getattr(self.request, "user", None)
        committee = visible_committee(user, value) if user is not None else None
        return queryset.filter(subtree_q(committee)) if committee else queryset.none()

    def filter_overdue(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        running = queryset.filter(status__in=[ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS])
        return (
            running.filter(overdue_at__isnull=False)
            if value
            else queryset.filter(overdue_at__isnull=True)
        )

    def filter_sort(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # applied last, and by default too (see filter_queryset)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return sort_projects(queryset, self.form.cleaned_data.get("sort") or DEFAULT_SORT)

    @classmethod
    def unfiltered(cls, queryset: QuerySet) -> QuerySet:
        """What `filter_queryset` does to a list none of the filters name (the API's backend
        then builds no FilterSet): the default sort."""
        return sort_projects(queryset, DEFAULT_SORT)


def sort_projects(queryset: QuerySet, sort: str) -> QuerySet:
    descending = sort.startswith("-")
    fields = SORTS[sort.lstrip("-")]
    # Every sort key is required, so no NULLS LAST: said plainly, the newest first is the
    # order the tenant's index holds.
    order = [F(f).desc() if descending else F(f).asc() for f in fields]
    # The primary key breaks ties, so pages never repeat or skip a row.
    return queryset.order_by(*order, "-pk" if descending else "pk")


def page_filterset(params, *, queryset: QuerySet, request) -> ProjectFilterSet:
    """For a page: values it does not understand are dropped (a stale bookmark still opens)."""
    filterset = ProjectFilterSet(params, queryset=queryset, request=request)
    if not filterset.is_valid():
        clean = params.copy()
        for name in filterset.errors:
            clean.pop(name, None)
        filterset = ProjectFilterSet(clean, queryset=queryset, request=request)
    return filterset

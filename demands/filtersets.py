"""The demand list's filters, once: the page, its Excel export and the API read the same
FilterSet, so every filter means the same everywhere (`committee` is always the place with every
committee below it).

A page drops a value it does not understand (a stale bookmark still opens, unfiltered on that
point); the API answers it with a 400, as django-filter does."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from committees.models import Committee
from core.filtersets import IdFilter, ListFilterSet, SubtreeFilter

from .models import Demand, DemandKind, DemandStatus, Source, Urgency
from .selectors import DEFAULT_SORT, SORTS, sort_demands


class DemandFilterSet(ListFilterSet):
    status = filters.MultipleChoiceFilter(choices=DemandStatus.choices, label=_("状态"))
    category = IdFilter(field_name="category_id", label=_("类别"))
    source = filters.ChoiceFilter(choices=Source.choices, label=_("来源"))
    urgency = filters.ChoiceFilter(choices=Urgency.choices, label=_("紧急程度"))
    kind = filters.ChoiceFilter(choices=DemandKind.choices, label=_("类型"))
    committee = SubtreeFilter(label=_("提出地（含下级）"))
    q = filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=100, label=_("标题包含")
    )
    sort = filters.ChoiceFilter(
        method="filter_sort",
        choices=[(f"{d}{key}", f"{d}{key}") for key in SORTS for d in ("", "-")],
        label=_("排序"),
    )

    class Meta:
        model = Demand
        fields = ["status", "category", "source", "urgency", "kind", "committee", "q", "sort"]

    def filter_sort(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # applied last, and by default too (see filter_queryset)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return sort_demands(queryset, self.form.cleaned_data.get("sort") or DEFAULT_SORT)

    @classmethod
    def unfiltered(cls, queryset: QuerySet) -> QuerySet:
        """What `filter_queryset` does to a list none of the filters name (the API's backend
        then builds no FilterSet): the default sort."""
        return sort_demands(queryset, DEFAULT_SORT)

    def selected_committee(self) -> Committee | None:
        """The committee filtered on, if the user sees it, for the page's place filter."""
        pk = self.valid_values().get("committee")
        return self.filters["committee"].selected(pk) if pk else None

    def chosen(self) -> dict[str, str]:
        chosen = super().chosen()
        chosen.setdefault("sort", DEFAULT_SORT)
        return chosen

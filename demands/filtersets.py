"""The demand list's filters, once: the page, its Excel export and the API read the same
FilterSet, so every filter means the same everywhere (`committee` is always the place with every
committee below it).

A page drops a value it does not understand (a stale bookmark still opens, unfiltered on that
point); the API answers it with a 400, as django-filter does."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from committees.models import Committee
from core.scoping import subtree_q

from .models import Demand, DemandKind, DemandStatus, Source, Urgency
from .selectors import DEFAULT_SORT, SORTS, sort_demands


class IdFilter(filters.NumberFilter):
    """A whole-number id (django-filter's NumberFilter would take 3.5)."""

    field_class = forms.IntegerField


class DemandFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=DemandStatus.choices, label=_("状态"))
    category = IdFilter(field_name="category_id", label=_("类别"))
    source = filters.ChoiceFilter(choices=Source.choices, label=_("来源"))
    urgency = filters.ChoiceFilter(choices=Urgency.choices, label=_("紧急程度"))
    kind = filters.ChoiceFilter(choices=DemandKind.choices, label=_("类型"))
    committee = IdFilter(method="filter_committee", label=_("提出地（含下级）"))
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

    def filter_committee(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Demands arising at the committee or below it; nothing for a committee the user does
        not see (another street's is no filter that shows that street)."""
        committee = self.selected_committee()
        return queryset.filter(subtree_q(committee)) if committee else queryset.none()

    def filter_sort(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # applied last, and by default too (see filter_queryset)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return sort_demands(queryset, self.form.cleaned_data.get("sort") or DEFAULT_SORT)

    def valid_values(self) -> dict:
        """What the form understood; what it did not is left out (a bound form's cleaned data
        holds only the fields that passed)."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "", [])}

    def selected_committee(self) -> Committee | None:
        """The committee filtered on, if the user sees it (one query, however often asked)."""
        if not hasattr(self, "_committee"):
            pk = self.valid_values().get("committee")
            user = getattr(self.request, "user", None)
            self._committee = (
                Committee.objects.visible_to(user).filter(pk=pk).first() if pk else None
            )
        return self._committee

    def chosen(self) -> dict[str, str]:
        """The filters as the page shows them and carries them to the export link: what the
        user gave and the form understood, and the default sort."""
        chosen = {name: str(self.data.get(name, "")).strip() for name in self.valid_values()}
        if "status" in chosen:
            chosen["status"] = self.valid_values()["status"][0]
        chosen.setdefault("sort", DEFAULT_SORT)
        return chosen

    def without(self, name: str) -> DemandFilterSet:
        """The same filters less one (the status tabs count what the other filters leave)."""
        data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        data.pop(name, None)
        other = type(self)(data, queryset=self.queryset, request=self.request)
        if name != "committee" and hasattr(self, "_committee"):
            other._committee = self._committee
        return other

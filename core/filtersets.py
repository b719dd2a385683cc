"""Filters every list's FilterSet shares, so that a filter means the same on every list, on its
page, in its export and in the API."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from .scoping import related_model, subtree_q


class IdFilter(filters.NumberFilter):
    """A whole-number id (django-filter's NumberFilter would take 3.5)."""

    field_class = forms.IntegerField


class SubtreeFilter(IdFilter):
    """A committee by id, meaning it and every committee below it. Only a committee the user
    sees counts: another street's selects nothing rather than showing that it exists. The
    committee is read once per FilterSet (`selected`), for the page to show it too."""

    def __init__(self, *args, path: str = "committee", **kwargs):
        super().__init__(*args, **kwargs)
        self.path = path

    def filter(self, queryset: QuerySet, value) -> QuerySet:
        if value in EMPTY_VALUES:
            return queryset
        committee = self.selected(value)
        return queryset.filter(subtree_q(committee, self.path)) if committee else queryset.none()

    def selected(self, value):
        if getattr(self, "_selected_for", None) != value:
            model = related_model(self.model, self.path)
            user = getattr(getattr(self.parent, "request", None), "user", None)
            self._selected = model.objects.visible_to(user).filter(pk=value).first()
            self._selected_for = value
        return self._selected


class ListFilterSet(filters.FilterSet):
    """The base of a list's FilterSet. The API validates it (a value it does not understand is
    a 400); a page reads `qs` as is, which leaves out what it did not understand, so that a
    stale bookmark still opens, and shows the filters as `chosen` gives them."""

    def valid_values(self) -> dict:
        """What the form understood (a bound form's cleaned data keeps only the fields that
        passed), less what is empty."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {k: v for k, v in self.form.cleaned_data.items() if v not in EMPTY_VALUES}

    def chosen(self) -> dict[str, str]:
        """The understood filters as the user typed them, for the page to show and to carry to
        its export link; of a multiple choice, the first."""
        chosen = {}
        for name, value in self.valid_values().items():
            raw = value[0] if isinstance(value, list | tuple) else self.data.get(name, "")
            chosen[name] = str(raw).strip()
        return chosen

    def without(self, name: str):
        """The same filters less one (a page's tabs count what the other filters leave): this
        FilterSet itself when the filter is not set (a page's first visit), not a new one."""
        if not self.data.get(name):
            return self
        data = self.data.copy()
        data.pop(name, None)
        return type(self)(data, queryset=self.queryset, request=self.request)


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, passing a list through untouched when its query string names
    none of the list's filters: most requests are the first page of the whole list, and
    building the FilterSet (for `filterset_fields`, its class too) and validating its empty form
    cost 2 of a district's 11 ms for the committees. A FilterSet whose `filter_queryset` does
    more than filter (a default sort) says what it does to a list none of its filters name in a
    classmethod `unfiltered(queryset)`, or always runs."""

    def filter_queryset(self, request, queryset, view):
        names = self.filter_names(view)
        if names is not None and not any(
            key == name or key.startswith(f"{name}_")
            for key in request.query_params
            for name in names
        ):
            unfiltered = getattr(getattr(view, "filterset_class", None), "unfiltered", None)
            return unfiltered(queryset) if unfiltered is not None else queryset
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def filter_names(view) -> list[str] | None:
        """The names the list's filters read (a range's `_min`, `_after`… by prefix), or None
        when skipping the FilterSet could change the list."""
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            if filterset_class.filter_queryset is not filters.FilterSet.filter_queryset and (
                not hasattr(filterset_class, "unfiltered")
            ):
                return None
            return list(filterset_class.base_filters)
        return list(getattr(view, "filterset_fields", None) or ())

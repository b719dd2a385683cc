"""The API's filter backend passes a list through when its query string names none of its
filters, and filters (and refuses bad values) exactly as django-filter does otherwise."""

from __future__ import annotations

import pytest
from django_filters.rest_framework import FilterSet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from committees.api import CommitteeFilter
from committees.models import Committee, Level
from core.filtersets import FilterBackend
from demands.filtersets import DemandFilterSet
from demands.models import Demand
from projects.filtersets import ProjectFilterSet
from projects.models import Project

pytestmark = pytest.mark.django_db


class FieldsView:
    filterset_fields = ["level", "parent"]


class ClassView:
    filterset_class = CommitteeFilter


class SortingView:
    filterset_class = DemandFilterSet


class ProjectSortingView:
    filterset_class = ProjectFilterSet


def request(**params) -> Request:
    return Request(APIRequestFactory().get("/api/x/", params))


@pytest.mark.parametrize("view", [FieldsView(), ClassView()])
def test_a_list_no_filter_names_passes_through_unbuilt(world, view):
    committees = Committee.objects.filter(tenant=world.city.tenant).order_by("lft")
    passed = FilterBackend().filter_queryset(request(page="2", cursor="abc"), committees, view)
    assert passed is committees  # no FilterSet was built: the very queryset comes back


@pytest.mark.parametrize("view", [FieldsView(), ClassView()])
def test_a_named_filter_filters_and_a_bad_value_is_refused(world, view):
    committees = Committee.objects.filter(tenant=world.city.tenant).order_by("lft")
    backend = FilterBackend()
    streets = backend.filter_queryset(request(level=Level.STREET), committees, view)
    assert {c.name for c in streets} == {"东华门街道", "景山街道"}
    below = backend.filter_queryset(request(parent=world.street.pk), committees, view)
    assert {c.name for c in below} == {"多福巷社区", "银闸社区"}
    with pytest.raises(ValidationError):
        backend.filter_queryset(request(parent="东华门"), committees, view)


class UnsaidSortFilterSet(FilterSet):
    """Sorts by default and does not say how without being built (no `unfiltered`)."""

    class Meta:
        model = Demand
        fields = ["status"]

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).order_by("-pk")


class UnsaidSortView:
    filterset_class = UnsaidSortFilterSet


def test_a_filterset_that_sorts_by_default_and_does_not_say_how_always_runs(world):
    demands = Demand.objects.all()
    assert FilterBackend.filter_names(UnsaidSortView()) is None
    sorted_ = FilterBackend().filter_queryset(request(), demands, UnsaidSortView())
    assert sorted_ is not demands and sorted_.query.order_by


@pytest.mark.parametrize(
    ("view", "model"),
    [(SortingView(), Demand), (ProjectSortingView(), Project)],
)
def test_a_default_sort_said_by_the_filterset_is_applied_without_building_it(
    world, view, model, monkeypatch
):
    rows = model.objects.all()
    built = FilterBackend().filter_queryset(request(sort=""), rows, view)  # the FilterSet's own

    def not_built(*args, **kwargs):
        raise AssertionError("the FilterSet was built")

    monkeypatch.setattr(view.filterset_class, "__init__", not_built)
    unbuilt = FilterBackend().filter_queryset(request(page="2"), rows, view)
    assert unbuilt.query.order_by == built.query.order_by
    assert str(unbuilt.query) == str(built.query)

"""`ids_in`: a long list of ids sent as one array on PostgreSQL, the same rows as `__in`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from committees.models import Committee


@pytest.mark.django_db
def test_ids_in_finds_what_in_finds_with_the_list_as_one_parameter(world):
    ids = list(Committee.objects.values_list("pk", flat=True))[:3] + [10**9]
    with CaptureQueriesContext(connection) as queries:
        found = set(Committee.objects.filter(pk__ids_in=ids).values_list("pk", flat=True))
    assert found == set(Committee.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert len(found) == 3
    assert "= ANY(" in queries.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_ids_in_an_empty_list_finds_nothing_without_asking(world):
    with CaptureQueriesContext(connection) as queries:
        assert list(Committee.objects.filter(pk__ids_in=[])) == []
    assert not queries.captured_queries


@pytest.mark.django_db
def test_ids_in_excluded_and_through_a_foreign_key(world):
    ids = [world.street.pk]
    children = Committee.objects.filter(parent_id__ids_in=ids)
    assert set(children) == set(Committee.objects.filter(parent=world.street))
    assert world.street not in Committee.objects.exclude(pk__ids_in=ids)

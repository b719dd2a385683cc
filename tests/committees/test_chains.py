"""`committee_chains`: committees with every committee above them, walked up the parent links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from committees.selectors import CHAIN_COLUMNS, committee_chains

pytestmark = pytest.mark.django_db


def as_rows(committees):
    return {tuple(getattr(c, column) for column in CHAIN_COLUMNS) for c in committees}


def test_a_chain_is_the_committee_and_its_ancestors(world):
    expected = as_rows(world.community.get_ancestors(include_self=True))
    assert set(committee_chains([world.community.pk])) == expected
    assert {row[0] for row in expected} == {
        world.city.pk,
        world.district.pk,
        world.street.pk,
        world.community.pk,
    }


def test_several_chains_share_their_ancestors_once_in_one_query(world):
    with CaptureQueriesContext(connection) as captured:
        rows = committee_chains([world.community.pk, world.sibling_community.pk, world.street.pk])
    assert len(captured) == 1
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(rows) == as_rows(world.community.get_ancestors(include_self=True)) | as_rows(
        world.sibling_community.get_ancestors(include_self=True)
    )


def test_no_committees_no_query(world):
    with CaptureQueriesContext(connection) as captured:
        assert committee_chains([]) == []
    assert len(captured) == 0


def test_in_chains_selects_the_same_committees_as_a_subquery(world):
    from committees.models import Committee
    from committees.selectors import in_chains

    chained = Committee.objects.filter(
        pk__in=in_chains([world.community.pk, world.sibling_community.pk])
    )
    assert set(chained) == set(world.community.get_ancestors(include_self=True)) | set(
        world.sibling_community.get_ancestors(include_self=True)
    )
    assert not Committee.objects.filter(pk__in=in_chains([])).exists()


def test_a_committees_ancestors_are_its_chain_root_first_without_itself(world):
    from committees.selectors import committee_ancestors

    assert committee_ancestors(world.community) == list(world.community.get_ancestors())
    assert committee_ancestors(world.city) == []

"""One FilterSet for the demand list: the page, its Excel export and the API give the same rows
for the same filters, in the same order, and `committee` means the place with everything below
it in all three. A page drops what it does not understand; the API says 400."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def demands(world):
    return f.listed_demands(world)


def page_titles(client, params) -> list[str]:
    response = client.get(reverse("demands:demand_list"), params)
    assert response.status_code == 200
    return [d["title"] for d in response.context["page"]]


def export_titles(client, params) -> list[str]:
    response = client.get(reverse("demands:demand_export"), params)
    return [row[1] for row in list(load_workbook(io.BytesIO(response.content)).active.values)[1:]]


def api_titles(client, params) -> list[str]:
    response = client.get("/api/demands/", params)
    assert response.status_code == 200, response.json()
    return [row["title"] for row in response.json()["results"]]


def cases(world):
    parking = f.category(world.city.tenant, "交通停车")
    return [
        {},
        {"status": "draft"},
        {"status": "published", "sort": "-people"},
        {"category": parking.pk},
        {"source": "hotline"},
        {"urgency": "critical"},
        {"kind": "wish"},
        {"committee": world.street.pk},  # the street and the communities below it
        {"committee": world.community.pk, "sort": "created"},
        {"committee": world.sibling_street.pk},  # not the user's: nothing, not a leak
        {"q": "助餐"},
        {"sort": "-urgency"},
        {"sort": "needed_by"},
    ]


def test_page_export_and_api_give_the_same_rows_in_the_same_order(world, client_for, demands):
    client = client_for(world.street_staff)
    for params in cases(world):
        page = page_titles(client, params)
        assert export_titles(client, params) == page, params
        assert api_titles(client, params) == page, params
    assert set(page_titles(client, {"committee": world.street.pk})) == {
        "老年助餐",
        "错时停车",
        "楼道堆物清理",
        "想要一台收音机",
    }
    assert page_titles(client, {"committee": world.sibling_street.pk}) == []


@pytest.mark.parametrize(
    "params",
    [{"status": "bogus"}, {"sort": "hack"}, {"category": "x"}, {"committee": "abc"}],
)
def test_a_value_not_understood_is_dropped_on_the_page_and_a_400_in_the_api(
    world, client_for, demands, params
):
    client = client_for(world.street_staff)
    assert page_titles(client, params) == page_titles(client, {})
    assert export_titles(client, params) == page_titles(client, {})
    response = client.get("/api/demands/", params)
    assert response.status_code == 400 and set(params) <= set(response.json())


def test_the_api_list_with_a_place_takes_the_same_queries_for_few_or_many(world, client_for):
    client = client_for(world.district_leader)
    params = {"committee": world.street.pk, "sort": "-urgency", "status": "published"}
    for i in range(2):
        f.demand(world.community, world.community_staff, title=f"需求{i}")
    client.get("/api/demands/", params)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/demands/", params)
    for i in range(12):
        f.demand(world.community2, world.street_staff, title=f"需求b{i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/demands/", params).json()["count"] == 14
    assert len(many.captured_queries) == len(few.captured_queries)

"""A list read as values with its names is counted without the joins that only name its rows;
a list that can hold a whole city's party members is counted up to a cap."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.models import Committee
from core.pagination import CappedPaginator, RowPaginator, counted_as, sorted_on
from resources.models import Resource

from ..demands import factories as df
from ..party_members import factories as pf

pytestmark = pytest.mark.django_db


def counting(paginator) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    (statement,) = [q["sql"] for q in queries.captured_queries]
    return count, statement


def test_rows_read_with_their_names_are_counted_without_the_joins(world):
    for title in ("助餐场地", "义诊", "四点半课堂"):
        df.resource(world.street, world.street_staff, title=title)
    base = (
        Resource.objects.filter(tenant=world.city.tenant)
        .select_related("category", "committee")
        .order_by("-created_at")
    )
    named = base.values("title", "category__name", "committee__name")
    count, statement = counting(RowPaginator(counted_as(named, base), 50))
    assert count == 3
    assert "JOIN" not in statement
    # Not told what to count, it counts the statement as it stands, joins and all.
    _count, joined = counting(RowPaginator(named.all(), 50))
    assert "JOIN" in joined


def test_the_resource_page_counts_its_rows_alone(world, client_for):
    for title in ("助餐场地", "义诊"):
        df.resource(world.street, world.street_staff, title=title)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(world.street_staff).get(reverse("resources:resource_list"))
    assert response.context["page"].paginator.count == 2
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert "JOIN" not in count


def test_a_capped_count_stops_past_its_cap_and_sorts_nothing(world, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    rows = Committee.objects.filter(tenant=world.city.tenant).order_by("name")
    count, statement = counting(CappedPaginator(rows, 2))
    assert count == 4 and CappedPaginator(rows, 2).capped
    assert "LIMIT 4" in statement and "ORDER BY" not in statement
    few = CappedPaginator(rows.filter(level="street"), 2)
    assert few.count == 2 and not few.capped


def test_the_member_list_says_more_than_its_cap(world, client_for, monkeypatch):
    for name in ("李强", "王芳", "赵敏"):
        pf.party_member(world.community, name=name)
    client = client_for(world.street_staff)
    page = client.get(reverse("party_members:party_member_list")).content.decode()
    assert "共3名" in page
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    page = client.get(reverse("party_members:party_member_list")).content.decode()
    assert "超过2名，请按社区或状态筛选" in page and "共3名" not in page


def test_the_member_api_pages_by_cursor_without_a_count(world, client_for):
    for name in ("李强", "王芳", "赵敏"):
        pf.party_member(world.community, name=name)
    client = client_for(world.street_staff)
    first = client.get("/api/party-members/", {"page_size": 2}).json()
    assert "count" not in first and len(first["results"]) == 2 and first["next"]
    rest = client.get(first["next"]).json()
    names = [row["name"] for row in first["results"] + rest["results"]]
    assert sorted(names) == ["李强", "王芳", "赵敏"] and rest["next"] is None


def test_a_page_sorted_on_its_own_table_reads_only_its_rows_names(world):
    for title in ("助餐场地", "义诊", "四点半课堂", "法律咨询", "理发"):
        df.resource(world.street, world.street_staff, title=title)
    base = (
        Resource.objects.filter(tenant=world.city.tenant)
        .select_related("category", "committee")
        .order_by("title", "pk")
    )
    expected = list(base.values_list("title", flat=True))
    paginator = RowPaginator(sorted_on(base.values("title", "committee__name"), base), 2)
    with CaptureQueriesContext(connection) as queries:
        pages = [[row["title"] for row in paginator.page(n)] for n in paginator.page_range]
    assert sum(pages, []) == expected and [len(p) for p in pages] == [2, 2, 1]
    keys = [q["sql"] for q in queries.captured_queries if "JOIN" not in q["sql"]]
    named = [q["sql"] for q in queries.captured_queries if "JOIN" in q["sql"]]
    # the count, then per page its keys (sorted, unjoined) and its rows with their names
    assert len(keys) == 1 + 3 and len(named) == 3
    assert all('"id" IN' in sql for sql in named)

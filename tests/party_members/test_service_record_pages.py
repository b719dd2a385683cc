"""The service-record list of the API is paged by cursor (issue 12: a district holds hundreds of
thousands of records, and a page must not cost what the district holds): newest first, `next`
and `previous` links, no count, every record once over the pages, the same for a broad scope
(which reads the tenant's newest-first index) and a narrow one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from party_members.models import ServiceRecordQuerySet

from . import factories as f

pytestmark = pytest.mark.django_db


def all_pages(client, params):
    url, seen, pages = "/api/service-records/", [], 0
    response = client.get(url, params)
    while True:
        body = response.json()
        assert "count" not in body and set(body) == {"next", "previous", "results"}
        seen += [(r["served_on"], r["id"]) for r in body["results"]]
        pages += 1
        if not body["next"]:
            return seen, pages
        response = client.get(body["next"])


@pytest.fixture
def records(world):
    made = []
    for n in range(7):
        member = f.party_member(world.community if n % 2 else world.community2)
        made.append(f.service(member, actor=member.user, days_ago=n % 3 + 1))
    return made


@pytest.fixture(params=["narrow", "broad"])
def breadth(request, monkeypatch):
    """The test world's scopes are small: "broad" lowers the threshold so that they count as a
    district's."""
    if request.param == "broad":
        monkeypatch.setattr(ServiceRecordQuerySet, "tenant_on_row_from", 1)
    return request.param


@pytest.mark.parametrize("persona", ["street_staff", "district_leader"])
def test_pages_by_cursor_newest_first_each_record_once(
    world, client_for, records, persona, breadth
):
    client = client_for(getattr(world, persona))
    seen, pages = all_pages(client, {"page_size": 3})
    assert pages == 3
    assert sorted(seen, reverse=True) == seen  # served_on, then id, both descending
    assert sorted(i for _day, i in seen) == sorted(r.pk for r in records)


def test_only_a_broad_scope_names_the_tenant_on_the_row(world, client_for, records, breadth):
    """A broad scope's query says the tenant on the row (servicerecord_recent leads with it), a
    narrow one's does not (it is read by community); the rows are the same either way."""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(world.district_leader).get("/api/service-records/")
    page_sql = next(
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "party_members_servicerecord"' in q["sql"]
    )
    assert ('"party_members_servicerecord"."tenant_id" =' in page_sql) == (breadth == "broad")
    assert sorted(r["id"] for r in response.json()["results"]) == sorted(r.pk for r in records)

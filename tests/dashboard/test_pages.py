"""The dashboard's pages: isolation, a fixed number of queries, the export as on screen."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from committees.models import Level
from dashboard import rollups
from demands.models import Demand

from ..factories import CommitteeFactory
from ..query_counts import query_counts

pytestmark = pytest.mark.django_db


class Tables(HTMLParser):
    """The rows of the table marked data-testid=<name>, as the page shows their text."""

    def __init__(self, name):
        super().__init__()
        self.name, self.depth, self.rows, self.cell = name, 0, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-testid") == self.name:
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.depth = 0

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table(html: str, name: str) -> list[list[str]]:
    parser = Tables(name)
    parser.feed(html)
    return parser.rows


def sheet_rows(content: bytes, title: str) -> list[list]:
    book = load_workbook(io.BytesIO(content))
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def test_index_opens_the_readers_committee(client_for, world, case):
    response = client_for(world.district_leader).get(reverse("dashboard:index"))
    assert response.status_code == 302
    assert response.url == reverse("dashboard:committee", args=[world.district.pk])


def test_nav_offers_the_dashboard(client_for, world, case):
    page = client_for(world.district_leader).get(
        reverse("dashboard:committee", args=[world.district.pk])
    )
    assert b'data-testid="nav-dashboard"' in page.content


@pytest.mark.parametrize("name", ["committee", "wall", "export"])
def test_a_district_leader_cannot_open_a_sibling_district(client_for, world, case, name):
    client = client_for(world.district_leader)
    assert client.get(reverse(f"dashboard:{name}", args=[case.west.pk])).status_code == 404
    assert client.get(reverse(f"dashboard:{name}", args=[world.other_city.pk])).status_code == 404
    assert client.get(reverse(f"dashboard:{name}", args=[world.street.pk])).status_code == 200
    other = client_for(case.west_leader)
    assert other.get(reverse(f"dashboard:{name}", args=[world.district.pk])).status_code == 404


def test_a_street_cannot_open_its_sibling(client_for, world, case):
    client = client_for(world.street_staff)
    url = reverse("dashboard:committee", args=[world.sibling_street.pk])
    assert client.get(url).status_code == 404


def test_a_unit_contact_has_no_dashboard(client_for, world, case):
    from ..demands.factories import contact_of

    contact = contact_of(case.unit)
    client = client_for(contact)
    assert client.get(reverse("dashboard:index")).status_code == 404
    url = reverse("dashboard:committee", args=[world.street.pk])
    assert client.get(url).status_code == 404


def test_page_shows_figures_with_definitions(client_for, world, case):
    page = client_for(world.district_leader).get(
        reverse("dashboard:committee", args=[world.district.pk])
    )
    html = page.content.decode()
    assert 'data-testid="figure-response_rate">75.0%<' in html
    assert "响应率：统计期内发布且未撤回的需求中" in html  # the definition, on hover
    assert "vendor/echarts/echarts.min.js" in html
    assert "数据更新于" in html


def test_query_count_fixed_whatever_the_tree(client_for, world, case):
    client = client_for(world.tenant_admin)
    urls = [
        reverse("dashboard:committee", args=[world.city.pk]),
        reverse("dashboard:committee", args=[world.district.pk]),
        reverse("dashboard:committee", args=[world.community.pk]),
    ]
    before = query_counts(client, urls)
    # More committees, more demands: the same queries.
    for n in range(4):
        street = CommitteeFactory(
            parent=world.district,
            name=f"新街道{n}",
            level=Level.STREET,
            division_code=f"11010100{n + 5}000",
        )
        Demand.objects.create(
            tenant=street.tenant,
            committee=street,
            handling_committee=street,
            title="新",
            description="新",
            category=case.demands["d1"].category,
            source="resident",
            status="published",
            created_by=world.street_staff,
            published_at=case.demands["d1"].published_at,
        )
    rollups.refresh(world.city.tenant.pk)
    after = query_counts(client, urls)
    assert before == after
    assert after[0] == after[1] == after[2], after  # the city, a district, a community alike
    assert after[0] <= 10  # served from the cache: session, user, grants, committee, crumb, age


def test_query_count_of_a_board_not_yet_cached(client_for, world, case):
    from django.core.cache import cache

    client = client_for(world.tenant_admin)
    urls = [
        reverse("dashboard:committee", args=[world.city.pk]),
        reverse("dashboard:committee", args=[world.district.pk]),
    ]
    client.get(urls[0])
    counts = []
    for url in urls:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 19, counts


def test_a_new_rebuild_shows_at_once(client_for, world, case):
    client = client_for(world.district_leader)
    url = reverse("dashboard:committee", args=[world.district.pk])
    assert 'data-testid="figure-demands">5<' in client.get(url).content.decode()
    Demand.objects.filter(pk=case.demands["d5"].pk).delete()
    assert 'data-testid="figure-demands">5<' in client.get(url).content.decode()  # cached
    rollups.refresh(world.city.tenant.pk)
    assert 'data-testid="figure-demands">4<' in client.get(url).content.decode()


def test_export_matches_the_screen(client_for, world, case):
    client = client_for(world.district_leader)
    args = [world.district.pk]
    for sort in ("demands", "-demands", "response_rate"):
        page = client.get(reverse("dashboard:committee", args=args), {"sort": sort})
        export = client.get(reverse("dashboard:export", args=args), {"sort": sort})
        assert export.status_code == 200
        assert export["Content-Type"].startswith("application/vnd.openxmlformats")
        screen = table(page.content.decode(), "ranking")
        sheet = sheet_rows(export.content, "下级排名")
        strip = [[re.sub(r" [↑↓]$", "", cell) for cell in row] for row in screen]
        assert strip == [[str(v) for v in row] for row in sheet]

    summary = {row[0]: row[1] for row in sheet_rows(export.content, "概览")}
    assert summary["响应率"] == "75.0%"
    assert summary["需求数"] == "5"
    assert summary["委员会"] == "东城区"
    definitions = {row[0]: row[2] for row in sheet_rows(export.content, "概览")}
    assert definitions["解决率"].startswith("解决率：")

    overdue = table(page.content.decode(), "overdue")
    assert [row[:3] for row in overdue[1:]] == [
        row[:3] for row in sheet_rows(export.content, "逾期项目")[1:]
    ]
    units = table(page.content.decode(), "loaded-units")
    assert units[1:] == [
        [str(v) for v in row] for row in sheet_rows(export.content, "单位负荷")[1:]
    ]
    trend = sheet_rows(export.content, "月度趋势")
    assert trend[-1] == ["2026-06", 2, 1, 0, 0, 1]
    worst = table(page.content.decode(), "worst-departments")
    assert worst[1:] == [
        [str(v) for v in row] for row in sheet_rows(export.content, "报到最差部门")[1:]
    ]


def test_wall_mode_refreshes_itself(client_for, world, case):
    page = client_for(world.district_leader).get(
        reverse("dashboard:wall", args=[world.district.pk])
    )
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="300">' in html
    assert 'id="chart-trend"' in html


def test_the_rebuild_task_builds_the_first_boards_so_their_first_reader_reads_the_cache(
    client_for, world, case
):
    from django.core.cache import cache

    from dashboard import tasks

    client = client_for(world.district_leader)
    url = reverse("dashboard:committee", args=[world.district.pk])
    client.get(url)  # the session and its grants, as on any later page
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        assert client.get(url).status_code == 200
    cache.clear()
    tasks.refresh_rollups()
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert len(warm.captured_queries) < len(cold.captured_queries)
    # The board built for the task's reader is the one this leader sees.
    assert 'data-testid="figure-demands">5<' in client.get(url).content.decode()

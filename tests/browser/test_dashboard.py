"""A district leader opens the dashboard, drills down to a street and a community, reads a
figure's definition on hover, climbs back up the breadcrumb, exports the ranking, and opens the
wall screen whose charts render."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect

from ..dashboard.factories import NOW, build_case

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def pinned():
    """The case's dates fall in the dashboard's last twelve months whatever the day."""
    with time_machine.travel(NOW, tick=True):
        yield


def test_drill_down_hover_export_and_wall(page, world, login, save_screenshot):
    build_case(world)
    login(page, world.district_leader, next_url="/dashboard/")
    expect(page.get_by_test_id("breadcrumb")).to_have_text("东城区")
    expect(page.locator("#chart-trend[data-rendered='1'] canvas")).to_have_count(1)

    page.get_by_test_id("ranking").get_by_role("link", name="东华门街道").click()
    expect(page.get_by_test_id("breadcrumb")).to_contain_text("东城区")
    expect(page.get_by_test_id("breadcrumb")).to_contain_text("东华门街道")
    page.get_by_test_id("ranking").get_by_role("link", name="多福巷社区").click()
    crumb = page.get_by_test_id("breadcrumb")
    expect(crumb.locator(".active")).to_have_text("多福巷社区")

    page.locator("[data-figure='response_rate']").hover()
    expect(page.locator(".tooltip")).to_contain_text("响应率：统计期内发布且未撤回的需求中")

    crumb.get_by_role("link", name="东城区").click()
    expect(crumb.locator(".active")).to_have_text("东城区")
    ranking = page.get_by_test_id("ranking")
    ranking.get_by_role("link", name="需求数").click()  # ascending: the sibling first
    expect(ranking.locator("tbody tr").first).to_contain_text("景山街道")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    names = [row[0] for row in book["下级排名"].iter_rows(min_row=2, values_only=True)]
    assert names == ["景山街道", "东华门街道"]

    page.get_by_test_id("wall").click()
    for chart in ("trend", "rates", "category", "source"):
        expect(page.locator(f"#chart-{chart}[data-rendered='1'] canvas")).to_have_count(1)
    save_screenshot(page, "dashboard-wall")

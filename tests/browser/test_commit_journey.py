"""Browser journey of 直接对接: a street's staff commit the street's own venue to a community's
demand from the demand page, are asked first (what is taken, what remains), confirm, and see
the remaining capacity fall, on the demand page and on the resource's own page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from demands.models import Claim, ClaimStatus, DemandStatus
from resources.models import Resource

from ..demands import factories as df

pytestmark = pytest.mark.browser


@pytest.fixture
def venue_and_demand(world):
    """The street's own parking spaces (15) and a community's demand for 5 of them."""
    venue = df.resource(
        world.street,
        world.street_staff,
        title="东华门街道党群服务中心停车位",
        capacity="15",
        capacity_unit="places",
        category_name="交通停车",
        description="夜间错时停车",
    )
    demand = df.demand(
        world.community,
        world.community_staff,
        title="多福巷居民夜间停车难",
        description="老旧小区车位不足，居民夜间停车难",
        category_name="交通停车",
        quantity="5",
        quantity_unit="places",
    )
    return venue, demand


def test_street_staff_commit_the_streets_venue_and_see_its_capacity_fall(
    page, live_server, world, login, save_screenshot, venue_and_demand
):
    venue, demand = venue_and_demand

    login(page, world.street_staff)
    page.goto(f"/demands/{demand.pk}/")
    offer = page.locator(f'[data-testid="committable"] [data-resource="{venue.pk}"]')
    expect(offer.get_by_test_id("committable-remaining")).to_have_text("剩余15个")
    # The demand's quantity is prefilled when both count the same way.
    expect(offer.get_by_label("数量", exact=True)).to_have_value("5")
    offer.get_by_label("留言", exact=True).fill("每晚19点后可用")
    offer.get_by_role("button", name="直接对接…").click()

    # Asked first: nothing has moved yet.
    expect(page).to_have_url(re.compile(rf"/demands/{demand.pk}/commit/\?"))
    expect(page.get_by_test_id("commit-remaining")).to_have_text("资源剩余将由15个变为10个。")
    assert Resource.objects.get(pk=venue.pk).remaining == 15
    save_screenshot(page, "commit-confirm")
    page.get_by_test_id("commit-confirm").click()

    expect(page).to_have_url(re.compile(rf"/demands/{demand.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text(
        "已把“东华门街道党群服务中心停车位”对接到本需求"
    )
    expect(page.locator("h1 + div .badge").first).to_have_text("已对接")
    claim = Claim.objects.get(demand=demand)
    row = page.locator(f'[data-claim="{claim.pk}"]')
    expect(row).to_contain_text("东华门街道")
    expect(row).to_contain_text("协调委员会直接对接")
    expect(row).to_contain_text("5个")
    expect(row.get_by_test_id("form-project")).to_be_visible()
    expect(page.get_by_test_id("matches")).not_to_contain_text("只有已发布的需求参与匹配")
    save_screenshot(page, "commit-done")

    # The resource's own page says what remains.
    page.goto(f"/resources/{venue.pk}/")
    expect(page.get_by_test_id("capacity")).to_contain_text("剩余10/15个")

    venue.refresh_from_db()
    demand.refresh_from_db()
    assert venue.remaining == 10
    assert demand.status == DemandStatus.MATCHED
    assert claim.status == ClaimStatus.ACCEPTED and claim.message == "每晚19点后可用"


def test_street_staff_commit_the_venue_from_its_own_page(
    page, world, login, save_screenshot, venue_and_demand
):
    venue, demand = venue_and_demand

    login(page, world.street_staff)
    page.goto(f"/resources/{venue.pk}/")
    page.get_by_test_id("resource-commit").get_by_role("link", name="直接对接到需求…").click()
    expect(page).to_have_url(re.compile(rf"/demands/resources/{venue.pk}/commit/$"))
    row = page.locator(f'[data-testid="committable-demands"] [data-demand="{demand.pk}"]')
    expect(row.get_by_label("数量", exact=True)).to_have_value("5")
    save_screenshot(page, "commit-from-resource-pick")
    row.get_by_role("button", name="直接对接…").click()

    expect(page.get_by_test_id("commit-remaining")).to_have_text("资源剩余将由15个变为10个。")
    assert Resource.objects.get(pk=venue.pk).remaining == 15
    page.get_by_test_id("commit-confirm").click()

    # Back on the resource's page, its capacity fallen and the commitment listed.
    expect(page).to_have_url(re.compile(rf"/resources/{venue.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text(
        "已把“东华门街道党群服务中心停车位”对接到需求“多福巷居民夜间停车难”"
    )
    expect(page.get_by_test_id("capacity")).to_contain_text("剩余10/15个")
    expect(page.get_by_test_id("claims")).to_contain_text("多福巷居民夜间停车难")
    expect(page.locator("body")).not_to_contain_text("{#")
    save_screenshot(page, "commit-from-resource")
    assert Resource.objects.get(pk=venue.pk).remaining == 10
    assert Claim.objects.get(demand=demand).status == ClaimStatus.ACCEPTED

"""Browser journey of a demand (需求): community staff publish it, the unit whose resource matches
hears of it in its inbox without reloading, claims it, and staff accept: the demand is matched.
And the demand entry form fits a phone and refuses a needed-by date in the past at the field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts import services as account_services
from categories.defaults import categories_ensure_defaults
from demands.models import Claim, ClaimStatus, Demand, DemandStatus, Match
from members.models import Role

from ..demands import factories as demand_factories
from ..factories import UserFactory
from ..members import factories as member_factories

pytestmark = pytest.mark.browser

UNIT_NAME = "东华门老年餐桌服务中心"
RESOURCE_TITLE = "老年餐桌：每日助餐60份"
DEMAND = {
    "title": "独居老人助餐",
    "description": "多福巷12号院有独居老人30位，行动不便，需要每日送餐上门或就近助餐。",
    "people": "30",
    "quantity": "30",
}
CLAIM_MESSAGE = "我中心可每日为30位老人供餐，下周一开始。"
# The inbox list and the navbar badge are polled every 10 s; leave room for one slow round.
POLL_TIMEOUT_MS = 20_000


def assert_no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"page scrolls sideways: {widths}"


def field_error(page: Page, field: str):
    return page.locator(f'.invalid-feedback[data-field="{field}"]')


def unread_badge(page: Page):
    return page.locator("#unread-badge")


def unread_count(page: Page) -> int:
    """The navbar's unread count, 0 when the badge is empty (no unread messages)."""
    badge = unread_badge(page).get_by_test_id("unread-count")
    return int(badge.get_attribute("data-count")) if badge.count() else 0


def fill_demand_form(page: Page, needed_by: dt.date) -> None:
    # Community staff enter for their own community: it is the one chosen from the start, shown
    # by name in the picker.
    expect(page.get_by_label("提出地", exact=True)).to_have_value("多福巷社区")
    page.get_by_label("标题", exact=True).fill(DEMAND["title"])
    page.get_by_label("描述", exact=True).fill(DEMAND["description"])
    page.get_by_label("类别", exact=True).select_option(label="养老服务")
    page.get_by_label("来源", exact=True).select_option(label="居民反映")
    page.get_by_label("紧急程度", exact=True).select_option(label="紧急")
    page.get_by_label("涉及人数", exact=True).fill(DEMAND["people"])
    page.get_by_label("期望解决日期", exact=True).fill(needed_by.isoformat())
    page.get_by_label("需求数量", exact=True).fill(DEMAND["quantity"])
    page.get_by_label("数量单位", exact=True).select_option(label="人")


@pytest.fixture
def unit_world(world):
    """A member unit at the street, its contact, and the unit's meal resource at the street."""
    categories_ensure_defaults(world.city.tenant)
    unit = member_factories.unit(world.street, name=UNIT_NAME)
    contact = UserFactory(
        tenant=world.city.tenant, username="canzhuo_contact", display_name="王秀英"
    )
    account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
    resource = demand_factories.resource(
        world.street,
        world.street_staff,
        title=RESOURCE_TITLE,
        capacity="60",
        unit=unit,
        category_name="养老服务",
        kind="volunteers",
        capacity_unit="people",
        description="为辖区老年人提供午餐助餐服务，可送餐上门",
    )
    return unit, contact, resource


def test_staff_publish_a_demand_the_unit_claims_it_from_its_inbox_and_staff_accept(
    page, browser, live_server, world, unit_world, login, save_screenshot
):
    unit, contact, resource = unit_world
    contact_page = page
    staff_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    staff_context.set_default_timeout(10_000)
    staff = staff_context.new_page()
    try:
        run_journey(contact_page, staff, world, unit, contact, resource, login, save_screenshot)
    except Exception:
        save_screenshot(staff, "demand-journey-staff-failure")
        raise
    finally:
        staff_context.close()


def run_journey(contact_page, staff, world, unit, contact, resource, login, save_screenshot):
    a = contact_page

    # --- The unit's contact logs in and opens the inbox: nothing about any demand yet.
    login(a, contact)
    a.goto("/notifications/")
    expect(a.get_by_role("heading", level=1)).to_contain_text("消息")
    inbox = a.get_by_test_id("inbox-list")
    expect(inbox).to_be_visible()
    expect(a.get_by_test_id("notification")).to_have_count(0)
    # The badge is filled by htmx right after the page loads ("load" trigger): let it settle.
    a.wait_for_load_state("networkidle")
    unread_before = unread_count(a)
    inbox_url = a.url
    a.evaluate("() => { window.__marker = 'not reloaded'; }")

    # --- Community staff, in another browser context, enter and publish the demand.
    login(staff, world.community_staff)
    staff.goto("/demands/new/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("录入需求")
    fill_demand_form(staff, needed_by=timezone.localdate() + dt.timedelta(days=14))
    staff.get_by_role("button", name="发布", exact=True).click()

    expect(staff).to_have_url(re.compile(r"/demands/\d+/$"))
    expect(staff.get_by_role("alert")).to_contain_text(
        f"已发布“{DEMAND['title']}”，系统正在匹配资源。"
    )
    demand = Demand.objects.get(title=DEMAND["title"])
    assert demand.status == DemandStatus.PUBLISHED
    assert demand.committee_id == world.community.pk
    assert demand.created_by_id == world.community_staff.pk
    assert staff.url.endswith(f"/demands/{demand.pk}/")
    expect(staff.locator("span[data-status]")).to_have_text("已发布")

    # Matching ran when the request committed (Celery eager, scheduled on commit): the page the
    # staff were redirected to already shows the unit's resource, before anyone polls.
    match = Match.objects.get(demand=demand)
    assert match.resource_id == resource.pk
    match_row = staff.locator(f'[data-match="{match.pk}"]')
    expect(match_row).to_contain_text(RESOURCE_TITLE)
    expect(match_row).to_contain_text(UNIT_NAME)
    expect(match_row.get_by_test_id("match-reason")).to_contain_text("内容相符：")
    expect(match_row.get_by_role("button", name="申请资源")).to_be_visible()

    # --- Back on the contact's page, untouched: the poll brings the notification in.
    note = a.get_by_test_id("notification").filter(
        has_text=f"贵单位的资源可对接需求“{DEMAND['title']}”"
    )
    expect(note).to_have_count(1, timeout=POLL_TIMEOUT_MS)
    expect(note).to_have_attribute("data-unread", "1")
    expect(note.locator(".badge", has_text="未读")).to_be_visible()
    expect(unread_badge(a).get_by_test_id("unread-count")).to_have_attribute(
        "data-count", str(unread_before + 1), timeout=POLL_TIMEOUT_MS
    )
    expect(a.locator("#inbox-unread")).to_have_text(f"{unread_before + 1}条未读")
    assert a.url == inbox_url
    assert a.evaluate("() => window.__marker") == "not reloaded", "the inbox page was reloaded"
    save_screenshot(a, "demand-journey-inbox")

    # --- The contact follows the notification to the demand and claims it.
    note.get_by_role("link", name=re.compile(DEMAND["title"])).click()
    expect(a).to_have_url(re.compile(rf"/demands/{demand.pk}/$"))
    expect(a.get_by_role("heading", level=1)).to_have_text(DEMAND["title"])
    expect(a.locator("span[data-status]")).to_have_text("已发布")
    unit_match = a.locator(f'[data-match="{match.pk}"]')
    expect(unit_match).to_contain_text(RESOURCE_TITLE)
    # The quantity is offered from the demand's (both count people).
    expect(unit_match.get_by_label("数量", exact=True)).to_have_value(DEMAND["quantity"])
    unit_match.get_by_label("留言", exact=True).fill(CLAIM_MESSAGE)
    unit_match.get_by_role("button", name="认领", exact=True).click()

    expect(a).to_have_url(re.compile(rf"/demands/{demand.pk}/$"))
    expect(a.get_by_role("alert")).to_have_text("已认领，等待协调委员会回应。")
    claim = Claim.objects.get(demand=demand)
    assert claim.unit_id == unit.pk
    assert claim.status == ClaimStatus.PENDING
    claim_row = a.locator(f'[data-claim="{claim.pk}"]')
    expect(claim_row).to_contain_text(UNIT_NAME)
    expect(claim_row).to_contain_text(CLAIM_MESSAGE)
    expect(claim_row.locator(".badge")).to_have_text("待回应")
    # The unit answers nothing of its own claim, and cannot claim twice.
    expect(claim_row.get_by_role("button", name="接受")).to_have_count(0)
    expect(unit_match.get_by_role("button", name="认领", exact=True)).to_have_count(0)

    # --- Staff reload the demand and accept the unit's claim.
    staff.reload()
    staff_claim = staff.locator(f'[data-claim="{claim.pk}"]')
    expect(staff_claim).to_contain_text(UNIT_NAME)
    expect(staff_claim).to_contain_text(CLAIM_MESSAGE)
    expect(staff_claim.locator(".badge")).to_have_text("待回应")
    staff_claim.get_by_role("button", name="接受", exact=True).click()

    expect(staff).to_have_url(re.compile(rf"/demands/{demand.pk}/$"))
    expect(staff.get_by_role("alert")).to_have_text("已接受，可据此立项。")
    expect(staff.locator("span[data-status]")).to_have_text("已对接")
    expect(staff_claim.locator(".badge")).to_have_text("已接受")
    expect(staff_claim.get_by_role("button", name="接受")).to_have_count(0)
    expect(staff.get_by_test_id("history")).to_contain_text(f"{UNIT_NAME}认领成功")

    demand.refresh_from_db()
    claim.refresh_from_db()
    resource.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED
    assert claim.status == ClaimStatus.ACCEPTED
    assert claim.decided_by_id == world.community_staff.pk
    assert resource.remaining == resource.capacity - int(DEMAND["quantity"])

    # --- The contact sees the claim accepted.
    a.reload()
    expect(a.locator("span[data-status]")).to_have_text("已对接")
    expect(claim_row.locator(".badge")).to_have_text("已接受")
    a.goto("/notifications/")
    expect(
        a.get_by_test_id("notification").filter(has_text=f"“{DEMAND['title']}”的认领已接受")
    ).to_have_count(1)


def test_demand_form_fits_a_phone_and_refuses_a_past_needed_by_date(
    phone_page, world, login, save_screenshot
):
    page = phone_page
    categories_ensure_defaults(world.city.tenant)
    login(page, world.community_staff)
    page.goto("/demands/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("录入需求")
    assert_no_horizontal_overflow(page)
    save_screenshot(page, "demand-form-phone")

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    fill_demand_form(page, needed_by=yesterday)
    page.get_by_role("button", name="发布", exact=True).tap()

    # Refused at the field, what was typed kept, and nothing created.
    expect(page).to_have_url(re.compile(r"/demands/new/$"))
    expect(field_error(page, "needed_by")).to_have_text("期望解决日期不能早于今天。")
    expect(field_error(page, "needed_by")).to_be_visible()
    needed_by = page.get_by_label("期望解决日期", exact=True)
    expect(needed_by).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(needed_by).to_have_value(yesterday.isoformat())
    expect(page.get_by_label("标题", exact=True)).to_have_value(DEMAND["title"])
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    assert not Demand.objects.filter(title=DEMAND["title"]).exists()
    assert not Demand.objects.exists()

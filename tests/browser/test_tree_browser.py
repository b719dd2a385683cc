"""Browser journeys through the committee tree: street staff walk it, on a desktop and on a phone,
and a tenant administrator adds a community through the form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from committees.models import Committee

pytestmark = pytest.mark.browser


def tree_node(page: Page, committee: Committee):
    return page.locator(f'li.tree-node[data-committee="{committee.pk}"]')


def search(page: Page, query: str):
    page.get_by_role("searchbox", name="搜索协调委员会").fill(query)
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page).to_have_url(re.compile(r"/committees/\?q="))
    return page.locator("ul.search-results")


def assert_no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"page scrolls sideways: {widths}"


def test_street_staff_log_in_and_walk_the_tree(page, world, login, save_screenshot):
    login(page, world.street_staff)

    # Landed on their to-do list; the tree is one click away, rooted at their own street; the
    # sibling street is nowhere.
    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    page.locator("#main-nav").get_by_role("link", name="组织架构").click()
    expect(page).to_have_url(re.compile(r"/committees/$"))
    expect(page.get_by_role("heading", name="组织架构")).to_be_visible()
    street = tree_node(page, world.street)
    expect(page.locator("ul.tree > li.tree-node")).to_have_count(1)
    expect(street.get_by_role("link", name="东华门街道", exact=True)).to_be_visible()
    expect(page.get_by_text("景山街道")).to_have_count(0)

    # Expanding loads the communities in place, with HTMX: same URL, same document.
    tree_url = page.url
    page.evaluate("() => { window.__sameDocument = true; }")
    with page.expect_response(re.compile(rf"/committees/{world.street.pk}/children/$")):
        street.locator("> button.tree-toggle").click()
    children = street.locator("> ul.tree-children")
    expect(children.get_by_role("link", name="多福巷社区", exact=True)).to_be_visible()
    expect(children.get_by_role("link", name="银闸社区", exact=True)).to_be_visible()
    expect(street.locator("> button.tree-toggle")).to_have_attribute("aria-expanded", "true")
    assert page.url == tree_url
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    expect(page.get_by_text("景山街道")).to_have_count(0)
    expect(page.get_by_text("黄化门社区")).to_have_count(0)
    save_screenshot(page, "tree-desktop")

    # Into a community: its page, with the parent chain in the breadcrumb.
    children.get_by_role("link", name="多福巷社区", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/committees/{world.community.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("多福巷社区")
    expect(page.locator("ol.breadcrumb > li")).to_have_text(
        ["北京市", "东城区", "东华门街道", "多福巷社区"]
    )

    # Back to the tree through the menu, and search by division code, then by a name outside.
    page.get_by_role("link", name="组织架构").click()
    expect(page).to_have_url(re.compile(r"/committees/$"))
    results = search(page, "110101001002")
    expect(results.get_by_role("link")).to_have_text(["银闸社区"])
    expect(results).to_contain_text("北京市 › 东城区 › 东华门街道")

    results = search(page, "黄化门")
    expect(results).to_have_text("没有匹配的协调委员会。")
    expect(results.get_by_role("link")).to_have_count(0)
    expect(page.get_by_text("黄化门社区")).to_have_count(0)

    # Log out: back on the login page, and the tree is closed to them again.
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("#id_username")).to_be_visible()
    page.goto("/committees/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/committees/$"))


def test_street_staff_reach_the_tree_on_a_phone(phone_page, world, login, save_screenshot):
    page = phone_page
    login(page, world.street_staff, next_url=f"/committees/{world.street.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("东华门街道")
    assert_no_horizontal_overflow(page)

    # The menu is collapsed behind the toggler until tapped.
    tree_link = page.get_by_role("link", name="组织架构")
    expect(tree_link).to_be_hidden()
    page.locator("button.navbar-toggler").tap()
    expect(page.locator("button.navbar-toggler")).to_have_attribute("aria-expanded", "true")
    expect(tree_link).to_be_visible()
    tree_link.tap()

    expect(page).to_have_url(re.compile(r"/committees/$"))
    street = tree_node(page, world.street)
    street.locator("> button.tree-toggle").tap()
    expect(street.get_by_role("link", name="银闸社区", exact=True)).to_be_visible()
    assert_no_horizontal_overflow(page)
    save_screenshot(page, "tree-phone")


def test_tenant_admin_adds_a_community_through_the_form(page, world, login):
    login(page, world.tenant_admin)
    page.goto(f"/committees/{world.street.pk}/")
    page.get_by_role("link", name="新建下级").click()
    expect(page).to_have_url(re.compile(rf"/committees/{world.street.pk}/add/$"))
    expect(page.get_by_role("heading", name="新建下级协调委员会")).to_be_visible()

    page.get_by_label("名称").fill("智德社区")
    page.get_by_label("层级").select_option("community")
    page.get_by_label("区划代码").fill("11010100100")
    page.get_by_role("button", name="创建").click()

    # Rejected next to the field, and nothing created.
    error = page.locator('.invalid-feedback[data-field="division_code"]')
    expect(error).to_contain_text("12位数字")
    expect(page.get_by_label("区划代码")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("区划代码")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page).to_have_url(re.compile(rf"/committees/{world.street.pk}/add/$"))
    assert not Committee.objects.filter(name="智德社区").exists()

    page.get_by_label("区划代码").fill("110101001003")
    page.get_by_role("button", name="创建").click()

    expect(page.get_by_role("alert")).to_have_text("已创建“智德社区”。")
    expect(page.get_by_role("heading", level=1)).to_have_text("智德社区")
    expect(page.locator("ol.breadcrumb > li")).to_have_text(
        ["北京市", "东城区", "东华门街道", "智德社区"]
    )
    created = Committee.objects.get(name="智德社区")
    expect(page).to_have_url(re.compile(rf"/committees/{created.pk}/$"))
    assert created.parent_id == world.street.pk
    assert created.division_code == "110101001003"
    assert created.level == "community"

"""Browser journey of a whistle (街乡吹哨、部门报到): street staff blow a whistle summoning two
departments; the water authority's officer acknowledges, reports arrival with a photo and the
action taken on a phone-sized screen; the environment bureau misses its deadline, the minute's
scan escalates it and the district's staff see it; the street closes the whistle and rates
both departments."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from members.models import Role
from projects import whistles
from projects.models import DepartmentRating, Summons, Whistle, WhistleStatus

from ..factories import user_with_role
from ..whistles import factories as wf

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"page scrolls sideways: {widths}"


def test_blow_report_escalate_close_and_rate(
    page, phone_page, live_server, world, login, save_screenshot
):
    water = wf.department(world.district, "东城区水务局")
    env = wf.department(world.district, "东城区生态环境局")
    water_officer = wf.officer_of(water, "water_officer")
    wf.officer_of(env, "env_officer")
    district_staff = user_with_role(Role.STAFF, world.district, username="dc_staff")

    # --- Street staff blow the whistle: the water authority has 4 hours, environment 1.
    login(page, world.street_staff)
    page.goto("/projects/whistles/")
    page.get_by_test_id("blow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("吹哨：召集部门报到")
    page.get_by_label("哨型", exact=True).select_option(label="攻坚哨")
    page.get_by_label("事项", exact=True).fill("东石桥河道污水直排")
    page.get_by_label("地点", exact=True).fill("东石桥村北侧河道")
    page.get_by_label("需要部门做什么", exact=True).fill("清淤，排查并封堵排污口")
    page.get_by_label("东城区水务局", exact=True).check()
    page.get_by_label("东城区水务局报到时限", exact=True).fill("4")
    page.get_by_label("东城区生态环境局", exact=True).check()
    page.get_by_label("东城区生态环境局报到时限", exact=True).fill("1")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/projects/whistles/\d+/$"))
    expect(page.get_by_role("alert")).to_have_text("已吹哨，召集2个部门。")
    whistle = Whistle.objects.get(title="东石桥河道污水直排")
    expect(page.locator('[data-summons="东城区水务局"]')).to_contain_text("待响应")
    save_screenshot(page, "whistle-blown")

    # --- The water authority's officer answers on a phone.
    phone = phone_page
    login(phone, water_officer)
    phone.goto("/projects/summons/")
    phone.get_by_test_id("my-summons").get_by_text("东石桥河道污水直排").tap()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("东石桥河道污水直排")
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="已接收", exact=True).tap()
    expect(phone.get_by_role("alert")).to_have_text("已报送：已接收")
    phone.get_by_label("情况说明", exact=True).fill("抢险队已到东石桥北侧")
    phone.get_by_label("现场照片", exact=True).set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.get_by_role("button", name="已到场", exact=True).tap()
    expect(phone.get_by_role("alert")).to_have_text("已报送：已到场")
    expect(phone.get_by_test_id("summons-state")).to_contain_text("按时报到")
    phone.get_by_label("情况说明", exact=True).fill("完成清淤300米，封堵排污口5处")
    phone.get_by_role("button", name="已处置", exact=True).tap()
    expect(phone.get_by_test_id("reports")).to_contain_text("封堵排污口5处")
    expect(phone.get_by_test_id("reports")).to_contain_text("1张照片")
    expect(phone.get_by_role("button", name="已处置", exact=True)).to_have_count(0)
    no_sideways_scroll(phone)
    save_screenshot(phone, "whistle-officer-phone")

    # --- The environment bureau misses its hour; the minute's scan escalates it once.
    late = Summons.objects.get(whistle=whistle, department=env)
    assert whistles.summons_scan(now=late.due_at + dt.timedelta(minutes=1)) == 1

    district = page.context.browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        staff_page = district.new_page()
        login(staff_page, district_staff)
        staff_page.goto("/notifications/")
        expect(staff_page.locator("body")).to_contain_text("东城区生态环境局逾期未报到，已上报")
        staff_page.goto(f"/projects/whistles/{whistle.pk}/")
        row = staff_page.locator('[data-summons="东城区生态环境局"]')
        expect(row.get_by_test_id("escalated")).to_contain_text("已上报东城区")
        expect(staff_page.locator('[data-summons="东城区水务局"]')).to_contain_text("按时报到")
        save_screenshot(staff_page, "whistle-escalated-district")
    finally:
        district.close()

    # --- The street closes the whistle and rates both departments.
    page.reload()
    page.get_by_label("办结情况", exact=True).fill("河道已清淤，排污口已封堵")
    water_row = page.locator('[data-rate="东城区水务局"]')
    water_row.get_by_label("响应及时", exact=True).select_option("5")
    water_row.get_by_label("评语", exact=True).fill("响应迅速")
    env_row = page.locator('[data-rate="东城区生态环境局"]')
    env_row.get_by_label("响应及时", exact=True).select_option("2")
    env_row.get_by_label("工作态度", exact=True).select_option("3")
    page.get_by_role("button", name="办结", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("已办结，并完成对各部门的评价。")
    expect(page.get_by_test_id("whistle-status")).to_have_text("已办结")
    expect(page.get_by_test_id("rating")).to_have_count(2)
    save_screenshot(page, "whistle-closed-rated")
    whistle.refresh_from_db()
    assert whistle.status == WhistleStatus.CLOSED
    ratings = {r.department_id: r for r in DepartmentRating.objects.all()}
    assert ratings[water.pk].punctuality == 5 and ratings[water.pk].comment == "响应迅速"
    assert ratings[env.pk].punctuality == 2 and ratings[env.pk].attitude == 3

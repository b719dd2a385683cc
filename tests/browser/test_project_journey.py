"""Browser journey of a project (立项 → 报送进展 → 督办): street staff turn an accepted claim into a
project with two milestones; the lead unit's contact posts a progress update with a photo on a
phone-sized screen; the second milestone passes its due date and the district's staff see it on
their overdue list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Role
from projects import services
from projects.models import Project

from ..factories import user_with_role
from ..projects import factories as pf

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"page scrolls sideways: {widths}"


def test_claim_to_project_to_progress_to_the_overdue_list(
    page, phone_page, live_server, world, login, save_screenshot
):
    claim, contact = pf.accepted_claim(world, title="独居老人助餐")
    district_staff = user_with_role(Role.STAFF, world.district, username="dc_staff")
    today = timezone.localdate()
    first_due, second_due = today + dt.timedelta(days=20), today + dt.timedelta(days=3)

    # --- Street staff open the demand and form the project from the accepted claim.
    login(page, world.street_staff)
    page.goto(f"/demands/{claim.demand_id}/")
    claim_row = page.locator(f'[data-claim="{claim.pk}"]')
    expect(claim_row.locator(".badge")).to_have_text("已接受")
    claim_row.get_by_test_id("form-project").click()
    expect(page).to_have_url(re.compile(r"/projects/new/\?claim=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("立项")
    # The pickers show the current choices by name.
    expect(page.get_by_label("牵头单位", exact=True)).to_have_value(claim.unit.name)
    page.get_by_label("项目名称", exact=True).fill("多福巷老年餐桌")
    page.get_by_label("预算（元）", exact=True).fill("50000")
    page.get_by_label("完成期限", exact=True).fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_label("里程碑1", exact=True).fill("厨房改造")
    page.get_by_label("里程碑1期限", exact=True).fill(first_due.isoformat())
    page.get_by_label("里程碑2", exact=True).fill("送餐上门")
    page.get_by_label("里程碑2期限", exact=True).fill(second_due.isoformat())
    page.get_by_role("button", name="立项", exact=True).click()

    expect(page).to_have_url(re.compile(r"/projects/\d+/$"))
    expect(page.get_by_role("alert")).to_contain_text("已立项“多福巷老年餐桌”")
    project = Project.objects.get(title="多福巷老年餐桌")
    expect(page.locator("span[data-status]").first).to_have_text("计划中")
    milestones = page.get_by_test_id("milestones")
    expect(milestones).to_contain_text("送餐上门")
    expect(milestones).to_contain_text("厨房改造")
    expect(page.get_by_test_id("demands")).to_contain_text("独居老人助餐")
    expect(page.get_by_test_id("demands")).to_contain_text("已立项")
    save_screenshot(page, "project-detail")

    # --- The lead unit's contact reports from the site, on a phone.
    phone = phone_page
    login(phone, contact)
    phone.goto(f"/projects/{project.pk}/progress/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("报送进展")
    no_sideways_scroll(phone)
    phone.get_by_label("进展情况", exact=True).fill("厨房设备已进场，正在安装。")
    phone.get_by_label("关于里程碑", exact=True).select_option(
        label=f"厨房改造（{first_due:%m-%d}）"
    )
    phone.get_by_label("现场照片", exact=True).set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.get_by_role("button", name="提交", exact=True).tap()
    expect(phone.get_by_role("alert")).to_have_text("进展已报送。")
    expect(phone.get_by_test_id("recent-updates")).to_contain_text("厨房设备已进场")
    expect(phone.get_by_test_id("recent-updates")).to_contain_text("1张照片")
    no_sideways_scroll(phone)
    save_screenshot(phone, "project-progress-phone")
    update = project.updates.get()
    assert update.unit_id == claim.unit_id and update.photos.count() == 1

    # --- The second milestone's due date passes; the minute's scan flags it overdue.
    second = project.milestones.get(title="送餐上门")
    services.supervision_scan(now=second.due_at + dt.timedelta(minutes=1))

    # --- The district's staff see it on their overdue list and send a reminder.
    district = page.context.browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        staff_page = district.new_page()
        login(staff_page, district_staff)
        staff_page.goto("/projects/overdue/")
        row = staff_page.locator(f'[data-overdue="milestone-{second.pk}"]')
        expect(row).to_contain_text("多福巷老年餐桌 · 送餐上门")
        expect(row).to_contain_text("多福巷社区")  # owned where the demand arose
        expect(staff_page.locator("[data-overdue]")).to_have_count(1)
        row.get_by_role("button", name="发送提醒").click()
        expect(staff_page.get_by_role("alert")).to_have_text("已发送督办提醒。")
        save_screenshot(staff_page, "project-overdue-list")
    finally:
        district.close()
    assert contact.notifications.filter(key__startswith="supervision:nudge:").count() == 1

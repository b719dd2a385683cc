"""Browser journey of an in-service party member (在职党员): registers on a phone, the community's
staff confirm on a desktop, the member logs a service, staff verify it, and the points show up.
And the join and service forms refuse bad input on the phone, with the message at the field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from members.models import User
from party_members import services as party_services
from party_members.models import PartyMember, RecordStatus, Registration, ServiceRecord

pytestmark = pytest.mark.browser

MEMBER = {
    "name": "李晓红",
    "phone": "13812345678",
    "employer": "北京启明科技有限公司",
    "username": "lixiaohong",
    "password": "Dangyuan@2026",
}


def assert_no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"page scrolls sideways: {widths}"


def field_error(page: Page, field: str):
    return page.locator(f'.invalid-feedback[data-field="{field}"]')


def fill_join_form(page: Page, community: str, **overrides: str) -> None:
    values = {**MEMBER, **overrides}
    page.get_by_label("所在城市", exact=True).select_option(label="北京市")
    page.get_by_label("姓名", exact=True).fill(values["name"])
    page.get_by_label("手机号", exact=True).fill(values["phone"])
    page.get_by_label("工作单位", exact=True).fill(values["employer"])
    page.get_by_label("居住地社区（村）", exact=True).fill(community)
    page.get_by_label("用户名", exact=True).fill(values["username"])
    page.get_by_label("密码", exact=True).fill(values["password"])


def service_form(page: Page):
    return page.locator("details").filter(has=page.locator("summary", has_text="记录一次服务"))


def open_service_form(page: Page):
    details = service_form(page)
    expect(details).to_be_visible()
    expect(details).not_to_have_attribute("open", "")
    details.locator("summary").tap()
    expect(details).to_have_attribute("open", "")
    return details


def fill_service_form(page: Page, served_on: dt.date, hours: str) -> None:
    # The date box starts at today (an ISO value, the only kind a date input accepts).
    expect(page.get_by_label("服务日期", exact=True)).to_have_value(
        timezone.localdate().isoformat()
    )
    page.get_by_label("服务日期", exact=True).fill(served_on.isoformat())
    page.get_by_label("服务时长（小时，不含路程）", exact=True).fill(hours)
    page.get_by_label("服务类型", exact=True).select_option(label="环境整治")
    page.get_by_label("服务内容", exact=True).fill("清理楼道堆物，劝导住户文明停车")
    page.get_by_label("服务地点", exact=True).fill("多福巷12号院")


def test_member_registers_on_a_phone_logs_service_and_earns_points(
    phone_page, page, world, login, save_screenshot
):
    phone, staff = phone_page, page
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    # --- The member registers on the phone, without an account.
    phone.goto("/party-members/join/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("在职党员回社区报到")
    assert_no_horizontal_overflow(phone)
    save_screenshot(phone, "member-join-phone")
    # The community is searched as it is typed and picked by name; its id travels beside it.
    fill_join_form(phone, community="多福")
    phone.locator("[data-picker-option]", has_text="多福巷社区").tap()
    expect(phone.get_by_label("居住地社区（村）", exact=True)).to_have_value("多福巷社区")
    expect(phone.locator('input[name="community_id"]')).to_have_value(str(world.community.pk))
    phone.get_by_role("button", name="提交报到").tap()

    expect(phone).to_have_url(re.compile(r"/party-members/me/$"))
    expect(phone.get_by_role("alert")).to_have_text("报到申请已提交，待多福巷社区确认。")
    expect(phone.get_by_role("heading", level=1)).to_have_text(MEMBER["name"])
    expect(phone.get_by_test_id("registration-status")).to_have_text("待确认")
    expect(phone.locator(".alert-info")).to_have_text("报到经社区确认后即可记录服务。")
    expect(phone.get_by_text("记录一次服务")).to_have_count(0)
    expect(phone.get_by_test_id("points")).to_have_text(re.compile(r"^0(\.0)?$"))
    assert_no_horizontal_overflow(phone)
    member = PartyMember.objects.get(user__username=MEMBER["username"])
    assert member.community_id == world.community.pk
    assert member.tenant_id == world.city.tenant_id

    # --- The community's staff confirm on a desktop, in another browser context.
    login(staff, world.community_staff)
    staff.goto(f"/party-members/committees/{world.community.pk}/roster/")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("多福巷社区")
    row = staff.locator("tr[data-registration]").filter(has_text=MEMBER["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(MEMBER["employer"])
    expect(row.locator(".badge")).to_have_text("待确认")
    row.get_by_role("button", name="确认报到").click()
    expect(staff).to_have_url(
        re.compile(rf"/party-members/committees/{world.community.pk}/roster/$")
    )
    expect(staff.get_by_role("alert")).to_have_text(f"已确认{MEMBER['name']}报到。")
    expect(row.locator(".badge")).to_have_text("已报到")
    expect(row.get_by_role("button", name="确认报到")).to_have_count(0)

    # --- Back on the phone: confirmed, the member logs a service.
    phone.reload()
    expect(phone.get_by_test_id("registration-status")).to_have_text("已报到")
    expect(phone.locator(".alert-info")).to_have_count(0)
    details = open_service_form(phone)
    fill_service_form(phone, served_on=yesterday, hours="2")
    details.get_by_role("button", name="提交", exact=True).tap()

    expect(phone).to_have_url(re.compile(r"/party-members/me/$"))
    expect(phone.get_by_role("alert")).to_have_text("服务记录已提交，待社区核实。")
    records = phone.locator("li[data-record]")
    expect(records).to_have_count(1)
    served = f"{yesterday.year}年{yesterday.month}月{yesterday.day}日"
    expect(records).to_contain_text(f"{served} · 环境整治 · 2小时")
    expect(records.locator(".badge")).to_have_text("待核实")
    expect(phone.get_by_test_id("points")).to_have_text(re.compile(r"^0(\.0)?$"))
    expect(phone.get_by_role("link", name="下载服务证明（PDF）")).to_have_count(0)
    record_id = records.get_attribute("data-record")

    # --- Staff verify it from the list of services waiting for them.
    staff.goto("/party-members/services/pending/")
    item = staff.locator(f'li[data-record="{record_id}"]')
    expect(item).to_contain_text(MEMBER["name"])
    expect(item).to_contain_text("清理楼道堆物")
    item.get_by_role("button", name="核实", exact=True).click()
    expect(staff).to_have_url(re.compile(r"/party-members/services/pending/$"))
    expect(staff.get_by_role("alert")).to_have_text("已核实，积分已计入。")
    expect(item).to_have_count(0)

    # --- The member sees the points (10 per hour by default) and the certificate.
    phone.reload()
    expect(phone.get_by_test_id("points")).to_have_text(re.compile(r"^20(\.0)?$"))
    expect(records.locator(".badge")).to_have_text("已核实")
    certificate = phone.get_by_role("link", name="下载服务证明（PDF）")
    expect(certificate).to_be_visible()
    assert_no_horizontal_overflow(phone)
    save_screenshot(phone, "member-me-phone")

    with phone.expect_download() as download_info:
        certificate.tap()
    download = download_info.value
    assert download.suggested_filename == "service-certificate.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")

    record = ServiceRecord.objects.get(pk=record_id)
    assert record.member_id == member.pk
    assert record.status == RecordStatus.VERIFIED
    assert record.verified_by_id == world.community_staff.pk


def test_phone_forms_refuse_a_bad_phone_and_more_than_24_hours(phone_page, world):
    page = phone_page
    page.goto("/party-members/join/")
    fill_join_form(page, community=world.community.division_code, phone="1381234")
    page.get_by_role("button", name="提交报到").tap()

    # Refused at the field, the rest of the form kept, and no account created.
    expect(page).to_have_url(re.compile(r"/party-members/join/$"))
    expect(field_error(page, "phone")).to_contain_text("不是有效的电话号码")
    expect(field_error(page, "phone")).to_be_visible()
    phone_input = page.get_by_label("手机号", exact=True)
    expect(phone_input).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(phone_input).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("姓名", exact=True)).to_have_value(MEMBER["name"])
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    assert_no_horizontal_overflow(page)
    assert not User.objects.filter(username=MEMBER["username"]).exists()
    assert not PartyMember.objects.filter(name=MEMBER["name"]).exists()

    # Corrected (the password is asked again), the registration goes through.
    phone_input.fill(MEMBER["phone"])
    page.get_by_label("密码", exact=True).fill(MEMBER["password"])
    page.get_by_role("button", name="提交报到").tap()
    expect(page).to_have_url(re.compile(r"/party-members/me/$"))
    expect(page.get_by_test_id("registration-status")).to_have_text("待确认")

    # Confirmation is not what this test is about: the service confirms it directly.
    registration = Registration.objects.get(member__user__username=MEMBER["username"])
    party_services.registration_decide(
        registration=registration, actor=world.community_staff, confirm=True
    )
    page.reload()
    expect(page.get_by_test_id("registration-status")).to_have_text("已报到")

    details = open_service_form(page)
    fill_service_form(page, served_on=timezone.localdate(), hours="25")
    details.get_by_role("button", name="提交", exact=True).tap()

    expect(field_error(page, "hours")).to_have_text("一天的服务时长不能超过24小时。")
    expect(page).to_have_url(re.compile(r"/party-members/me/$"))
    # The page reopens the form by itself, to show the error.
    expect(service_form(page)).to_have_attribute("open", "")
    expect(field_error(page, "hours")).to_be_visible()
    hours_input = page.get_by_label("服务时长（小时，不含路程）", exact=True)
    expect(hours_input).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(hours_input).to_have_value("25")
    expect(page.locator("li[data-record]")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    assert not ServiceRecord.objects.filter(member__user__username=MEMBER["username"]).exists()

"""The tenant administrator brings in a new street's staff member and a unit's contact; the new
staff member signs in, is made to change the one-time password, and lands on a to-do list that
shows a claim waiting at a community of the street that has no staff of its own."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from committees.models import Level
from demands import services as demand_services
from members.models import RoleGrant, User

from ..demands.factories import contact_of, demand
from ..factories import CommitteeFactory
from ..members.factories import unit

ONE_TIME = "Chushi@2026pw"
OWN = "Ziji@2026mima"


def test_new_staff_account_changes_its_password_and_sees_the_claim_waiting(page, world, login):
    street = CommitteeFactory(
        parent=world.district, name="朝阳门街道", level=Level.STREET, division_code="110101003000"
    )
    community = CommitteeFactory(
        parent=street, name="竹竿社区", level=Level.COMMUNITY, division_code="110101003001"
    )
    plant = unit(community, name="北京公交集团保修三厂")
    claimer = contact_of(plant, username="bus3_old_contact")
    school = unit(community, name="北京市第二中学")
    need = demand(community, world.tenant_admin, title="竹竿社区老年人助餐点")
    demand_services.claim_by_unit(actor=claimer, demand=need, unit=plant, message="可承接")

    login(page, world.tenant_admin)
    page.goto("/accounts/manage/new/")
    form = page.get_by_test_id("account-form")
    form.locator("#id_username").fill("zhugan_street")
    form.locator("#id_display_name").fill("朝阳门街道王芳")
    form.locator("#id_password").fill(ONE_TIME)
    form.locator("#id_role").select_option("staff")
    # The picker: type part of the name, pick the street from the scoped search.
    form.locator("#id_committee").fill("朝阳门")
    form.locator("[data-picker-option]", has_text="朝阳门街道").click()
    expect(form.locator("#id_committee")).to_have_value("朝阳门街道")
    expect(form.locator('input[name="committee"]')).to_have_value(str(street.pk))
    form.get_by_role("button", name="开设账号").click()
    expect(page.get_by_test_id("account-status")).to_have_text("待修改初始密码")
    expect(page.get_by_test_id("grants")).to_contain_text("朝阳门街道")

    page.goto("/accounts/manage/new/")
    form = page.get_by_test_id("account-form")
    form.locator("#id_username").fill("school2_contact")
    form.locator("#id_password").fill(ONE_TIME)
    form.locator("#id_role").select_option("unit_contact")
    form.locator("#id_member_unit").fill("第二中学")
    form.locator("[data-picker-option]", has_text="北京市第二中学").click()
    form.get_by_role("button", name="开设账号").click()
    expect(page.get_by_test_id("grants")).to_contain_text("北京市第二中学")
    assert RoleGrant.objects.get(user__username="school2_contact").member_unit_id == school.pk
    page.get_by_role("button", name="退出").click()

    page.goto("/accounts/login/")
    page.locator("#id_username").fill("zhugan_street")
    page.locator("#id_password").fill(ONE_TIME)
    page.locator("form").get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/"))
    expect(page.get_by_test_id("forced")).to_be_visible()
    page.goto("/demands/")  # nothing else opens before the password is changed
    expect(page).to_have_url(re.compile(r"/accounts/password/\?next=%2Fdemands%2F"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    form = page.get_by_test_id("password-change-form")
    form.locator("#id_old_password").fill(ONE_TIME)
    form.locator("#id_new_password").fill(OWN)
    form.locator("#id_new_password2").fill(OWN)
    form.get_by_role("button", name="修改密码").click()

    claims = page.get_by_test_id("todo-claims")
    expect(claims).to_contain_text("竹竿社区老年人助餐点")
    expect(claims).to_contain_text("北京公交集团保修三厂")
    assert User.objects.get(username="zhugan_street").check_password(OWN)

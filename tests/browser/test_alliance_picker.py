"""Browser: the alliance form's multi-picker. Street staff search units as they type, pick two,
send the form without a name, see the problem on the name with both units still ticked by name,
name it and found the alliance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from members.models import Alliance

from ..members import factories as mf

pytestmark = pytest.mark.browser


def test_street_staff_pick_several_units_and_found_an_alliance(page, world, login, save_screenshot):
    bus = mf.unit(world.street, name="公交集团保修三厂")
    audit = mf.unit(world.community, name="市审计局")
    mf.unit(world.sibling_street, name="景山公交场站")

    login(page, world.street_staff)
    page.goto(f"/members/committees/{world.street.pk}/")
    form = page.locator("#alliance-form")
    form.locator("summary").click()
    units = form.locator('[data-multipicker][data-name="units"]')
    box = units.locator("[data-multipicker-text]")
    box.fill("公交")
    expect(units.locator("[data-picker-option]")).to_have_count(1)  # not the next street's
    units.locator("[data-picker-option]", has_text="公交集团保修三厂").click()
    box.fill("审计")
    units.locator("[data-picker-option]", has_text="市审计局").click()
    expect(box).to_have_value("")
    expect(units.locator("[data-multipicker-choice]")).to_have_text(
        ["公交集团保修三厂", "市审计局"]
    )
    form.get_by_role("button", name="成立").click()

    # Sent back: the problem on its field, the choices kept by name.
    expect(page.locator('.invalid-feedback[data-field="name"]')).to_have_text("该字段是必填项。")
    form = page.locator("#alliance-form")
    expect(form).to_have_attribute("open", "")
    expect(form.locator("[data-multipicker-choice]")).to_have_text(["公交集团保修三厂", "市审计局"])
    save_screenshot(page, "alliance-form-errors")
    form.get_by_label("联盟名称", exact=True).fill("民生服务联盟")
    form.get_by_role("button", name="成立").click()

    expect(page).to_have_url(re.compile(rf"/members/committees/{world.street.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text("已成立“民生服务联盟”")
    alliance = Alliance.objects.get(name="民生服务联盟")
    assert set(alliance.units.all()) == {bus, audit}

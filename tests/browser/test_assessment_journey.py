"""Street staff open the assessment from the dashboard, flag a weak community picked by search,
record its rectification and lift it: the lift asks first, and a dismissed question lifts
nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.models import WeakCommittee

pytestmark = pytest.mark.browser


def test_flag_progress_and_lift_a_weak_committee(page, world, login):
    login(page, world.street_staff, next_url=f"/dashboard/{world.street.pk}/assessment/")
    page.get_by_test_id("weak-link").click()
    form = page.get_by_test_id("weak-form")
    form.locator("[data-picker-text]").fill("银闸")
    form.get_by_role("option", name="银闸社区").click()
    form.get_by_label("认定原因").fill("班子不团结，长期不开会")
    form.get_by_label("整顿方案").fill("调整班子，每月过组织生活")
    form.get_by_label("整顿期限").fill("2030-12-31")
    form.get_by_role("button", name="确认列入").click()
    page.get_by_test_id("weak").get_by_role("link", name="银闸社区").click()

    steps = page.get_by_test_id("step-form")
    steps.get_by_label("整改进展").fill("整改完成")
    steps.get_by_label("完成进度（%）").fill("100")
    steps.get_by_role("button", name="保存进展").click()
    expect(page.get_by_test_id("steps")).to_contain_text("整改完成")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="整改完成，销号").click()
    expect(page.get_by_test_id("status")).to_have_text("整顿中")
    assert WeakCommittee.objects.get().lifted_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="整改完成，销号").click()
    expect(page.get_by_test_id("status")).to_contain_text("已销号")
    assert WeakCommittee.objects.get().lifted_at is not None

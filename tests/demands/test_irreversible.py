"""Item 10: actions that cannot be undone ask first. Closing a committee says what happens to its
demands, units, memberships and accounts, with their counts (each room counts its own through
committees.closing)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import Role

from ..factories import user_with_role
from ..members import factories as mf
from . import factories as f

pytestmark = pytest.mark.django_db


def test_the_close_page_counts_what_hangs_on_the_committee(world, client_for):
    f.demand(world.community2, world.street_staff, title="银闸助餐")
    f.demand(world.community2, world.street_staff, title="银闸停车", publish=False)
    mf.unit(world.community2, name="银闸小学")  # the factory makes it a member too
    user_with_role(Role.STAFF, world.community2, username="yz_staff")
    page = client_for(world.tenant_admin).get(
        reverse("committees:close", args=[world.community2.pk])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "撤销后不能恢复" in text
    impacts = [line for line in text.split("<li data-impact>")[1:]]
    joined = " ".join(impacts)
    assert "未办结的需求（在此提出或承办）：<strong>2</strong>" in joined
    assert "登记在此的成员单位：<strong>1</strong>" in joined
    assert "在此的成员关系（共建单位）：<strong>1</strong>" in joined
    assert "在此授权的账号：<strong>1</strong>" in joined
    assert "确认撤销" in text


def test_an_empty_committee_says_nothing_else_is_touched(world, client_for):
    text = (
        client_for(world.tenant_admin)
        .get(reverse("committees:close", args=[world.sibling_community.pk]))
        .content.decode()
    )
    assert "撤销不影响其他记录" in text and "<li data-impact>" not in text

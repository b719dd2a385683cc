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


def test_the_demand_form_reports_every_error_at_once(world, client_for):
    """Item 7: an empty title does not hide a past date and a negative head count."""
    import datetime as dt

    from django.utils import timezone

    from demands.models import Demand

    f.category(world.city.tenant)
    response = client_for(world.community_staff).post(
        reverse("demands:demand_create"),
        {
            "committee": world.community.pk,
            "title": "",
            "description": "楼道灯坏了",
            "category": "",
            "source": "resident",
            "kind": "need",
            "urgency": "normal",
            "people_affected": "-3",
            "needed_by": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
            "quantity": "-1",
            "quantity_unit": "",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["title"] == ["请填写标题。"]
    assert form.errors["category"] == ["请选择类别。"]
    assert form.errors["people_affected"] == ["涉及人数应为不小于1的整数。"]
    assert form.errors["needed_by"] == ["期望解决日期不能早于今天。"]
    assert form.errors["quantity"] == ["需求数量应大于0。"]
    assert not Demand.objects.exists()

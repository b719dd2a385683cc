"""A unit's ratings feed the matching engine's record and are named in the reasons, once at
least three exist (the same threshold as 背靠背)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from demands.models import Match
from members.models import MemberUnit

from ..demands import factories as df
from ..members import factories as mf

pytestmark = pytest.mark.django_db


def offer(world, unit, title):
    return df.resource(
        world.street,
        world.street_staff,
        title=title,
        unit=unit,
        description="为社区老人提供午餐助餐服务",
    )


def test_rated_unit_ranks_higher_and_the_reason_says_why(world):
    praised = mf.unit(world.street, name="东华门老年餐桌")
    unknown = mf.unit(world.street, name="银闸食堂")
    offer(world, unknown, "银闸助餐")
    offer(world, praised, "东华门助餐")
    MemberUnit.objects.filter(pk=praised.pk).update(rating_count=4, rating_average=Decimal("4.75"))
    MemberUnit.objects.filter(pk=unknown.pk).update(rating_count=2, rating_average=Decimal("1.00"))
    demand = df.demand(
        world.community,
        world.community_staff,
        title="独居老人午餐助餐",
        description="社区独居老人需要午餐助餐",
    )
    matches = {m.resource.title: m for m in Match.objects.filter(demand=demand)}
    best = matches["东华门助餐"]
    assert "提供单位评价4.8分（4次）" in best.reason
    assert best.components["record"] > matches["银闸助餐"].components["record"]
    # Two ratings are not enough to count, nor to be named.
    assert "评价" not in matches["银闸助餐"].reason
    assert matches["银闸助餐"].components["record"] == 0.5

"""直接对接 from the resource's page (issue 8, item 2): staff of the committee offering its own
resource (or above) pick one of the open demands it may serve, confirm, and commit through the
same service as from the demand's page; nobody else is offered it or may do it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from demands.models import Claim, ClaimStatus, DemandStatus, Match

from ..members import factories as mf
from ..query_counts import query_counts
from . import factories as f

pytestmark = pytest.mark.django_db


def street_venue(world, **fields):
    return f.resource(
        world.street,
        world.street_staff,
        title=fields.pop("title", "街道党群服务中心停车位"),
        capacity=fields.pop("capacity", "15"),
        capacity_unit="places",
        category_name="交通停车",
        **fields,
    )


def parking_demand(committee, actor, title="多福巷居民夜间停车难", **fields):
    return f.demand(
        committee,
        actor,
        title=title,
        description="老旧小区车位不足",
        category_name="交通停车",
        **fields,
    )


def matched(demand, resource, score=0.62):
    Match.objects.update_or_create(
        demand=demand,
        resource=resource,
        defaults={"tenant_id": demand.tenant_id, "score": score, "reason": "同类", "rank": 1},
    )


def pairings(client, resource) -> str:
    return client.get(reverse("demands:resource_pairings", args=[resource.pk])).content.decode()


def test_offering_staff_see_the_action_and_pick_among_the_demands_it_may_serve(world, client_for):
    venue = street_venue(world)
    mine = parking_demand(
        world.community, world.community_staff, quantity="5", quantity_unit="places"
    )
    newer = parking_demand(world.community2, world.street_staff, title="银闸社区停车")
    parking_demand(world.sibling_community, world.sibling_staff, title="黄化门停车")  # not served
    parking_demand(world.community, world.community_staff, title="草稿停车", publish=False)
    matched(mine, venue)
    client = client_for(world.street_staff)
    assert reverse("demands:resource_commit", args=[venue.pk]) in pairings(client, venue)

    page = client.get(reverse("demands:resource_commit", args=[venue.pk]))
    assert page.status_code == 200
    rows = [row["demand"] for row in page.context["rows"]]
    assert rows == [mine, newer]  # the matched one first; neither the next street's nor a draft
    text = page.content.decode()
    assert "匹配度62%" in text and "黄化门停车" not in text and "草稿停车" not in text
    assert page.context["rows"][0]["quantity"] == 5  # the demand's need, counted alike

    found = client.get(reverse("demands:resource_commit", args=[venue.pk]), {"q": "银闸"})
    assert [row["demand"] for row in found.context["rows"]] == [newer]


def test_committing_from_the_resource_asks_first_and_lowers_the_remaining(world, client_for):
    venue = street_venue(world)
    demand = parking_demand(world.community, world.community_staff)
    client = client_for(world.street_staff)
    url = reverse("demands:demand_commit", args=[demand.pk])
    confirm = client.get(url, {"resource": venue.pk, "quantity": "5", "back": "resource"})
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "资源剩余将由15个变为10个" in text
    assert 'name="back" value="resource"' in text
    assert reverse("demands:resource_commit", args=[venue.pk]) in text  # back leads there
    venue.refresh_from_db()
    assert venue.remaining == 15  # asking first changes nothing

    done = client.post(
        url, {"resource": venue.pk, "quantity": "5", "message": "夜间可用", "back": "resource"}
    )
    assert done.status_code == 302
    assert done.url == reverse("resources:resource_detail", args=[venue.pk])
    venue.refresh_from_db()
    demand.refresh_from_db()
    assert venue.remaining == 10 and demand.status == DemandStatus.MATCHED
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.ACCEPTED and claim.message == "夜间可用"
    # Committed once: the demand leaves the list of what it may still go to.
    page = client.get(reverse("demands:resource_commit", args=[venue.pk]))
    assert page.context["rows"] == []


def test_too_much_is_refused_by_the_service_and_nothing_moves(world, client_for):
    venue = street_venue(world, capacity="3")
    demand = parking_demand(world.community, world.community_staff)
    client = client_for(world.street_staff)
    response = client.post(
        reverse("demands:demand_commit", args=[demand.pk]),
        {"resource": venue.pk, "quantity": "4", "back": "resource"},
    )
    assert response.status_code == 302
    follow = client.get(response.url).content.decode()
    assert "超过“街道党群服务中心停车位”剩余3个" in follow
    venue.refresh_from_db()
    assert venue.remaining == 3 and not Claim.objects.exists()


@pytest.mark.parametrize("who", ["contact", "sibling_staff", "community_staff", "district_leader"])
def test_others_are_not_offered_it_and_are_refused(world, client_for, who):
    venue = street_venue(world)
    demand = parking_demand(world.community, world.community_staff)
    unit = mf.unit(world.community, name="公交集团保修三厂")
    user = mf.contact_for(unit) if who == "contact" else getattr(world, who)
    client = client_for(user)
    assert reverse("demands:resource_commit", args=[venue.pk]) not in pairings(client, venue)
    assert client.get(reverse("demands:resource_commit", args=[venue.pk])).status_code in (
        403,
        404,
    )
    url = reverse("demands:demand_commit", args=[demand.pk])
    assert client.get(url, {"resource": venue.pk, "quantity": "5"}).status_code == 404
    response = client.post(url, {"resource": venue.pk, "quantity": "5", "back": "resource"})
    assert response.status_code in (302, 403, 404)
    venue.refresh_from_db()
    assert venue.remaining == 15 and not Claim.objects.exists()


def test_a_units_resource_is_never_committed_from_its_page(world, client_for):
    unit = mf.unit(world.street, name="公交集团保修三厂")
    resource = f.resource(world.street, world.street_staff, title="三层楼", unit=unit)
    client = client_for(world.street_staff)
    assert reverse("demands:resource_commit", args=[resource.pk]) not in pairings(client, resource)
    assert client.get(reverse("demands:resource_commit", args=[resource.pk])).status_code == 404


def test_the_list_takes_the_same_queries_however_many_demands(world, client_for):
    venue = street_venue(world)
    client = client_for(world.street_staff)
    url = reverse("demands:resource_commit", args=[venue.pk])
    matched(parking_demand(world.community, world.community_staff, title="一"), venue)
    few = query_counts(client, [url])
    for n in range(4):
        matched(parking_demand(world.community2, world.street_staff, title=f"停车{n}"), venue)
    assert query_counts(client, [url]) == few

"""The API twins: blowing a whistle (with a demand), the officer's steps (no illegal one), closing
and rating, bulletins, and the evaluations an assessed unit may read (its aggregate only)."""

from __future__ import annotations

import pytest

from projects.models import DepartmentRating, Summons, SummonsStatus, Whistle, WhistleStatus

from ..demands import factories as df
from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def depts(world):
    water = f.department(world.district, "东城区水务局")
    env = f.department(world.district, "东城区生态环境局")
    return water, env, f.officer_of(water, "water_officer"), f.officer_of(env, "env_officer")


def test_whistle_through_the_api(world, depts, client_for):
    water, env, water_officer, env_officer = depts
    demand = df.demand(world.community, world.community_staff, title="河道发臭")
    street = client_for(world.street_staff)
    refused = street.post(
        "/api/whistles/",
        {
            "committee": world.street.pk,
            "kind": "livelihood",
            "title": "",
            "place": "河道",
            "request": "清淤",
            "summons": [],
        },
        content_type="application/json",
    )
    assert refused.status_code == 400 and "title" in refused.json()
    created = street.post(
        "/api/whistles/",
        {
            "committee": world.street.pk,
            "kind": "livelihood",
            "title": "东石桥河道治理",
            "place": "东石桥村",
            "request": "清淤",
            "demands": [demand.pk],
            "summons": [{"department": water.pk, "hours": 4}, {"department": env.pk, "hours": 8}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["summons_count"] == 2 and body["status"] == "open"
    whistle = Whistle.objects.get(pk=body["id"])
    assert list(whistle.demands.all()) == [demand]

    officer = client_for(water_officer)
    listed = officer.get("/api/summons/").json()
    assert listed["count"] == 1 and listed["results"][0]["department_name"] == "东城区水务局"
    summons_id = listed["results"][0]["id"]
    url = f"/api/summons/{summons_id}/advance/"
    illegal = officer.post(url, {"to": "acted", "note": "x"}, content_type="application/json")
    assert illegal.status_code == 400
    assert Summons.objects.get(pk=summons_id).status == SummonsStatus.SUMMONED
    arrived = officer.post(url, {"to": "arrived"}, content_type="application/json")
    assert arrived.status_code == 200 and arrived.json()["on_time"] is True
    other = client_for(env_officer).post(
        url, {"to": "acted", "note": "x"}, content_type="application/json"
    )
    assert other.status_code == 404

    street = client_for(world.street_staff)  # the one test client, signed in again
    ratings = [
        {"summons": s.pk, "punctuality": 5, "attitude": 4, "result": 4}
        for s in whistle.summons.all()
    ]
    closed = street.post(
        f"/api/whistles/{whistle.pk}/close/",
        {"summary": "已清淤", "ratings": ratings},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["status"] == WhistleStatus.CLOSED
    assert DepartmentRating.objects.count() == 2
    again = street.post(
        f"/api/whistles/{whistle.pk}/close/",
        {"summary": "再次", "ratings": ratings},
        content_type="application/json",
    )
    assert again.status_code == 400


def test_bulletin_through_the_api(world, client_for):
    client = client_for(world.street_staff)
    response = client.post(
        "/api/bulletins/",
        {
            "committee": world.street.pk,
            "kind": "ranking",
            "title": "社区排名",
            "body": "正文",
            "ranking": [{"committee_id": world.community.pk, "score": 90, "rank": 1}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["ranking"][0]["name"] == "多福巷社区"
    sibling = client_for(world.sibling_staff).post(
        "/api/bulletins/",
        {"committee": world.street.pk, "title": "越权", "body": "越权"},
        content_type="application/json",
    )
    assert sibling.status_code == 400  # the committee is not among what they may change
    assert client_for(world.community_staff).get("/api/bulletins/").json()["count"] == 1


def test_the_whistle_lists_count_each_whistles_summons(world, depts, client_for):
    from django.urls import reverse
    from django.utils import timezone

    water, env, _water_officer, _env_officer = depts
    first = f.blow(world, [water, env], title="东石桥河道治理")
    second = f.blow(world, [water], title="背街小巷堆物")
    Summons.objects.filter(whistle=first, department=water).update(
        arrived_at=timezone.now(), on_time=False
    )
    client = client_for(world.street_staff)
    api = {w["title"]: w for w in client.get("/api/whistles/").json()["results"]}
    counted = {
        t: (w["summons_count"], w["reported_count"], w["late_count"]) for t, w in api.items()
    }
    assert counted == {first.title: (2, 1, 1), second.title: (1, 0, 0)}
    page = client.get(reverse("projects:whistle_list"))
    rows = {
        w["title"]: (w["n_summons"], w["n_reported"], w["n_late"]) for w in page.context["rows"]
    }
    assert rows == {first.title: (2, 1, 1), second.title: (1, 0, 0)}
    html = page.content.decode()
    assert "召集2个部门，已报到1个" in html and "1个逾期" in html
    first.refresh_from_db()
    assert f"{timezone.localtime(first.blown_at):%Y-%m-%d %H:%M}" in html  # Beijing's clock

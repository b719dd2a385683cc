"""Explaining a pair (page and API), the matches of several demands in one call with their
matching state, and the thesaurus pages: each scoped like what it shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from categories.models import ThesaurusEntry
from demands import matching
from demands.models import Demand

from ..members import factories as mf
from . import factories as f
from .test_pages import contact_of


def scene(world):
    """A demand at 多福巷社区; a street resource that fits, one that does not, and one of the
    sibling street."""
    fits = f.resource(world.street, world.street_staff, title="老年餐桌", description="为老人助餐")
    off = f.resource(world.street, world.street_staff, title="棋牌室", description="下棋打牌")
    sibling = f.resource(
        world.sibling_street, world.sibling_staff, title="景山老年餐桌", description="为老人助餐"
    )
    demand = f.demand(world.community, world.community_staff)
    return demand, fits, off, sibling


@pytest.mark.django_db
class TestExplain:
    def test_the_page_says_why_and_shows_every_candidate(self, world, client_for):
        demand, fits, off, sibling = scene(world)
        client = client_for(world.street_staff)
        url = reverse("demands:demand_explain", args=[demand.pk])
        page = client.get(url, {"resource": off.pk})
        html = page.content.decode()
        assert page.status_code == 200
        assert "同类别，内容不相关" in page.context["explanation"].verdict
        assert [r["scored"].resource.id for r in page.context["rows"]] == [fits.pk, off.pk]
        assert "推荐" in html and "内容相近" in html
        # A district leader reads it too, and asks about the sibling street's resource.
        leader = client_for(world.district_leader).get(url, {"resource": sibling.pk})
        assert "服务范围不含多福巷社区" in leader.context["explanation"].verdict

    def test_the_page_is_scoped_like_the_demand(self, world, client_for):
        demand, fits, _off, sibling = scene(world)
        url = reverse("demands:demand_explain", args=[demand.pk])
        assert client_for(world.sibling_staff).get(url).status_code == 404
        assert client_for(world.other_admin).get(url).status_code == 404
        # Street staff do not see the sibling street's resource: no such resource for them.
        assert client_for(world.street_staff).get(url, {"resource": sibling.pk}).status_code == 404
        unit = mf.unit(world.street, name="公交集团保修三厂")
        contact = contact_of(unit)
        f.resource(
            world.street, world.street_staff, title="三厂食堂", description="助餐", unit=unit
        )
        matching.match_demand(demand.pk)
        assert client_for(contact).get(url).status_code == 403

    def test_the_endpoint_is_scoped_like_the_demand(self, world, client_for):
        demand, fits, off, sibling = scene(world)
        url = f"/api/demands/{demand.pk}/explain/"
        body = client_for(world.street_staff).get(url, {"resource": fits.pk}).json()
        assert body["proposed"] and body["verdict"] == "已推荐，排第1位。"
        assert set(body["candidate"]["components"]) == {
            "text",
            "distance",
            "capacity",
            "window",
            "record",
        }
        assert [c["resource"] for c in body["candidates"]] == [fits.pk, off.pk]
        other = client_for(world.street_staff).get(url, {"resource": off.pk}).json()
        assert not other["proposed"] and other["why_not"][0].startswith("同类别，内容不相关")
        assert client_for(world.sibling_staff).get(url).status_code == 404
        assert client_for(world.street_staff).get(url, {"resource": "x"}).status_code == 400
        assert client_for(world.street_staff).get(url, {"resource": 10**9}).status_code == 404


@pytest.mark.django_db
class TestDemandMatches:
    def test_several_demands_in_one_call_with_their_state(self, world, client_for):
        demand, fits, _off, _sibling = scene(world)
        other = f.demand(world.community2, world.street_staff, title="老人吃饭", description="助餐")
        draft = f.demand(world.community, world.community_staff, publish=False)
        sibling = f.demand(world.sibling_community, world.sibling_staff)
        Demand.objects.filter(pk=other.pk).update(matching_requested_at=matching.timezone.now())
        client = client_for(world.street_staff)
        ids = ",".join(str(d.pk) for d in (demand, other, draft, sibling))
        rows = client.get("/api/demand-matches/", {"demands": ids}).json()["results"]
        states = {row["demand"]: row["matching"] for row in rows}
        assert states == {demand.pk: "done", other.pk: "pending", draft.pk: "closed"}
        first = next(row for row in rows if row["demand"] == demand.pk)
        assert [m["resource"] for m in first["matches"]] == [fits.pk]
        assert "内容相符" in first["matches"][0]["reason"]

    def test_a_fixed_number_of_queries_and_clear_errors(self, world, client_for):
        demand, *_ = scene(world)
        more = [f.demand(world.community2, world.street_staff) for _ in range(3)]
        client = client_for(world.street_staff)
        client.get("/api/demand-matches/", {"demand": demand.pk})
        with CaptureQueriesContext(connection) as one:
            client.get("/api/demand-matches/", {"demand": demand.pk})
        with CaptureQueriesContext(connection) as four:
            client.get("/api/demand-matches/", {"demand": [demand.pk] + [d.pk for d in more]})
        assert len(one.captured_queries) == len(four.captured_queries)
        assert client.get("/api/demand-matches/").status_code == 400
        assert client.get("/api/demand-matches/", {"demands": "1,x"}).status_code == 400
        too_many = ",".join(str(n) for n in range(1, 102))
        assert client.get("/api/demand-matches/", {"demands": too_many}).status_code == 400


@pytest.mark.django_db
class TestThesaurusPages:
    def test_everyone_of_the_tenant_reads_it_the_admin_edits_it(self, world, client_for):
        f.category(world.city.tenant)
        page = client_for(world.street_staff).get(reverse("categories:thesaurus_list"))
        assert page.status_code == 200 and "助浴" in page.content.decode()
        assert not page.context["can_edit"]
        admin = client_for(world.tenant_admin)
        response = admin.post(
            reverse("categories:thesaurus_create"),
            {"headword": "推拿", "synonyms": "按摩 按按", "category": "", "is_active": "on"},
        )
        assert response.status_code == 302
        entry = ThesaurusEntry.objects.get(tenant=world.city.tenant, headword="推拿")
        bad = admin.post(
            reverse("categories:thesaurus_edit", args=[entry.pk]),
            {"headword": "推拿", "synonyms": "洗澡", "is_active": "on"},
        )
        assert bad.status_code == 400 and "洗澡（助浴）" in bad.content.decode()
        admin.post(reverse("categories:thesaurus_delete", args=[entry.pk]))
        assert not ThesaurusEntry.objects.filter(pk=entry.pk).exists()
        ThesaurusEntry.objects.filter(tenant=world.city.tenant, headword="助浴").delete()
        admin.post(reverse("categories:thesaurus_defaults"))
        assert ThesaurusEntry.objects.filter(tenant=world.city.tenant, headword="助浴").exists()

    def test_staff_get_403_and_another_tenant_404(self, world, client_for):
        f.category(world.city.tenant)
        entry = ThesaurusEntry.objects.filter(tenant=world.city.tenant).first()
        edit = reverse("categories:thesaurus_edit", args=[entry.pk])
        assert client_for(world.street_staff).get(edit).status_code == 403
        assert (
            client_for(world.street_staff)
            .post(reverse("categories:thesaurus_create"), {"headword": "推拿"})
            .status_code
            == 403
        )
        assert client_for(world.other_admin).get(edit).status_code == 404

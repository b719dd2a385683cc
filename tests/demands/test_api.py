"""The demands API: create through the services with field errors, filters and sorting, actions
for transitions and claims, matches by demand, fixed query counts on every list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demands import services
from demands.matching import plain
from demands.models import Claim, ClaimStatus, Demand, DemandStatus, Match

from ..members import factories as mf
from . import factories as f
from .factories import contact_of
from .test_pages import committed, matched_demand


def payload(world, **overrides) -> dict:
    f.category(world.city.tenant)
    data = {
        "title": "老旧小区加装电梯",
        "description": "6层老楼，老人上下楼难",
        "category": "房屋修缮",
        "source": "hotline",
        "urgency": "high",
        "people_affected": 48,
        "needed_by": (timezone.localdate() + dt.timedelta(days=60)).isoformat(),
        "committee": world.community.pk,
    }
    data.update(overrides)
    return data


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.mark.django_db
class TestCreate:
    def test_staff_create_and_publish(self, world, client_for):
        response = committed(
            lambda: post(
                client_for(world.community_staff), "/api/demands/", payload(world, publish=True)
            )
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "published" and body["category_name"] == "房屋修缮"
        assert body["committee_name"] == "多福巷社区"
        demand = Demand.objects.get()
        assert demand.transitions.count() == 2 and demand.created_by == world.community_staff

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"category": "不存在"}, "category", "未知的需求类别"),
            ({"category": "999999"}, "category", "未知的需求类别"),
            ({"needed_by": "2020-01-01"}, "needed_by", "不能早于今天"),
            ({"quantity": "-5", "quantity_unit": "people"}, "quantity", "应大于0"),
            ({"quantity": "1e30", "quantity_unit": "people"}, "quantity", "过大"),
            ({"quantity": "NaN", "quantity_unit": "people"}, "quantity", "应为数字"),
            ({"people_affected": 0}, "people_affected", "不小于1"),
            ({"people_affected": 10**12}, "people_affected", "过大"),
            ({"source": "wechat"}, "source", "未知的来源"),
            ({"title": ""}, "title", "请填写标题"),
            ({"committee": 99999999}, "committee", "工作范围"),
            ({"needed_by": "明天"}, "needed_by", "日期"),
        ],
    )
    def test_bad_input_is_a_400_with_field_errors_and_saves_nothing(
        self, world, client_for, overrides, field, message
    ):
        response = post(
            client_for(world.community_staff), "/api/demands/", payload(world, **overrides)
        )
        assert response.status_code == 400
        assert message in " ".join(response.json()[field]), response.json()
        assert not Demand.objects.exists()

    def test_a_unit_raises_a_demand(self, world, client_for):
        unit = mf.unit(world.community2, name="银闸小学")
        data = payload(world, raised_by_unit=unit.pk, source="resident", kind="wish")
        del data["committee"]
        response = post(client_for(contact_of(unit)), "/api/demands/", data)
        assert response.status_code == 201
        demand = Demand.objects.get()
        assert (demand.raised_by_unit, demand.committee, demand.source, demand.kind) == (
            unit,
            world.community2,
            "member_unit",
            "need",
        )

    def test_a_unit_contact_cannot_raise_for_another_unit(self, world, client_for):
        unit = mf.unit(world.community2, name="银闸小学")
        other = mf.unit(world.community, name="另一家")
        data = payload(world, raised_by_unit=other.pk)
        response = post(client_for(contact_of(unit)), "/api/demands/", data)
        assert response.status_code == 400 and "raised_by_unit" in response.json()
        assert not Demand.objects.exists()


@pytest.mark.django_db
class TestUpdateAndTransitions:
    def test_patch_through_the_service(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.community_staff)
        url = f"/api/demands/{demand.pk}/"
        response = client.patch(url, {"urgency": "critical"}, content_type="application/json")
        assert response.status_code == 200 and response.json()["urgency"] == "critical"
        response = client.patch(url, {"category": "无此类"}, content_type="application/json")
        assert response.status_code == 400 and "未知的需求类别" in response.json()["category"][0]
        demand.refresh_from_db()
        assert demand.urgency == "critical" and demand.category.name == "养老服务"

    def test_transitions_as_actions(self, world, client_for):
        demand = f.demand(world.community, world.community_staff, publish=False)
        client = client_for(world.street_staff)
        url = f"/api/demands/{demand.pk}/"
        assert committed(lambda: post(client, url + "publish/")).json()["status"] == "published"
        response = post(client, url + "transition/", {"to": "rejected"})
        assert response.status_code == 400 and response.json()["reason"] == ["请说明原因。"]
        response = post(client, url + "transition/", {"to": "in_project"})
        assert response.status_code == 400 and "to" in response.json()
        response = committed(
            lambda: post(client, url + "transition/", {"to": "rejected", "reason": "重复"})
        )
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["status_reason"]) == ("rejected", "重复")
        response = post(client, url + "transition/", {"to": "fulfilled"})
        assert response.status_code == 400 and "不能从“已驳回”变为“已办结”" in str(response.json())


@pytest.mark.django_db
class TestListsAndFilters:
    def test_filters_and_sort(self, world, client_for):
        f.demand(world.community, world.community_staff, title="助餐", urgency="low")
        f.demand(
            world.community2,
            world.street_staff,
            title="停车",
            category_name="交通停车",
            source="hotline",
            urgency="critical",
            people_affected=300,
        )
        f.demand(world.community, world.community_staff, title="心愿", kind="wish", publish=False)
        client = client_for(world.street_staff)

        def titles(**params):
            response = client.get("/api/demands/", params)
            assert response.status_code == 200, response.json()
            return [row["title"] for row in response.json()["results"]]

        parking = f.category(world.city.tenant, "交通停车")
        assert titles(status="draft") == ["心愿"]
        assert titles(category=parking.pk) == ["停车"]
        assert titles(source="hotline") == ["停车"]
        assert titles(urgency="critical") == ["停车"]
        assert titles(kind="wish") == ["心愿"]
        assert sorted(titles(committee=world.community.pk)) == ["助餐", "心愿"]
        assert titles(committee=world.sibling_street.pk) == []
        assert titles(q="停") == ["停车"]
        assert titles(sort="-urgency")[0] == "停车"
        assert titles(sort="-people")[0] == "停车"
        assert client.get("/api/demands/", {"sort": "hack"}).status_code == 400

    @pytest.mark.parametrize("url", ["/api/demands/", "/api/claims/", "/api/matches/"])
    def test_lists_take_the_same_queries_for_few_or_many(self, world, client_for, url):
        client = client_for(world.district_leader)

        def grow(n):
            for i in range(n):
                unit = mf.unit(world.street, name=f"单位{url}{i}{n}")
                resource = f.resource(world.street, world.street_staff, title=f"助餐{i}", unit=unit)
                demand = f.demand(world.community, world.community_staff, title=f"需求{i}")
                services.claim_request_resource(
                    actor=world.street_staff, demand=demand, resource=resource
                )

        grow(2)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            first = client.get(url).json()["count"]
        grow(6)
        with CaptureQueriesContext(connection) as many:
            second = client.get(url).json()["count"]
        assert second > first
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_matches_are_paged_on_their_own_table_then_joined(self, world, client_for):
        """The page's keys are sorted on the matches alone (no resource or unit joined), then
        only the page's rows are read with them; every match comes once, by demand and rank."""
        for i in range(3):
            unit = mf.unit(world.street, name=f"助餐单位{i}")
            f.resource(world.street, world.street_staff, title=f"老年餐桌{i}", unit=unit)
        for i in range(3):
            f.demand(world.community, world.community_staff, title=f"老人吃饭难{i}")
        expected = list(
            Match.objects.filter(tenant=world.city.tenant)
            .order_by("demand_id", "rank")
            .values_list("pk", flat=True)
        )
        assert len(expected) > 4
        client = client_for(world.district_leader)
        seen = []
        for page in (1, 2, 3, 4):
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/api/matches/", {"page": page, "page_size": 2})
            if response.status_code == 404:
                break
            seen += [row["id"] for row in response.json()["results"]]
            keys = [
                q["sql"]
                for q in queries.captured_queries
                if q["sql"].startswith('SELECT "demands_match"."id" AS "pk" FROM "demands_match"')
            ]
            assert len(keys) == 1 and "resources_resource" not in keys[0], keys
        assert seen == expected

    def test_matches_filter_by_demand_with_reasons(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        other = f.demand(world.community2, world.street_staff, title="另一个助餐需求")
        client = client_for(world.street_staff)
        rows = client.get("/api/matches/", {"demand": demand.pk}).json()["results"]
        assert [(r["demand"], r["resource"], r["unit"]) for r in rows] == [
            (demand.pk, resource.pk, unit.pk)
        ]
        # The capacity as it is now, read off the resource and demand joined in (not stored).
        assert f"剩余{plain(resource.remaining)}" in rows[0]["reason"], rows[0]["reason"]
        assert f"所需{plain(demand.quantity)}" in rows[0]["reason"]
        assert rows[0]["resource_title"] == resource.title and rows[0]["unit_name"] == unit.name
        assert "内容相符：" in rows[0]["reason"] and set(rows[0]["components"]) == {
            "text",
            "distance",
            "capacity",
            "window",
            "record",
        }
        assert Match.objects.filter(demand=other).exists()
        # The unit sees its own matches, with their reasons.
        unit_rows = client_for(contact).get("/api/matches/").json()["results"]
        assert {r["demand"] for r in unit_rows} == {demand.pk, other.pk}


@pytest.mark.django_db
class TestClaims:
    def test_staff_request_the_unit_accepts(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        staff = client_for(world.street_staff)
        response = post(
            staff,
            "/api/claims/",
            {
                "direction": "staff_requests",
                "demand": demand.pk,
                "resource": resource.pk,
                "quantity": "20",
            },
        )
        assert response.status_code == 201, response.json()
        claim_id = response.json()["id"]
        assert post(staff, f"/api/claims/{claim_id}/accept/").status_code == 403
        response = post(client_for(contact), f"/api/claims/{claim_id}/accept/")
        assert response.status_code == 200 and response.json()["status"] == "accepted"
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert resource.remaining == Decimal("30.0") and demand.status == DemandStatus.MATCHED

    def test_a_resource_above_the_street_is_requested_through_its_match(self, world, client_for):
        unit = mf.unit(world.district, name="区医院")
        f.resource(world.district, world.tenant_admin, title="助餐志愿者", unit=unit)
        demand = f.demand(world.community, world.community_staff)
        match = Match.objects.get(demand=demand)
        response = post(
            client_for(world.community_staff),
            "/api/claims/",
            {"direction": "staff_requests", "demand": demand.pk, "resource": match.resource_id},
        )
        assert response.status_code == 201, response.json()

    def test_a_unit_claims_staff_decline_only_with_a_reason(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        response = post(
            client_for(contact),
            "/api/claims/",
            {"direction": "unit_claims", "demand": demand.pk, "resource": resource.pk},
        )
        assert response.status_code == 201
        claim_id = response.json()["id"]
        again = post(
            client_for(contact),
            "/api/claims/",
            {"direction": "unit_claims", "demand": demand.pk, "resource": resource.pk},
        )
        assert again.status_code == 400 and "请勿重复提交" in str(again.json())
        staff = client_for(world.community_staff)
        response = post(staff, f"/api/claims/{claim_id}/decline/", {"reason": ""})
        assert response.status_code == 400 and "谢绝时请说明原因" in response.json()["reason"][0]
        response = post(staff, f"/api/claims/{claim_id}/decline/", {"reason": "已解决"})
        assert response.status_code == 200 and response.json()["status"] == "declined"

    def test_bad_claim_input_saves_nothing(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        client = client_for(contact)
        for quantity, message in (("-1", "不能为负数"), ("abc", "应为数字")):
            response = post(
                client,
                "/api/claims/",
                {"direction": "unit_claims", "demand": demand.pk, "quantity": quantity},
            )
            assert response.status_code == 400 and message in response.json()["quantity"][0]
        response = post(
            client, "/api/claims/", {"direction": "staff_requests", "demand": demand.pk}
        )
        assert response.status_code == 403  # a unit does not request on the committee's behalf
        assert not Claim.objects.exists()

    def test_the_second_acceptance_of_the_last_capacity_is_told_why(self, world, client_for):
        resource = f.resource(world.street, world.street_staff, title="最后10个名额", capacity="10")
        claims = []
        for i, community in enumerate([world.community, world.community2]):
            demand = f.demand(community, world.street_staff, title=f"助餐{i}")
            unit = mf.unit(world.street, name=f"认领单位{i}")
            claim = f.unit_claim(demand, unit, quantity="10")
            Claim.objects.filter(pk=claim.pk).update(resource=resource)
            claims.append(claim)
        client = client_for(world.street_staff)
        assert post(client, f"/api/claims/{claims[0].pk}/accept/").status_code == 200
        response = post(client, f"/api/claims/{claims[1].pk}/accept/")
        assert response.status_code == 400
        assert "剩余0人，不足10：已被其他认领占用" in response.json()["non_field_errors"][0]
        assert Claim.objects.get(pk=claims[1].pk).status == ClaimStatus.PENDING

    def test_release_returns_capacity(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        claim = services.claim_request_resource(
            actor=world.street_staff, demand=demand, resource=resource, quantity="10"
        )
        services.claim_accept(claim=claim, actor=contact)
        response = committed(
            lambda: post(client_for(world.street_staff), f"/api/claims/{claim.pk}/release/")
        )
        assert response.status_code == 200 and response.json()["status"] == "released"
        resource.refresh_from_db()
        assert resource.remaining == Decimal("50.0")


@pytest.mark.django_db
def test_the_schema_documents_the_endpoints(client_for, world):
    schema = client_for(world.street_staff).get("/api/schema/").content.decode()
    for path in (
        "/api/demands/{id}/transition/",
        "/api/claims/{id}/accept/",
        "/api/claims/{id}/decline/",
        "/api/matches/",
    ):
        assert path in schema

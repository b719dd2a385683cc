"""Resource pages and API: entry by staff and by a unit's contact, bad input that changes nothing,
capacity that falls with accepted claims and comes back on release, the list's filters, sorting,
pagination and fixed query counts, bulk creation with per-item errors, and isolation over every
page and endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from categories.defaults import categories_ensure_defaults
from categories.models import Category
from core.models import ImportBatch
from members import services as member_services
from resources import api as resource_api
from resources import imports as resource_imports
from resources import services as resource_services
from resources.models import Resource, ResourceStatus

from ..demands import factories as f
from ..members import factories as mf
from ..members.factories import contact_for

pytestmark = pytest.mark.django_db


def category(world, name="养老服务", tenant=None) -> Category:
    return Category.objects.get(tenant=tenant or world.city.tenant, name=name)


def make_resources(committee, actor, n, unit=None, **overrides):
    """n resources at once, through the services' validation and bulk creation."""
    offers = []
    for i in range(n):
        values = {
            "title": f"资源{i:03d}",
            "kind": "venue",
            "category": category_of(committee),
            "capacity": str(10 + i),
            "capacity_unit": "people",
            **overrides,
        }
        offers.append(
            resource_services.ResourceOffer(
                committee=committee,
                offered_by=unit,
                data=resource_services.ResourceData(**values),
            )
        )
    return resource_services.resources_bulk_create(actor=actor, offers=offers)


def category_of(committee):
    return Category.objects.get(tenant_id=committee.tenant_id, name="养老服务")


@pytest.fixture
def setup(world):
    categories_ensure_defaults(world.city.tenant)
    categories_ensure_defaults(world.other_city.tenant)
    unit = mf.unit(world.community, name="国网东城供电公司")  # stands at 多福巷社区 (a member)
    member_services.membership_add(unit=unit, committee=world.street)
    other_unit = mf.unit(world.community2, name="东华门医院")
    contact = contact_for(unit)
    objects = {
        "unit": unit,
        "other_unit": other_unit,
        "contact": contact,
        "other_contact": contact_for(other_unit),
        "resource": f.resource(world.street, world.street_staff, title="街道活动室"),
        "unit_resource": f.resource(
            world.community, contact, title="供电公司会议室", unit=unit, capacity="40"
        ),
        "other_unit_resource": f.resource(
            world.community2,
            world.street_staff,
            title="医院义诊",
            unit=other_unit,
            kind="expertise",
        ),
        "sibling_resource": f.resource(world.sibling_street, world.sibling_staff, title="景山场地"),
        "other_resource": f.resource(world.other_street, world.other_admin, title="上海场地"),
    }
    return objects


def form_payload(world, **overrides):
    return {
        "title": "社区食堂",
        "kind": "venue",
        "category": str(category(world).pk),
        "capacity": "80",
        "capacity_unit": "people",
        "available_from": "2026-01-01",
        "available_until": "2026-12-31",
        "committee": "110101001001",
        "offered_by": "",
        "description": "午餐时段可供老年人助餐",
        **overrides,
    }


def resource_state():
    return list(
        Resource.objects.order_by("pk").values_list(
            "pk", "title", "capacity", "remaining", "status", "committee_id", "offered_by_id"
        )
    )


# --- entering resources on the pages ----------------------------------------------------------------


class TestEntry:
    def test_staff_offer_a_resource_to_a_committee_in_reach(self, world, client_for, setup):
        client = client_for(world.street_staff)
        page = client.get(reverse("resources:resource_create"))
        assert page.status_code == 200
        assert page.context["form"].initial["committee"] == "110101001000"
        response = client.post(reverse("resources:resource_create"), form_payload(world))
        resource = Resource.objects.get(title="社区食堂")
        assert response.status_code == 302
        assert response.url == reverse("resources:resource_detail", args=[resource.pk])
        assert resource.committee == world.community and resource.offered_by is None
        assert resource.capacity == resource.remaining == Decimal("80")
        assert resource.available_until == dt.date(2026, 12, 31)
        assert resource.created_by == world.street_staff

    def test_staff_offer_on_behalf_of_a_unit_named_by_credit_code(self, world, client_for, setup):
        client = client_for(world.street_staff)
        payload = form_payload(world, offered_by=setup["unit"].credit_code, committee="东华门街道")
        assert client.post(reverse("resources:resource_create"), payload).status_code == 302
        resource = Resource.objects.get(title="社区食堂")
        assert resource.offered_by == setup["unit"] and resource.committee == world.street

    def test_bad_input_is_reported_field_by_field_and_saves_nothing(self, world, client_for, setup):
        before = resource_state()
        response = client_for(world.street_staff).post(
            reverse("resources:resource_create"),
            form_payload(
                world,
                category="999999",
                capacity="-5",
                available_from="2026-05-01",
                available_until="2026-04-01",
            ),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert errors["category"] == ["“999999”不是可选的类别，请从下拉列表中选择。"]
        assert errors["capacity"] == ["容量应大于0，当前为-5.0。"]
        assert errors["available_until"] == ["可用截止日期不能早于开始日期。"]
        assert "容量应大于0" in response.content.decode()
        assert resource_state() == before

    def test_a_committee_out_of_reach_is_reported_with_the_other_problems(
        self, world, client_for, setup
    ):
        before = resource_state()
        response = client_for(world.street_staff).post(
            reverse("resources:resource_create"),
            form_payload(world, committee="景山街道", capacity="abc", offered_by="不存在的单位"),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert errors["committee"] == [
            "找不到服务范围“景山街道”：只能选择您工作范围内的协调委员会。"
        ]
        assert errors["capacity"] == ["容量应为数字。"]
        assert errors["offered_by"] == [
            "找不到提供单位“不存在的单位”：只能选择您工作范围内的成员单位。"
        ]
        assert resource_state() == before

    def test_a_unit_contact_offers_for_their_unit_where_it_stands_or_belongs(
        self, world, client_for, setup
    ):
        client = client_for(setup["contact"])
        page = client.get(reverse("resources:resource_create"))
        choices = dict(page.context["form"].fields["committee"].widget.choices)
        assert set(choices) - {""} == {world.community.pk, world.street.pk}
        payload = form_payload(world, committee=str(world.street.pk), offered_by="")
        assert client.post(reverse("resources:resource_create"), payload).status_code == 302
        resource = Resource.objects.get(title="社区食堂")
        assert resource.offered_by == setup["unit"] and resource.committee == world.street

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"committee": "sibling"}, "committee", "只能选择本单位所在或已加入的协调委员会"),
            ({"committee": "other"}, "committee", "只能选择本单位所在或已加入的协调委员会"),
            ({"offered_by": "other_unit"}, "offered_by", "只能选择本单位。"),
        ],
    )
    def test_a_unit_contact_cannot_offer_elsewhere_or_for_another_unit(
        self, world, client_for, setup, overrides, field, message
    ):
        objects = {
            "sibling": world.sibling_street.pk,
            "other": world.other_street.pk,
            "other_unit": setup["other_unit"].pk,
        }
        payload = form_payload(world, committee=str(world.community.pk))
        payload.update({k: str(objects[v]) for k, v in overrides.items()})
        before = resource_state()
        response = client_for(setup["contact"]).post(reverse("resources:resource_create"), payload)
        assert response.status_code == 400
        assert message in response.context["form"].errors[field][0]
        assert resource_state() == before

    def test_a_leader_cannot_enter_resources(self, world, client_for, setup):
        client = client_for(world.district_leader)
        before = resource_state()
        assert client.get(reverse("resources:resource_create")).status_code == 403
        assert (
            client.post(reverse("resources:resource_create"), form_payload(world)).status_code
            == 403
        )
        assert resource_state() == before


class TestEditing:
    def test_staff_edit_and_the_committed_capacity_stays_committed(self, world, client_for, setup):
        resource = setup["unit_resource"]  # 40 people, offered by the unit at 多福巷社区
        Resource.objects.filter(pk=resource.pk).update(remaining=Decimal("30"))  # 10 committed
        client = client_for(world.street_staff)
        url = reverse("resources:resource_edit", args=[resource.pk])
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["form"].initial["committee"] == "110101001001"
        assert page.context["form"].initial["capacity"] == "40"
        response = client.post(url, form_payload(world, capacity="60", committee="银闸社区"))
        assert response.status_code == 302
        resource.refresh_from_db()
        assert (resource.capacity, resource.remaining) == (Decimal("60"), Decimal("50"))
        assert resource.committee == world.community2
        assert resource.offered_by == setup["unit"]  # who offers is fixed

        response = client.post(url, form_payload(world, capacity="5", committee="银闸社区"))
        assert response.status_code == 400
        assert response.context["form"].errors["capacity"] == ["总量不能少于已承诺给认领的10.0。"]

    def test_a_unit_contact_edits_their_own_units_resource(self, world, client_for, setup):
        client = client_for(setup["contact"])
        url = reverse("resources:resource_edit", args=[setup["unit_resource"].pk])
        assert client.get(url).status_code == 200
        payload = form_payload(world, title="会议室（改）", committee=str(world.street.pk))
        assert client.post(url, payload).status_code == 302
        resource = Resource.objects.get(pk=setup["unit_resource"].pk)
        assert resource.title == "会议室（改）" and resource.committee == world.street

    def test_a_unit_contact_gets_404_for_another_units_resource(self, world, client_for, setup):
        client = client_for(setup["contact"])
        before = resource_state()
        for pk in (setup["other_unit_resource"].pk, setup["resource"].pk):
            assert client.get(reverse("resources:resource_detail", args=[pk])).status_code == 404
            assert client.get(reverse("resources:resource_edit", args=[pk])).status_code == 404
            assert (
                client.post(reverse("resources:resource_edit", args=[pk]), form_payload(world))
            ).status_code == 404
            assert (
                client.post(reverse("resources:resource_status", args=[pk]), {"status": "paused"})
            ).status_code == 404
            assert client.get(reverse("resource-detail", args=[pk])).status_code == 404
            assert (
                client.patch(
                    reverse("resource-detail", args=[pk]),
                    {"title": "越权"},
                    content_type="application/json",
                ).status_code
                == 404
            )
        assert resource_state() == before

    def test_pause_resume_and_withdraw(self, world, client_for, setup):
        client = client_for(world.street_staff)
        resource = setup["resource"]
        url = reverse("resources:resource_status", args=[resource.pk])
        detail = client.get(reverse("resources:resource_detail", args=[resource.pk]))
        assert [a[0] for a in detail.context["status_actions"]] == ["paused", "withdrawn"]
        client.post(url, {"status": "paused"})
        assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.PAUSED
        client.post(url, {"status": "active"})
        assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.ACTIVE
        client.post(url, {"status": "withdrawn"})
        assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.WITHDRAWN
        response = client.post(url, {"status": "active"}, follow=True)
        assert "不能再改为“可用”" in response.content.decode()
        assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.WITHDRAWN
        edit = client.get(reverse("resources:resource_edit", args=[resource.pk]))
        assert edit.status_code == 302  # a withdrawn resource is not edited
        before = resource_state()
        posted = client.post(
            reverse("resources:resource_edit", args=[resource.pk]), form_payload(world), follow=True
        )
        assert "已撤回的资源不能再修改。" in posted.content.decode()
        assert resource_state() == before
        response = client.patch(
            reverse("resource-detail", args=[resource.pk]),
            {"title": "改名"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["已撤回的资源不能再修改。"]}
        assert resource_state() == before


# --- capacity ---------------------------------------------------------------------------------------


class TestCapacity:
    def test_capacity_falls_on_acceptance_and_returns_on_release(self, world, client_for, setup):
        from demands import services as demand_services

        unit, contact = setup["unit"], setup["contact"]
        resource = f.resource(world.street, contact, title="三层楼助餐", unit=unit, capacity="50")
        demand = f.demand(world.community, world.community_staff)
        claim = demand_services.claim_request_resource(
            actor=world.community_staff, demand=demand, resource=resource, quantity="30"
        )
        demand_services.claim_accept(claim=claim, actor=contact)
        resource.refresh_from_db()
        assert resource.remaining == Decimal("20")

        page = client_for(world.street_staff).get(
            reverse("resources:resource_detail", args=[resource.pk])
        )
        html = page.content.decode()
        assert "剩余20/50人" in html and "已承诺给认领：30人" in html
        pairings = client_for(world.street_staff).get(
            reverse("demands:resource_pairings", args=[resource.pk])
        )
        assert [c.demand for c in pairings.context["claims"]] == [demand]
        assert demand in [m.demand for m in pairings.context["matches"]]

        demand_services.claim_release(claim=claim, actor=world.community_staff, reason="改期")
        resource.refresh_from_db()
        assert resource.remaining == Decimal("50")

    def test_the_api_refuses_a_total_below_what_is_committed(self, world, client_for, setup):
        resource = setup["unit_resource"]
        Resource.objects.filter(pk=resource.pk).update(remaining=Decimal("10"))  # 30 committed
        client = client_for(world.street_staff)
        url = reverse("resource-detail", args=[resource.pk])
        response = client.patch(url, {"capacity": "20"}, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"capacity": ["总量不能少于已承诺给认领的30.0。"]}
        response = client.patch(url, {"capacity": "100"}, content_type="application/json")
        assert response.status_code == 200
        assert (response.json()["capacity"], response.json()["remaining"]) == ("100.0", "70.0")


# --- the list ---------------------------------------------------------------------------------------


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [r["title"] for r in response.context["rows"]]


class TestList:
    def test_staff_see_their_subtree_with_remaining_and_capacity(self, world, client_for, setup):
        response = client_for(world.street_staff).get(reverse("resources:resource_list"))
        assert set(titles(response)) == {"街道活动室", "供电公司会议室", "医院义诊"}
        assert "剩余100/100人" in response.content.decode()

    def test_filters(self, world, client_for, setup):

        resource_services.resource_set_status(
            actor=world.street_staff, resource=setup["resource"], status="paused"
        )
        f.resource(world.community2, world.street_staff, title="停车位", category_name="交通停车")
        client = client_for(world.district_leader)
        url = reverse("resources:resource_list")
        assert titles(client.get(url, {"kind": "expertise"})) == ["医院义诊"]
        parking = category(world, "交通停车").pk
        assert titles(client.get(url, {"category": parking})) == ["停车位"]
        assert titles(client.get(url, {"status": "paused"})) == ["街道活动室"]
        assert set(titles(client.get(url, {"offered_by": "committee"}))) == {
            "街道活动室",
            "景山场地",
            "停车位",
        }
        assert set(titles(client.get(url, {"offered_by": "unit"}))) == {
            "供电公司会议室",
            "医院义诊",
        }
        assert titles(client.get(url, {"offered_by": setup["unit"].pk})) == ["供电公司会议室"]
        assert set(titles(client.get(url, {"committee": world.community2.pk}))) == {
            "医院义诊",
            "停车位",
        }
        assert titles(client.get(url, {"committee": world.sibling_street.pk})) == ["景山场地"]
        assert titles(client.get(url, {"committee": world.other_street.pk})) == []
        assert titles(client.get(url, {"q": "供电"})) == ["供电公司会议室"]
        assert titles(client.get(url, {"q": "东华门医院"})) == ["医院义诊"]
        both = client.get(url, {"committee": world.street.pk, "offered_by": "unit", "q": "会议"})
        assert titles(both) == ["供电公司会议室"]
        # A filter value that makes no sense is ignored rather than an error.
        assert len(titles(client.get(url, {"kind": "spaceship", "sort": "nonsense"}))) == 5

    def test_sort_and_pagination(self, world, client_for, setup):
        make_resources(world.community, world.street_staff, 55)
        client = client_for(world.street_staff)
        url = reverse("resources:resource_list")
        narrow = {"committee": world.community.pk, "q": "资源"}
        first = client.get(url, {"sort": "title", **narrow})
        assert first.context["page"].paginator.count == 55
        assert titles(first) == [f"资源{i:03d}" for i in range(50)]
        second = client.get(url, {"sort": "title", "page": 2, **narrow})
        assert titles(second) == [f"资源{i:03d}" for i in range(50, 55)]
        assert "sort=title" in first.context["query_string"]
        assert "page" not in first.context["query_string"]
        assert titles(client.get(url, {"sort": "-remaining", **narrow}))[:2] == [
            "资源054",
            "资源053",
        ]
        assert titles(client.get(url, {"sort": "remaining"}))[0] == "资源000"
        assert titles(client.get(url, {"sort": "-title", **narrow}))[0] == "资源054"
        assert titles(client.get(url))[0] == "资源054"  # newest first
        assert titles(client.get(url, {"sort": "created"}))[0] == "街道活动室"

    def test_the_page_takes_the_same_queries_for_1_or_30_resources(self, world, client_for, setup):
        client = client_for(world.sibling_staff)
        url = reverse("resources:resource_list")
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            assert len(titles(client.get(url))) == 1
        unit = mf.unit(world.sibling_community, name="景山单位")
        make_resources(world.sibling_community, world.sibling_staff, 29, unit=unit)
        with CaptureQueriesContext(connection) as many:
            assert len(titles(client.get(url))) == 30
        assert len(many.captured_queries) == len(one.captured_queries)

    def test_the_api_list_takes_the_same_queries_for_1_or_30_resources(
        self, world, client_for, setup
    ):
        client = client_for(world.sibling_staff)
        client.get("/api/resources/")
        with CaptureQueriesContext(connection) as one:
            assert client.get("/api/resources/").json()["count"] == 1
        unit = mf.unit(world.sibling_community, name="景山单位")
        make_resources(world.sibling_community, world.sibling_staff, 29, unit=unit)
        with CaptureQueriesContext(connection) as many:
            assert client.get("/api/resources/").json()["count"] == 30
        assert len(many.captured_queries) == len(one.captured_queries)

    def test_a_unit_contact_lists_their_own_units_resources(self, world, client_for, setup):
        client = client_for(setup["contact"])
        assert titles(client.get(reverse("resources:resource_list"))) == ["供电公司会议室"]
        rows = client.get("/api/resources/").json()["results"]
        assert [row["title"] for row in rows] == ["供电公司会议室"]


# --- the API ----------------------------------------------------------------------------------------


def api_item(world, **overrides):
    return {
        "title": "社区食堂",
        "kind": "venue",
        "category": category(world).pk,
        "capacity": "80",
        "capacity_unit": "people",
        "committee": world.community.pk,
        **overrides,
    }


class TestApi:
    def test_list_filters_and_detail(self, world, client_for, setup):
        client = client_for(world.district_leader)
        rows = client.get("/api/resources/", {"kind": "expertise"}).json()["results"]
        assert [row["title"] for row in rows] == ["医院义诊"]
        assert rows[0]["offered_by_name"] == "东华门医院"
        assert rows[0]["category_name"] == "养老服务"
        rows = client.get(
            "/api/resources/", {"committee": world.sibling_street.pk, "sort": "title"}
        ).json()["results"]
        assert [row["title"] for row in rows] == ["景山场地"]
        assert client.get("/api/resources/", {"kind": "spaceship"}).status_code == 400
        detail = client.get(reverse("resource-detail", args=[setup["resource"].pk])).json()
        assert detail["remaining"] == "100.0" and detail["committee_name"] == "东华门街道"

    def test_staff_create(self, world, client_for, setup):
        response = client_for(world.street_staff).post(
            "/api/resources/", api_item(world), content_type="application/json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["remaining"] == "80.0" and body["committee"] == world.community.pk
        assert body["offered_by"] is None

    def test_bad_input_gives_field_errors_and_creates_nothing(self, world, client_for, setup):
        before = resource_state()
        response = client_for(world.street_staff).post(
            "/api/resources/",
            api_item(
                world,
                category="不存在的类别",
                capacity=-3,
                available_from="2026-05-01",
                available_until="2026-04-01",
            ),
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json() == {
            "category": ["“不存在的类别”不是可选的类别，请从下拉列表中选择。"],
            "capacity": ["容量应大于0，当前为-3.0。"],
            "available_until": ["可用截止日期不能早于开始日期。"],
        }
        assert resource_state() == before

    def test_a_committee_of_another_subtree_or_tenant_is_refused(self, world, client_for, setup):
        before = resource_state()
        for user, committee in (
            (world.sibling_staff, world.street),
            (world.other_admin, world.street),
            (world.street_staff, world.other_street),
        ):
            response = client_for(user).post(
                "/api/resources/",
                api_item(world, committee=committee.pk, category="养老服务"),
                content_type="application/json",
            )
            assert response.status_code == 400
            assert response.json()["committee"] == [
                f"找不到服务范围“{committee.pk}”：只能选择您工作范围内的协调委员会。"
            ]
        assert resource_state() == before

    def test_a_unit_contacts_token_creates_for_their_own_unit_only(self, world, client, setup):
        token = Token.objects.create(user=setup["contact"])
        headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
        item = api_item(world, committee=None, category="养老服务", kind="goods")
        response = client.post("/api/resources/", item, content_type="application/json", **headers)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["offered_by"] == setup["unit"].pk
        assert body["committee"] == world.community.pk  # where the unit stands

        before = resource_state()
        other_unit, sibling = setup["other_unit"].pk, world.sibling_street.pk
        refused = [
            (
                {"offered_by": other_unit},
                "offered_by",
                f"找不到提供单位“{other_unit}”：只能选择本单位。",
            ),
            (
                {"committee": sibling},
                "committee",
                f"找不到服务范围“{sibling}”：只能选择本单位所在或已加入的协调委员会。",
            ),
        ]
        for overrides, field, message in refused:
            response = client.post(
                "/api/resources/",
                {**item, **overrides},
                content_type="application/json",
                **headers,
            )
            assert response.status_code == 400
            assert response.json()[field] == [message]
        assert resource_state() == before

    def test_partial_update_and_status(self, world, client_for, setup):
        client = client_for(setup["contact"])
        url = reverse("resource-detail", args=[setup["unit_resource"].pk])
        response = client.patch(
            url,
            {"title": "会议室", "committee": world.street.pk, "status": "paused"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["title"], body["committee"], body["status"]) == (
            "会议室",
            world.street.pk,
            "paused",
        )
        response = client.patch(
            url, {"committee": world.sibling_street.pk}, content_type="application/json"
        )
        assert response.status_code == 400
        response = client.patch(url, {"capacity": "-1"}, content_type="application/json")
        assert response.json() == {"capacity": ["容量应大于0，当前为-1.0。"]}
        assert Resource.objects.get(pk=setup["unit_resource"].pk).capacity == Decimal("40")

    def test_odd_input_is_a_clean_answer_never_a_server_error(self, world, client_for, setup):
        client = client_for(world.street_staff)
        before = resource_state()
        response = client.post(
            "/api/resources/", api_item(world, category="²"), content_type="application/json"
        )
        assert response.json() == {"category": ["“²”不是可选的类别，请从下拉列表中选择。"]}
        for params in ({"offered_by": "²"}, {"committee": "99999999999999999999"}):
            assert client.get("/api/resources/", params).status_code in (200, 400)
            assert client.get(reverse("resources:resource_list"), params).status_code == 200
        response = client.post(
            "/api/resources/bulk/",
            "title=x",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 415
        response = client.post(
            reverse("resources:resource_create"), form_payload(world, category="²", committee="²")
        )
        assert response.status_code == 400
        assert response.context["form"].errors["category"] == [
            "“²”不是可选的类别，请从下拉列表中选择。"
        ]
        assert resource_state() == before

    def test_a_leader_gets_403_on_every_write(self, world, client_for, setup):
        client = client_for(world.district_leader)
        before = resource_state()
        url = reverse("resource-detail", args=[setup["resource"].pk])
        assert client.get(url).status_code == 200
        assert (
            client.patch(url, {"title": "越权"}, content_type="application/json").status_code == 403
        )
        assert (
            client.post(
                "/api/resources/", api_item(world), content_type="application/json"
            ).status_code
            == 403
        )
        assert (
            client.post(
                "/api/resources/bulk/", [api_item(world)], content_type="application/json"
            ).status_code
            == 403
        )
        assert resource_state() == before


class TestBulk:
    def test_all_good_items_are_created_in_order(self, world, client_for, setup):
        items = [api_item(world, title=f"食堂{i}", capacity=10 + i) for i in range(5)]
        items[2]["category"] = "医疗卫生"  # by name
        items[3]["offered_by"] = setup["unit"].pk  # staff on behalf of a unit in reach
        response = client_for(world.street_staff).post(
            "/api/resources/bulk/", items, content_type="application/json"
        )
        assert response.status_code == 201, response.json()
        created = response.json()["created"]
        resources = Resource.objects.in_bulk(created)
        assert [resources[pk].title for pk in created] == [f"食堂{i}" for i in range(5)]
        assert resources[created[2]].category.name == "医疗卫生"
        assert resources[created[3]].offered_by == setup["unit"]
        assert all(r.remaining == r.capacity for r in resources.values())

    def test_any_bad_item_fails_the_whole_request_with_per_item_errors(
        self, world, client_for, setup
    ):
        items = [api_item(world, title=f"食堂{i}") for i in range(6)]
        items[1]["capacity"] = "-1"
        items[3]["category"] = "无此类"
        items[3]["available_from"] = "2026-05-01"
        items[3]["available_until"] = "2026-04-01"
        items[4]["committee"] = world.sibling_street.pk
        items[5] = "not an object"
        before = resource_state()
        response = client_for(world.street_staff).post(
            "/api/resources/bulk/", {"items": items}, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json() == [
            {"index": 1, "errors": {"capacity": ["容量应大于0，当前为-1.0。"]}},
            {
                "index": 3,
                "errors": {
                    "category": ["“无此类”不是可选的类别，请从下拉列表中选择。"],
                    "available_until": ["可用截止日期不能早于开始日期。"],
                },
            },
            {
                "index": 4,
                "errors": {
                    "committee": [
                        f"找不到服务范围“{world.sibling_street.pk}”：只能选择您工作范围内的协调委员会。"
                    ]
                },
            },
            {"index": 5, "errors": {"non_field_errors": ["每一项应为一个对象。"]}},
        ]
        assert resource_state() == before

    def test_type_errors_are_per_item_too(self, world, client_for, setup):
        # A committee may be named by name too: one out of reach is refused with the bad date.
        items = [api_item(world), api_item(world, committee="景山街道", available_from="明天")]
        response = client_for(world.street_staff).post(
            "/api/resources/bulk/", items, content_type="application/json"
        )
        assert response.status_code == 400
        [failure] = response.json()
        assert failure["index"] == 1
        assert set(failure["errors"]) == {"committee", "available_from"}
        assert Resource.objects.filter(title="社区食堂").count() == 0

    def test_a_unit_contact_bulk_creates_for_their_unit(self, world, client_for, setup):
        items = [
            api_item(world, title="物资一", committee=None),
            api_item(world, title="物资二", committee=world.street.pk),
        ]
        response = client_for(setup["contact"]).post(
            "/api/resources/bulk/", items, content_type="application/json"
        )
        assert response.status_code == 201, response.json()
        created = Resource.objects.filter(pk__in=response.json()["created"]).order_by("pk")
        assert [(r.committee, r.offered_by) for r in created] == [
            (world.community, setup["unit"]),
            (world.street, setup["unit"]),
        ]
        items[0]["offered_by"] = setup["other_unit"].pk
        response = client_for(setup["contact"]).post(
            "/api/resources/bulk/", items, content_type="application/json"
        )
        assert response.json() == [
            {
                "index": 0,
                "errors": {
                    "offered_by": [f"找不到提供单位“{setup['other_unit'].pk}”：只能选择本单位。"]
                },
            }
        ]

    def test_the_cap_and_the_shape(self, world, client_for, setup, monkeypatch):
        monkeypatch.setattr(resource_api, "MAX_BULK_ITEMS", 3)
        client = client_for(world.street_staff)
        before = resource_state()
        response = client.post(
            "/api/resources/bulk/", [api_item(world)] * 4, content_type="application/json"
        )
        assert response.status_code == 400
        # The error body has one shape, a list; what concerns no single item has index null.
        [failure] = response.json()
        assert failure["index"] is None
        assert "一次最多提交3项，本次为4项" in failure["errors"]["non_field_errors"][0]
        for body in ({"title": "x"}, [], "text"):
            response = client.post("/api/resources/bulk/", body, content_type="application/json")
            assert response.status_code == 400
            assert response.json()[0]["index"] is None
        assert resource_state() == before

    def test_bulk_matches_once_after_commit(self, world, client_for, setup):
        demand = f.demand(world.community, world.community_staff, title="老人助餐需求")
        from django.test import TestCase

        client = client_for(world.street_staff)
        items = [api_item(world, title=f"助餐点{i}", description="老年人助餐") for i in range(3)]
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            response = client.post("/api/resources/bulk/", items, content_type="application/json")
        assert response.status_code == 201
        assert len(callbacks) == 1  # one pass for the whole request, not one per resource
        matched = {m.resource.title for m in demand.matches.select_related("resource")}
        assert {"助餐点0", "助餐点1", "助餐点2"} <= matched


# --- isolation ----------------------------------------------------------------------------------------

EDIT_PAYLOAD = {
    "title": "越权修改",
    "kind": "venue",
    "category": "养老服务",
    "capacity": "1",
    "capacity_unit": "people",
    "committee": "东华门街道",
}
# (url name, object key, method, payload): every page and endpoint taking an object.
PAGES = [
    ("resources:resource_detail", "resource", "get", None),
    ("resources:resource_edit", "resource", "get", None),
    ("resources:resource_edit", "resource", "post", EDIT_PAYLOAD),
    ("resources:resource_status", "resource", "post", {"status": "withdrawn"}),
    ("resources:resource_excel_import_detail", "batch", "get", None),
    ("resources:resource_excel_import_file", "batch", "get", None),
]
ENDPOINTS = [
    ("resource-detail", "resource", "get", None),
    ("resource-detail", "resource", "patch", {"title": "越权修改", "status": "withdrawn"}),
]
# Categories are the tenant's, read by all of it: another tenant gets 404, the tenant's
# non-administrators 403 (tests/categories/test_categories.py).
TENANT_WIDE = [
    ("categories:category_edit", "category", "post", {"name": "越权"}),
    ("categories:thesaurus_edit", "entry", "post", {"headword": "越权"}),
    ("categories:thesaurus_delete", "entry", "post", {}),
]


@pytest.fixture
def isolated(world, setup):
    from demo import bench_demands as bench

    data = bench.resource_workbook(world.street, rows=2)
    from django.core.files.uploadedfile import SimpleUploadedFile

    batch = resource_imports.resources_import(
        actor=world.street_staff,
        committee=world.street,
        unit=None,
        uploaded_file=SimpleUploadedFile("资源.xlsx", data),
    )
    from categories.models import ThesaurusEntry

    entry = ThesaurusEntry.objects.create(
        tenant=world.city.tenant, headword="测试词条", synonyms="测试同义词"
    )
    return {**setup, "batch": batch, "category": category(world), "entry": entry}


def everything():
    return (
        resource_state(),
        list(ImportBatch.objects.order_by("pk").values_list("pk", "status", "created_count")),
        list(Category.objects.order_by("pk").values_list("pk", "name", "escalation_days")),
        list(thesaurus_rows()),
    )


def thesaurus_rows():
    from categories.models import ThesaurusEntry

    return ThesaurusEntry.objects.order_by("pk").values_list("pk", "headword", "synonyms")


def call(client, name, obj, method, payload):
    url = reverse(name, args=[obj.pk])
    if method == "get":
        return client.get(url)
    if method == "patch":
        return client.patch(url, payload, content_type="application/json")
    return client.post(url, payload)


def test_resource_urls_are_in_the_isolation_table():
    from ..committees.test_isolation import all_url_names_with_pk

    covered = {name for name, *_ in PAGES + ENDPOINTS + TENANT_WIDE}
    ours = {
        name
        for name in all_url_names_with_pk()
        if name.startswith(("resources:", "categories:", "resource-", "category-"))
    }
    assert ours, "the URL names of the resources room changed: update the prefixes above"
    assert ours - covered == set(), f"add these URLs to the isolation table: {ours - covered}"


@pytest.mark.parametrize(("name", "key", "method", "payload"), PAGES + ENDPOINTS)
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_every_page_and_endpoint_is_404_outside_the_scope_and_changes_nothing(
    world, isolated, client_for, name, key, method, payload, persona
):
    before = everything()
    response = call(client_for(getattr(world, persona)), name, isolated[key], method, payload)
    assert response.status_code == 404
    assert everything() == before


@pytest.mark.parametrize(("name", "key", "method", "payload"), TENANT_WIDE)
@pytest.mark.parametrize(("persona", "code"), [("other_admin", 404), ("sibling_staff", 403)])
def test_tenant_wide_pages(world, isolated, client_for, name, key, method, payload, persona, code):
    before = everything()
    client = client_for(getattr(world, persona))
    assert call(client, name, isolated[key], "get", None).status_code == code
    assert call(client, name, isolated[key], method, payload).status_code == code
    assert everything() == before


@pytest.mark.parametrize(
    ("name", "key", "method", "payload"),
    [
        p
        for p in PAGES + ENDPOINTS
        if p[0] in {"resources:resource_edit", "resources:resource_status"}
    ]
    + [p for p in ENDPOINTS if p[2] == "patch"],
)
def test_a_leader_cannot_write(world, isolated, client_for, name, key, method, payload):
    before = everything()
    response = call(client_for(world.district_leader), name, isolated[key], method, payload)
    assert response.status_code == 403
    assert everything() == before


def test_a_leader_reads(world, isolated, client_for):
    client = client_for(world.district_leader)
    for name, key, method, _payload in PAGES + ENDPOINTS:
        if method == "get" and name != "resources:resource_edit":
            assert call(client, name, isolated[key], "get", None).status_code == 200, name


@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_lists_and_exports_show_nothing_outside_the_scope(world, isolated, client_for, persona):
    client = client_for(getattr(world, persona))
    own = {"other_admin": "上海场地", "sibling_staff": "景山场地"}[persona]
    assert titles(client.get(reverse("resources:resource_list"))) == [own]
    assert [r["title"] for r in client.get("/api/resources/").json()["results"]] == [own]
    listing = client.get(reverse("resources:resource_excel_import_list"))
    assert list(listing.context["batches"]) == []
    # Filtering by a committee out of reach narrows to nothing rather than widening the list.
    url = reverse("resources:resource_list")
    assert titles(client.get(url, {"committee": world.street.pk})) == []
    assert client.get("/api/resources/", {"committee": world.street.pk}).json()["count"] == 0


def test_writes_into_another_scope_through_list_urls_are_refused(world, isolated, client_for):
    """Pages without an object in the URL name their target in the payload instead."""
    before = everything()
    for user in (world.other_admin, world.sibling_staff):
        client = client_for(user)
        response = client.post(reverse("resources:resource_create"), form_payload(world))
        assert response.status_code == 400
        assert response.context["form"].errors["committee"] == [
            "找不到服务范围“110101001001”：只能选择您工作范围内的协调委员会。"
        ]
        response = client.post(
            reverse("resources:resource_excel_import"),
            {"committee": world.street.pk, "file": ""},
        )
        assert response.status_code == 404
        response = client.get(
            reverse("resources:resource_excel_template"), {"committee": world.street.pk}
        )
        assert response.status_code == 404
    assert everything() == before

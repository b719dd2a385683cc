"""One way in for every row: the same bad resource is refused in the same words by the page's form,
an Excel row and a bulk API item; a PATCH is all or nothing; a write that would leave the writer's
scope rolls back; the list's one FilterSet gives the same rows on the page, in the export and in
the API; bulk input and lists take a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from categories.defaults import categories_ensure_defaults
from core.models import ImportBatch
from resources import imports, policies
from resources import services as resource_services
from resources.models import Resource, ResourceStatus

from .. import excel_helpers as xl
from ..demands import factories as f
from ..members import factories as mf
from ..query_counts import query_counts

pytestmark = pytest.mark.django_db

FIELDS = [column.field for column in imports.RESOURCE_ROWS.columns()]
HEADERS = [str(column.header) for column in imports.RESOURCE_ROWS.columns()]

# One bad resource, typed the same way everywhere (values a page posts and a program sends; a
# spreadsheet's cells hold the same text).
BAD = {
    "title": "",
    "kind": "spaceship",
    "category": "无此类",
    "capacity": "-5",
    "capacity_unit": "people",
    "available_from": "2026-05-01",
    "available_until": "2026-04-01",
    "committee": "景山街道",
    "description": "长" * 2001,
}
REFUSED = {
    "title": ["请填写“资源名称”。"],
    "kind": ["“spaceship”不是可选的资源类型，请从下拉列表中选择。"],
    "category": ["“无此类”不是可选的类别，请从下拉列表中选择。"],
    "capacity": ["容量应大于0，当前为-5.0。"],
    "available_until": ["可用截止日期不能早于开始日期。"],
    "committee": ["找不到服务范围“景山街道”：只能选择您工作范围内的协调委员会。"],
    "description": ["“描述”不能超过2000个字，当前为2001个字。"],
}
GOOD = {**BAD, "title": "社区食堂", "kind": "venue", "category": "养老服务", "capacity": "80"}
GOOD.update(available_until="2026-12-31", committee="110101001001", description="助餐")


@pytest.fixture
def categories(world):
    categories_ensure_defaults(world.city.tenant)


def state():
    return list(
        Resource.objects.order_by("pk").values_list(
            "pk", "title", "capacity", "remaining", "status", "committee_id", "updated_at"
        )
    )


def by_field(entries) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in entries:
        found.setdefault(entry["field"], []).append(entry["message"])
    return found


class TestOneRowForm:
    def test_the_same_bad_row_gets_the_same_words_on_the_page_in_excel_and_in_bulk(
        self, world, client_for, categories
    ):
        client = client_for(world.street_staff)
        before = state()

        page = client.post(reverse("resources:resource_create"), {**BAD, "offered_by": ""})
        assert page.status_code == 400
        assert dict(page.context["form"].errors) == REFUSED

        rows = [[GOOD[name] for name in FIELDS], [BAD[name] for name in FIELDS]]
        batch = imports.resources_import(
            actor=world.street_staff,
            committee=world.street,
            unit=None,
            uploaded_file=xl.upload(xl.workbook_bytes(HEADERS, rows, "资源清单")),
        )
        assert {entry["row"] for entry in batch.errors} == {3}
        assert by_field(batch.errors) == REFUSED

        bulk = client.post("/api/resources/bulk/", [GOOD, BAD], content_type="application/json")
        assert bulk.status_code == 400
        assert bulk.json() == [{"index": 1, "errors": REFUSED}]

        single = client.post("/api/resources/", BAD, content_type="application/json")
        assert single.status_code == 400 and single.json() == REFUSED
        assert state() == before

    def test_the_good_row_is_created_the_same_way_everywhere(self, world, client_for, categories):
        client = client_for(world.street_staff)
        assert client.post(reverse("resources:resource_create"), GOOD).status_code == 302
        assert (
            client.post("/api/resources/", GOOD, content_type="application/json").status_code == 201
        )
        assert (
            client.post("/api/resources/bulk/", [GOOD], content_type="application/json").status_code
            == 201
        )
        rows = [[GOOD[name] for name in FIELDS]]
        imports.resources_import(
            actor=world.street_staff,
            committee=world.street,
            unit=None,
            uploaded_file=xl.upload(xl.workbook_bytes(HEADERS, rows, "资源清单")),
        )
        made = set(
            Resource.objects.values_list(
                "title", "kind", "category__name", "capacity", "committee_id", "available_until"
            )
        )
        assert len(made) == 1 and Resource.objects.count() == 4


class TestAllOrNothing:
    @pytest.fixture
    def resource(self, world, categories):
        return f.resource(world.street, world.street_staff, title="街道活动室", capacity="40")

    def test_a_patch_with_one_bad_part_changes_nothing(self, world, client_for, resource):
        before = state()
        response = client_for(world.street_staff).patch(
            reverse("resource-detail", args=[resource.pk]),
            {"title": "新名称", "capacity": "60", "status": "spaceship"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json() == {"status": ["“spaceship”不是可选的状态，请从下拉列表中选择。"]}
        assert state() == before

    def test_a_patch_failing_after_its_write_is_rolled_back_whole(
        self, world, client_for, resource, monkeypatch
    ):
        """Fields and status are one service call in one transaction: when the after-write
        check refuses, neither the new title nor the pause stays."""

        def refuse(*args, **kwargs):
            raise PermissionDenied

        monkeypatch.setattr(resource_services, "ensure_in_scope", refuse)
        before = state()
        response = client_for(world.street_staff).patch(
            reverse("resource-detail", args=[resource.pk]),
            {"title": "新名称", "status": "paused"},
            content_type="application/json",
        )
        assert response.status_code == 403
        assert state() == before
        assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.ACTIVE

    def test_a_patch_changes_fields_and_status_together(self, world, client_for, resource):
        response = client_for(world.street_staff).patch(
            reverse("resource-detail", args=[resource.pk]),
            {"title": "新名称", "capacity": "60", "status": "paused"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.json()
        resource.refresh_from_db()
        assert (resource.title, resource.capacity, resource.status) == (
            "新名称",
            Decimal("60"),
            ResourceStatus.PAUSED,
        )

    def test_a_write_that_would_leave_the_writers_scope_rolls_back(
        self, world, resource, monkeypatch
    ):
        """Were the policy to let a move through, the check after writing still refuses it."""
        monkeypatch.setattr(policies, "check_move", lambda *args, **kwargs: None)
        before = state()
        with pytest.raises(PermissionDenied):
            resource_services.resource_update(
                actor=world.street_staff,
                resource=resource,
                data=resource_services.ResourceData(
                    title="越界",
                    kind="venue",
                    category=resource.category,
                    capacity="40",
                    capacity_unit="people",
                ),
                committee=world.sibling_street,
            )
        assert state() == before

    def test_an_offer_the_policy_would_let_out_of_scope_rolls_back(
        self, world, categories, monkeypatch
    ):
        monkeypatch.setattr(policies.OfferRule, "check", lambda *args, **kwargs: None)
        data = resource_services.ResourceData(
            title="越界",
            kind="venue",
            category=f.category(world.city.tenant),
            capacity="1",
            capacity_unit="people",
        )
        for create in (
            lambda: resource_services.resource_create(
                actor=world.street_staff, committee=world.sibling_street, data=data
            ),
            lambda: resource_services.resources_bulk_create(
                actor=world.street_staff,
                offers=[
                    resource_services.ResourceOffer(world.street, None, data),
                    resource_services.ResourceOffer(world.sibling_street, None, data),
                ],
            ),
        ):
            with pytest.raises(PermissionDenied):
                create()
        assert state() == []


# --- one FilterSet --------------------------------------------------------------------------------


@pytest.fixture
def listed(world, categories):
    unit = mf.unit(world.community, name="国网东城供电公司")
    f.resource(world.street, world.street_staff, title="街道活动室")
    f.resource(world.community, world.street_staff, title="供电会议室", unit=unit, kind="venue")
    f.resource(world.community2, world.street_staff, title="银闸义诊", kind="expertise")
    f.resource(world.sibling_street, world.sibling_staff, title="景山场地")
    f.resource(world.other_street, world.other_admin, title="上海场地")
    return unit


def page_titles(client, query) -> list[str]:
    response = client.get(reverse("resources:resource_list"), query)
    assert response.status_code == 200
    return [r["title"] for r in response.context["rows"]]


def export_titles(client, query) -> list[str]:
    response = client.get(reverse("resources:resource_excel_export"), query)
    return [
        row["资源名称"]
        for row in xl.exported(response, [*HEADERS, "剩余", "状态", "提供单位", "登记时间"])
    ]


def api_titles(client, query) -> list[str]:
    response = client.get("/api/resources/", query)
    assert response.status_code == 200
    return [row["title"] for row in response.json()["results"]]


def test_the_page_the_export_and_the_api_give_the_same_rows(world, client_for, listed):
    client = client_for(world.district_leader)
    queries = [
        ({}, {"街道活动室", "供电会议室", "银闸义诊", "景山场地"}),
        ({"committee": world.street.pk}, {"街道活动室", "供电会议室", "银闸义诊"}),
        # A committee by its code or its name means the same subtree.
        ({"committee": "110101001000"}, {"街道活动室", "供电会议室", "银闸义诊"}),
        ({"committee": "银闸社区"}, {"银闸义诊"}),
        ({"committee": world.other_street.pk}, set()),
        ({"kind": "expertise"}, {"银闸义诊"}),
        ({"offered_by": listed.pk}, {"供电会议室"}),
        ({"offered_by": "committee", "committee": world.street.pk}, {"街道活动室", "银闸义诊"}),
        ({"q": "会议", "sort": "title"}, {"供电会议室"}),
    ]
    for query, expected in queries:
        page = page_titles(client, query)
        assert set(page) == expected, query
        assert export_titles(client, query) == page, query
        assert api_titles(client, query) == page, query


def test_the_lists_take_the_same_queries_for_1_or_20_resources(world, client_for, categories):
    client = client_for(world.sibling_staff)
    f.resource(world.sibling_street, world.sibling_staff, title="景山场地")
    urls = [
        reverse("resources:resource_list"),
        reverse("resources:resource_excel_export"),
        "/api/resources/",
    ]

    one = query_counts(client, urls)
    unit = mf.unit(world.sibling_community, name="景山单位")
    for n in range(19):
        f.resource(world.sibling_community, world.sibling_staff, title=f"资源{n}", unit=unit)
    assert query_counts(client, urls) == one


def test_bulk_input_takes_the_same_queries_for_5_or_50_items(world, client_for, listed):
    client = client_for(world.street_staff)
    places = ["110101001001", "银闸社区", world.street.pk]

    def queries(n: int) -> int:
        items = [
            {
                **GOOD,
                "title": f"物资{i}",
                "committee": places[i % 3],
                "offered_by": listed.credit_code,
            }
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/resources/bulk/", items, content_type="application/json")
        assert response.status_code == 201, response.json()
        return len(captured.captured_queries)

    queries(1)  # warm up: the user's grants and the audit log's content types are cached
    assert queries(5) == queries(50)
    assert ImportBatch.objects.count() == 0  # the bulk API keeps no file

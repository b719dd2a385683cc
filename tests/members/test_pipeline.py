"""One way in for member units: the same bad unit is refused in the same words by the page's form,
an Excel row and the API; a write that would leave the writer's scope rolls back; the list's one
FilterSet gives the same rows on the page, in the export and in the API, in fixed queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from members import imports, policies, services
from members.models import MemberUnit

from .. import excel_helpers as xl
from ..query_counts import query_counts
from . import factories as f

pytestmark = pytest.mark.django_db

FIELDS = [column.field for column in imports.UNIT_ROWS.columns()]
HEADERS = [str(column.header) for column in imports.UNIT_ROWS.columns()]

BAD = {
    "name": "",
    "credit_code": "91350100M000100Y44",
    "kind": "bank",
    "committee": "110101002001",
    "address": "东" * 256,
    "contact_name": "张三",
    "contact_phone": "12345",
    "party_org_type": "branch",
    "party_member_count": "-3",
}
REFUSED = {
    "name": ["请填写“单位名称”。"],
    "credit_code": ["统一社会信用代码校验位错误：最后一位应为4，而不是Y，请核对。"],
    "kind": ["“bank”不是可选的单位类型，请从下拉列表中选择。"],
    "committee": ["找不到所在地“110101002001”：只能选择您工作范围内的协调委员会。"],
    "address": ["“地址”不能超过255个字，当前为256个字。"],
    "contact_phone": ["“12345”不是有效的电话号码：手机号为1开头的11位数字，座机如010-12345678。"],
    "party_member_count": ["党员人数应为不小于0的整数。"],
}


def test_the_same_bad_unit_gets_the_same_words_on_the_page_in_excel_and_in_the_api(
    world, client_for
):
    client = client_for(world.street_staff)
    page = client.post(reverse("members:unit_create"), BAD)
    assert page.status_code == 400
    errors = dict(page.context["form"].errors)
    assert errors["credit_code"][0].startswith("统一社会信用代码校验位错误")
    expected = {**REFUSED, "credit_code": errors["credit_code"]}
    assert errors == expected

    batch = imports.member_units_import(
        actor=world.street_staff,
        committee=world.street,
        uploaded_file=xl.upload(xl.workbook_bytes(HEADERS, [[BAD[n] for n in FIELDS]], "成员单位")),
    )
    found: dict[str, list[str]] = {}
    for entry in batch.errors:
        assert entry["row"] == 2
        found.setdefault(entry["field"], []).append(entry["message"])
    assert found == expected

    api = client.post("/api/member-units/", BAD, content_type="application/json")
    assert api.status_code == 400 and api.json() == expected
    assert not MemberUnit.objects.exists()


def test_a_unit_moved_out_of_the_writers_scope_rolls_back(world, monkeypatch):
    """Were the policy to let a move through, the check after writing still refuses it."""
    unit = f.unit(world.community, name="顺丰速运")
    monkeypatch.setattr(policies, "ensure_may_register_at", lambda *args, **kwargs: None)
    with pytest.raises(PermissionDenied):
        services.member_unit_update(
            actor=world.street_staff,
            unit=unit,
            data=services.UnitData.of(unit),
            committee=world.sibling_community,
        )
    assert MemberUnit.objects.get(pk=unit.pk).committee == world.community
    with pytest.raises(PermissionDenied):
        services.member_unit_create(
            actor=world.street_staff,
            committee=world.sibling_community,
            data=services.UnitData(name="越界单位", kind="private", credit_code=f.credit_code()),
        )
    assert not MemberUnit.objects.filter(name="越界单位").exists()


@pytest.fixture
def listed(world):
    return {
        "hospital": f.unit(world.street, name="解放军总医院", kind="hospital"),
        "meituan": f.unit(world.community, name="美团", kind="new_economy"),
        "yinzha": f.unit(world.community2, name="银闸小学", kind="school"),
        "sibling": f.unit(world.sibling_community, name="景山单位"),
        "other": f.unit(world.other_street, name="上海单位"),
    }


def names(client, query) -> dict[str, set[str]]:
    page = client.get(reverse("members:unit_list"), query)
    assert page.status_code == 200
    export = client.get(reverse("members:unit_excel_export"), query)
    api = client.get("/api/member-units/", query)
    assert api.status_code == 200
    return {
        "page": {unit.name for unit, _phone in page.context["rows"]},
        "export": {row["name"] for row in xl.exported(export, HEADERS, keys=FIELDS)},
        "api": {row["name"] for row in api.json()["results"]},
    }


def test_the_page_the_export_and_the_api_give_the_same_units(world, client_for, listed):
    client = client_for(world.district_leader)
    street_units = {"解放军总医院", "美团", "银闸小学"}
    queries = [
        ({}, street_units | {"景山单位"}),
        # The committee means its subtree everywhere, named by id, code or name.
        ({"committee": world.street.pk}, street_units),
        ({"committee": "110101001000"}, street_units),
        ({"committee": "银闸社区"}, {"银闸小学"}),
        ({"committee": world.other_street.pk}, set()),
        ({"kind": "hospital"}, {"解放军总医院"}),
        ({"q": "美"}, {"美团"}),
        ({"credit_code": listed["meituan"].credit_code.lower()}, {"美团"}),
        ({"committee": world.street.pk, "kind": "school"}, {"银闸小学"}),
    ]
    for query, expected in queries:
        found = names(client, query)
        assert found == {"page": expected, "export": expected, "api": expected}, query


def test_the_lists_take_the_same_queries_for_1_or_20_units(world, client_for):
    client = client_for(world.sibling_staff)
    f.unit(world.sibling_street, name="景山单位")
    urls = [
        reverse("members:unit_list"),
        reverse("members:unit_excel_export"),
        "/api/member-units/",
    ]

    one = query_counts(client, urls)
    for n in range(19):
        f.unit(world.sibling_community, name=f"景山单位{n}")
    assert query_counts(client, urls) == one

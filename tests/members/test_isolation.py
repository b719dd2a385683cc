"""Every members page and endpoint: another tenant's user and a sibling street's staff get 404,
a unit contact looking at another unit gets 404, readers who may not write get 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services as account_services
from members import services
from members.models import Alliance, MemberUnit, Role, RotationSlot, Seat, Subcommittee

from ..factories import UserFactory
from . import factories as f


@pytest.fixture
def objects(world):
    unit = f.unit(world.community, name="国网东城供电公司")
    subcommittee = services.subcommittee_create(committee=world.street, field="economy")
    return {
        "subcommittee": subcommittee,
        "unit": unit,
        "street": world.street,
        "community": world.community,
    }


# (url name, object key, method, POST payload)
PAGES = [
    ("members:unit_detail", "unit", "get", None),
    (
        "members:unit_edit",
        "unit",
        "post",
        {"address": "改", "party_org_type": "branch", "party_member_count": 1},
    ),
    ("members:structure", "street", "get", None),
    (
        "members:seat_create",
        "street",
        "post",
        {"role": "member", "person_name": "越权", "term_start": "2026-01-01"},
    ),
    ("members:subcommittee_create", "street", "post", {"field": "safety"}),
    (
        "members:rotation_set",
        "subcommittee",
        "post",
        {"start": "2026-01-01", "months": 3, "chairs": "x，y"},
    ),
    ("members:alliance_create", "street", "post", {"name": "越权联盟", "kind": "work"}),
]
ENDPOINTS = [("memberunit-detail", "unit")]


def state():
    return (
        list(MemberUnit.objects.order_by("pk").values_list("pk", "address", "name")),
        Seat.objects.count(),
        Subcommittee.objects.count(),
        list(RotationSlot.objects.values_list("pk")),
        Alliance.objects.count(),
    )


def call(client, name, obj, method, payload):
    url = reverse(name, args=[obj.pk])
    return client.get(url) if method == "get" else client.post(url, payload)


def test_members_urls_are_in_the_isolation_table():
    from ..committees.test_isolation import all_url_names_with_pk

    covered = {name for name, *_ in PAGES} | {name for name, _ in ENDPOINTS} | {"membership-detail"}
    members_urls = {
        n
        for n in all_url_names_with_pk()
        if n.startswith("members:") or n.split("-")[0] in {"memberunit", "membership"}
    }
    excel = {n for n in members_urls if "excel" in n}
    assert members_urls - excel - covered == set()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "method", "payload"), PAGES)
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_pages_are_404_outside_the_scope_and_change_nothing(
    world, objects, client_for, name, key, method, payload, persona
):
    before = state()
    response = call(client_for(getattr(world, persona)), name, objects[key], method, payload)
    assert response.status_code == 404
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key"), ENDPOINTS)
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_endpoints_are_404_outside_the_scope(world, objects, client_for, name, key, persona):
    assert (
        client_for(getattr(world, persona)).get(reverse(name, args=[objects[key].pk])).status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "key", "method", "payload"),
    [p for p in PAGES if p[2] == "post"],
)
def test_a_leader_cannot_write(world, objects, client_for, name, key, method, payload):
    before = state()
    response = call(client_for(world.district_leader), name, objects[key], method, payload)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.django_db
def test_a_unit_contact_sees_only_their_own_unit(world, objects, client_for):
    other = f.unit(world.community, name="另一家单位")
    contact = UserFactory(tenant=world.city.tenant)
    account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=objects["unit"])
    client = client_for(contact)
    assert client.get(reverse("members:unit_detail", args=[objects["unit"].pk])).status_code == 200
    assert client.get(reverse("members:unit_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("members:unit_edit", args=[other.pk])).status_code == 404
    assert client.get(reverse("memberunit-detail", args=[other.pk])).status_code == 404
    assert [row["name"] for row in client.get("/api/member-units/").json()["results"]] == [
        "国网东城供电公司"
    ]


@pytest.mark.django_db
def test_lists_show_nothing_outside_the_scope(world, objects, client_for):
    for persona in ("other_admin", "sibling_staff"):
        client = client_for(getattr(world, persona))
        for url in ("/api/member-units/", "/api/memberships/"):
            assert client.get(url).json()["count"] == 0, (persona, url)
        assert client.get(reverse("members:unit_list")).context["page"].paginator.count == 0

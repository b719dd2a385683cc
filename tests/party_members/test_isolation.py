"""Every party-members page and endpoint: another tenant's user and a sibling street's staff get
404 and change nothing, a leader gets 403 on every write, a unit contact sees no member, and a
party member sees only themself."""

from __future__ import annotations

import pytest
from django.urls import reverse

from party_members import services as party_services
from party_members import urls as party_urls
from party_members.models import PartyMember, Registration, ServiceRecord, ServiceTeam

from ..demands.factories import contact_of
from ..members import factories as mf
from . import factories as f


@pytest.fixture
def objects(world):
    member = f.party_member(world.community, confirmed=False, name="王芳")
    confirmed = f.party_member(world.community, name="李强")
    record = f.service(confirmed, actor=confirmed.user)
    team = party_services.team_create(
        actor=world.community_staff,
        community=world.community,
        name="心愿认领队",
        kind="wish_claiming",
    )
    return {
        "team": team,
        "member": member,
        "confirmed": confirmed,
        "registration": Registration.objects.get(member=member),
        "record": record,
        "community": world.community,
    }


# (url name, object key, method, POST payload)
PAGES = [
    ("party_members:roster", "community", "get", None),
    ("party_members:registration_confirm", "registration", "post", {}),
    ("party_members:registration_reject", "registration", "post", {"reason": "越权"}),
    ("party_members:party_member_detail", "confirmed", "get", None),
    (
        "party_members:staff_service_create",
        "confirmed",
        "post",
        {"served_on": "2026-01-01", "hours": "1", "kind": "other", "description": "越权"},
    ),
    ("party_members:service_verify", "record", "post", {}),
    ("party_members:service_reject", "record", "post", {}),
    ("party_members:team_create", "community", "post", {"name": "越权队", "kind": "vanguard"}),
    ("party_members:team_join", "team", "post", {}),
]
ENDPOINTS = [("partymember-detail", "confirmed"), ("servicerecord-detail", "record")]
LISTS = [
    "party_members:party_member_list",
    "party_members:pending_services",
]


def state():
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "status")),
        list(ServiceRecord.objects.order_by("pk").values_list("pk", "status")),
        list(PartyMember.objects.order_by("pk").values_list("pk", "points", "registration_status")),
        ServiceTeam.objects.count(),
        list(ServiceTeam.members.through.objects.values_list("pk")),
    )


def call(client, name, obj, method, payload):
    url = reverse(name, args=[obj.pk])
    return client.get(url) if method == "get" else client.post(url, payload)


def test_party_member_urls_are_in_the_isolation_table():
    from ..committees.test_isolation import all_url_names_with_pk

    routed = all_url_names_with_pk()
    pages = {
        f"party_members:{p.name}"
        for p in party_urls.urlpatterns
        if "pk" in p.pattern.regex.groupindex
    }
    assert pages <= routed
    endpoints = {n for n in routed if n.split("-")[0] in {"partymember", "servicerecord"}}
    covered = {name for name, *_ in PAGES} | {name for name, _ in ENDPOINTS}
    assert (pages | endpoints) - covered == set()


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
    url = reverse(name, args=[objects[key].pk])
    assert client_for(getattr(world, persona)).get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "key", "method", "payload"),
    # Joining a team is a member's own act: a leader holds no membership (404 by the scope).
    [p for p in PAGES if p[2] == "post" and p[0] != "party_members:team_join"],
)
def test_a_leader_cannot_write(world, objects, client_for, name, key, method, payload):
    before = state()
    response = call(client_for(world.district_leader), name, objects[key], method, payload)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.django_db
def test_a_unit_contact_sees_no_member(world, objects, client_for):
    client = client_for(contact_of(mf.unit(world.community, name="国网东城供电公司")))
    assert client.get(reverse("party_members:roster", args=[world.community.pk])).status_code == 404
    url = reverse("party_members:party_member_detail", args=[objects["confirmed"].pk])
    assert client.get(url).status_code == 404
    assert client.get("/api/party-members/").json()["results"] == []


@pytest.mark.django_db
def test_lists_show_nothing_outside_the_scope(world, objects, client_for):
    for persona in ("other_admin", "sibling_staff"):
        client = client_for(getattr(world, persona))
        assert client.get("/api/party-members/").json()["results"] == [], persona
        # Paged by cursor (no count): an empty first page and nowhere further to go.
        records = client.get("/api/service-records/").json()
        assert records["results"] == [] and records["next"] is None, persona
        for name in LISTS:
            assert client.get(reverse(name)).context["page"].paginator.count == 0, name


@pytest.mark.django_db
def test_a_party_member_sees_only_themself(world, objects, client_for):
    client = client_for(objects["confirmed"].user)
    assert client.get(reverse("party_members:me")).status_code == 200
    url = reverse("party_members:party_member_detail", args=[objects["member"].pk])
    assert client.get(url).status_code == 404
    assert [row["name"] for row in client.get("/api/party-members/").json()["results"]] == ["李强"]
    assert client.get("/api/member-units/").json()["count"] == 0

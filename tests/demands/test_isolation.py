"""Every demand page and endpoint: another tenant's user and a sibling street's staff get 404 and
change nothing; a leader reads but gets 403 on every write; a unit contact sees only the demands
its unit matched, claimed or raised; attachments are reachable only through the scoped view."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from demands import services
from demands import urls as demand_urls
from demands.models import Claim, Demand, DemandAttachment, DemandTransition, Match
from resources.models import Resource

from ..members import factories as mf
from . import factories as f
from .factories import contact_of
from .test_pages import PNG, form_data, media  # noqa: F401 - media is a fixture


@pytest.fixture
def objects(world):
    unit = mf.unit(world.street, name="公交集团保修三厂")
    contact = contact_of(unit, username="bx_contact")
    resource = f.resource(world.street, contact, title="老年餐桌", unit=unit, capacity="50")
    demand = f.demand(world.community, world.community_staff, title="独居老人助餐")
    services.demand_update(
        actor=world.community_staff,
        demand=demand,
        data=services.DemandData(
            title=demand.title,
            description=demand.description,
            category=demand.category,
            source=demand.source,
            needed_by=demand.needed_by,
        ),
        attachments=[SimpleUploadedFile("随手拍.png", PNG)],
    )
    claim = services.claim_by_unit(actor=contact, unit=unit, demand=demand, resource=resource)
    accepted_demand = f.demand(world.community, world.community_staff, title="助餐二期")
    accepted = services.claim_request_resource(
        actor=world.street_staff, demand=accepted_demand, resource=resource, quantity="5"
    )
    services.claim_accept(claim=accepted, actor=contact)
    wish = f.demand(
        world.community,
        world.community_staff,
        title="想要一台收音机",
        kind="wish",
        category_name="文化体育",
    )
    return {
        "unit": unit,
        "contact": contact,
        "resource": resource,
        "demand": demand,
        "attachment": demand.attachments.get(),
        "match": Match.objects.get(demand=demand),
        "claim": claim,
        "accepted": accepted,
        "wish": wish,
    }


# (url name, object key, method, POST payload)
PAGES = [
    ("demands:demand_detail", "demand", "get", None),
    ("demands:demand_edit", "demand", "get", None),
    ("demands:demand_edit", "demand", "post", {"title": "越权", "description": "越权"}),
    ("demands:demand_transition", "demand", "post", {"to": "withdrawn", "reason": "越权"}),
    ("demands:demand_transition", "demand", "post", {"to": "fulfilled"}),
    ("demands:attachment", "attachment", "get", None),
    ("demands:match_request", "match", "post", {"quantity": "1", "message": "越权"}),
    ("demands:match_claim", "match", "post", {"quantity": "1"}),
    ("demands:claim_accept", "claim", "post", {}),
    ("demands:claim_decline", "claim", "post", {"reason": "越权"}),
    ("demands:claim_release", "accepted", "post", {"reason": "越权"}),
    ("demands:wish_claim", "wish", "post", {}),
    ("demands:demand_explain", "demand", "get", None),
    ("demands:demand_commit", "demand", "get", {"resource": "1", "quantity": "1"}),
    ("demands:demand_commit", "demand", "post", {"resource": "1", "quantity": "1"}),
    ("demands:resource_pairings", "resource", "get", None),
    ("demands:resource_commit", "resource", "get", None),
]
# (url name, object key, method, payload)
ENDPOINTS = [
    ("demand-detail", "demand", "get", None),
    ("demand-detail", "demand", "patch", {"title": "越权"}),
    ("demand-transition", "demand", "post", {"to": "withdrawn", "reason": "越权"}),
    ("demand-publish", "wish", "post", {}),
    ("claim-detail", "claim", "get", None),
    ("claim-accept", "claim", "post", {}),
    ("claim-decline", "claim", "post", {"reason": "越权"}),
    ("claim-release", "accepted", "post", {"reason": "越权"}),
    ("match-detail", "match", "get", None),
    ("demand-explain", "demand", "get", None),
]
# Creating takes no object in its URL; what it names in its body is checked instead.
LIST_PAGES = ["demands:demand_list", "demands:demand_export", "demands:wish_list"]
CREATE_PAGES = ["demands:demand_create", "demands:demand_raise"]


def state():
    return (
        list(
            Demand.objects.order_by("pk").values_list(
                "pk", "status", "title", "status_reason", "claimed_by_member_id"
            )
        ),
        list(Claim.objects.order_by("pk").values_list("pk", "status", "reason")),
        list(Resource.objects.order_by("pk").values_list("pk", "remaining")),
        DemandTransition.objects.count(),
        DemandAttachment.objects.count(),
        list(Match.objects.order_by("pk").values_list("pk", "score")),
    )


def call(client, name, obj, method, payload):
    url = reverse(name, args=[obj.pk])
    if method == "get":
        return client.get(url)
    if method == "patch":
        return client.patch(url, payload, content_type="application/json")
    return client.post(url, payload)


def test_demand_urls_are_in_the_isolation_table():
    from ..committees.test_isolation import all_url_names_with_pk

    routed = all_url_names_with_pk()
    pages = {
        f"demands:{p.name}" for p in demand_urls.urlpatterns if "pk" in p.pattern.regex.groupindex
    }
    assert pages <= routed
    endpoints = {n for n in routed if n.split("-")[0] in {"demand", "claim", "match"}}
    covered = {name for name, *_ in PAGES} | {name for name, *_ in ENDPOINTS}
    assert (pages | endpoints) - covered == set()
    no_pk = {f"demands:{p.name}" for p in demand_urls.urlpatterns} - pages
    assert no_pk == set(LIST_PAGES) | set(CREATE_PAGES)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "method", "payload"), PAGES + ENDPOINTS)
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_everything_is_404_outside_the_scope_and_changes_nothing(
    world, objects, client_for, name, key, method, payload, persona
):
    before = state()
    response = call(client_for(getattr(world, persona)), name, objects[key], method, payload)
    assert response.status_code == 404
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "key", "method", "payload"),
    [
        p
        for p in PAGES + ENDPOINTS
        # A leader holds no party membership: claiming a wish is a member's own act (404).
        if (p[2] != "get" or p[0] == "demands:demand_edit") and p[0] != "demands:wish_claim"
    ],
)
def test_a_leader_reads_but_cannot_write(world, objects, client_for, name, key, method, payload):
    before = state()
    client = client_for(world.district_leader)
    response = call(client, name, objects[key], method, payload)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_lists_and_exports_show_nothing_outside_the_scope(world, objects, client_for, persona):
    client = client_for(getattr(world, persona))
    page = client.get(reverse("demands:demand_list"))
    assert page.context["page"].paginator.count == 0 and page.context["total"] == 0
    workbook = load_workbook(io.BytesIO(client.get(reverse("demands:demand_export")).content))
    assert len(list(workbook.active.values)) == 1  # the header only
    for url in ("/api/demands/", "/api/claims/", "/api/matches/"):
        assert client.get(url).json()["count"] == 0, url
    assert client.get(reverse("demands:wish_list")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_creating_in_someone_elses_committee_changes_nothing(world, objects, client_for, persona):
    before = state()
    client = client_for(getattr(world, persona))
    response = client.post(reverse("demands:demand_create"), form_data(world, publish="1"))
    assert response.status_code == 400
    assert "工作范围" in response.context["form"].errors["committee"][0]
    assert client.post(reverse("demands:demand_raise"), form_data(world)).status_code == 403
    api = client.post(
        "/api/demands/",
        {
            "title": "越权",
            "description": "越权",
            "category": "养老服务",
            "committee": world.community.pk,
        },
        content_type="application/json",
    )
    assert api.status_code == 400 and "committee" in api.json()
    for payload in (
        {
            "direction": "staff_requests",
            "demand": objects["demand"].pk,
            "resource": objects["resource"].pk,
        },
        {"direction": "unit_claims", "demand": objects["demand"].pk, "unit": objects["unit"].pk},
    ):
        assert (
            client.post("/api/claims/", payload, content_type="application/json").status_code == 404
        )
    assert state() == before


@pytest.mark.django_db
def test_a_leader_cannot_create(world, objects, client_for):
    before = state()
    client = client_for(world.district_leader)
    assert client.get(reverse("demands:demand_create")).status_code == 403
    assert client.post(reverse("demands:demand_create"), form_data(world)).status_code == 403
    assert client.get(reverse("demands:demand_raise")).status_code == 403
    api = client.post(
        "/api/demands/",
        {
            "title": "越权",
            "description": "越权",
            "category": "养老服务",
            "committee": world.community.pk,
        },
        content_type="application/json",
    )
    assert api.status_code == 403
    claim = client.post(
        "/api/claims/",
        {
            "direction": "staff_requests",
            "demand": objects["demand"].pk,
            "resource": objects["resource"].pk,
        },
        content_type="application/json",
    )
    assert claim.status_code == 403
    assert state() == before
    # Reading is fine.
    assert client.get(reverse("demands:demand_list")).context["page"].paginator.count == 3


@pytest.mark.django_db
def test_a_unit_contact_sees_only_what_its_unit_matched_claimed_or_raised(
    world, objects, client_for
):
    contact = objects["contact"]
    raised = services.demand_create(
        actor=contact,
        committee=world.street,
        data=services.DemandData(
            title="单位门前停车",
            description="职工停车难",
            category="交通停车",
            source="member_unit",
        ),
        raised_by_unit=objects["unit"],
    )
    unrelated = f.demand(
        world.community, world.community_staff, title="楼道堆物", category_name="环境整治"
    )
    other_unit = mf.unit(world.street, name="另一家单位")
    other_contact = contact_of(other_unit)

    client = client_for(contact)
    titles = {d["title"] for d in client.get(reverse("demands:demand_list")).context["page"]}
    assert titles == {"独居老人助餐", "助餐二期", "单位门前停车"}
    api = {row["title"] for row in client.get("/api/demands/").json()["results"]}
    assert api == titles
    assert client.get(reverse("demands:demand_detail", args=[raised.pk])).status_code == 200
    assert client.get(reverse("demands:demand_detail", args=[unrelated.pk])).status_code == 404
    assert (
        client.get(reverse("demands:demand_detail", args=[objects["wish"].pk])).status_code == 404
    )
    assert client.get(f"/api/demands/{unrelated.pk}/").status_code == 404
    assert {row["unit"] for row in client.get("/api/claims/").json()["results"]} == {
        objects["unit"].pk
    }
    # A matched unit reads; it may not move the demand or answer its own claim.
    before = state()
    demand_url = reverse("demands:demand_transition", args=[objects["demand"].pk])
    assert client.post(demand_url, {"to": "fulfilled"}).status_code == 403
    assert (
        client.post(reverse("demands:claim_accept", args=[objects["claim"].pk])).status_code == 403
    )
    assert state() == before

    # Another unit of the same street sees none of it.
    client = client_for(other_contact)
    assert client.get(reverse("demands:demand_list")).context["page"].paginator.count == 0
    for name, key, method, payload in PAGES:
        if name == "demands:wish_claim":
            continue
        response = call(client, name, objects[key], method, payload)
        assert response.status_code == 404, name
    for name, key, method, payload in ENDPOINTS:
        assert call(client, name, objects[key], method, payload).status_code == 404, name
    assert state() == before


@pytest.mark.django_db
def test_attachments_are_not_served_from_media(world, objects, client_for):
    attachment = objects["attachment"]
    client = client_for(world.street_staff)
    assert client.get(reverse("demands:attachment", args=[attachment.pk])).status_code == 200
    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    assert client.get(attachment.file.url).status_code == 404

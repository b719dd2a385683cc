"""The writes that signals never saw are in the trail: each bulk path (an Excel import, the bulk
API, capacity committed by a conditional UPDATE, points added with F()) shows its rows with the
actor, the tenant and the address; a background task's writes name the task; and the tenant's
auditor reads all of it while another tenant's reads none of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import services as account_services
from audit.models import Entry, Operation
from categories.defaults import categories_ensure_defaults
from categories.models import Category
from demands import services as demand_services
from demands import tasks as demand_tasks
from demands.models import Demand
from members import imports
from members.models import MemberUnit, Role
from party_members import services as party_services
from party_members.models import PointsEntry

from ..demands import factories as f
from ..factories import UserFactory
from ..members import factories as mf
from ..members.test_excel import unit_row, upload, workbook_bytes
from ..party_members import factories as pf
from .conftest import Admins, as_user, entries, in_request

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the trail's triggers are PostgreSQL's"
    ),
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def assert_in_the_trail(rows: list[Entry], *, actor, tenant, ip: str, admins: Admins) -> None:
    """Each entry names its actor, tenant and address; the tenant's auditor reads every one of
    them on /audit/, and the other tenant's auditor none."""
    assert rows
    assert {(e.actor_id, e.tenant_id, e.remote_addr) for e in rows} == {(actor.pk, tenant.pk, ip)}
    ids = {e.pk for e in rows}
    assert ids <= set(Entry.objects.visible_to(admins.auditor).values_list("pk", flat=True))
    assert not ids & set(
        Entry.objects.visible_to(admins.other_auditor).values_list("pk", flat=True)
    )
    model = rows[0].model
    response = as_user(admins.auditor).get("/audit/", {"model": model, "actor": actor.username})
    assert ids <= {row.entry.pk for row in response.context["rows"]}
    other = as_user(admins.other_auditor).get("/audit/", {"model": model})
    assert other.context["page"].paginator.count == 0


def contact_for(unit):
    user = UserFactory(tenant=unit.tenant)
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user


def test_an_excel_import_of_member_units(world, admins: Admins):
    rows = [unit_row(n, committee="") for n in range(1, 13)]
    batch = in_request(
        world.street_staff,
        lambda: imports.member_units_import(
            actor=world.street_staff,
            committee=world.street,
            uploaded_file=upload(workbook_bytes(rows)),
        ),
        ip="10.1.1.1",
    )
    assert batch.created_count == 12, batch.errors
    units = entries("members.memberunit", operation=Operation.CREATE)
    assert {e.data["name"] for e in units} == {f"测试单位{n}" for n in range(1, 13)}
    assert_in_the_trail(
        units, actor=world.street_staff, tenant=world.city.tenant, ip="10.1.1.1", admins=admins
    )
    memberships = entries("members.membership", operation=Operation.CREATE)
    assert len(memberships) == 12
    assert_in_the_trail(
        memberships,
        actor=world.street_staff,
        tenant=world.city.tenant,
        ip="10.1.1.1",
        admins=admins,
    )
    (kept,) = entries("core.importbatch")
    assert (kept.data["status"], kept.data["created_count"]) == ("imported", 12)
    assert_in_the_trail(
        [kept], actor=world.street_staff, tenant=world.city.tenant, ip="10.1.1.1", admins=admins
    )


def test_the_bulk_api_authenticated_by_token(world, admins: Admins, client):
    categories_ensure_defaults(world.city.tenant)
    category = Category.objects.get(tenant=world.city.tenant, name="养老服务")
    items = [
        {
            "title": f"社区食堂{i}",
            "kind": "venue",
            "category": category.pk,
            "capacity": "80",
            "capacity_unit": "people",
            "committee": world.community.pk,
        }
        for i in range(30)
    ]
    token = Token.objects.create(user=world.street_staff)
    response = client.post(
        "/api/resources/bulk/",
        items,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
        REMOTE_ADDR="10.2.2.2",
    )
    assert response.status_code == 201, response.json()
    created = entries("resources.resource", operation=Operation.CREATE)
    assert sorted(e.data["title"] for e in created) == sorted(i["title"] for i in items)
    # The token is checked inside the view, after the middleware: the actor is still known.
    assert_in_the_trail(
        created, actor=world.street_staff, tenant=world.city.tenant, ip="10.2.2.2", admins=admins
    )


def test_accepting_a_claim_commits_capacity_by_a_conditional_update(world, admins: Admins):
    unit = mf.unit(world.street)
    contact = contact_for(unit)
    resource = f.resource(world.street, contact, title="三层楼助餐", unit=unit, capacity="50")
    demand = f.demand(world.community, world.community_staff)
    claim = demand_services.claim_request_resource(
        actor=world.community_staff, demand=demand, resource=resource, quantity="30"
    )
    in_request(
        contact, lambda: demand_services.claim_accept(claim=claim, actor=contact), ip="10.3.3.3"
    )
    committed = [
        e
        for e in entries("resources.resource", object_id=str(resource.pk))
        if "remaining" in (e.changes or {})
    ]
    assert [[Decimal(str(v)) for v in e.changes["remaining"]] for e in committed] == [
        [Decimal("50"), Decimal("20")]
    ]
    assert_in_the_trail(
        committed, actor=contact, tenant=world.city.tenant, ip="10.3.3.3", admins=admins
    )
    row = next(
        r
        for r in as_user(admins.auditor)
        .get("/audit/", {"model": "resources.resource"})
        .context["rows"]
        if r.entry.pk == committed[0].pk
    )
    assert [(c.field, c.before, c.after) for c in row.changes] == [("剩余", "50", "20")]
    accepted = entries("demands.claim", object_id=str(claim.pk), operation=Operation.UPDATE)
    assert_in_the_trail(
        accepted, actor=contact, tenant=world.city.tenant, ip="10.3.3.3", admins=admins
    )


def test_points_awarded_by_verifying_a_service(world, admins: Admins):
    member = pf.party_member(world.community)
    record = pf.service(member, actor=member.user, hours="2.5")
    staff = world.community_staff
    in_request(
        staff,
        lambda: party_services.service_record_verify(record=record, actor=staff),
        ip="10.4.4.4",
    )
    points = [
        e
        for e in entries("party_members.partymember", object_id=str(member.pk))
        if "points" in (e.changes or {})
    ]
    assert [[Decimal(str(v)) for v in e.changes["points"]] for e in points] == [
        [Decimal("0"), Decimal("25")]
    ]
    assert_in_the_trail(points, actor=staff, tenant=world.city.tenant, ip="10.4.4.4", admins=admins)
    ledger = entries("party_members.pointsentry", operation=Operation.CREATE)
    assert [e.object_id for e in ledger] == [str(PointsEntry.objects.get(record=record).pk)]
    assert_in_the_trail(ledger, actor=staff, tenant=world.city.tenant, ip="10.4.4.4", admins=admins)


# --- background tasks -----------------------------------------------------------------------------


def overdue_demand(world) -> Demand:
    demand = f.demand(world.community, world.community_staff, category_name="交通停车")
    Demand.objects.filter(pk=demand.pk).update(
        escalation_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    return demand


def test_a_tasks_writes_name_the_task_and_are_the_tenants(world, admins: Admins):
    demand = overdue_demand(world)
    demand_tasks.run_escalations.delay()  # eager here, as in the embedded demo
    escalated = [
        e
        for e in entries("demands.demand", object_id=str(demand.pk))
        if "handling_committee_id" in (e.changes or {})
    ]
    assert len(escalated) == 1
    entry = escalated[0]
    assert entry.task == "demands.tasks.run_escalations" and entry.actor is None
    assert entry.tenant == world.city.tenant and entry.context["task_id"]

    rows = as_user(admins.auditor).get("/audit/", {"actor": "run_escalations"}).context["rows"]
    row = next(r for r in rows if r.entry.pk == entry.pk)
    assert (row.actor, row.actor_detail) == ("后台任务", "demands.tasks.run_escalations")
    assert ("承办委员会", "多福巷社区", "东华门街道") in [
        (c.field, c.before, c.after) for c in row.changes
    ]
    transitions = entries("demands.demandtransition", operation=Operation.CREATE)
    assert transitions[-1].task == "demands.tasks.run_escalations"
    assert not Entry.objects.visible_to(admins.other_auditor).filter(pk=entry.pk).exists()


def test_a_task_run_inside_a_request_is_named_only_while_it_runs(world):
    demand = overdue_demand(world)

    def view():
        demand_tasks.run_escalations.delay()
        return MemberUnit.objects.create(
            tenant=world.city.tenant, committee=world.street, name="之后写入", kind="private"
        )

    unit = in_request(world.street_staff, view, ip="10.5.5.5")
    escalated = entries("demands.demand", object_id=str(demand.pk))[-1]
    assert (escalated.actor, escalated.task) == (
        world.street_staff,
        "demands.tasks.run_escalations",
    )
    after = entries("members.memberunit", object_id=str(unit.pk))[0]
    assert (after.actor, after.task, after.remote_addr) == (world.street_staff, "", "10.5.5.5")

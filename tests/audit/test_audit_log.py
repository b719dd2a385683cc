"""Every write is in the audit trail with who, when, what changed and from where; the trail cannot
be changed, is kept 180 days, and is read by the tenant's audit administrator only, in words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from audit import tasks
from audit.middleware import AuditContextMiddleware
from audit.models import AuditLogIsAppendOnly, Entry, Operation
from audit.recording import tracked_tables
from config.celery import app as celery_app
from members.models import MemberUnit, User
from party_members import services as party_services
from party_members.models import PartyMember
from resources.models import Resource

from ..demands import factories as f
from ..factories import UserFactory
from .conftest import Admins, as_user, entries, in_request

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the trail's triggers are PostgreSQL's"
    ),
]


def rename(client, committee, name: str, ip: str = "10.9.8.7"):
    return client.post(
        reverse("committees:rename", args=[committee.pk]), {"name": name}, REMOTE_ADDR=ip
    )


def backdated_entry(world, days: int) -> Entry:
    return Entry.objects.create(
        at=database_now() - dt.timedelta(days=days),  # the clock the trigger reads
        tenant=world.city.tenant,
        operation=Operation.UPDATE,
        model="committees.committee",
        object_id=str(world.street.pk),
        changes={"name": ["旧", "新"]},
    )


def shown_rows(client, **query):
    response = client.get("/audit/", query)
    assert response.status_code == 200
    return response.context["rows"]


def database_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


# --- recording ------------------------------------------------------------------------------------


def test_a_write_is_recorded_with_actor_changes_and_address(world, client_for):
    response = rename(client_for(world.tenant_admin), world.street, "东华门街道（新）")
    assert response.status_code == 302

    entry = entries("committees.committee", object_id=str(world.street.pk))[-1]
    assert entry.operation == Operation.UPDATE
    assert entry.actor == world.tenant_admin and entry.tenant == world.city.tenant
    assert entry.remote_addr == "10.9.8.7"
    assert entry.changes["name"] == ["东华门街道", "东华门街道（新）"]
    assert set(entry.changes) == {"name", "updated_at"}
    # The trigger stamps the database's clock, which a moved test clock does not move.
    assert database_now() - entry.at < dt.timedelta(minutes=1)


def test_the_address_behind_a_trusted_proxy_is_the_one_it_saw(world, client_for, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client_for(world.tenant_admin).post(
        reverse("committees:rename", args=[world.street.pk]),
        {"name": "东华门街道（新）"},
        REMOTE_ADDR="172.16.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",  # the first one is the client's own claim
    )
    entry = entries("committees.committee", object_id=str(world.street.pk))[-1]
    assert entry.remote_addr == "203.0.113.9"


def test_the_actor_is_known_when_the_api_authenticates_during_the_request(world):
    """DRF authenticates a token inside the view, after the middleware ran; the entry still
    names the user."""
    unit = MemberUnit(
        tenant=world.city.tenant, committee=world.street, name="测试单位", kind="private"
    )

    def view(request):
        unit.save()  # before authentication: nobody
        request.user = world.street_staff  # what DRF does once the token is checked
        MemberUnit.objects.filter(pk=unit.pk).update(name="测试单位（改）")
        return HttpResponse()

    request = RequestFactory().post("/api/anything/", REMOTE_ADDR="10.3.3.3")
    request.user = AnonymousUser()
    AuditContextMiddleware(view)(request)
    created, updated = entries("members.memberunit", object_id=str(unit.pk))
    assert created.actor is None and created.remote_addr == "10.3.3.3"
    assert updated.actor == world.street_staff and updated.remote_addr == "10.3.3.3"
    assert updated.context["path"] == "/api/anything/" and updated.context["method"] == "POST"
    assert updated.context["username"] == "dhm_staff"


def test_every_declared_table_has_its_three_triggers():
    expected = {
        "committees.tenant",
        "committees.committee",
        "members.user",
        "members.rolegrant",
        "members.memberunit",
        "members.membership",
        "members.seat",
        "members.subcommittee",
        "members.rotationslot",
        "members.alliance",
        "members.alliance_units",
        "members.alliancespan",
        "party_members.partymember",
        "party_members.registration",
        "party_members.serviceteam",
        "party_members.serviceteam_members",
        "party_members.servicerecord",
        "party_members.pointsrule",
        "party_members.pointsentry",
        "categories.category",
        "resources.resource",
        "demands.demand",
        "demands.demandtransition",
        "demands.demandattachment",
        "demands.claim",
        "notifications.webhookendpoint",
        "notifications.preference",
        "core.importbatch",
        "otp_totp.totpdevice",
        "authtoken.token",
    }
    tables = tracked_tables()
    assert expected <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, count(*) FROM pg_trigger"
            " WHERE tgname LIKE 'pgtrigger_audit_%%' GROUP BY 1"
        )
        installed = dict(cursor.fetchall())
    assert {key: installed.get(tables[key].model._meta.db_table) for key in expected} == {
        key: 3 for key in expected
    }


def test_passwords_secrets_and_keys_are_never_recorded(world):
    tables = tracked_tables()
    assert {"password", "last_login"} <= tables["members.user"].exclude
    assert {"secret", "url"} <= tables["notifications.webhookendpoint"].exclude
    assert "key" in tables["otp_totp.totpdevice"].exclude
    assert "key" in tables["authtoken.token"].exclude

    user = world.street_staff
    user.set_password("Xin@mima2026")
    user.display_name = "改名"
    user.save()
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user)
    hashed = User.objects.get(pk=user.pk).password
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM audit_entry WHERE data::text LIKE %s OR changes::text LIKE %s"
            " OR object_id = %s",
            [f"%{hashed}%", f"%{hashed}%", token.key],
        )
        assert cursor.fetchone()[0] == 0
    last = entries("members.user", object_id=str(user.pk))[-1]
    assert "password" not in last.changes and "display_name" in last.changes
    assert entries("authtoken.token", object_id=str(user.pk))[0].operation == Operation.CREATE


def test_a_login_alone_leaves_no_entry(world, client):
    before = Entry.objects.count()
    client.force_login(world.street_staff)  # updates last_login only
    assert Entry.objects.count() == before


def test_a_creation_records_the_models_own_columns_only(world):
    entry = entries("committees.committee", object_id=str(world.street.pk))[0]
    assert entry.operation == Operation.CREATE
    assert set(entry.data) == {
        "id",
        "tenant_id",
        "parent_id",
        "name",
        "level",
        "kind",
        "division_code",
        "closed_at",
        "created_at",
        "updated_at",
    }  # no MPTT bookkeeping, no reverse relations


def test_a_deletion_keeps_the_last_state(world):
    unit = MemberUnit.objects.create(
        tenant=world.city.tenant, committee=world.street, name="将删除的单位", kind="private"
    )
    MemberUnit.objects.filter(pk=unit.pk).delete()
    deleted = entries("members.memberunit", object_id=str(unit.pk))[-1]
    assert deleted.operation == Operation.DELETE and deleted.data["name"] == "将删除的单位"
    assert deleted.tenant == world.city.tenant


# --- append-only and retention --------------------------------------------------------------------


def test_an_entry_cannot_be_saved_again(world):
    entry = entries("committees.committee")[-1]
    entry.object_repr = "篡改"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()


def test_the_database_refuses_to_update_or_delete_an_entry(world, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）")
    entry = entries("committees.committee", object_id=str(world.street.pk))[-1]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(object_repr="篡改")
    with pytest.raises(IntegrityError, match="kept 180 days"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET actor_id = NULL WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.actor == world.tenant_admin and entry.changes["name"][1] == "东华门街道（新）"


def test_the_database_refuses_to_delete_an_entry_younger_than_180_days(world):
    young = backdated_entry(world, days=179)
    with pytest.raises(IntegrityError), transaction.atomic():
        young.delete()
    old = backdated_entry(world, days=181)
    old.delete()
    assert not Entry.objects.filter(pk=old.pk).exists()


def test_the_retention_service_purges_only_entries_older_than_180_days(world):
    old = backdated_entry(world, days=200)
    kept = backdated_entry(world, days=170)
    recent = entries("committees.committee")[0]  # written when the world was built

    assert tasks.purge_audit_log() == 1  # the periodic task calls the service
    assert not Entry.objects.filter(pk=old.pk).exists()
    assert Entry.objects.filter(pk__in=[kept.pk, recent.pk]).count() == 2


def test_the_retention_cannot_be_set_below_180_days(settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 30
    assert audit.retention_days() == 180


def test_the_purge_runs_daily():
    schedule = celery_app.conf.beat_schedule
    assert any(job["task"] == "audit.tasks.purge_audit_log" for job in schedule.values())


# --- who reads it ---------------------------------------------------------------------------------


def test_only_the_audit_administrator_reads_the_log(world, admins: Admins, client_for):
    superuser = User.objects.create_superuser("platform", password="Pingtai@2026x")
    for user in (
        world.street_staff,
        world.district_leader,
        world.tenant_admin,
        admins.system_admin,
        admins.security_admin,
        superuser,
    ):
        assert client_for(user).get("/audit/").status_code == 404, user
    assert client_for(admins.auditor).get("/audit/").status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_auditor_reads_every_entry_of_their_tenant_and_none_of_another(world, admins: Admins):
    rename(as_user(world.tenant_admin), world.street, "北京改名")
    rename(as_user(world.other_admin), world.other_street, "上海改名")
    # Written by nobody (a shell, a migration): still the tenant's, by the row's own tenant.
    MemberUnit.objects.create(
        tenant=world.city.tenant, committee=world.street, name="无人写入的单位", kind="private"
    )

    own = as_user(admins.auditor).get("/audit/", {"page": 1})
    page = own.content.decode()
    assert "北京改名" in page and "无人写入的单位" in page and "上海改名" not in page
    assert Entry.objects.visible_to(admins.auditor).count() == own.context["page"].paginator.count
    assert set(Entry.objects.visible_to(admins.auditor).values_list("tenant", flat=True)) == {
        world.city.tenant_id
    }

    other = as_user(admins.other_auditor).get("/audit/").content.decode()
    assert "上海改名" in other and "北京改名" not in other and "无人写入的单位" not in other
    assert not Entry.objects.visible_to(world.tenant_admin).exists()
    assert not Entry.objects.visible_to(admins.auditor, "change").exists()


def test_the_page_shows_who_when_what_and_where(world, admins: Admins, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）", ip="10.9.8.7")
    page = client_for(admins.auditor).get("/audit/").content.decode()
    assert "10.9.8.7" in page and "bj_admin" in page and "修改" in page
    assert "东华门街道（新）" in page and "<del>东华门街道</del>" in page


def test_entries_read_in_chinese_with_labels_names_and_local_times(
    world, admins: Admins, client_for
):
    resource = f.resource(world.street, world.street_staff, title="会议室", capacity="80")
    rows = shown_rows(client_for(admins.auditor), model="resources.resource")
    created = next(r for r in rows if r.entry.operation == Operation.CREATE)
    assert (created.kind, created.operation, created.object) == ("资源", "新增", "会议室")
    shown = {change.field: change.after for change in created.changes}
    assert shown["资源类型"] == "场地"  # the choice's label, not "venue"
    assert shown["服务范围"] == "东华门街道"  # the committee by its name, not its id
    assert shown["总量"] == "80"  # as people write it, not 80.0
    local = timezone.localtime(Resource.objects.get(pk=resource.pk).created_at)
    assert shown["创建时间"] == f"{local:%Y-%m-%d %H:%M:%S}"  # Beijing time, not UTC

    Resource.objects.filter(pk=resource.pk).update(
        status="paused",
        committee=world.community,
        capacity=Decimal("60.5"),
        remaining=Decimal("60.5"),
    )
    rows = shown_rows(client_for(admins.auditor), model="resources.resource", operation="update")
    changes = {c.field: (c.before, c.after) for c in rows[0].changes}
    assert changes["状态"] == ("可用", "暂停")
    assert changes["服务范围"] == ("东华门街道", "多福巷社区")
    assert changes["总量"] == ("80", "60.5")
    assert rows[0].actor == "系统"  # no request, no task: said so, not left blank


def test_filters_by_date_actor_model_and_operation(world, admins: Admins, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）")
    client = client_for(admins.auditor)
    # The entry carries the database's clock; its local date is the day to filter on.
    today = timezone.localtime(database_now()).date()

    def shown(**query) -> set[str]:
        return {row.object for row in shown_rows(client, **query)}

    assert "东华门街道（新）" in shown(
        actor="bj_admin", model="committees.committee", operation="update"
    )
    assert "东华门街道（新）" in shown(date_from=today.isoformat(), date_to=today.isoformat())
    assert shown(date_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert shown(actor="dhm_staff", model="committees.committee") == set()
    assert shown(operation="delete") == set()

    bad = client.get("/audit/", {"date_from": "2026-13-45", "actor": "bj_admin"})
    assert bad.status_code == 200 and bad.context["form"].errors["date_from"]
    assert bad.context["rows"]  # the valid filter still applies


def test_the_list_takes_the_same_queries_for_5_or_40_entries(
    world, admins: Admins, client_for, django_assert_num_queries
):
    client = client_for(admins.auditor)
    client.get("/audit/")  # warm the session
    in_request(
        world.tenant_admin,
        lambda: [UserFactory(tenant=world.city.tenant, username=f"first{i}") for i in range(5)],
    )
    query = {"model": "members.user", "actor": "bj_admin"}
    with CaptureQueriesContext(connection) as few:
        first = client.get("/audit/", query)
    assert first.context["page"].paginator.count == 5
    in_request(
        world.tenant_admin,
        lambda: [UserFactory(tenant=world.city.tenant, username=f"batch{i}") for i in range(35)],
    )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/audit/", query)
    assert response.context["page"].paginator.count == 40
    assert {row.actor for row in response.context["rows"]} == {str(world.tenant_admin)}


def test_the_audit_log_is_not_in_the_admin_site(world, client_for):
    client = client_for(User.objects.create_superuser("platform", password="Pingtai@2026x"))
    assert client.get("/admin/audit/entry/").status_code == 404
    assert "/admin/audit/" not in client.get("/admin/").content.decode()


def test_the_nav_links_the_audit_log_for_the_auditor_only(world, admins: Admins, client_for):
    assert 'href="/audit/"' in client_for(admins.auditor).get("/committees/").content.decode()
    assert (
        'href="/audit/"' not in client_for(world.tenant_admin).get("/committees/").content.decode()
    )


# --- personal data --------------------------------------------------------------------------------


def test_reading_a_party_member_is_recorded_and_shown_to_the_auditor(
    world, admins: Admins, client_for
):
    member = party_services.member_self_register(
        tenant=world.city.tenant,
        username="pm_zhang",
        password="Dangyuan@2026",
        name="张党员",
        phone="13912345678",
        community=world.community,
    )
    request = RequestFactory().get(f"/party-members/{member.pk}/", REMOTE_ADDR="10.7.7.7")
    entry = audit.record_personal_data_access(world.community_staff, member, request)
    assert entry.operation == Operation.ACCESS and entry.tenant == world.city.tenant
    assert entry.actor == world.community_staff and entry.remote_addr == "10.7.7.7"
    assert entry.data is None  # who read it and when, not what it held

    response = client_for(admins.auditor).get("/audit/", {"operation": "access"})
    rows = response.context["rows"]
    assert [(r.entry.pk, r.operation, r.kind) for r in rows] == [
        (entry.pk, "查阅", str(PartyMember._meta.verbose_name))
    ]
    page = response.content.decode()
    assert "张党员" in page and "dfx_staff" in page and "10.7.7.7" in page


def test_mask_phone_filter():
    rendered = Template("{% load privacy %}{{ phone|mask_phone }}|{{ none|mask_phone }}").render(
        Context({"phone": "13812341234", "none": None})
    )
    assert rendered == "138****1234|"

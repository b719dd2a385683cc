"""Every write is in the audit log with who, when, what changed and from where; the log cannot be
changed, is kept 180 days, and is read by the tenant's audit administrator only."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
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
from committees.models import Committee
from config.celery import app as celery_app
from members.models import MemberUnit, User
from party_members import services as party_services
from party_members.models import PartyMember

from ..factories import UserFactory
from .conftest import Admins, as_user

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("pk"))


def rename(client, committee: Committee, name: str, ip: str = "10.9.8.7"):
    return client.post(
        reverse("committees:rename", args=[committee.pk]), {"name": name}, REMOTE_ADDR=ip
    )


def backdated_entry(obj, days: int) -> LogEntry:
    return LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"name": ["旧", "新"]},
        timestamp=timezone.now() - dt.timedelta(days=days),
    )


# --- recording ------------------------------------------------------------------------------------


def test_a_write_is_recorded_with_actor_changes_and_address(world, client_for):
    client = client_for(world.tenant_admin)
    response = rename(client, world.street, "东华门街道（新）")
    assert response.status_code == 302

    entry = entries_for(world.street)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == world.tenant_admin
    assert entry.remote_addr == "10.9.8.7"
    assert entry.changes == {"name": ["东华门街道", "东华门街道（新）"]}
    assert timezone.now() - entry.timestamp < dt.timedelta(minutes=1)


def test_the_address_behind_a_trusted_proxy_is_the_one_it_saw(world, client_for, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_for(world.tenant_admin)
    client.post(
        reverse("committees:rename", args=[world.street.pk]),
        {"name": "东华门街道（新）"},
        REMOTE_ADDR="172.16.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",  # the first one is the client's own claim
    )
    assert entries_for(world.street)[-1].remote_addr == "203.0.113.9"


def test_the_actor_is_known_when_the_api_authenticates_during_the_request(world):
    """DRF authenticates a token inside the view, after the middleware ran; the entry still
    names the user."""
    unit = MemberUnit(
        tenant=world.city.tenant, committee=world.street, name="测试单位", kind="private"
    )

    def view(request):
        request.user = world.street_staff  # what DRF does once the token is checked
        unit.save()
        return HttpResponse()

    request = RequestFactory().post("/api/anything/", REMOTE_ADDR="10.3.3.3")
    request.user = AnonymousUser()
    AuditContextMiddleware(view)(request)
    entry = entries_for(unit)[0]
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == world.street_staff and entry.remote_addr == "10.3.3.3"


def test_the_business_models_are_audited_and_passwords_are_not():
    from auditlog.registry import auditlog

    audited = {model._meta.label for model in auditlog.get_models()}
    assert {
        "committees.Tenant",
        "committees.Committee",
        "members.User",
        "members.RoleGrant",
        "members.MemberUnit",
        "members.Membership",
        "members.Seat",
        "members.Subcommittee",
        "members.RotationSlot",
        "members.Alliance",
        "members.AllianceSpan",
        "party_members.PartyMember",
        "party_members.Registration",
        "party_members.ServiceTeam",
        "party_members.ServiceRecord",
        "party_members.PointsRule",
        "party_members.PointsEntry",
        "core.ImportBatch",
    } <= audited
    excluded = auditlog.get_model_fields(User)["exclude_fields"]
    assert {"password", "last_login"} <= set(excluded)


def test_a_creation_lists_the_models_own_columns_only(world):
    entry = entries_for(world.street)[0]
    assert entry.action == LogEntry.Action.CREATE
    assert set(entry.changes) == {
        "id",
        "tenant",
        "parent",
        "name",
        "level",
        "kind",
        "division_code",
        "closed_at",
        "created_at",
        "updated_at",
    }  # no MPTT bookkeeping, no reverse relations


def test_a_password_change_leaves_no_hash_in_the_log(world):
    user = world.street_staff
    user.set_password("Xin@mima2026")
    user.display_name = "改名"
    user.save()
    entry = entries_for(user)[-1]
    assert "password" not in entry.changes and "display_name" in entry.changes


# --- append-only and retention --------------------------------------------------------------------


def test_an_entry_cannot_be_saved_again(world, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）")
    entry = entries_for(world.street)[-1]
    entry.object_repr = "篡改"
    with pytest.raises(audit.AuditLogIsAppendOnly):
        entry.save()


@postgres_only
def test_the_database_refuses_to_update_or_delete_an_entry(world, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）")
    entry = entries_for(world.street)[-1]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="篡改")
    with pytest.raises(IntegrityError, match="kept 180 days"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE auditlog_logentry SET actor_id = NULL WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.object_repr == "东华门街道（新）" and entry.actor == world.tenant_admin


@postgres_only
def test_the_database_refuses_to_delete_an_entry_younger_than_180_days(world):
    young = backdated_entry(world.street, days=179)
    with pytest.raises(IntegrityError), transaction.atomic():
        young.delete()
    old = backdated_entry(world.street, days=181)
    old.delete()
    assert not LogEntry.objects.filter(pk=old.pk).exists()


def test_the_retention_service_purges_only_entries_older_than_180_days(world):
    old = backdated_entry(world.street, days=200)
    kept = backdated_entry(world.street, days=170)
    recent = entries_for(world.street)[0]  # written when the world was built

    assert tasks.purge_audit_log() == 1  # the periodic task calls the service
    assert not LogEntry.objects.filter(pk=old.pk).exists()
    assert LogEntry.objects.filter(pk__in=[kept.pk, recent.pk]).count() == 2


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


def test_an_auditor_reads_only_the_entries_of_accounts_of_their_tenant(
    world, admins: Admins, client_for
):
    rename(as_user(world.tenant_admin), world.street, "北京改名")
    rename(as_user(world.other_admin), world.other_street, "上海改名")

    own = as_user(admins.auditor).get("/audit/")
    assert "北京改名" in own.content.decode() and "上海改名" not in own.content.decode()
    assert {row["entry"].actor.tenant_id for row in own.context["rows"]} == {world.city.tenant_id}

    other = as_user(admins.other_auditor).get("/audit/")
    assert "上海改名" in other.content.decode() and "北京改名" not in other.content.decode()
    assert {row["entry"].actor.tenant_id for row in other.context["rows"]} == {
        world.other_city.tenant_id
    }


def test_the_page_shows_who_when_what_and_where(world, admins: Admins, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）", ip="10.9.8.7")
    page = client_for(admins.auditor).get("/audit/").content.decode()
    assert "10.9.8.7" in page and "bj_admin" in page and "修改" in page
    assert "东华门街道（新）" in page and "<del>东华门街道</del>" in page


def test_filters_by_date_actor_model_and_action(world, admins: Admins, client_for):
    rename(client_for(world.tenant_admin), world.street, "东华门街道（新）")
    client = client_for(admins.auditor)
    committee_type = ContentType.objects.get_for_model(Committee)
    today = timezone.localdate()

    def shown(**query) -> set[str]:
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return {row["entry"].object_repr for row in response.context["rows"]}

    assert "东华门街道（新）" in shown(actor="bj_admin", model=committee_type.pk, action=1)
    assert "东华门街道（新）" in shown(date_from=today.isoformat(), date_to=today.isoformat())
    assert shown(date_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert shown(actor="dhm_staff", model=committee_type.pk) == set()
    assert shown(action=2) == set()

    bad = client.get("/audit/", {"date_from": "2026-13-45", "actor": "bj_admin"})
    assert bad.status_code == 200 and bad.context["form"].errors["date_from"]
    assert bad.context["rows"]  # the valid filter still applies


def test_the_list_takes_the_same_queries_for_5_or_40_entries(
    world, admins: Admins, client_for, django_assert_num_queries
):
    client = client_for(admins.auditor)
    client.get("/audit/")  # warm the session and the content-type cache
    with set_actor(world.tenant_admin, remote_addr="10.0.0.9"):
        for i in range(5):
            UserFactory(tenant=world.city.tenant, username=f"first{i}")
    with CaptureQueriesContext(connection) as few:
        first = client.get("/audit/")
    assert first.context["page"].paginator.count >= 5
    with set_actor(world.tenant_admin, remote_addr="10.0.0.9"):
        for i in range(35):
            UserFactory(tenant=world.city.tenant, username=f"batch{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/audit/")
    assert response.context["page"].paginator.count == 40


def test_the_audit_log_is_not_in_the_admin_site(world, client_for):
    client = client_for(User.objects.create_superuser("platform", password="Pingtai@2026x"))
    assert client.get("/admin/auditlog/logentry/").status_code == 404
    assert "auditlog" not in client.get("/admin/").content.decode()


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
    assert entry.action == LogEntry.Action.ACCESS
    assert entry.actor == world.community_staff and entry.remote_addr == "10.7.7.7"

    response = client_for(admins.auditor).get("/audit/", {"action": LogEntry.Action.ACCESS})
    rows = response.context["rows"]
    assert [(r["entry"].pk, r["action"], r["model"]) for r in rows] == [
        (entry.pk, "查阅", str(PartyMember._meta.verbose_name))
    ]
    page = response.content.decode()
    assert "张党员" in page and "dfx_staff" in page and "10.7.7.7" in page


def test_mask_phone_filter():
    rendered = Template("{% load privacy %}{{ phone|mask_phone }}|{{ none|mask_phone }}").render(
        Context({"phone": "13812341234", "none": None})
    )
    assert rendered == "138****1234|"

"""Account management: opening accounts, granting and revoking roles by the policy's table,
one-time passwords changed at first sign-in, deactivation, the profile, the import, locked
accounts; and isolation of every page (another tenant, a street's staff)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import policies, services
from accounts.imports import ACCOUNT_ROWS
from core.errors import Errors, NotAllowed
from core.models import ImportBatch
from members.models import Role, RoleGrant, UnitKind, User

from ..excel_helpers import upload, workbook_bytes
from ..factories import TEST_PASSWORD
from ..members.factories import unit
from ..query_counts import query_counts
from ..security.conftest import as_user, login_post

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Xinmima@2026ok"
ONE_TIME = "Chushi@2026pw"


def create_post(client, **fields):
    data = {
        "username": "new_staff",
        "display_name": "新工作人员",
        "phone": "13800001234",
        "email": "new@example.cn",
        "password": ONE_TIME,
        "role": Role.STAFF,
        "committee": "110101001000",
        "member_unit": "",
        **fields,
    }
    return client.post("/accounts/manage/new/", data)


# --- the table ----------------------------------------------------------------------------------


def test_grant_rules_are_a_table_of_existing_roles():
    roles = [rule.role for rule in policies.grant_rules()]
    assert set(roles) <= set(Role.values)
    assert Role.STAFF in roles and Role.UNIT_CONTACT in roles
    # A row for a role that does not exist yet waits for it.
    assert ("department_officer" in roles) == ("department_officer" in Role.values)
    assert policies.grant_rule(Role.UNIT_CONTACT).scope == policies.UNIT
    assert policies.grant_rule(Role.AUDIT_ADMIN).root_only


def test_grantable_roles_follow_who_manages(world, admins):
    tenant_admin_roles = {r.role for r in policies.grantable_rules(world.tenant_admin)}
    system_admin_roles = {r.role for r in policies.grantable_rules(admins.system_admin)}
    assert Role.AUDIT_ADMIN in tenant_admin_roles
    assert Role.AUDIT_ADMIN not in system_admin_roles
    assert Role.STAFF in system_admin_roles
    assert policies.grantable_rules(world.street_staff) == []


# --- opening an account ---------------------------------------------------------------------------


def test_tenant_admin_opens_a_staff_account_with_a_one_time_password(world, client_for):
    response = create_post(client_for(world.tenant_admin))
    assert response.status_code == 302
    account = User.objects.get(username="new_staff")
    assert account.tenant_id == world.city.tenant_id
    assert account.must_change_password
    assert account.check_password(ONE_TIME)
    grant = account.grants.get()
    assert (grant.role, grant.committee_id) == (Role.STAFF, world.street.pk)


def test_every_error_of_the_form_at_once(world, client_for):
    response = create_post(
        client_for(world.tenant_admin),
        username="bj_admin",
        phone="123",
        email="not-an-email",
        password="short",
        committee="无此委员会",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"username", "phone", "email", "password", "committee"} <= set(errors)
    assert "已被使用" in errors["username"][0]
    assert not User.objects.filter(display_name="新工作人员").exists()


def test_a_contact_account_needs_a_unit_not_a_committee(world, client_for):
    bus_plant = unit(world.street, name="北京公交集团客车厂")
    client = client_for(world.tenant_admin)
    response = create_post(client, username="c1", role=Role.UNIT_CONTACT, committee="")
    assert response.status_code == 400
    assert "须指定成员单位" in response.context["form"].errors["member_unit"][0]
    response = create_post(
        client, username="c1", role=Role.UNIT_CONTACT, member_unit=bus_plant.name
    )
    assert response.status_code == 302
    grant = User.objects.get(username="c1").grants.get()
    assert grant.member_unit_id == bus_plant.pk and grant.committee_id is None


def test_scope_kind_of_each_rule_is_enforced(world, monkeypatch):
    """A role held at units of one kind (the whistles' department officer) refuses another."""
    department = unit(world.street, kind=UnitKind.DEPARTMENT)
    private = unit(world.street, kind=UnitKind.PRIVATE)
    rule = policies.GrantRule(
        "department_officer", policies.UNIT, policies.MANAGERS, unit_kind=UnitKind.DEPARTMENT
    )
    monkeypatch.setattr(policies, "grant_rule", lambda role: rule)
    errors = Errors()
    services.grant_scope_check(errors, role=rule.role, committee=None, member_unit=private)
    assert "政府职能部门" in errors.by_field["member_unit"][0]
    errors = Errors()
    services.grant_scope_check(errors, role=rule.role, committee=None, member_unit=department)
    assert not errors.any()


def test_root_only_roles_are_granted_at_the_root(world):
    errors = Errors()
    services.grant_scope_check(
        errors, role=Role.AUDIT_ADMIN, committee=world.street, member_unit=None
    )
    assert "全市" in errors.by_field["committee"][0]


def test_separated_administrators_stay_apart(world, admins):
    with pytest.raises(services.ValidationError):
        services.account_grant(
            actor=world.tenant_admin,
            account=admins.auditor,
            role=Role.SECURITY_ADMIN,
            committee=world.city,
        )


# --- first sign-in ------------------------------------------------------------------------------


def test_one_time_password_must_be_changed_before_anything_else(world, client_for):
    create_post(client_for(world.tenant_admin))
    client, response = login_post("new_staff", ONE_TIME)
    assert response.status_code == 302
    page = client.get("/demands/")
    assert page.status_code == 302 and page.url.startswith("/accounts/password/")
    assert client.get("/api/demands/").status_code == 403
    page = client.get(page.url)
    assert page.status_code == 200 and page.context["forced"]
    response = client.post(
        "/accounts/password/",
        {
            "old_password": ONE_TIME,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "next": "/demands/",
        },
    )
    assert response.status_code == 302 and response.url == "/demands/"
    assert client.get("/demands/").status_code == 200
    assert not User.objects.get(username="new_staff").must_change_password


def test_password_change_reports_every_error(world, client_for):
    client = client_for(world.street_staff)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password": "abc", "new_password2": "abd"},
    )
    assert response.status_code == 400
    assert {"old_password", "new_password2"} <= set(response.context["form"].errors)


def test_no_token_before_the_password_is_changed(world, client_for):
    create_post(client_for(world.tenant_admin))
    response = Client().post("/api/token/", {"username": "new_staff", "password": ONE_TIME})
    assert response.status_code == 400
    assert "初始密码" in str(response.json())


# --- grants, revocation, deactivation, reset --------------------------------------------------------


def test_grant_and_revoke_on_the_account_page(world, client_for):
    client = client_for(world.tenant_admin)
    account = world.community_staff
    response = client.post(
        f"/accounts/manage/{account.pk}/grant/",
        {"role": Role.LEADER, "committee": "东城区", "member_unit": ""},
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=account, role=Role.LEADER)
    assert grant.committee_id == world.district.pk
    assert client.post(f"/accounts/manage/grants/{grant.pk}/revoke/").status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def test_deactivated_account_cannot_sign_in_and_keeps_its_history(world, client_for):
    client = client_for(world.tenant_admin)
    account = world.community_staff
    assert client.post(f"/accounts/manage/{account.pk}/active/", {"active": "0"}).status_code == 302
    account.refresh_from_db()
    assert not account.is_active
    assert account.grants.exists()  # nothing deleted
    _client, response = login_post(account.username)
    assert response.status_code == 200  # the login form again
    client.post(f"/accounts/manage/{account.pk}/active/", {"active": "1"})
    account.refresh_from_db()
    assert account.is_active


def test_reset_sets_a_one_time_password(world, client_for):
    client = client_for(world.tenant_admin)
    account = world.community_staff
    response = client.post(f"/accounts/manage/{account.pk}/password/", {"password": ONE_TIME})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.must_change_password and account.check_password(ONE_TIME)


def test_last_tenant_admin_cannot_be_revoked(world, admins):
    grant = world.tenant_admin.grants.get(role=Role.TENANT_ADMIN)
    other = User.objects.create(username="x", tenant=world.city.tenant)
    services.role_grant(user=other, role=Role.TENANT_ADMIN, committee=world.city)
    services.account_revoke(actor=other, grant=grant)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    last = other.grants.get(role=Role.TENANT_ADMIN)
    third = User.objects.create(username="y", tenant=world.city.tenant)
    services.role_grant(user=third, role=Role.TENANT_ADMIN, committee=world.district)
    # third manages only the district: the city's grant is out of its reach.
    with pytest.raises(NotAllowed):
        services.account_revoke(actor=third, grant=last)


def test_system_admin_cannot_touch_a_tenant_admin(world, admins):
    with pytest.raises(NotAllowed):
        services.account_set_active(
            actor=admins.system_admin, account=world.tenant_admin, active=False
        )


def test_system_admin_opens_staff_accounts(world, admins):
    client = as_user(admins.system_admin)
    assert create_post(client, username="by_sysadmin").status_code == 302
    response = create_post(client, username="auditor2", role=Role.AUDIT_ADMIN, committee="北京市")
    assert response.status_code == 400
    assert "不是可选的角色" in response.context["form"].errors["role"][0]


# --- isolation ------------------------------------------------------------------------------------


MANAGER_PAGES = [
    "/accounts/manage/",
    "/accounts/manage/new/",
    "/accounts/manage/excel/import/",
    "/accounts/manage/excel/imports/",
    "/accounts/manage/excel/template/",
]


@pytest.mark.parametrize("persona", ["street_staff", "district_leader", "community_staff"])
def test_staff_and_leaders_manage_no_accounts(world, client_for, persona):
    user = getattr(world, persona)
    client = client_for(user)
    for url in MANAGER_PAGES:
        assert client.get(url).status_code == 404, url
    target = world.sibling_staff
    assert client.get(f"/accounts/manage/{target.pk}/").status_code == 404
    response = client.post(
        f"/accounts/manage/{target.pk}/grant/", {"role": Role.STAFF, "committee": "东华门街道"}
    )
    assert response.status_code == 404
    assert create_post(client).status_code == 404
    assert not RoleGrant.objects.filter(user=target, committee=world.street).exists()
    with pytest.raises(NotAllowed):
        services.account_grant(actor=user, account=target, role=Role.STAFF, committee=world.street)


def test_tenant_admin_sees_and_grants_nothing_in_another_tenant(world, client_for):
    client = client_for(world.tenant_admin)
    listing = client.get("/accounts/manage/")
    usernames = {a.username for a in listing.context["accounts"]}
    assert "sh_admin" not in usernames and "dhm_staff" in usernames
    other = world.other_admin
    assert client.get(f"/accounts/manage/{other.pk}/").status_code == 404
    assert client.post(f"/accounts/manage/{other.pk}/active/", {"active": "0"}).status_code == 404
    assert (
        client.post(f"/accounts/manage/{other.pk}/password/", {"password": ONE_TIME}).status_code
        == 404
    )
    other_grant = other.grants.get()
    assert client.post(f"/accounts/manage/grants/{other_grant.pk}/revoke/").status_code == 404
    # A committee of the other tenant cannot be named.
    response = create_post(client, username="z1", committee="310101002000")
    assert (
        response.status_code == 400 and "找不到" in response.context["form"].errors["committee"][0]
    )
    with pytest.raises(NotAllowed):
        services.account_grant(
            actor=world.tenant_admin,
            account=world.street_staff,
            role=Role.STAFF,
            committee=world.other_street,
        )
    other.refresh_from_db()
    assert other.is_active


def test_account_list_queries_do_not_grow(world, client_for):
    client = client_for(world.tenant_admin)
    few = query_counts(client, ["/accounts/manage/"])
    for n in range(15):
        user = User.objects.create(username=f"bulk{n}", tenant=world.city.tenant)
        services.role_grant(user=user, role=Role.STAFF, committee=world.community)
    assert query_counts(client, ["/accounts/manage/"]) == few


# --- the profile ----------------------------------------------------------------------------------


def test_everyone_keeps_their_profile(world, client_for):
    client = client_for(world.street_staff)
    assert client.get("/accounts/profile/").status_code == 200
    response = client.post(
        "/accounts/profile/", {"display_name": "王芳", "email": "bad", "phone": "1"}
    )
    assert response.status_code == 400
    assert {"email", "phone"} <= set(response.context["form"].errors)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "王芳", "email": "wf@example.cn", "phone": "13900001111"},
    )
    assert response.status_code == 302
    world.street_staff.refresh_from_db()
    assert (world.street_staff.email, world.street_staff.phone) == ("wf@example.cn", "13900001111")


# --- the import -----------------------------------------------------------------------------------


def account_sheet(rows):
    headers = [str(c.header) for c in ACCOUNT_ROWS.columns()]
    return upload(workbook_bytes(headers, rows, "账号"), "accounts.xlsx")


def test_import_opens_every_account_or_none(world, client_for):
    bus_plant = unit(world.street, name="北京公交集团客车厂")
    client = client_for(world.tenant_admin)
    bad = account_sheet(
        [
            ["a1", "甲", "13800000001", "", "工作人员", "110101001001", ""],
            ["a2", "乙", "12", "", "成员单位联络员", "", ""],
            ["a1", "丙", "", "", "领导（只读）", "无此地", ""],
            ["dhm_staff", "丁", "", "", "", "", ""],
        ]
    )
    response = client.post("/accounts/manage/excel/import/", {"file": bad, "password": ONE_TIME})
    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert batch.status == "rejected"
    rows = {(e["row"], e["field"]) for e in batch.errors}
    assert {
        (3, "phone"),
        (3, "member_unit"),
        (4, "username"),
        (4, "committee"),
        (5, "username"),
    } <= rows
    assert not User.objects.filter(username="a1").exists()

    good = account_sheet(
        [
            ["a1", "甲", "13800000001", "", "工作人员", "110101001001", ""],
            ["a2", "乙", "", "", "成员单位联络员", "", bus_plant.name],
            ["a3", "丙", "", "", "", "", ""],
        ]
    )
    response = client.post("/accounts/manage/excel/import/", {"file": good, "password": ONE_TIME})
    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert batch.status == "imported" and batch.created_count == 3
    a2 = User.objects.get(username="a2")
    assert a2.must_change_password and a2.check_password(ONE_TIME)
    assert a2.grants.get().member_unit_id == bus_plant.pk
    assert client.get(f"/accounts/manage/excel/imports/{batch.pk}/").status_code == 200
    # The other tenant's administrator does not see the batch.
    other = client_for(world.other_admin)
    assert other.get(f"/accounts/manage/excel/imports/{batch.pk}/").status_code == 404


def test_template_has_the_role_drop_down(world, client_for):
    response = client_for(world.tenant_admin).get("/accounts/manage/excel/template/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# --- locked accounts --------------------------------------------------------------------------------


def lock(username: str, ip="10.1.1.1"):
    return AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )


def test_security_admin_sees_and_unlocks_locked_accounts(world, admins):
    lock(world.street_staff.username)
    lock(world.other_admin.username)
    client = as_user(admins.security_admin)
    page = client.get("/accounts/locked/")
    assert [lock.username for lock in page.context["locks"]] == [world.street_staff.username]
    client.post("/accounts/locked/", {"username": world.street_staff.username})
    assert not AccessAttempt.objects.filter(username=world.street_staff.username).exists()
    # Another tenant's account is not theirs to unlock.
    client.post("/accounts/locked/", {"username": world.other_admin.username})
    assert AccessAttempt.objects.filter(username=world.other_admin.username).exists()


def test_locked_accounts_is_for_the_security_admin_only(world, admins, client_for):
    for user in [world.tenant_admin, world.street_staff, admins.auditor]:
        assert as_user(user).get("/accounts/locked/").status_code == 404


def test_password_really_is_the_test_one(world):
    assert world.street_staff.check_password(TEST_PASSWORD)


# --- the API --------------------------------------------------------------------------------------


def test_api_opens_grants_revokes_and_deactivates(world, client_for):
    client = client_for(world.tenant_admin)
    response = client.post(
        "/api/accounts/",
        {"username": "api_staff", "password": ONE_TIME, "role": "staff", "committee": "东华门街道"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["must_change_password"] and body["grants"][0]["committee_name"] == "东华门街道"
    pk = body["id"]
    response = client.post(
        f"/api/accounts/{pk}/grants/",
        {"role": "leader", "committee": "110101000000"},
        content_type="application/json",
    )
    assert response.status_code == 201
    grant_id = response.json()["id"]
    assert client.delete(f"/api/accounts/{pk}/grants/{grant_id}/").status_code == 204
    response = client.post(
        f"/api/accounts/{pk}/active/", {"active": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    bad = client.post(
        "/api/accounts/",
        {"username": "", "password": "x", "phone": "1"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and {"username", "password", "phone"} <= set(bad.json())


def test_api_isolation(world, client_for):
    other = client_for(world.other_admin)
    assert world.street_staff.username not in str(other.get("/api/accounts/").json())
    assert other.get(f"/api/accounts/{world.street_staff.pk}/").status_code == 404
    assert (
        other.post(
            f"/api/accounts/{world.street_staff.pk}/active/",
            {"active": False},
            content_type="application/json",
        ).status_code
        == 404
    )
    staff = as_user(world.street_staff)
    body = staff.get("/api/accounts/").json()
    assert (body["results"] if isinstance(body, dict) else body) == []
    response = staff.post(
        "/api/accounts/",
        {"username": "sneaky", "password": ONE_TIME, "role": "staff", "committee": "东华门街道"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()
    response = staff.post(
        f"/api/accounts/{world.sibling_staff.pk}/grants/",
        {"role": "staff", "committee": "东华门街道"},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    world.street_staff.refresh_from_db()
    assert world.street_staff.is_active

"""The optional second factor of administrators: enrol on /accounts/2fa/ with a TOTP app; from
then on the password alone does not log in, on the login page or for an API token."""

from __future__ import annotations

import time
from binascii import unhexlify

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import views as auth_views
from members.models import User

from ..factories import TEST_PASSWORD
from ..security.conftest import Admins, as_user, login_post

pytestmark = pytest.mark.django_db


def code_for(key_hex: str, steps_ahead: int = 0) -> str:
    totp = TOTP(unhexlify(key_hex))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet (the enrolment used the current one)."""
    device.refresh_from_db()
    return code_for(device.key, steps_ahead=1)


def wrong_code(device: TOTPDevice) -> str:
    right = {code_for(device.key, steps) for steps in (-1, 0, 1, 2)}
    return next(
        code for code in ("000000", "111111", "222222", "333333", "444444") if code not in right
    )


def enrol(user: User) -> TOTPDevice:
    client = as_user(user)
    client.get("/accounts/2fa/")
    response = client.post(
        "/accounts/2fa/", {"code": code_for(client.session[auth_views.ENROL_KEY])}
    )
    assert response.status_code == 302
    return TOTPDevice.objects.get(user=user, confirmed=True)


def test_administrators_may_enrol_and_others_never_see_it(world, admins: Admins):
    for user in (world.tenant_admin, admins.system_admin, admins.security_admin, admins.auditor):
        client = as_user(user)
        assert client.get("/accounts/2fa/").status_code == 200, user
        assert 'href="/accounts/2fa/"' in client.get("/committees/").content.decode()
    for user in (world.street_staff, world.district_leader, world.community_staff):
        client = as_user(user)
        assert client.get("/accounts/2fa/").status_code == 404, user
        assert client.post("/accounts/2fa/", {"code": "123456"}).status_code == 404
        assert "/accounts/2fa/" not in client.get("/committees/").content.decode()


def test_enrolment_shows_a_qr_code_and_the_secret_and_needs_a_right_code(world):
    client = as_user(world.tenant_admin)
    page = client.get("/accounts/2fa/")
    html = page.content.decode()
    assert "<svg" in html and 'data-testid="totp-qr"' in html
    assert "https://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )  # drawn here, nothing fetched
    key = client.session[auth_views.ENROL_KEY]
    assert page.context["secret"].replace(" ", "") in html.replace(" ", "")

    wrong = client.post("/accounts/2fa/", {"code": "12345"})
    assert wrong.status_code == 200 and "6位数字" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=world.tenant_admin).exists()

    right = client.post("/accounts/2fa/", {"code": code_for(key)}, follow=True)
    assert "已开启两步验证" in right.content.decode()
    device = TOTPDevice.objects.get(user=world.tenant_admin)
    assert device.confirmed and device.key == key
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_after_enrolment_the_password_alone_does_not_log_in(world):
    device = enrol(world.tenant_admin)

    client, response = login_post("bj_admin", TEST_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in client.session
    assert client.get("/committees/").status_code == 302  # not logged in yet

    page = client.get("/accounts/login/verify/")
    assert page.status_code == 200 and "动态验证码" in page.content.decode()

    refused = client.post("/accounts/login/verify/", {"code": wrong_code(device)})
    assert refused.status_code == 200 and "动态验证码不正确" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    device.throttle_reset()  # the second's wait after a wrong code has passed
    accepted = client.post("/accounts/login/verify/", {"code": next_code(device)})
    assert accepted.status_code == 302 and accepted["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == world.tenant_admin.pk
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/committees/").status_code == 200


def test_the_second_step_keeps_the_next_page(world):
    device = enrol(world.tenant_admin)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post(
        "/accounts/login/?next=/audit/", {"username": "bj_admin", "password": TEST_PASSWORD}
    )
    response = client.post("/accounts/login/verify/", {"code": next_code(device)})
    assert response["Location"] == "/audit/"


def test_a_code_just_used_cannot_be_used_again(world):
    device = enrol(world.tenant_admin)
    code = next_code(device)
    client, _ = login_post("bj_admin")
    assert client.post("/accounts/login/verify/", {"code": code}).status_code == 302
    again, _ = login_post("bj_admin")
    assert again.post("/accounts/login/verify/", {"code": code}).status_code == 200
    assert "_auth_user_id" not in again.session


def test_the_second_step_expires(world, monkeypatch):
    device = enrol(world.tenant_admin)
    client, _ = login_post("bj_admin")
    later = time.time() + auth_views.PENDING_SECONDS + 1
    monkeypatch.setattr(auth_views, "now", lambda: later)
    response = client.post("/accounts/login/verify/", {"code": next_code(device)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_the_second_step_without_a_password_goes_back_to_login(world):
    response = Client().get("/accounts/login/verify/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_wrong_codes_count_towards_the_lockout(world):
    device = enrol(world.tenant_admin)
    client, _ = login_post("bj_admin", ip="10.5.5.5")
    for _ in range(4):
        device.throttle_reset()
        assert (
            client.post("/accounts/login/verify/", {"code": wrong_code(device)}).status_code == 200
        )
    device.throttle_reset()
    locked = client.post("/accounts/login/verify/", {"code": wrong_code(device)})
    assert locked.status_code == 429 and "账号已暂时锁定" in locked.content.decode()
    # the password no longer gets as far as the code, from that address
    assert login_post("bj_admin", ip="10.5.5.5")[1].status_code == 429


def test_users_without_a_device_log_in_with_the_password(world):
    client, response = login_post("bj_admin")
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == world.tenant_admin.pk


def test_the_api_token_needs_the_code_too(world):
    device = enrol(world.tenant_admin)
    client = Client(REMOTE_ADDR="10.0.0.1")
    credentials = {"username": "bj_admin", "password": TEST_PASSWORD}

    missing = client.post("/api/token/", credentials)
    assert missing.status_code == 400 and "otp_token" in missing.json()

    refused = client.post("/api/token/", {**credentials, "otp_token": wrong_code(device)})
    assert refused.status_code == 400 and "token" not in refused.json()

    device.throttle_reset()
    issued = client.post("/api/token/", {**credentials, "otp_token": next_code(device)})
    assert issued.status_code == 200 and issued.json()["token"]


def test_an_administrator_turns_it_off_with_a_code(world):
    device = enrol(world.tenant_admin)
    client = as_user(world.tenant_admin)
    page = client.get("/accounts/2fa/")
    assert 'data-testid="two-factor-on"' in page.content.decode()
    assert client.post("/accounts/2fa/", {"code": wrong_code(device)}).status_code == 200
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    device.throttle_reset()
    response = client.post("/accounts/2fa/", {"code": next_code(device)}, follow=True)
    assert "已关闭两步验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_admin_site_login_is_the_same_login(world):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_a_logged_in_account_without_admin_rights_is_refused_not_looped(world):
    client = as_user(world.street_staff)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


def test_a_lockout_after_the_password_stops_the_second_step(world):
    device = enrol(world.tenant_admin)
    client, _ = login_post("bj_admin", ip="10.6.6.6")
    for _ in range(5):
        login_post("bj_admin", "wrong-Password1", ip="10.6.6.6")
    response = client.post("/accounts/login/verify/", {"code": next_code(device)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def device_entries(user):
    from audit.models import Entry

    return Entry.objects.filter(model="otp_totp.totpdevice", actor=user).order_by("pk")


def test_enrolling_and_removing_are_recorded_in_the_audit_trail(world, admins: Admins):
    from audit.models import Operation
    from audit.selectors import entries_visible_to

    device = enrol(world.tenant_admin)
    created = device_entries(world.tenant_admin).get()
    assert (created.operation, created.object_id) == (Operation.CREATE, str(device.pk))
    assert created.remote_addr  # the address of the request that enrolled it
    assert device.key not in str(created.data) and device.key not in created.object_repr
    assert created in entries_visible_to(admins.auditor)
    assert created not in entries_visible_to(admins.other_auditor)

    device.throttle_reset()
    as_user(world.tenant_admin).post("/accounts/2fa/", {"code": next_code(device)})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    removed = device_entries(world.tenant_admin).last()
    assert (removed.operation, removed.object_id) == (Operation.DELETE, str(device.pk))


def test_a_wrong_code_enrols_nothing_and_records_nothing(world):
    client = as_user(world.tenant_admin)
    client.get("/accounts/2fa/")
    key = client.session[auth_views.ENROL_KEY]
    right = {code_for(key, steps) for steps in (-1, 0, 1, 2)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in right)
    response = client.post("/accounts/2fa/", {"code": wrong})
    assert response.status_code == 200 and "动态验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.tenant_admin).exists()
    assert not device_entries(world.tenant_admin).exists()


def test_the_services_refuse_anyone_but_an_administrator(world):
    from accounts import services
    from core.errors import NotAllowed

    for user in (world.street_staff, world.district_leader):
        with pytest.raises(NotAllowed):
            services.totp_enrolment_start(actor=user)
        key = "3132333435363738393031323334353637383930"
        with pytest.raises(NotAllowed):
            services.totp_device_confirm(actor=user, key=key, code=code_for(key))
        with pytest.raises(NotAllowed):
            services.totp_device_remove(actor=user, code="123456")
    assert not TOTPDevice.objects.exists() and not device_entries(world.street_staff).exists()

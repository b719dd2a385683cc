"""Failed logins lock a username at one address (a whole street office shares one address): the
same username elsewhere and other usernames at that address still log in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from ..factories import TEST_PASSWORD
from .conftest import login_post

OFFICE = "10.1.1.1"
ELSEWHERE = "10.2.2.2"

pytestmark = pytest.mark.django_db


def fail_logins(username: str, ip: str, times: int):
    return [login_post(username, "wrong-Password1", ip)[1] for _ in range(times)]


def test_five_failures_lock_that_username_at_that_address(world):
    assert settings.AXES_FAILURE_LIMIT == 5
    responses = fail_logins("dhm_staff", OFFICE, 4)
    assert [r.status_code for r in responses] == [200] * 4  # the form again, with its error

    locked = fail_logins("dhm_staff", OFFICE, 1)[0]
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()

    # Now even the right password is refused, at that address.
    client, response = login_post("dhm_staff", TEST_PASSWORD, OFFICE)
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录失败次数过多" in page and "30分钟" in page
    assert "_auth_user_id" not in client.session


def test_the_same_username_from_another_address_still_logs_in(world):
    fail_logins("dhm_staff", OFFICE, 5)
    client, response = login_post("dhm_staff", TEST_PASSWORD, ELSEWHERE)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.street_staff.pk


def test_another_username_from_the_same_address_still_logs_in(world):
    fail_logins("dhm_staff", OFFICE, 5)
    client, response = login_post("js_staff", TEST_PASSWORD, OFFICE)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.sibling_staff.pk


def test_a_success_before_the_limit_starts_the_count_again(world):
    fail_logins("dhm_staff", OFFICE, 4)
    assert login_post("dhm_staff", TEST_PASSWORD, OFFICE)[1].status_code == 302
    responses = fail_logins("dhm_staff", OFFICE, 4)
    assert all(r.status_code == 200 for r in responses)
    assert login_post("dhm_staff", TEST_PASSWORD, OFFICE)[1].status_code == 302


def test_the_token_endpoint_is_locked_too(world):
    client = Client(REMOTE_ADDR=OFFICE)
    for _ in range(4):
        response = client.post("/api/token/", {"username": "dhm_staff", "password": "nope-Nope1"})
        assert response.status_code == 400
    response = client.post("/api/token/", {"username": "dhm_staff", "password": "nope-Nope1"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]

    response = client.post("/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert not Token.objects.filter(user=world.street_staff).exists()

    elsewhere = Client(REMOTE_ADDR=ELSEWHERE)
    response = elsewhere.post("/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_failures_on_the_login_page_lock_the_token_endpoint(world):
    fail_logins("dhm_staff", OFFICE, 5)
    response = Client(REMOTE_ADDR=OFFICE).post(
        "/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429


def test_force_login_still_works_for_tests(world, client_for):
    fail_logins("dhm_staff", "127.0.0.1", 5)
    response = client_for(world.street_staff).get("/committees/")
    assert response.status_code == 200

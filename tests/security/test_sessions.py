"""Sessions end after 30 idle minutes and after 8 hours whatever the activity; the clock is moved
by patching `members.middleware.now`, never by sleeping."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from accounts import middleware

pytestmark = pytest.mark.django_db

MINUTE = 60
PAGE = "/committees/"


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.at = 1_800_000_000.0
        monkeypatch.setattr(middleware, "now", lambda: self.at)

    def advance(self, minutes: float) -> None:
        self.at += minutes * MINUTE


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_defaults_are_30_minutes_idle_and_8_hours_absolute():
    assert settings.SESSION_IDLE_TIMEOUT.total_seconds() == 30 * MINUTE
    assert settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() == 8 * 60 * MINUTE
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * MINUTE


def test_an_idle_session_is_logged_out_with_a_message(world, client_for, clock):
    client = client_for(world.street_staff)
    clock.advance(29)
    assert client.get(PAGE).status_code == 200

    clock.advance(31)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/committees/")
    assert not is_logged_in(client)

    login_page = client.get(response["Location"])
    assert "会话已超时，请重新登录" in login_page.content.decode()
    assert client.get(PAGE).status_code == 302  # still out


def test_activity_keeps_a_session_only_until_the_absolute_timeout(world, client_for, clock):
    client = client_for(world.street_staff)
    for _ in range(23):  # a request every 20 minutes for 7 hours 40 minutes
        clock.advance(20)
        assert client.get(PAGE).status_code == 200
    clock.advance(21)  # 8 hours and 1 minute after logging in, 21 minutes after the last request
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not is_logged_in(client)


def test_a_new_login_restarts_both_clocks(world, client_for, clock):
    client = client_for(world.street_staff)
    clock.advance(7 * 60 + 50)
    client.force_login(world.street_staff)
    clock.advance(20)
    assert client.get(PAGE).status_code == 200


def test_timeouts_follow_the_settings(world, client_for, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=5)
    client = client_for(world.street_staff)
    clock.advance(6)
    assert client.get(PAGE).status_code == 302


def test_an_htmx_request_is_sent_to_the_login_page_whole(world, client_for, clock):
    client = client_for(world.street_staff)
    clock.advance(31)
    response = client.get(PAGE, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_an_expired_session_is_refused_by_the_api(world, client_for, clock):
    client = client_for(world.street_staff)
    assert client.get("/api/committees/").status_code == 200
    clock.advance(31)
    assert client.get("/api/committees/").status_code in (401, 403)
    assert not is_logged_in(client)


def test_token_authentication_has_no_session_to_expire(world, client, clock):
    token = Token.objects.create(user=world.street_staff)
    assert (
        client.get("/api/committees/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    )
    clock.advance(9 * 60)
    assert (
        client.get("/api/committees/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    )


def test_timeouts_are_read_from_the_environment():
    env = {
        **os.environ,
        "SESSION_IDLE_TIMEOUT_MINUTES": "15",
        "SESSION_ABSOLUTE_TIMEOUT_HOURS": "4",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(int(s.SESSION_IDLE_TIMEOUT.total_seconds()), "
        "int(s.SESSION_ABSOLUTE_TIMEOUT.total_seconds()), s.SESSION_COOKIE_AGE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["900", "14400", "14400"]

"""Rate limits (core/throttling.py): sign-in, the API token, the public self-registration page and
its community search, per address and per account, and the API's per-user limits on writes and
bulk calls. Each answer over a limit is a 429 with `Retry-After` and a Chinese message; the clock
is pinned, so a window's end is known and moving the clock past it lets the client in again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from core import throttling

from ..factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

# 10:00:05 UTC: five seconds into a minute, 5 s + 55 s into the hour.
PINNED = datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)
OFFICE = "10.1.1.1"
ELSEWHERE = "10.2.2.2"


@pytest.fixture
def clock():
    with time_machine.travel(PINNED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rates(settings):
    """Small limits, so a test makes a few requests, not hundreds."""

    def set_rates(**overrides):
        rates = {**settings.THROTTLE_RATES, **overrides}
        settings.THROTTLE_RATES = rates

    return set_rates


def assert_throttled(response, seconds: int):
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    text = response.content.decode()
    assert f"请求过于频繁，请{seconds}秒后再试" in text


def login(username, ip, password="wrong-Password1"):
    return Client(REMOTE_ADDR=ip).post(
        "/accounts/login/", {"username": username, "password": password}
    )


# --- the counting itself ---------------------------------------------------------------------------


class TestWindow:
    def test_the_limit_holds_within_a_window_and_opens_at_its_end(self, clock, rates):
        rates(login_address="3/minute")
        assert [throttling.hit("login_address", "a") for _ in range(3)] == [0, 0, 0]
        assert throttling.hit("login_address", "a") == 55  # 10:00:05 -> 10:01:00
        assert throttling.hit("login_address", "b") == 0  # another client counts apart
        clock.shift(timedelta(seconds=55))
        assert throttling.hit("login_address", "a") == 0

    def test_a_scope_switched_off_never_limits(self, clock, rates):
        rates(login_address=None)
        assert all(throttling.hit("login_address", "a") == 0 for _ in range(100))

    def test_a_scope_missing_from_the_settings_fails_when_routed(self):
        with pytest.raises(KeyError):
            throttling.throttle("nonexistent")

    def test_the_rates_come_from_the_environment(self, monkeypatch):
        from config import settings as config_settings

        monkeypatch.setenv("THROTTLE_RATE_JOIN_ADDRESS", "3/hour")
        monkeypatch.setenv("THROTTLE_RATE_API_BULK", "off")
        assert config_settings._throttle_rate("join_address", "10/hour") == "3/hour"
        assert config_settings._throttle_rate("api_bulk", "60/hour") is None
        assert config_settings._throttle_rate("api_write", "300/minute") == "300/minute"

    def test_the_decorator_is_one_line_for_an_anonymous_link(self, clock, rates, settings):
        """How the satisfaction links (or any anonymous link) take it: per address and per
        link token from the URL."""
        rates(survey_address="100/minute", survey_account="2/minute")

        @throttling.throttle("survey", account=throttling.kwarg("token"))
        def survey(request, token):
            return HttpResponse("ok")

        factory = RequestFactory()
        answers = [
            survey(factory.get(f"/s/{t}/", REMOTE_ADDR=ip), token=t).status_code
            for t, ip in [("abc", "1.1.1.1"), ("abc", "2.2.2.2"), ("abc", "3.3.3.3")]
        ]
        assert answers == [200, 200, 429]  # the link's limit, whatever the address
        assert survey(factory.get("/s/xyz/", REMOTE_ADDR="3.3.3.3"), token="xyz").status_code == 200


# --- sign-in and the token --------------------------------------------------------------------------


class TestSignIn:
    def test_per_address_over_many_accounts(self, world, clock, rates):
        rates(login_address="3/minute", login_account="100/minute")
        for name in ("a1", "a2", "a3"):
            assert login(name, OFFICE).status_code == 200  # the form again, with its error
        response = login("dhm_staff", OFFICE, password=TEST_PASSWORD)
        assert_throttled(response, 55)
        assert "请求过于频繁" in response.content.decode()
        assert login("dhm_staff", ELSEWHERE, password=TEST_PASSWORD).status_code == 302

    def test_per_account_over_many_addresses(self, world, clock, rates):
        """Password spraying from many addresses at one account: stopped before the lockout
        (which counts per account and address together) would see it."""
        rates(login_address="100/minute", login_account="3/minute")
        for n in range(3):
            assert login("dhm_staff", f"10.9.0.{n}").status_code == 200
        assert_throttled(login("DHM_staff ", "10.9.0.99"), 55)  # the same account, case-folded
        assert login("js_staff", "10.9.0.99", password=TEST_PASSWORD).status_code == 302
        clock.shift(timedelta(seconds=55))
        assert login("dhm_staff", "10.9.0.99", password=TEST_PASSWORD).status_code == 302

    def test_showing_the_sign_in_page_is_not_counted(self, world, clock, rates):
        rates(login_address="1/minute")
        client = Client(REMOTE_ADDR=OFFICE)
        assert all(client.get("/accounts/login/").status_code == 200 for _ in range(5))
        assert login("dhm_staff", OFFICE, password=TEST_PASSWORD).status_code == 302

    def test_the_second_factor_step_counts_per_address(self, world, clock, rates):
        rates(login_address="2/minute")
        client = Client(REMOTE_ADDR=OFFICE)
        client.post("/accounts/login/verify/", {"code": "123456"})
        client.post("/accounts/login/verify/", {"code": "123456"})
        assert_throttled(client.post("/accounts/login/verify/", {"code": "123456"}), 55)

    def test_token_per_account_and_address_in_json(self, world, clock, rates):
        rates(token_address="100/minute", token_account="2/minute")
        for n in range(2):
            client = APIClient(REMOTE_ADDR=f"10.9.1.{n}")
            response = client.post(
                "/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD}, format="json"
            )
            assert response.status_code == 200
        response = APIClient(REMOTE_ADDR="10.9.1.9").post(
            "/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD}, format="json"
        )
        assert_throttled(response, 55)
        assert response.json()["detail"] == "请求过于频繁，请55秒后再试。"

    def test_token_per_address(self, world, clock, rates):
        rates(token_address="2/minute", token_account="100/minute")
        client = APIClient(REMOTE_ADDR=OFFICE)
        for name in ("x1", "x2"):
            assert (
                client.post("/api/token/", {"username": name, "password": "x"}).status_code == 400
            )
        assert_throttled(
            client.post("/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD}), 55
        )


# --- the public self-registration page -----------------------------------------------------------


class TestJoin:
    def test_registering_per_address(self, world, clock, rates):
        rates(join_address="2/hour", join_account="100/hour")
        client = Client(REMOTE_ADDR=OFFICE)
        assert client.get("/party-members/join/").status_code == 200  # the form is free
        for n in range(2):
            assert client.post("/party-members/join/", {"username": f"u{n}"}).status_code == 400
        response = client.post("/party-members/join/", {"username": "u9"})
        assert_throttled(response, 3595)  # 10:00:05 -> 11:00:00
        assert 'data-testid="throttled"' in response.content.decode()
        assert Client(REMOTE_ADDR=ELSEWHERE).post("/party-members/join/", {}).status_code == 400

    def test_registering_per_account(self, world, clock, rates):
        rates(join_address="100/hour", join_account="2/hour")
        for n in range(2):
            Client(REMOTE_ADDR=f"10.9.2.{n}").post("/party-members/join/", {"username": "zhang"})
        response = Client(REMOTE_ADDR="10.9.2.9").post(
            "/party-members/join/", {"username": "Zhang"}
        )
        assert_throttled(response, 3595)

    def test_community_search_per_address(self, world, clock, rates):
        rates(join_search_address="3/minute")
        client = Client(REMOTE_ADDR=OFFICE)
        url = f"/party-members/join/communities/?tenant={world.city.tenant_id}&community=东华"
        assert [client.get(url).status_code for _ in range(3)] == [200] * 3
        assert_throttled(client.get(url), 55)
        assert Client(REMOTE_ADDR=ELSEWHERE).get(url).status_code == 200
        clock.shift(timedelta(seconds=55))
        assert client.get(url).status_code == 200


# --- the API's per-user throttles --------------------------------------------------------------------


class TestApi:
    def test_writes_per_user_reads_free(self, world, clock, rates):
        rates(api_write="2/minute")
        client = APIClient()
        client.force_authenticate(world.street_staff)
        for _ in range(2):  # refused by validation, but counted: each is a write
            assert client.post("/api/demands/", {}, format="json").status_code == 400
        response = client.post("/api/demands/", {}, format="json")
        assert response.status_code == 429
        assert response["Retry-After"] == "60"  # DRF's sliding window: the oldest request + 60 s
        assert response.json()["detail"] == "请求过于频繁，请60秒后再试。"
        assert client.get("/api/demands/").status_code == 200  # reading is not limited
        other = APIClient()
        other.force_authenticate(world.sibling_staff)
        assert other.post("/api/demands/", {}, format="json").status_code == 400
        clock.shift(timedelta(seconds=61))
        assert client.post("/api/demands/", {}, format="json").status_code == 400

    def test_bulk_calls_have_their_own_lower_limit(self, world, clock, rates):
        rates(api_write="100/minute", api_bulk="1/hour")
        client = APIClient()
        client.force_authenticate(world.street_staff)
        first = client.post("/api/resources/bulk/", {"rows": []}, format="json")
        assert first.status_code != 429
        response = client.post("/api/resources/bulk/", {"rows": []}, format="json")
        assert response.status_code == 429 and response["Retry-After"] == "3600"
        # Single writes are still allowed.
        assert client.post("/api/demands/", {}, format="json").status_code == 400

"""The site's frame: error pages in the layout and in Chinese with a way back, navigation by
role, the login page's link to self-registration, and a quiet log."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings

from config.logfilters import OncePerMessage, QuietRefusals
from members.models import Role

from .demands.factories import contact_of
from .factories import user_with_role
from .members.factories import unit
from .party_members.factories import party_member
from .security.conftest import as_user

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_404_is_in_the_layout_in_chinese_with_a_way_back(world, client_for):
    response = client_for(world.street_staff).get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and 'data-testid="back-home"' in html
    assert "app-navbar" in html  # the site's layout, with its menu


@override_settings(DEBUG=False)
def test_403_says_why_in_the_layout(world, client_for):
    # A leader may read a demand page but not post to the account pages' forms of a unit...
    response = client_for(world.district_leader).post("/members/units/new/", {})
    assert response.status_code in (403, 404)
    html = response.content.decode()
    assert "app-navbar" in html and 'data-testid="back-home"' in html


def test_500_page_renders_without_a_request_context():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "服务器出错了" in html and "返回首页" in html


def test_api_docs_link_only_for_those_who_use_the_api(world):
    plant = unit(world.street, name="北京公交集团客车厂")
    contact = contact_of(plant)
    member = party_member(world.community, actor=world.community_staff)
    assert (
        'data-testid="nav-api-docs"'
        in as_user(world.tenant_admin).get("/accounts/profile/").content.decode()
    )
    assert (
        'data-testid="nav-api-docs"' in as_user(contact).get("/accounts/profile/").content.decode()
    )
    assert (
        'data-testid="nav-api-docs"'
        not in as_user(member.user).get("/accounts/profile/").content.decode()
    )
    assert (
        'data-testid="nav-api-docs"'
        not in as_user(world.street_staff).get("/accounts/profile/").content.decode()
    )


def test_roster_in_the_menu_for_community_staff(world):
    html = as_user(world.community_staff).get("/accounts/profile/").content.decode()
    assert f"/party-members/committees/{world.community.pk}/roster/" in html
    assert (
        'data-testid="nav-roster"'
        not in as_user(world.district_leader).get("/accounts/profile/").content.decode()
    )


def test_account_management_in_the_menu_for_managers_only(world):
    assert (
        'data-testid="nav-accounts"'
        in as_user(world.tenant_admin).get("/accounts/profile/").content.decode()
    )
    assert (
        'data-testid="nav-accounts"'
        not in as_user(world.street_staff).get("/accounts/profile/").content.decode()
    )
    sysadmin = user_with_role(Role.SYSTEM_ADMIN, world.city)
    assert (
        'data-testid="nav-accounts"' in as_user(sysadmin).get("/accounts/profile/").content.decode()
    )


def test_login_page_links_to_self_registration():
    html = Client().get("/accounts/login/").content.decode()
    assert "/party-members/join/" in html


def test_no_language_switch():
    html = Client().get("/accounts/login/").content.decode()
    assert 'name="language"' not in html


# --- the log ------------------------------------------------------------------------------------


def record(status, exc=True, path="/x/"):
    try:
        raise PermissionDenied
    except PermissionDenied:
        import sys

        info = sys.exc_info() if exc else None
    rec = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Forbidden: %s", (path,), info
    )
    rec.status_code = status

    class Request:
        pass

    rec.request = Request()
    rec.request.path = path
    return rec


def test_a_refusal_is_one_line_without_a_traceback():
    rec = record(403)
    assert QuietRefusals().filter(rec) and rec.exc_info is None
    assert not QuietRefusals().filter(record(400))  # a form sent back: the user was told
    assert QuietRefusals().filter(record(400, path="/api/demands/"))
    server_error = record(500)
    assert QuietRefusals().filter(server_error) and server_error.exc_info is not None


def test_each_warning_once():
    once = OncePerMessage()
    a = logging.LogRecord("py.warnings", logging.WARNING, "", 0, "deprecated thing", (), None)
    b = logging.LogRecord("py.warnings", logging.WARNING, "", 0, "deprecated thing", (), None)
    assert once.filter(a) and not once.filter(b)


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    "path", ["/api/no-such-list/", "/api/demands/1.5/", "/api/accounts/0.6/grants/"]
)
def test_an_api_address_that_matches_no_route_answers_404_in_json(world, path):
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=world.street_staff)[0].key
    response = Client().post(path, {}, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


@override_settings(DEBUG=False)
def test_a_page_address_that_matches_no_route_keeps_the_html_page(world, client_for):
    response = client_for(world.street_staff).get("/demands/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "页面不存在" in response.content.decode()


@override_settings(DEBUG=False)
def test_an_api_crash_answers_500_in_json(world, rf):
    from config.errors import server_error

    response = server_error(rf.get("/api/demands/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "detail" in json.loads(response.content)
    assert server_error(rf.get("/demands/"))["Content-Type"].startswith("text/html")

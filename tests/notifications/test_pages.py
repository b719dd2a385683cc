"""The inbox, its badge, preferences and the webhook pages: what each persona sees, and what
nobody else's request can reach."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Role
from notifications.models import Delivery, Mode, Notification, Preference, WebhookEndpoint

from ..committees.test_isolation import all_url_names_with_pk
from ..factories import user_with_role
from .conftest import endpoint, notify

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def notes_for(user, count, start=0, **kw):
    for n in range(start, start + count):
        notify([user], key=f"n{n}", title=f"通知{n:03d}", link=f"/demands/{n}/", **kw)


def queries(client, url, **extra) -> tuple[int, int]:
    """How many queries a page costs, and how many of them read notifications."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    return len(sql), sum('FROM "notifications_notification"' in q for q in sql)


# --- the inbox ----------------------------------------------------------------------------------


class TestInbox:
    def test_lists_own_notifications_unread_highlighted(self, world, client_for):
        notes_for(world.street_staff, 2)
        notes_for(world.sibling_staff, 1, start=10)
        Notification.objects.filter(key="n0").update(read_at="2026-01-01T00:00:00Z")
        html = client_for(world.street_staff).get(reverse("notifications:inbox")).content.decode()
        assert "通知000" in html and "通知001" in html and "通知010" not in html
        assert html.count('data-unread="1"') == 1 and html.count('data-unread="0"') == 1
        assert "1条未读" in html
        own = Notification.objects.get(recipient=world.street_staff, key="n1")
        assert reverse("notifications:open", args=[own.pk]) in html

    def test_unread_filter_and_pagination(self, world, client_for):
        notes_for(world.street_staff, 25)
        client = client_for(world.street_staff)
        first = client.get(reverse("notifications:inbox")).content.decode()
        assert first.count('data-testid="notification"') == 20 and "通知024" in first
        second = client.get(reverse("notifications:inbox") + "?page=2").content.decode()
        assert second.count('data-testid="notification"') == 5 and "通知000" in second
        Notification.objects.filter(key__in=["n1", "n2"]).update(read_at="2026-01-01T00:00:00Z")
        unread = client.get(reverse("notifications:inbox") + "?unread=1&page=2").content.decode()
        assert "通知003" in unread and "通知000" in unread and "通知001" not in unread
        assert "?unread=1&page=1" in unread  # the filter survives paging

    def test_a_fixed_number_of_queries_whatever_the_page_holds(self, world, client_for):
        client = client_for(world.street_staff)
        url = reverse("notifications:inbox")
        notes_for(world.street_staff, 2)
        few = queries(client, url)
        notes_for(world.street_staff, 40, start=2)
        assert queries(client, url) == few
        assert few[1] == 3  # the page's count, its rows, the unread count

    def test_the_list_polls_for_newer_notifications(self, world, client_for):
        notes_for(world.street_staff, 1)
        client = client_for(world.street_staff)
        page = client.get(reverse("notifications:inbox")).content.decode()
        newest = Notification.objects.get().pk
        poll = f"{reverse('notifications:inbox')}?fragment=list&after={newest}"
        assert poll.replace("&", "&amp;") in page and 'hx-trigger="every 10s"' in page
        assert client.get(poll, **HX).status_code == 204
        notes_for(world.sibling_staff, 1, start=5)  # someone else's: still nothing new here
        assert client.get(poll, **HX).status_code == 204
        notes_for(world.street_staff, 1, start=1)
        response = client.get(poll, **HX)
        html = response.content.decode()
        assert response.status_code == 200 and "通知001" in html and 'id="inbox-list"' in html
        assert 'hx-swap-oob="innerHTML"' in html and 'data-count="2"' in html


class TestBadge:
    def test_counts_unread_with_a_fixed_number_of_queries(self, world, client_for):
        client = client_for(world.street_staff)
        url = reverse("notifications:badge")
        empty = queries(client, url, **HX)
        assert "unread-count" not in client.get(url, **HX).content.decode()
        notes_for(world.street_staff, 30)
        notes_for(world.sibling_staff, 3, start=100)
        assert queries(client, url, **HX) == empty
        assert empty[1] == 1  # polled by every open page: one COUNT on the unread index
        html = client.get(url, **HX).content.decode()
        assert 'data-count="30"' in html and ">30<" in html

    def test_the_nav_item_polls_every_ten_seconds(self, world, client_for):
        from django.template.loader import render_to_string

        html = render_to_string("notifications/_nav_item.html", {})
        assert f'hx-get="{reverse("notifications:badge")}"' in html
        assert 'hx-trigger="load, every 10s"' in html and 'id="unread-badge"' in html

    def test_a_logged_out_poll_sends_the_page_to_the_login(self, client):
        response = client.get(reverse("notifications:badge"), **HX)
        assert response.status_code == 204 and "/accounts/login/" in response["HX-Redirect"]
        assert client.get(reverse("notifications:badge")).status_code == 302


class TestMarkRead:
    def test_mark_one_read_redraws_item_and_badge(self, world, client_for):
        notes_for(world.street_staff, 2)
        note = Notification.objects.get(key="n0")
        client = client_for(world.street_staff)
        response = client.post(reverse("notifications:read", args=[note.pk]), **HX)
        html = response.content.decode()
        assert response.status_code == 200 and f'id="note-{note.pk}"' in html
        assert 'data-unread="0"' in html and 'data-count="1"' in html
        note.refresh_from_db()
        assert note.read_at is not None
        assert Notification.objects.get(key="n1").read_at is None

    def test_without_htmx_it_goes_back_to_the_inbox(self, world, client_for):
        notes_for(world.street_staff, 1)
        note = Notification.objects.get()
        response = client_for(world.street_staff).post(
            reverse("notifications:read", args=[note.pk])
        )
        assert response.status_code == 302 and response.url == reverse("notifications:inbox")

    def test_opening_marks_read_and_follows_the_link(self, world, client_for):
        notes_for(world.street_staff, 1)
        note = Notification.objects.get()
        response = client_for(world.street_staff).get(reverse("notifications:open", args=[note.pk]))
        assert response.status_code == 302 and response.url == "/demands/0/"
        note.refresh_from_db()
        assert note.read_at is not None

    def test_a_link_off_the_site_is_not_followed(self, world, client_for):
        notify([world.street_staff], key="x", link="https://evil.example/")
        note = Notification.objects.get()
        response = client_for(world.street_staff).get(reverse("notifications:open", args=[note.pk]))
        assert response.url == reverse("notifications:inbox")

    def test_mark_all_read_is_only_ones_own(self, world, client_for):
        notes_for(world.street_staff, 3)
        notes_for(world.sibling_staff, 2, start=10)
        response = client_for(world.street_staff).post(reverse("notifications:read_all"))
        assert response.status_code == 302
        assert not Notification.objects.filter(recipient=world.street_staff, read_at=None).exists()
        assert Notification.objects.filter(recipient=world.sibling_staff, read_at=None).count() == 2


class TestNobodyReadsAnothersInbox:
    @pytest.mark.parametrize(
        "persona", ["sibling_staff", "tenant_admin", "district_leader", "other_admin"]
    )
    def test_read_and_open_are_404_and_change_nothing(self, world, client_for, persona):
        notes_for(world.street_staff, 1)
        note = Notification.objects.get()
        client = client_for(getattr(world, persona))
        assert client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
        assert client.post(reverse("notifications:read", args=[note.pk]), **HX).status_code == 404
        assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 404
        client.post(reverse("notifications:read_all"))
        note.refresh_from_db()
        assert note.read_at is None
        assert "通知000" not in client.get(reverse("notifications:inbox")).content.decode()
        badge = client.get(reverse("notifications:badge"), **HX).content.decode()
        assert "unread-count" not in badge

    def test_anonymous_is_sent_to_login(self, world, client):
        notes_for(world.street_staff, 1)
        note = Notification.objects.get()
        for url in (
            reverse("notifications:inbox"),
            reverse("notifications:preferences"),
            reverse("notifications:open", args=[note.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response.url


# --- preferences --------------------------------------------------------------------------------


class TestPreferencesPage:
    def test_the_grid_of_events_and_channels(self, world, client_for):
        html = client_for(world.street_staff).get(reverse("notifications:preferences")).content
        html = html.decode()
        for label in ("新的匹配", "吹哨报到", "请求评价", "站内消息", "电子邮件", "始终接收"):
            assert label in html
        assert html.count('<select name="email_') == 10 and "每日汇总" in html
        assert "尚未填写电子邮箱" in html  # the persona has no address

    def test_saving_changes_what_is_sent(self, world, client_for, contact):
        client = client_for(contact)
        data = {f"email_{event}": Mode.IMMEDIATE for event in services_events()}
        data["email_new_match"] = Mode.DIGEST
        data["email_claim"] = Mode.OFF
        response = client.post(reverse("notifications:preferences"), data)
        assert response.status_code == 302
        assert dict(Preference.objects.filter(user=contact).values_list("event", "mode"))[
            "new_match"
        ] == (Mode.DIGEST)
        notify([contact], key="m1", event="new_match")
        notify([contact], key="c1", event="claim")
        notify([contact], key="w1", event="whistle")
        assert list(Delivery.objects.values_list("notification__event", flat=True)) == ["whistle"]
        html = client.get(reverse("notifications:preferences")).content.decode()
        assert '<option value="digest" selected>' in html

    def test_a_bad_mode_changes_nothing(self, world, client_for):
        data = {f"email_{event}": "loud" for event in services_events()}
        response = client_for(world.street_staff).post(reverse("notifications:preferences"), data)
        assert response.status_code == 400 and not Preference.objects.exists()


def services_events():
    from notifications.models import Event

    return Event.values


# --- webhook endpoints --------------------------------------------------------------------------


@pytest.fixture
def endpoints(world):
    return {
        "street": endpoint(world.street, "https://hooks.example.cn/street", name="东华门值班"),
        "sibling": endpoint(world.sibling_street, "https://hooks.example.cn/js", name="景山值班"),
        "other": endpoint(world.other_street, "https://hooks.example.cn/sh", name="南京东路值班"),
    }


OBJECT_PAGES = [
    ("notifications:webhook_detail", "get"),
    ("notifications:webhook_disable", "post"),
    ("notifications:webhook_enable", "post"),
]


def state():
    return list(WebhookEndpoint.objects.order_by("pk").values_list("pk", "is_active", "name"))


class TestWebhookPages:
    def test_an_administrator_lists_their_subtree_only(self, world, client_for, endpoints):
        html = client_for(world.tenant_admin).get(reverse("notifications:webhook_list")).content
        html = html.decode()
        assert "东华门值班" in html and "景山值班" in html and "南京东路值班" not in html

    def test_an_administrator_of_one_street_sees_that_street_only(
        self, world, client_for, endpoints
    ):
        admin = user_with_role(Role.TENANT_ADMIN, world.sibling_street, username="js_admin")
        client = client_for(admin)
        html = client.get(reverse("notifications:webhook_list")).content.decode()
        assert "景山值班" in html and "东华门值班" not in html
        street = endpoints["street"]
        for name, method in OBJECT_PAGES:
            url = reverse(name, args=[street.pk])
            assert getattr(client, method)(url).status_code == 404

    def test_creating_a_standard_webhook_generates_its_secret(self, world, client_for):
        client = client_for(world.tenant_admin)
        response = client.post(
            reverse("notifications:webhook_create"),
            {
                "name": "区网格系统",
                "committee": "东华门街道",
                "format": "standard",
                "url": "https://grid.example.cn/hook",
                "events": ["whistle", "overdue"],
            },
        )
        assert response.status_code == 302
        created = WebhookEndpoint.objects.get(name="区网格系统")
        assert created.committee == world.street and created.tenant == world.city.tenant
        assert created.secret.startswith("whsec_") and created.events == ["overdue", "whistle"]
        html = client.get(response.url).content.decode()
        assert created.secret in html and "吹哨报到" in html and "webhook-signature" in html

    def test_a_committee_outside_the_scope_is_a_form_error(self, world, client_for):
        admin = user_with_role(Role.TENANT_ADMIN, world.sibling_street, username="js_admin")
        data = {"name": "x", "format": "wecom", "url": "https://qyapi.weixin.qq.com/x"}
        for reference in ("东华门街道", "110101001000", "南京东路街道"):
            response = client_for(admin).post(
                reverse("notifications:webhook_create"), {**data, "committee": reference}
            )
            assert response.status_code == 400 and "找不到" in response.content.decode()
        assert not WebhookEndpoint.objects.exists()

    def test_bad_input_is_explained(self, world, client_for):
        response = client_for(world.tenant_admin).post(
            reverse("notifications:webhook_create"),
            {"name": "", "format": "dingtalk", "url": "ftp://x", "secret": "abc"},
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert 'data-field="name"' in html and 'data-field="url"' in html and "SEC" in html
        assert not WebhookEndpoint.objects.exists()

    def test_the_default_committee_is_the_outermost_managed(self, world, client_for):
        client_for(world.tenant_admin).post(
            reverse("notifications:webhook_create"),
            {"name": "全市", "format": "wecom", "url": "https://qyapi.weixin.qq.com/x?key=1"},
        )
        assert WebhookEndpoint.objects.get().committee == world.city

    def test_disable_and_enable(self, world, client_for, endpoints):
        client = client_for(world.tenant_admin)
        street = endpoints["street"]
        client.post(reverse("notifications:webhook_disable", args=[street.pk]))
        street.refresh_from_db()
        assert not street.is_active
        client.post(reverse("notifications:webhook_enable", args=[street.pk]))
        street.refresh_from_db()
        assert street.is_active

    def test_the_detail_lists_recent_deliveries(self, world, client_for, receiver):
        hook = endpoint(world.street, receiver.url + "/hook")
        notify(committee=world.community, key="e1", recipients=[])
        html = client_for(world.tenant_admin).get(
            reverse("notifications:webhook_detail", args=[hook.pk])
        )
        assert "已发送" in html.content.decode()


class TestWebhookIsolation:
    @pytest.mark.parametrize("name,method", OBJECT_PAGES)
    @pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
    def test_outside_the_subtree_or_tenant_is_404(
        self, world, client_for, endpoints, name, method, persona
    ):
        before = state()
        client = client_for(getattr(world, persona))
        response = getattr(client, method)(reverse(name, args=[endpoints["street"].pk]))
        assert response.status_code == 404
        assert state() == before

    @pytest.mark.parametrize("name,method", OBJECT_PAGES)
    def test_a_unit_contact_gets_404(self, world, client_for, endpoints, contact, name, method):
        response = getattr(client_for(contact), method)(
            reverse(name, args=[endpoints["street"].pk])
        )
        assert response.status_code == 404

    @pytest.mark.parametrize("name,method", OBJECT_PAGES)
    @pytest.mark.parametrize("persona", ["street_staff", "district_leader"])
    def test_readers_inside_the_subtree_who_are_not_administrators_get_403(
        self, world, client_for, endpoints, name, method, persona
    ):
        before = state()
        response = getattr(client_for(getattr(world, persona)), method)(
            reverse(name, args=[endpoints["street"].pk])
        )
        assert response.status_code == 403
        assert state() == before

    @pytest.mark.parametrize("persona", ["street_staff", "district_leader", "sibling_staff"])
    def test_the_list_and_creation_are_for_administrators(self, world, client_for, persona):
        client = client_for(getattr(world, persona))
        assert client.get(reverse("notifications:webhook_list")).status_code == 403
        assert client.get(reverse("notifications:webhook_create")).status_code == 403
        response = client.post(
            reverse("notifications:webhook_create"),
            {"name": "x", "format": "wecom", "url": "https://qyapi.weixin.qq.com/x"},
        )
        assert response.status_code == 403 and not WebhookEndpoint.objects.exists()

    def test_another_tenants_administrator_sees_only_their_own(self, world, client_for, endpoints):
        html = client_for(world.other_admin).get(reverse("notifications:webhook_list")).content
        assert "南京东路值班" in html.decode() and "东华门值班" not in html.decode()

    def test_every_url_taking_an_object_is_in_an_isolation_table(self):
        covered = {name for name, _method in OBJECT_PAGES} | {
            "notifications:read",
            "notifications:open",
        }
        uncovered = {n for n in all_url_names_with_pk() if n.startswith("notifications:")} - covered
        assert not uncovered, f"add these URLs to the isolation tests: {sorted(uncovered)}"

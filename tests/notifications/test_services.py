"""The outbox: notify, preferences and the digest, the webhook formats, robot batching, retries."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from notifications import services, webhooks
from notifications.models import (
    Channel,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Mode,
    Notification,
    Preference,
)

from ..factories import UserFactory
from .conftest import committed, endpoint, notify

pytestmark = pytest.mark.django_db


def user_with_email(world, name="zhang", **kw):
    return UserFactory(tenant=world.city.tenant, username=name, email=f"{name}@example.cn", **kw)


# --- notify -------------------------------------------------------------------------------------


class TestNotify:
    def test_the_same_key_twice_is_one_notification_and_one_delivery(self, world, receiver):
        user = user_with_email(world)
        endpoint(world.street, receiver.url)
        assert notify([user], key="claim:7", committee=world.street) == 1
        assert notify([user], key="claim:7", committee=world.street) == 0
        assert Notification.objects.filter(recipient=user).count() == 1
        assert Delivery.objects.filter(channel=DeliveryChannel.EMAIL).count() == 1
        assert Delivery.objects.filter(channel=DeliveryChannel.WEBHOOK).count() == 1
        assert len(mail.outbox) == 1 and receiver.count() == 1

    def test_the_email_goes_after_commit_and_says_what_happened(self, world):
        user = user_with_email(world)
        notify([user], title="景山街道认领了需求", body="可提供30人次", link="/demands/5/")
        (message,) = mail.outbox
        assert message.to == ["zhang@example.cn"]
        assert message.subject == "景山街道认领了需求"
        assert "可提供30人次" in message.body and "/demands/5/" in message.body
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1

    def test_a_rolled_back_change_notifies_nobody(self, world):
        user = user_with_email(world)
        with (
            TestCase.captureOnCommitCallbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            services.notify(
                tenant_id=user.tenant_id, recipients=[user], event="claim", title="t", key="x"
            )
            raise RuntimeError("the business change failed")
        assert not Notification.objects.exists() and not Delivery.objects.exists()
        assert mail.outbox == []

    def test_users_without_email_get_the_inbox_only(self, world):
        notify([world.street_staff])
        assert Notification.objects.filter(recipient=world.street_staff).exists()
        assert not Delivery.objects.exists()

    def test_a_long_key_is_shortened_and_stays_distinct(self, world):
        base = "match:1:" + ",".join(str(n) for n in range(100, 200))
        notify([world.street_staff], key=base + ",1")
        notify([world.street_staff], key=base + ",2")
        keys = list(Notification.objects.values_list("key", flat=True))
        assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) <= 200 for k in keys)

    @pytest.mark.parametrize("way", ["set_based", "portable"])
    def test_both_ways_of_writing_make_the_same_rows(self, world, monkeypatch, way):
        """PostgreSQL writes a bulletin in one statement; the embedded SQLite goes through the
        ORM. Both are run here (on PostgreSQL) against the same expectations."""
        if way == "portable":
            monkeypatch.setattr(services, "inbox_and_emails_set_based", services.inbox_and_emails)
        queued: list[int] = []
        monkeypatch.setattr(services, "enqueue", queued.extend)
        mail_user, digest_user = user_with_email(world, "mail"), user_with_email(world, "digest")
        no_email = world.street_staff
        gone = user_with_email(world, "gone")
        gone.is_active = False
        services.preferences_save(user=digest_user, email_modes={"bulletin": Mode.DIGEST})
        notify([mail_user], key="b1", event="bulletin", title="通报")  # already has it
        Delivery.objects.all().delete()
        queued.clear()
        users = [mail_user, digest_user, no_email, gone, digest_user]

        created = notify(users, key="b1", event="bulletin", title="通报", body="正文", link="/x/")
        assert created == 2 and notify(users, key="b1", event="bulletin", title="通报") == 0
        assert sorted(
            Notification.objects.filter(key="b1").values_list("recipient__username", "title")
        ) == sorted([("digest", "通报"), ("mail", "通报"), (no_email.username, "通报")])
        assert not Delivery.objects.exists()  # the digest, no address, and the one who had it

        recipient = user_with_email(world, "new")
        assert notify([recipient, mail_user], key="b1", event="bulletin", title="通报", body="正文")
        note = Notification.objects.get(recipient=recipient, key="b1")
        (delivery,) = Delivery.objects.all()
        assert (delivery.key, delivery.channel, delivery.status, delivery.attempts) == (
            f"email:{note.pk}",
            DeliveryChannel.EMAIL,
            DeliveryStatus.PENDING,
            0,
        )
        assert delivery.payload == {
            "to": "new@example.cn",
            "subject": "通报",
            "body": "正文",
            "attachments": [],
        }
        assert delivery.notification_id == note.pk and note.event == "bulletin"
        assert queued == [delivery.pk]

    def test_webhooks_hear_their_subtree_and_the_events_they_chose(self, world, receiver):
        endpoint(world.city, receiver.url + "/city")
        endpoint(world.street, receiver.url + "/street-claims", events=["claim"])
        endpoint(world.sibling_street, receiver.url + "/sibling")
        endpoint(world.other_city, receiver.url + "/other-tenant")
        notify(committee=world.community, key="a", event="claim", recipients=[world.street_staff])
        notify(committee=world.community, key="b", event="whistle", recipients=[world.street_staff])
        paths = sorted(r.path for r in receiver.requests)
        assert paths == ["/city", "/city", "/street-claims"]


# --- preferences and the digest -----------------------------------------------------------------


class TestNotifyEach:
    """Several messages of one event, each to its own people, in one statement (a new match:
    the handling level's staff and each matched unit's contacts)."""

    def each(self, world, notices, **kw):
        return committed(
            lambda: services.notify_each(
                tenant_id=world.city.tenant_id, event="new_match", notices=notices, **kw
            )
        )

    def test_each_message_reaches_its_own_recipients_in_one_statement(self, world, receiver):
        zhang, li, wang = (user_with_email(world, name) for name in ("zhang", "li", "wang"))
        endpoint(world.street, receiver.url)
        notices = [
            services.Notice(recipients=[zhang, li], title="需求有2个新的匹配资源", key="m:1"),
            services.Notice(recipients=[wang], title="贵单位的资源可对接需求", key="m:1:u9"),
        ]
        with CaptureQueriesContext(connection) as queries:
            created = services.notify_each(
                tenant_id=world.city.tenant_id,
                event="new_match",
                notices=notices,
                committee=world.street,
            )
        assert created == 3
        inserts = [q for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
        notification_writes = [q for q in inserts if "notifications_notification" in q["sql"]]
        assert len(notification_writes) == 1  # every inbox row and email at once
        titles = dict(Notification.objects.values_list("recipient__username", "title"))
        assert titles == {
            "zhang": "需求有2个新的匹配资源",
            "li": "需求有2个新的匹配资源",
            "wang": "贵单位的资源可对接需求",
        }
        emails = Delivery.objects.filter(channel=DeliveryChannel.EMAIL)
        assert sorted(d.payload["to"] for d in emails) == [
            "li@example.cn",
            "wang@example.cn",
            "zhang@example.cn",
        ]
        assert {d.payload["subject"] for d in emails if d.payload["to"] == "wang@example.cn"} == {
            "贵单位的资源可对接需求"
        }
        # The webhook hears the first message, once.
        assert Delivery.objects.filter(channel=DeliveryChannel.WEBHOOK).count() == 1

    def test_once_per_key_and_preferences_hold(self, world):
        zhang, li = user_with_email(world, "zhang"), user_with_email(world, "li")
        Preference.objects.create(user=li, event="new_match", channel=Channel.EMAIL, mode=Mode.OFF)
        notices = [services.Notice(recipients=[zhang, li], title="t", key="m:2")]
        assert self.each(world, notices) == 2
        assert self.each(world, notices) == 0
        assert Notification.objects.count() == 2
        assert [d.payload["to"] for d in Delivery.objects.all()] == ["zhang@example.cn"]
        assert len(mail.outbox) == 1

    def test_no_recipients_writes_nothing(self, world):
        assert self.each(world, [services.Notice(recipients=[], title="t", key="m:3")]) == 0
        assert not Notification.objects.exists()


class TestPreferences:
    def test_email_off_or_digest_sends_no_immediate_email(self, world):
        user = user_with_email(world)
        services.preferences_save(
            user=user, email_modes={"claim": Mode.OFF, "whistle": Mode.DIGEST}
        )
        notify([user], key="1", event="claim")
        notify([user], key="2", event="whistle")
        notify([user], key="3", event="new_match")
        assert Notification.objects.filter(recipient=user).count() == 3
        assert [m.subject for m in mail.outbox] == ["一条通知"]
        assert Delivery.objects.get().notification.event == "new_match"

    def test_the_inbox_cannot_be_switched_off(self, world):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            services.preference_set(
                user=world.street_staff, event="claim", channel=Channel.INBOX, mode=Mode.OFF
            )
        with pytest.raises(ValidationError):
            services.preferences_save(user=world.street_staff, email_modes={"claim": "loud"})
        assert not Preference.objects.exists()

    def test_saving_twice_updates_in_place(self, world):
        services.preferences_save(user=world.street_staff, email_modes={"claim": Mode.OFF})
        services.preferences_save(user=world.street_staff, email_modes={"claim": Mode.DIGEST})
        assert services.preferences_of(world.street_staff)["claim"] == Mode.DIGEST
        assert services.preferences_of(world.street_staff)["whistle"] == Mode.IMMEDIATE
        assert Preference.objects.count() == 1


class TestDigest:
    def at(self, day, hour, minute=0):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def test_one_email_per_user_per_day_and_idempotent(self, world):
        day = timezone.localdate()
        digest = user_with_email(world, "digest")
        other = user_with_email(world, "other")
        quiet = user_with_email(world, "quiet")
        for user in (digest, other, quiet):
            services.preferences_save(user=user, email_modes={"claim": Mode.DIGEST})
        notify([digest, other], key="c1", event="claim", title="认领一")
        notify([digest], key="c2", event="claim", title="认领二")
        notify([digest], key="w1", event="whistle", title="吹哨（即时）")
        Notification.objects.update(created_at=self.at(day, 9))
        mail.outbox.clear()

        assert committed(lambda: services.digest_send(day=day)) == 2
        assert committed(lambda: services.digest_send(day=day)) == 0
        by_recipient = {m.to[0]: m for m in mail.outbox}
        assert sorted(by_recipient) == ["digest@example.cn", "other@example.cn"]
        body = by_recipient["digest@example.cn"].body
        assert "认领一" in body and "认领二" in body and "吹哨" not in body
        assert "2条消息" in by_recipient["digest@example.cn"].subject
        assert Delivery.objects.filter(key__startswith="digest:").count() == 2

    def test_the_day_is_the_one_whose_digest_hour_has_come(self, world, monkeypatch):
        user = user_with_email(world, "digest")
        services.preferences_save(user=user, email_modes={"claim": Mode.DIGEST})
        today = timezone.localdate()
        notify([user], key="today", event="claim")
        notify([user], key="yesterday", event="claim")
        Notification.objects.filter(key="today").update(created_at=self.at(today, 10))
        Notification.objects.filter(key="yesterday").update(
            created_at=self.at(today - dt.timedelta(days=1), 10)
        )
        for clock, day in (
            (self.at(today, 18, 0), today),
            (self.at(today, 17, 58), today),  # the worker's clock a little behind beat's
            (self.at(today, 12, 0), today - dt.timedelta(days=1)),
        ):
            Delivery.objects.all().delete()
            monkeypatch.setattr(timezone, "now", lambda clock=clock: clock)
            assert committed(lambda: services.digest_send()) == 1
            assert list(Delivery.objects.values_list("key", flat=True)) == [
                f"digest:{user.pk}:{day.isoformat()}"
            ]

    def test_the_windows_of_successive_days_meet_at_the_digest_hour(self, world):
        today = timezone.localdate()
        user = user_with_email(world, "digest")
        services.preferences_save(user=user, email_modes={"claim": Mode.DIGEST})
        notify([user], key="before", event="claim", title="六点前")
        notify([user], key="after", event="claim", title="六点后")
        Notification.objects.filter(key="before").update(created_at=self.at(today, 17, 59))
        Notification.objects.filter(key="after").update(created_at=self.at(today, 18, 1))
        committed(lambda: services.digest_send(day=today))
        committed(lambda: services.digest_send(day=today + dt.timedelta(days=1)))
        first, second = mail.outbox
        assert "六点前" in first.body and "六点后" not in first.body
        assert "六点后" in second.body and "六点前" not in second.body


# --- formats ------------------------------------------------------------------------------------


def standard_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks, spelled out: base64(HMAC-SHA256(base64decode(secret without whsec_),
    "{id}.{timestamp}.{body}"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = message_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


class TestStandardWebhooks:
    def test_the_published_test_vector(self):
        signature = webhooks.standard_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    def test_a_delivery_is_signed_so_the_receiver_can_verify_it(self, world, receiver):
        hook = endpoint(world.street, receiver.url + "/hook")
        assert hook.secret.startswith("whsec_")
        assert len(base64.b64decode(hook.secret.removeprefix("whsec_"))) == 32
        notify(
            [world.street_staff],
            key="claim:9",
            title="认领",
            link="/demands/9/",
            committee=world.community,
        )
        (request,) = receiver.requests
        delivery = Delivery.objects.get(channel=DeliveryChannel.WEBHOOK)
        headers = request.headers
        assert headers["webhook-id"] == delivery.key
        assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 300
        scheme, signature = headers["webhook-signature"].split(",", 1)
        assert scheme == "v1"
        assert signature == standard_signature(
            hook.secret, headers["webhook-id"], headers["webhook-timestamp"], request.body
        )
        payload = request.json()
        assert payload["type"] == "claim"
        assert payload["data"]["title"] == "认领" and payload["data"]["link"] == "/demands/9/"
        assert payload["data"]["committee"]["name"] == "多福巷社区"
        dt.datetime.fromisoformat(payload["timestamp"])  # ISO 8601, as the specification asks

    def test_the_official_library_verifies_what_a_receiver_gets(self, world, receiver):
        """`standardwebhooks` (the specification's own Python library) checks the signature,
        the id and the timestamp of a real delivery as a receiver would."""
        hook = endpoint(world.street, receiver.url + "/hook")
        notify([], key="claim:3", title="认领", committee=world.community)
        (request,) = receiver.requests
        payload = Webhook(hook.secret).verify(request.body, request.headers)
        assert payload["type"] == "claim" and payload["data"]["title"] == "认领"
        with pytest.raises(WebhookVerificationError):
            Webhook(hook.secret).verify(
                request.body.replace("认领".encode(), b"x"), request.headers
            )
        with pytest.raises(WebhookVerificationError):
            Webhook(webhooks.new_standard_secret()).verify(request.body, request.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(hook.secret).verify(request.body, {**request.headers, "webhook-id": "other"})

    def test_the_library_signs_the_published_vector_as_we_do(self):
        secret, message_id, timestamp = (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
        )
        body = '{"test": 2432232314}'
        theirs = Webhook(secret).sign(
            message_id, dt.datetime.fromtimestamp(timestamp, dt.UTC), body
        )
        ours = webhooks.standard_signature(secret, message_id, timestamp, body.encode())
        assert theirs == ours == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    def test_a_resend_keeps_its_id_with_a_fresh_signature(self):
        first = webhooks.standard_request(
            url="http://x", secret="whsec_" + "A" * 44, message_id="m1", event="e", data={}, now=1
        )
        second = webhooks.standard_request(
            url="http://x", secret="whsec_" + "A" * 44, message_id="m1", event="e", data={}, now=2
        )
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == "m1"
        assert first.headers["webhook-signature"] != second.headers["webhook-signature"]


class TestDingTalkSignedUrl:
    SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

    def expected_sign(self, timestamp: str) -> str:
        # DingTalk's documented recipe: HMAC-SHA256 keyed by the secret over "timestamp\nsecret",
        # base64, then URL-encoded.
        digest = hmac.new(
            self.SECRET.encode(), f"{timestamp}\n{self.SECRET}".encode(), hashlib.sha256
        ).digest()
        return base64.b64encode(digest).decode()

    def test_the_url_carries_timestamp_and_sign(self):
        url = webhooks.dingtalk_signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            self.SECRET,
            now_ms=1700000000000,
        )
        base, query = url.split("?", 1)
        params = urllib.parse.parse_qs(query)
        assert base == "https://oapi.dingtalk.com/robot/send"
        assert params["access_token"] == ["abc"] and params["timestamp"] == ["1700000000000"]
        assert params["sign"] == [self.expected_sign("1700000000000")]
        # The sign is URL-encoded in the URL itself (base64 has + / =).
        assert "sign=" + urllib.parse.quote_plus(self.expected_sign("1700000000000")) in url

    # Known answers, computed apart from this code with OpenSSL over DingTalk's documented
    # string to sign:  printf '%s\n%s' "$timestamp" "$secret" |
    #   openssl dgst -sha256 -hmac "$secret" -binary | base64   (then URL-encoded)
    # The first secret is the one of DingTalk's own example; the second's sign has + / and =.
    @pytest.mark.parametrize(
        "secret,timestamp,sign",
        [
            ("this is secret", 1577262236757, "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"),
            (SECRET, 1700000000000, "tnIJJgshG0BPUVcy7l6X8vjNKt%2FqD9CgBEiifXvZ9ic%3D"),
        ],
    )
    def test_known_vectors(self, secret, timestamp, sign):
        url = webhooks.dingtalk_signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=abc", secret, now_ms=timestamp
        )
        assert url == (
            "https://oapi.dingtalk.com/robot/send?access_token=abc"
            f"&timestamp={timestamp}&sign={sign}"
        )

    def test_no_secret_no_signature(self):
        assert webhooks.dingtalk_signed_url("https://x/robot/send?access_token=a", "") == (
            "https://x/robot/send?access_token=a"
        )


# --- robots: batched summaries --------------------------------------------------------------


class TestRobotBatches:
    @pytest.mark.parametrize("format", ["wecom", "dingtalk"])
    def test_25_waiting_make_a_summary_of_20_then_one_of_5(self, world, receiver, format):
        secret = TestDingTalkSignedUrl.SECRET if format == "dingtalk" else ""
        endpoint(world.street, receiver.url + "/robot/send?key=k", format=format, secret=secret)
        for n in range(25):
            notify(committee=world.community, key=f"e{n}", title=f"需求{n:02d}", recipients=[])
        assert receiver.count() == 0  # robots wait for the minute's summary

        assert services.robot_batches_send() == 20
        assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 5
        assert services.robot_batches_send() == 5
        assert services.robot_batches_send() == 0
        assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == 25

        first, second = receiver.requests
        texts = [markdown(format, r) for r in (first, second)]
        assert "20条新消息" in texts[0] and "5条新消息" in texts[1]
        assert [line for line in texts[0].splitlines() if line.startswith("- ")][0].endswith(
            "需求00"
        )
        assert sum(line.startswith("- ") for line in texts[0].splitlines()) == 20
        assert sum(line.startswith("- ") for line in texts[1].splitlines()) == 5
        assert "需求24" in texts[1]
        if format == "dingtalk":
            for request in (first, second):
                sign = TestDingTalkSignedUrl().expected_sign(request.query["timestamp"])
                assert request.query["sign"] == sign and request.query["key"] == "k"

    def test_a_robot_error_code_is_a_failure_retried_later(self, world, receiver):
        endpoint(world.street, receiver.url + "/wecom", format="wecom")
        notify(committee=world.street, key="e1", recipients=[])
        receiver.answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
        assert services.robot_batches_send() == 0
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert "45009" in delivery.last_error
        assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
        receiver.answer(200, {"errcode": 0, "errmsg": "ok"})
        assert services.robot_batches_send() == 0  # not before its backoff
        Delivery.objects.update(next_attempt_at=timezone.now())
        assert services.robot_batches_send() == 1
        assert receiver.count() == 2

    def test_titles_cannot_inject_markdown_and_summaries_fit(self, world, receiver):
        endpoint(world.street, receiver.url + "/wecom", format="wecom")
        for n in range(20):
            notify(committee=world.street, key=f"e{n}", title="[点我](http://evil)" + "长" * 190)
        services.robot_batches_send()
        text = markdown("wecom", receiver.requests[0])
        assert "](http://evil)" not in text
        assert len(text.encode()) <= 4096


def markdown(format: str, request) -> str:
    body = request.json()
    assert body["msgtype"] == "markdown"
    return body["markdown"]["content" if format == "wecom" else "text"]


# --- retries ------------------------------------------------------------------------------------


class TestRetries:
    def test_backoff_doubles_and_is_capped(self):
        assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
        assert services.backoff(30) == dt.timedelta(hours=6)

    def test_failures_back_off_and_give_up_after_max_attempts(self, world, receiver):
        endpoint(world.street, receiver.url + "/down")
        receiver.answer(500, b"down")
        notify(committee=world.street, key="e1", recipients=[])
        delivery = Delivery.objects.get()
        for attempt in range(1, services.MAX_ATTEMPTS + 1):
            delivery.refresh_from_db()
            assert delivery.attempts == attempt and "500" in delivery.last_error
            if attempt == services.MAX_ATTEMPTS:
                break
            assert delivery.status == DeliveryStatus.PENDING
            wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
            assert abs(wait - services.backoff(attempt).total_seconds()) < 5
            # A duplicate task message does not cut the backoff short, nor does the sweep.
            assert services.delivery_send(delivery.pk) == "skipped"
            assert services.deliveries_sweep() == 0
            # Time passes: the sweep takes it up again.
            Delivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
            assert services.deliveries_sweep() == 1
        assert delivery.status == DeliveryStatus.DEAD
        assert receiver.count() == services.MAX_ATTEMPTS
        Delivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        assert services.deliveries_sweep() == 0
        assert receiver.count() == services.MAX_ATTEMPTS

    def test_a_fresh_delivery_goes_at_once_whatever_the_clocks_say(self, world, receiver):
        endpoint(world.street, receiver.url + "/hook")
        with TestCase.captureOnCommitCallbacks(execute=False):
            services.notify(
                tenant_id=world.city.tenant_id,
                recipients=[],
                event="claim",
                title="t",
                key="skewed",
                committee=world.street,
            )
        # Written by a web machine whose clock runs ahead of the worker's.
        Delivery.objects.update(next_attempt_at=timezone.now() + dt.timedelta(seconds=2))
        assert services.delivery_send(Delivery.objects.get().pk) == "sent"

    def test_the_sweep_sends_what_a_lost_message_left_behind(self, world, receiver):
        endpoint(world.street, receiver.url + "/hook")
        # The commit happens, but the queued message is lost (the on-commit work never runs).
        with TestCase.captureOnCommitCallbacks(execute=False):
            services.notify(
                tenant_id=world.city.tenant_id,
                recipients=[],
                event="claim",
                title="t",
                key="lost",
                committee=world.street,
            )
        assert receiver.count() == 0
        assert services.deliveries_sweep() == 1
        assert receiver.count() == 1
        assert services.deliveries_sweep() == 0

    def test_a_disabled_endpoint_gets_nothing_more(self, world, receiver):
        hook = endpoint(world.street, receiver.url + "/hook")
        with TestCase.captureOnCommitCallbacks(execute=False):
            services.notify(
                tenant_id=world.city.tenant_id,
                recipients=[],
                event="claim",
                title="t",
                key="queued",
                committee=world.street,
            )
        services.webhook_endpoint_set_active(actor=world.tenant_admin, endpoint=hook, active=False)
        services.deliveries_sweep()
        assert Delivery.objects.get().status == DeliveryStatus.DEAD
        notify(committee=world.street, key="after", recipients=[])
        assert Delivery.objects.count() == 1 and receiver.count() == 0

    def test_emails_of_a_chunk_share_one_connection(self, world, monkeypatch):
        users = [user_with_email(world, f"u{n}") for n in range(3)]
        opened = []
        from django.core.mail.backends.locmem import EmailBackend

        original = EmailBackend.open

        def counting_open(self):
            opened.append(self)
            return original(self)

        monkeypatch.setattr(EmailBackend, "open", counting_open)
        notify(users, key="bulletin", event="bulletin")
        assert len(mail.outbox) == 3 and len(opened) == 1


def test_payloads_are_plain_json(world, receiver):
    """Lazy translations and other objects never reach a JSON column."""
    from django.utils.translation import gettext_lazy

    endpoint(world.street, receiver.url + "/hook")
    notify(committee=world.street, key="lazy", title=gettext_lazy("通报"), recipients=[])
    assert json.loads(receiver.requests[0].body)["data"]["title"] == "通报"


# --- batches ------------------------------------------------------------------------------------


def pending(action):
    """Write deliveries and commit, leaving their queueing undone: returns their ids."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        action()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def events_for(committee, n):
    """n events at the committee: one webhook delivery each per endpoint hearing it."""
    for number in range(n):
        services.notify(
            tenant_id=committee.tenant_id,
            recipients=[],
            event="claim",
            title=f"事件{number}",
            key=f"e{number}",
            committee=committee,
        )


class Died(BaseException):
    """The worker's death in the middle of a batch (not an Exception: nothing catches it)."""


class TestBatches:
    def test_a_batch_takes_the_same_queries_for_one_delivery_or_many(
        self, world, settings, receiver
    ):
        settings.NOTIFICATIONS_DELIVERY_BATCH = 10
        endpoint(world.street, receiver.url + "/hook")
        one = pending(lambda: events_for(world.street, 1))
        with CaptureQueriesContext(connection) as single:
            assert services.deliveries_send(one) == {"sent": 1}
        Delivery.objects.all().delete()
        many = pending(lambda: events_for(world.street, 7))
        with CaptureQueriesContext(connection) as batch:
            assert services.deliveries_send(many) == {"sent": 7}
        assert len(batch) == len(single)  # the claim and one UPDATE, in a savepoint here
        assert receiver.count() == 8

        settings.NOTIFICATIONS_DELIVERY_BATCH = 3
        Delivery.objects.all().delete()
        seven = pending(lambda: events_for(world.street, 7))
        with CaptureQueriesContext(connection) as batches:
            assert services.deliveries_send(seven) == {"sent": 7}
        assert len(batches) == 3 * len(single)  # 3 + 3 + 1

    def test_a_batch_that_dies_midway_is_sent_again_whole_with_the_same_ids(
        self, world, settings, receiver, monkeypatch
    ):
        settings.NOTIFICATIONS_DELIVERY_BATCH = 3
        endpoint(world.street, receiver.url + "/hook")
        ids = pending(lambda: events_for(world.street, 3))
        real_transmit, calls = services.transmit, []

        def dies_after_the_second(delivery, mailer):
            real_transmit(delivery, mailer)
            calls.append(delivery.key)
            if len(calls) == 2:
                raise Died

        monkeypatch.setattr(services, "transmit", dies_after_the_second)
        with pytest.raises(Died):
            services.deliveries_send(ids)
        rows = Delivery.objects.values_list("status", "attempts")
        assert set(rows) == {(DeliveryStatus.PENDING, 0)}  # the whole batch rolled back
        assert receiver.count() == 2

        monkeypatch.setattr(services, "transmit", real_transmit)
        assert services.deliveries_send(ids) == {"sent": 3}
        first, second, third = Delivery.objects.order_by("pk").values_list("key", flat=True)
        # The two sends of the dead batch are repeated, with their webhook-id unchanged.
        assert receiver.webhook_ids() == [first, second, first, second, third]

    def test_an_email_sent_again_keeps_its_message_id(self, world, settings, monkeypatch):
        settings.NOTIFICATIONS_DELIVERY_BATCH = 2
        users = [user_with_email(world, name) for name in ("li", "wang")]
        ids = pending(lambda: services.notify(
            tenant_id=world.city.tenant_id, recipients=users, event="claim", title="t", key="k"
        ))  # fmt: skip
        real_transmit = services.transmit

        def dies_after_the_first(delivery, mailer):
            real_transmit(delivery, mailer)
            raise Died

        monkeypatch.setattr(services, "transmit", dies_after_the_first)
        with pytest.raises(Died):
            services.deliveries_send(ids)
        monkeypatch.setattr(services, "transmit", real_transmit)
        assert services.deliveries_send(ids) == {"sent": 2}
        message_ids = [m.message()["Message-ID"] for m in mail.outbox]
        expected = [services.email_message_id(d) for d in Delivery.objects.order_by("pk")]
        assert message_ids == [expected[0], *expected] and len(set(expected)) == 2

    def test_a_failure_in_a_batch_does_not_hold_back_the_others(self, world, receiver):
        endpoint(world.street, receiver.url + "/hook", name="好的")
        # Allowed (127.0.0.0/8), but nothing listens there: the connection is refused.
        endpoint(world.street, f"http://127.0.0.2:{receiver.port}/down", name="坏的")
        ids = pending(lambda: events_for(world.street, 1))
        assert services.deliveries_send(ids) == {"sent": 1, "failed": 1}
        good, bad = (Delivery.objects.get(endpoint__name=name) for name in ("好的", "坏的"))
        assert good.status == DeliveryStatus.SENT and receiver.count() == 1
        assert bad.status == DeliveryStatus.PENDING and bad.attempts == 1
        assert "ConnectionRefusedError" in bad.last_error

"""Notifying people: write the outbox in the caller's transaction, deliver after commit.

`notify` is what business services call, inside their own transaction, with the recipients and
the words. It writes the in-app notifications (the authority) and one delivery row per outside
channel; Celery sends them once the transaction commits, and a once-a-minute sweep sends whatever
a lost broker message, a killed worker or a failed send left behind.

Writing costs what the statement costs, not what the recipients number: on PostgreSQL one
statement inserts a bulletin's notifications and their email deliveries together (the
recipients passed as arrays, existing rows left alone by ON CONFLICT DO NOTHING) and returns the
new deliveries' ids, which are queued after the commit in messages of `ENQUEUE_CHUNK` ids.

Sending goes in batches of `NOTIFICATIONS_DELIVERY_BATCH` (50): one transaction claims the
batch's rows that are still pending and due (`SELECT … FOR UPDATE SKIP LOCKED`, one query), sends
each, marks the sent ones in one UPDATE and the failed ones in one more, and commits. So a
delivery costs its send plus a fiftieth of three round trips and a commit, where it used to
cost all of them; and more workers go faster, each skipping the rows another holds.

Exactly once, as far as it can be had: a delivery row is unique by its key, so raising an event
twice never makes a second delivery. A row is sent only while locked and pending, and turns
`sent` in the same transaction: two workers never send one row at once, and a sent row is never
sent again. What batching changes is what a killed worker repeats. It dies inside a batch's
transaction, which rolls back: every row of that batch is pending again, including those it had
already sent, and the sweep (or the task's redelivery) sends them again. So a killed worker
process repeats at most one batch, at most `NOTIFICATIONS_DELIVERY_BATCH` sends (a worker of
concurrency c: c batches), each with the same idempotency key it had the first time: the
`webhook-id` of a Standard Webhook, the Message-ID of an email. A receiver that drops an id it
has seen gets each delivery once. (Group robots take summaries with no id: see
`robot_batch_send`.) `tests/notifications/test_delivery_reliability.py` kills a worker at the
last send of a batch and checks that exactly that batch is repeated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Errors
from core.scoping import Action, ensure_in_scope

from . import egress, policies, webhooks
from .models import (
    KEY_LENGTH,
    Channel,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Event,
    Mode,
    Notification,
    Preference,
    WebhookEndpoint,
    WebhookFormat,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DELIVERY_BATCH = 50  # the default of NOTIFICATIONS_DELIVERY_BATCH
ENQUEUE_CHUNK = 500
ROBOT_BATCH = 20  # a group robot takes about 20 messages a minute: one summary a minute
DIGEST_ITEMS = 200
DIGEST_CLOCK_GRACE = dt.timedelta(minutes=5)
ROBOT_LINE_CHARS = 60


@dataclass(frozen=True)
class Recipient:
    """Someone to notify who is not at hand as a user object."""

    id: int
    email: str = ""
    is_active: bool = True

    @property
    def pk(self) -> int:
        return self.id


def bounded_key(key: str) -> str:
    """A key that fits its column: a long one keeps its start and ends in a digest of the whole,
    so two different long keys stay different."""
    key = str(key)
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_LENGTH - 66]}~{digest}"


def site_url(link: str) -> str:
    """A link as someone outside the site needs it (email, robots): absolute when the site's
    address is configured (`SITE_URL`)."""
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{link}" if link.startswith("/") and base else link


# --- the outbox -----------------------------------------------------------------------------------


def notify(
    *,
    tenant_id: int,
    recipients: Iterable,
    event: str,
    title: str,
    key: str,
    body: str = "",
    link: str = "",
    committee=None,
) -> int:
    """Notify users of an event, once per (user, key), inside the caller's transaction.

    Each recipient gets an inbox notification, and an email unless they chose the daily digest
    or no email for this event. `committee` is where the event happened: webhook endpoints of
    that committee and its ancestors hear it too, once per key. Returns how many notifications
    are new."""
    message = Message(
        tenant_id=tenant_id,
        event=event,
        title=str(title)[:200],
        body=str(body),
        link=str(link)[:300],
        key=bounded_key(key),
        created_at=timezone.now(),
    )
    users = {user.pk: user for user in recipients if getattr(user, "is_active", True)}
    write = inbox_and_emails_set_based if connection.vendor == "postgresql" else inbox_and_emails
    created, delivery_ids = write(message, users) if users else (0, [])
    if committee is not None:
        delivery_ids += webhook_deliveries_write(message, committee)
    enqueue_ids_after_commit(delivery_ids)
    return created


@dataclass(frozen=True)
class Message:
    """One event's words, as every recipient gets them: the fields of its notifications."""

    tenant_id: int
    event: str
    title: str
    body: str
    link: str
    key: str
    created_at: dt.datetime

    @property
    def email_text(self) -> str:
        return "\n\n".join(part for part in (self.body, site_url(self.link)) if part)


def inbox_and_emails_set_based(message: Message, users: dict) -> tuple[int, list[int]]:
    """PostgreSQL: the notifications and their email deliveries in one statement, whatever the
    number of recipients (a bulletin to all 17,000 member units): the recipients travel as two
    arrays, the rows that already exist are left alone (ON CONFLICT DO NOTHING), and the ids of
    the new deliveries come back for the queue. Returns (new notifications, delivery ids)."""
    ids = list(users)
    emails = [users[pk].email or "" for pk in ids]
    notification_table = Notification._meta.db_table
    delivery_table = Delivery._meta.db_table
    preference_table = Preference._meta.db_table
    sql = f"""
        WITH recipient AS (
            SELECT * FROM unnest(%(ids)s::bigint[], %(emails)s::text[]) AS r (id, email)
        ), fresh AS (
            INSERT INTO {notification_table}
                (tenant_id, recipient_id, event, title, body, link, key, created_at)
            SELECT %(tenant)s, recipient.id, %(event)s, %(title)s, %(body)s, %(link)s,
                   %(key)s, %(now)s
            FROM recipient
            ON CONFLICT DO NOTHING
            RETURNING id, recipient_id
        ), email AS (
            INSERT INTO {delivery_table}
                (tenant_id, notification_id, channel, key, payload, status, attempts,
                 next_attempt_at, last_error, created_at)
            SELECT %(tenant)s, fresh.id, %(channel)s, %(channel)s || ':' || fresh.id,
                   jsonb_build_object(
                       'to', recipient.email, 'subject', %(title)s::text, 'body', %(text)s::text
                   ),
                   %(pending)s, 0, %(now)s, '', %(now)s
            FROM fresh JOIN recipient ON recipient.id = fresh.recipient_id
            WHERE recipient.email <> '' AND NOT EXISTS (
                SELECT 1 FROM {preference_table} held
                WHERE held.user_id = fresh.recipient_id AND held.event = %(event)s
                  AND held.channel = %(channel)s AND held.mode = ANY (%(held)s)
            )
            ON CONFLICT DO NOTHING
            RETURNING id
        )
        SELECT (SELECT count(*) FROM fresh), (SELECT array_agg(id ORDER BY id) FROM email)
    """
    params = {
        "ids": ids,
        "emails": emails,
        "tenant": message.tenant_id,
        "event": message.event,
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "key": message.key,
        "now": message.created_at,
        "channel": DeliveryChannel.EMAIL.value,
        "text": message.email_text,
        "pending": DeliveryStatus.PENDING.value,
        "held": [Mode.OFF.value, Mode.DIGEST.value],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created, delivery_ids = cursor.fetchone()
    return created, list(delivery_ids or [])


def inbox_and_emails(message: Message, users: dict) -> tuple[int, list[int]]:
    """The same through the ORM, for the embedded database (SQLite)."""
    existing = notification_ids(message, list(users))
    fields = dataclasses.asdict(message)
    fresh = [Notification(recipient_id=pk, **fields) for pk in users if pk not in existing]
    if not fresh:
        return 0, []
    Notification.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
    created = notification_ids(message, [n.recipient_id for n in fresh])
    held = set(
        Preference.objects.filter(
            user_id__in=list(created),
            event=message.event,
            channel=Channel.EMAIL,
            mode__in=[Mode.OFF, Mode.DIGEST],
        ).values_list("user_id", flat=True)
    )
    emails = [
        Delivery(
            tenant_id=message.tenant_id,
            notification_id=notification_id,
            channel=DeliveryChannel.EMAIL,
            key=f"{DeliveryChannel.EMAIL}:{notification_id}",
            payload={"to": users[pk].email, "subject": message.title, "body": message.email_text},
            next_attempt_at=message.created_at,
            created_at=message.created_at,
        )
        for pk, notification_id in created.items()
        if users[pk].email and pk not in held
    ]
    return len(fresh), write_deliveries(emails)


def notification_ids(message: Message, recipient_ids: list[int]) -> dict[int, int]:
    """{recipient id: notification id} of the message's notifications to these recipients."""
    return dict(
        Notification.objects.filter(
            tenant_id=message.tenant_id, recipient_id__in=recipient_ids, key=message.key
        ).values_list("recipient_id", "pk")
    )


def write_deliveries(deliveries: list[Delivery]) -> list[int]:
    """Insert the deliveries that are new; returns the ids of the pending ones a task should
    send (all but the group robots', which wait for their summary)."""
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries, batch_size=2000, ignore_conflicts=True)
    keys_of: dict[int, list[str]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.channel != DeliveryChannel.ROBOT:
            keys_of[delivery.tenant_id].append(delivery.key)
    return [
        pk
        for tenant_id, keys in keys_of.items()
        for pk in Delivery.objects.filter(
            tenant_id=tenant_id, key__in=keys, status=DeliveryStatus.PENDING
        ).values_list("pk", flat=True)
    ]


def webhook_deliveries_write(message: Message, committee) -> list[int]:
    """One delivery per active endpoint at the committee or above it that wants the event."""
    endpoints = WebhookEndpoint.objects.filter(
        tenant_id=message.tenant_id,
        is_active=True,
        addressed_only=False,
        committee__in=committee.get_ancestors(include_self=True),
    )
    return endpoint_deliveries_write(message, committee, endpoints)


def endpoint_deliveries_write(message: Message, committee, endpoints) -> list[int]:
    """One delivery per endpoint that wants the event (once per endpoint and key)."""
    payload = {
        "event": message.event,
        "title": message.title,
        "body": message.body,
        "link": site_url(message.link),
        "key": message.key,
        "committee": {"id": committee.pk, "name": committee.name},
    }
    deliveries = []
    for endpoint in endpoints:
        if not endpoint.wants(message.event):
            continue
        robot = endpoint.format in (WebhookFormat.WECOM, WebhookFormat.DINGTALK)
        deliveries.append(
            Delivery(
                tenant_id=message.tenant_id,
                endpoint=endpoint,
                channel=DeliveryChannel.ROBOT if robot else DeliveryChannel.WEBHOOK,
                key=bounded_key(f"{'robot' if robot else 'webhook'}:{endpoint.pk}:{message.key}"),
                payload=payload,
                next_attempt_at=message.created_at,
            )
        )
    return write_deliveries(deliveries)


def notify_endpoints(
    *,
    tenant_id: int,
    endpoint_ids: Iterable[int],
    event: str,
    title: str,
    key: str,
    body: str = "",
    link: str = "",
    committee,
) -> int:
    """Deliver an event to chosen webhook endpoints (a department's own robot hears its
    summons), inside the caller's transaction, once per endpoint and key. Returns how many
    deliveries were queued or wait for the robots' summary."""
    ids = list(endpoint_ids)
    if not ids:
        return 0
    message = Message(
        tenant_id=tenant_id,
        event=event,
        title=str(title)[:200],
        body=str(body),
        link=str(link)[:300],
        key=bounded_key(key),
        created_at=timezone.now(),
    )
    endpoints = WebhookEndpoint.objects.filter(tenant_id=tenant_id, is_active=True, pk__in=ids)
    before = Delivery.objects.filter(tenant_id=tenant_id, endpoint_id__in=ids).count()
    delivery_ids = endpoint_deliveries_write(message, committee, endpoints)
    enqueue_ids_after_commit(delivery_ids)
    return Delivery.objects.filter(tenant_id=tenant_id, endpoint_id__in=ids).count() - before


def enqueue_ids_after_commit(delivery_ids: list[int]) -> None:
    """Queue the deliveries once the caller's transaction commits. If the broker cannot take
    them then, nothing is lost: the rows are pending and the sweep sends them."""
    if delivery_ids:
        transaction.on_commit(lambda: enqueue(delivery_ids), robust=True)


def enqueue(delivery_ids: list[int]) -> None:
    from .tasks import send_deliveries

    for start in range(0, len(delivery_ids), ENQUEUE_CHUNK):
        send_deliveries.delay(delivery_ids[start : start + ENQUEUE_CHUNK])


# --- sending ------------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the n-th failed attempt: 30 s, 1, 2, 4 … minutes, at most 6 h."""
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


class Mailer:
    """One mail connection for a run of sends, opened at the first email and reopened after a
    failure (17,000 bulletins do not open 17,000 SMTP connections)."""

    def __init__(self) -> None:
        self.connection = None

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        try:
            message.connection = self.connection
            message.send(fail_silently=False)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


def delivery_batch_size() -> int:
    """Deliveries claimed, sent and marked in one transaction (`NOTIFICATIONS_DELIVERY_BATCH`):
    also the most sends a worker killed in the middle of a batch can repeat."""
    return max(1, int(getattr(settings, "NOTIFICATIONS_DELIVERY_BATCH", DELIVERY_BATCH)))


def deliveries_send(delivery_ids: Iterable[int]) -> dict[str, int]:
    """Send a chunk of deliveries (the task queued after commit, or by the sweep), a batch per
    transaction. Returns how many were "sent", "failed", "dead" or "skipped"."""
    ids = list(delivery_ids)
    size = delivery_batch_size()
    outcomes: Counter[str] = Counter()
    mailer = Mailer()
    try:
        for start in range(0, len(ids), size):
            outcomes.update(batch_send(ids[start : start + size], mailer))
    finally:
        mailer.close()
    return {outcome: n for outcome, n in outcomes.items() if n}


def delivery_send(delivery_id: int) -> str:
    """Send one delivery if it is still pending and due: "sent", "failed", "dead" or "skipped"."""
    (outcome,) = deliveries_send([delivery_id])
    return outcome


def batch_send(delivery_ids: list[int], mailer: Mailer) -> Counter[str]:
    """Claim the deliveries among `delivery_ids` that are pending and due, send each, and mark
    them all in the same transaction: one SELECT … FOR UPDATE SKIP LOCKED, the sends, and one
    UPDATE for the sent ones (one more for failures, if any).

    A row locked by another worker, or no longer pending, is skipped. The rows stay locked while
    the batch is being sent, so two workers never send one row at once. A worker killed in the
    middle rolls back the whole batch: its rows are pending again, and the sends it had made
    are made again later, each with its own key (webhook-id, Message-ID) unchanged."""
    outcomes: Counter[str] = Counter()
    with transaction.atomic():
        batch = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING)
            # A duplicate task message must not cut a failed delivery's backoff short. A fresh
            # one goes at once, whatever the clocks of the web and worker machines say.
            .filter(Q(attempts=0) | Q(next_attempt_at__lte=timezone.now()))
            .exclude(channel=DeliveryChannel.ROBOT)
            .order_by("pk")
        )
        outcomes["skipped"] = len(delivery_ids) - len(batch)
        sent: list[Delivery] = []
        stopped: list[int] = []
        failures: list[tuple[Delivery, Exception]] = []
        for delivery in batch:
            if delivery.endpoint_id and not delivery.endpoint.is_active:
                stopped.append(delivery.pk)
                continue
            try:
                transmit(delivery, mailer)
            except Exception as error:  # noqa: BLE001 - any failure is retried, then given up on
                failures.append((delivery, error))
            else:
                sent.append(delivery)
        if sent:
            Delivery.objects.filter(pk__in=[d.pk for d in sent]).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
            )
        if stopped:
            Delivery.objects.filter(pk__in=stopped).update(
                status=DeliveryStatus.DEAD, last_error=_("接收端已停用")
            )
        outcomes.update(record_failures(failures))
    outcomes["sent"] += len(sent)
    outcomes["dead"] += len(stopped)
    if sent:
        # After the commit: each key logged here is sent for good (the reliability test counts).
        logger.info("deliveries sent: %s", " ".join(f"{d.key}#{d.attempts + 1}" for d in sent))
    return outcomes


def record_failures(failures: list[tuple[Delivery, Exception]]) -> Counter[str]:
    """Count a failed attempt on each delivery: try again after a backoff, or give up."""
    outcomes: Counter[str] = Counter()
    if not failures:
        return outcomes
    now = timezone.now()
    for delivery, error in failures:
        message = failure_text(error)
        delivery.attempts += 1
        delivery.last_error = message
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.DEAD
            outcomes["dead"] += 1
            logger.error(
                "delivery %s given up after %s attempts: %s",
                delivery.key,
                delivery.attempts,
                message,
            )
        else:
            outcomes["failed"] += 1
            logger.warning(
                "delivery %s failed (attempt %s): %s", delivery.key, delivery.attempts, message
            )
    Delivery.objects.bulk_update(
        [delivery for delivery, _error in failures],
        ["attempts", "last_error", "next_attempt_at", "status"],
    )
    return outcomes


def failure_text(error: Exception) -> str:
    """What the endpoint's page shows: a refusal in the operator's words, else the error."""
    if isinstance(error, egress.Refused):
        return str(error)[:2000]
    return f"{error.__class__.__name__}: {error}"[:2000]


def email_message_id(delivery: Delivery) -> str:
    """The same Message-ID on every send of a delivery, so that a repeat is recognisable."""
    domain = parseaddr(getattr(settings, "DEFAULT_FROM_EMAIL", "") or "")[1].rpartition("@")[2]
    digest = hashlib.sha256(f"{delivery.tenant_id}:{delivery.key}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain or 'localhost'}>"


def transmit(delivery: Delivery, mailer: Mailer) -> None:
    slow = float(os.environ.get("NOTIFICATIONS_SEND_DELAY", "0") or 0)
    if slow:  # lets the reliability test kill a worker in the middle of a send
        time.sleep(slow)
    payload = delivery.payload
    if delivery.channel == DeliveryChannel.EMAIL:
        mailer.send(
            EmailMessage(
                subject=payload["subject"],
                body=payload["body"],
                from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
                to=[payload["to"]],
                headers={"Message-ID": email_message_id(delivery)},
            )
        )
        return
    endpoint = delivery.endpoint
    request = webhooks.standard_request(
        url=endpoint.url,
        secret=endpoint.secret,
        message_id=delivery.key,
        event=payload["event"],
        data={k: payload[k] for k in ("title", "body", "link", "committee") if k in payload},
    )
    webhooks.post(request)


def deliveries_sweep(limit: int = 5000) -> int:
    """Queue again what a lost broker message, a killed worker or a failure left pending past
    its time (every minute). A row queued twice is sent once: the second run finds it sent."""
    ids = due_delivery_ids(limit)
    enqueue(ids)
    return len(ids)


def due_delivery_ids(limit: int = 5000) -> list[int]:
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .exclude(channel=DeliveryChannel.ROBOT)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- group robots -------------------------------------------------------------------------------


def robot_batches_send() -> int:
    """Send each group robot one summary of up to `ROBOT_BATCH` waiting notifications (every
    minute). Returns how many deliveries were sent. A robot has no idempotency key: a worker
    killed after the robot took the summary but before the commit sends that summary again."""
    now = timezone.now()
    endpoint_ids = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            channel=DeliveryChannel.ROBOT,
            next_attempt_at__lte=now,
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    endpoints = WebhookEndpoint.objects.in_bulk(endpoint_ids)
    return sum(robot_batch_send(endpoints[pk], now=now) for pk in endpoint_ids if pk in endpoints)


def robot_batch_send(endpoint: WebhookEndpoint, *, now: dt.datetime) -> int:
    with transaction.atomic():
        batch = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                endpoint=endpoint,
                status=DeliveryStatus.PENDING,
                channel=DeliveryChannel.ROBOT,
                next_attempt_at__lte=now,
            )
            .order_by("created_at", "pk")[:ROBOT_BATCH]
        )
        if not batch:
            return 0
        ids = [d.pk for d in batch]
        if not endpoint.is_active:
            Delivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.DEAD, last_error=_("接收端已停用")
            )
            return 0
        try:
            webhooks.post(robot_request(endpoint, batch), robot=True)
        except Exception as error:  # noqa: BLE001 - any failure is retried, then given up on
            record_failures([(delivery, error) for delivery in batch])
            return 0
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
        )
    logger.info("robot %s: summary of %s sent", endpoint.pk, len(batch))
    return len(batch)


def robot_request(endpoint: WebhookEndpoint, batch: list[Delivery]) -> webhooks.Request:
    labels = dict(Event.choices)
    lines = []
    for delivery in batch:
        payload = delivery.payload
        title = webhooks.plain(payload.get("title", ""))
        if len(title) > ROBOT_LINE_CHARS:
            title = title[: ROBOT_LINE_CHARS - 1] + "…"
        line = f"【{labels.get(payload.get('event'), '')}】{title}"
        link = payload.get("link", "")
        if link.startswith(("http://", "https://")):
            line += f" [{_('查看')}]({link})"
        lines.append(line)
    title = _("党建协调平台：%(n)s条新消息") % {"n": len(batch)}
    more = _("……另有{n}条，请登录平台查看")
    if endpoint.format == WebhookFormat.WECOM:
        return webhooks.wecom_request(url=endpoint.url, title=title, lines=lines, more=more)
    return webhooks.dingtalk_request(
        url=endpoint.url, secret=endpoint.secret, title=title, lines=lines, more=more
    )


# --- the daily digest ---------------------------------------------------------------------------


def digest_hour() -> int:
    """The local hour the daily digest goes out (the beat schedule runs it then)."""
    return int(getattr(settings, "NOTIFICATIONS_DIGEST_HOUR", 18))


def digest_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The digest of `day` covers the 24 hours up to that day's digest hour (18:00), so that the
    windows of successive days meet: a notification after one digest is in the next."""
    end = timezone.make_aware(dt.datetime.combine(day, dt.time(hour=digest_hour())))
    return end - dt.timedelta(days=1), end


@transaction.atomic
def digest_send(*, day: dt.date | None = None) -> int:
    """Once a day: one email per user who chose the digest for some events, listing those
    events' notifications of the day. Idempotent: a day's digest is one delivery per user.
    Returns how many digests are new."""
    if day is None:
        # The day whose digest hour has come. A few minutes' grace: beat fires at 18:00 by its
        # clock, and a worker whose clock is a little behind must still send today's digest.
        today = timezone.localdate()
        due = timezone.now() + DIGEST_CLOCK_GRACE >= digest_window(today)[1]
        day = today if due else today - dt.timedelta(days=1)
    start, end = digest_window(day)
    events_of: dict[int, set[str]] = defaultdict(set)
    email_of: dict[int, str] = {}
    for user_id, event, email in (
        Preference.objects.filter(channel=Channel.EMAIL, mode=Mode.DIGEST, user__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", "event", "user__email")
    ):
        events_of[user_id].add(event)
        email_of[user_id] = email
    if not events_of:
        return 0
    notes_of: dict[int, list[Notification]] = defaultdict(list)
    for note in (
        Notification.objects.filter(
            recipient_id__in=list(events_of), created_at__gte=start, created_at__lt=end
        )
        .only("id", "tenant_id", "recipient_id", "event", "title", "link", "created_at")
        .order_by("recipient_id", "created_at", "pk")
        .iterator(chunk_size=2000)
    ):
        if note.event in events_of[note.recipient_id]:
            notes_of[note.recipient_id].append(note)
    labels = dict(Event.choices)
    digests = []
    for user_id, notes in notes_of.items():
        shown = notes[:DIGEST_ITEMS]
        lines = [
            f"· {timezone.localtime(n.created_at):%H:%M} 【{labels.get(n.event, n.event)}】{n.title}"
            + (f"\n  {site_url(n.safe_link)}" if n.safe_link else "")
            for n in shown
        ]
        if len(notes) > len(shown):
            lines.append(_("……另有%(n)s条，请登录平台查看。") % {"n": len(notes) - len(shown)})
        digests.append(
            Delivery(
                tenant_id=notes[0].tenant_id,
                channel=DeliveryChannel.EMAIL,
                key=f"digest:{user_id}:{day.isoformat()}",
                payload={
                    "to": email_of[user_id],
                    "subject": _("每日汇总：%(n)s条消息（%(day)s）")
                    % {"n": len(notes), "day": day.isoformat()},
                    "body": "\n".join(lines),
                },
                next_attempt_at=timezone.now(),
            )
        )
    before = Delivery.objects.filter(key__in=[d.key for d in digests]).count()
    enqueue_ids_after_commit(write_deliveries(digests))
    return len(digests) - before


# --- the inbox and preferences ------------------------------------------------------------------


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them, or those among `ids`)."""
    unread = Notification.objects.visible_to(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def unread_count(*, user) -> int:
    return Notification.objects.visible_to(user).unread().count()


def preferences_of(user) -> dict[str, str]:
    """The email mode of every event for the user (immediate unless they chose otherwise)."""
    chosen = dict(
        Preference.objects.filter(user=user, channel=Channel.EMAIL).values_list("event", "mode")
    )
    return {event: chosen.get(event, Mode.IMMEDIATE) for event in Event.values}


@transaction.atomic
def preferences_save(*, user, email_modes: Mapping[str, str]) -> None:
    """Save how the user wants each event by email. The inbox is always on: it is the record."""
    errors = {
        event: _("未知的接收方式。")
        for event, mode in email_modes.items()
        if event not in Event.values or mode not in Mode.values
    }
    if errors:
        raise ValidationError(errors)
    Preference.objects.bulk_create(
        [
            Preference(user=user, event=event, channel=Channel.EMAIL, mode=mode)
            for event, mode in email_modes.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "event", "channel"],
        update_fields=["mode"],
    )


def preference_set(*, user, event: str, channel: str, mode: str) -> Preference:
    if channel != Channel.EMAIL:
        raise ValidationError({"channel": _("站内消息始终接收，不能关闭。")})
    preferences_save(user=user, email_modes={event: mode})
    return Preference.objects.get(user=user, event=event, channel=channel)


# --- webhook endpoints --------------------------------------------------------------------------


@dataclass
class EndpointData:
    name: str
    url: str
    format: str
    secret: str = ""
    events: list[str] | None = None


@transaction.atomic
def webhook_endpoint_create(*, actor, committee, data: EndpointData) -> WebhookEndpoint:
    """A tenant administrator connects a program or a group robot to a committee's subtree.
    A Standard Webhooks endpoint gets a fresh `whsec_` signing secret; a DingTalk robot keeps the
    secret DingTalk gave it; a WeCom robot needs none (its key is in the URL)."""
    policies.require_webhook_administrator(actor, committee)
    errors = Errors()
    if data.format not in WebhookFormat.values:
        errors.add("format", _("请选择Webhook格式。"))
    url = data.url.strip()
    if not url.lower().startswith(("http://", "https://")):
        errors.add("url", _("地址须以http://或https://开头。"))
    else:
        # The address the name resolves to now; every send checks it again (DNS rebinding).
        try:
            egress.check(url)
        except egress.Refused as refused:
            errors.add("url", str(refused))
    events = sorted(set(data.events or []))
    if unknown := [e for e in events if e not in Event.values]:
        errors.add("events", _("未知的事件：%(e)s") % {"e": "、".join(unknown)})
    errors.raise_if_any()
    if data.format == WebhookFormat.STANDARD:
        secret = webhooks.new_standard_secret()
    elif data.format == WebhookFormat.DINGTALK:
        secret = data.secret.strip()
    else:
        secret = ""
    endpoint = WebhookEndpoint(
        tenant_id=committee.tenant_id,
        committee=committee,
        name=data.name.strip(),
        url=url,
        format=data.format,
        secret=secret,
        events=events,
    )
    endpoint.full_clean()
    endpoint.save()
    ensure_in_scope(endpoint, actor, Action.MANAGE_TREE)
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(
    *, actor, endpoint: WebhookEndpoint, active: bool
) -> WebhookEndpoint:
    """Disable (or enable again) an endpoint. A disabled endpoint hears no new events, and
    what was still waiting for it is given up when its turn comes."""
    endpoint = (
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .select_related("committee")
        .get(pk=endpoint.pk)
    )
    policies.require_webhook_administrator(actor, endpoint.committee)
    if endpoint.is_active != active:
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
    ensure_in_scope(endpoint, actor, Action.MANAGE_TREE)
    return endpoint

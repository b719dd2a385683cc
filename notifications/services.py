"""Notifying people: write the outbox in the caller's transaction, deliver after commit.

`notify` is what business services call, inside their own transaction, with the recipients and
the words. It writes the in-app notifications (the authority) and one delivery row per outside
channel; Celery sends them once the transaction commits, and a sweep sends whatever a lost
broker message left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import webhooks
from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Mode,
    Notification,
    Preference,
    WebhookEndpoint,
    WebhookFormat,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
ENQUEUE_CHUNK = 500
ROBOT_BATCH = 20  # a group robot takes about 20 messages a minute: send summaries


@dataclass(frozen=True)
class Recipient:
    id: int
    email: str = ""


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
    """Notify users of an event, once per (user, key). Returns how many notifications are new.

    `committee` is where the event happened: webhook endpoints watching that subtree hear it too.
    """
    users = {user.pk: user for user in recipients}
    existing = set(
        Notification.objects.filter(recipient_id__in=users, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    fresh = [
        Notification(
            tenant_id=tenant_id,
            recipient_id=pk,
            event=event,
            title=title[:200],
            body=body,
            link=link,
            key=key,
        )
        for pk in users
        if pk not in existing
    ]
    Notification.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
    created = {
        n.recipient_id: n
        for n in Notification.objects.filter(
            recipient_id__in=[n.recipient_id for n in fresh], key=key
        )
    }
    email_off_or_digest = set(
        Preference.objects.filter(
            user_id__in=created,
            event=event,
            channel=Channel.EMAIL,
            mode__in=[Mode.OFF, Mode.DIGEST],
        ).values_list("user_id", flat=True)
    )
    now = timezone.now()
    deliveries = [
        Delivery(
            tenant_id=tenant_id,
            notification=notification,
            channel="email",
            key=f"email:{notification.pk}",
            payload={"to": users[pk].email, "subject": title, "body": f"{body}\n{link}".strip()},
            next_attempt_at=now,
        )
        for pk, notification in created.items()
        if users[pk].email and pk not in email_off_or_digest
    ]
    if committee is not None:
        deliveries += webhook_deliveries(
            tenant_id=tenant_id,
            committee=committee,
            event=event,
            title=title,
            body=body,
            link=link,
            key=key,
            now=now,
        )
    Delivery.objects.bulk_create(deliveries, batch_size=2000, ignore_conflicts=True)
    enqueue_after_commit([d.key for d in deliveries if not d.key.startswith("robot:")])
    return len(created)


def webhook_deliveries(
    *, tenant_id, committee, event, title, body, link, key, now
) -> list[Delivery]:
    endpoints = WebhookEndpoint.objects.filter(
        tenant_id=tenant_id,
        is_active=True,
        committee__tree_id=committee.tree_id,
        committee__lft__lte=committee.lft,
        committee__rght__gte=committee.rght,
    )
    result = []
    for endpoint in endpoints:
        if not endpoint.wants(event):
            continue
        robot = endpoint.format in (WebhookFormat.WECOM, WebhookFormat.DINGTALK)
        result.append(
            Delivery(
                tenant_id=tenant_id,
                endpoint=endpoint,
                channel="webhook",
                # Robot deliveries wait for the minute's summary; the prefix keeps them out of
                # the per-delivery queue.
                key=f"{'robot' if robot else 'webhook'}:{endpoint.pk}:{key}",
                payload={"event": event, "title": title, "body": body, "link": link, "key": key},
                next_attempt_at=now,
            )
        )
    return result


def enqueue_after_commit(keys: list[str]) -> None:
    if not keys:
        return
    from .tasks import send_deliveries

    def enqueue():
        ids = list(Delivery.objects.filter(key__in=keys).values_list("pk", flat=True))
        for start in range(0, len(ids), ENQUEUE_CHUNK):
            send_deliveries.delay(ids[start : start + ENQUEUE_CHUNK])

    transaction.on_commit(enqueue)


# --- sending ------------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def delivery_send(delivery_id: int) -> str:
    """Send one delivery if it is still due. The row stays locked while sending, so two workers
    never send it at once; a worker killed mid-send rolls back and the row stays pending for the
    sweep. Every send carries the delivery's key, so a receiver can drop a repeat."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        try:
            transmit(delivery)
        except Exception as error:  # noqa: BLE001 - any failure is retried, then given up on
            delivery.attempts += 1
            delivery.last_error = f"{error.__class__.__name__}: {error}"[:2000]
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.DEAD
                logger.error(
                    "delivery %s given up after %s attempts: %s",
                    delivery.key,
                    delivery.attempts,
                    error,
                )
            delivery.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
            return "failed"
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.attempts += 1
        delivery.save(update_fields=["status", "sent_at", "attempts"])
        return "sent"


def transmit(delivery: Delivery) -> None:
    slow = float(os.environ.get("NOTIFICATIONS_SEND_DELAY", "0") or 0)
    if slow:  # lets the reliability test kill a worker in the middle of a send
        time.sleep(slow)
    payload = delivery.payload
    if delivery.channel == "email":
        send_mail(
            payload["subject"],
            payload["body"],
            settings.DEFAULT_FROM_EMAIL,
            [payload["to"]],
            fail_silently=False,
        )
        return
    endpoint = delivery.endpoint
    request = webhooks.standard_request(
        url=endpoint.url,
        secret=endpoint.secret,
        message_id=delivery.key,
        event=payload["event"],
        data={k: payload[k] for k in ("title", "body", "link")},
    )
    webhooks.post(request)


def robot_batches_send() -> int:
    """Send each group robot one summary of what waited for it this minute."""
    sent = 0
    endpoint_ids = (
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            key__startswith="robot:",
            next_attempt_at__lte=timezone.now(),
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    for endpoint_id in list(endpoint_ids):
        with transaction.atomic():
            batch = list(
                Delivery.objects.select_for_update(skip_locked=True)
                .filter(
                    endpoint_id=endpoint_id, status=DeliveryStatus.PENDING, key__startswith="robot:"
                )
                .order_by("created_at", "pk")[:ROBOT_BATCH]
            )
            if not batch:
                continue
            endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
            lines = [f"{d.payload['title']}" for d in batch]
            title = f"党建协调平台：{len(batch)}条新消息"
            if endpoint.format == WebhookFormat.WECOM:
                request = webhooks.wecom_request(url=endpoint.url, title=title, lines=lines)
            else:
                request = webhooks.dingtalk_request(
                    url=endpoint.url, secret=endpoint.secret, title=title, lines=lines
                )
            try:
                webhooks.post(request)
            except Exception as error:  # noqa: BLE001
                Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                    last_error=str(error)[:2000],
                    next_attempt_at=timezone.now() + backoff(batch[0].attempts + 1),
                )
                continue
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now()
            )
            sent += len(batch)
    return sent


def due_delivery_ids(limit: int = 5000) -> list[int]:
    """Deliveries a lost broker message (or a failure) left pending past their time."""
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .exclude(key__startswith="robot:")
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def digest_send(*, day: dt.date | None = None) -> int:
    """Once a day: one email per user who chose the digest, summing up the day's notifications."""
    from django.contrib.auth import get_user_model

    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    users = (
        get_user_model()
        .objects.filter(
            notification_preferences__channel=Channel.EMAIL,
            notification_preferences__mode=Mode.DIGEST,
        )
        .exclude(email="")
        .distinct()
    )
    count = 0
    for user in users:
        events = set(
            Preference.objects.filter(
                user=user, channel=Channel.EMAIL, mode=Mode.DIGEST
            ).values_list("event", flat=True)
        )
        notes = list(
            Notification.objects.filter(
                recipient=user,
                event__in=events,
                created_at__gte=start,
                created_at__lt=start + dt.timedelta(days=1),
            ).order_by("created_at")[:200]
        )
        if not notes:
            continue
        created = Delivery.objects.get_or_create(
            key=f"digest:{user.pk}:{day.isoformat()}",
            defaults={
                "tenant_id": notes[0].tenant_id,
                "channel": "email",
                "payload": {
                    "to": user.email,
                    "subject": f"每日汇总：{len(notes)}条消息（{day:%Y-%m-%d}）",
                    "body": "\n".join(f"· {n.title}" for n in notes),
                },
                "next_attempt_at": timezone.now(),
            },
        )[1]
        count += created
    enqueue_after_commit([f"digest:{u.pk}:{day.isoformat()}" for u in users])
    return count


# --- the inbox ----------------------------------------------------------------------------------


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.visible_to(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def preference_set(*, user, event: str, channel: str, mode: str) -> Preference:
    preference, _created = Preference.objects.update_or_create(
        user=user, event=event, channel=channel, defaults={"mode": mode}
    )
    return preference

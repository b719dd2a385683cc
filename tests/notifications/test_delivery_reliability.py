"""Killing a worker mid-delivery, and restarting Redis, loses no notification and duplicates none
(DESIGN: Reliability). A real worker process and a private redis-server, against the test
database; a local receiver records what arrives.

How exactly-once is achieved, and what "once" means at a receiver:

- The outbox row is the truth. Each delivery is one row, unique by its key, written in the same
  transaction as the notification. A queued task only carries row ids.
- A worker sends in batches (`NOTIFICATIONS_DELIVERY_BATCH`): one transaction claims the batch's
  rows that are still pending (`SELECT … FOR UPDATE SKIP LOCKED`), sends each, and marks the
  sent ones `sent` in one UPDATE before it commits. The rows stay locked for the whole batch, so
  two workers never send one row at once, and a row marked sent is never sent again.
- A worker killed mid-batch never commits: PostgreSQL rolls its transaction back when the
  connection drops, and every row of the batch is pending again. A task message the worker had
  taken is either handed back to the queue (`task_reject_on_worker_lost` with `acks_late`, when
  only the pool process dies) or stays unacknowledged in Redis (when the whole worker dies);
  either way the once-a-minute sweep queues every pending row again, so nothing waits for a
  message that may never come back.
- Redis runs with an append-only file, so the messages still queued survive its restart.
- The repeats no lock can prevent: the sends of the batch the worker was in when it died, which
  reached the receiver but were never committed. They are made again, each with the same
  `webhook-id` (the delivery's key). So a killed pool process repeats at most one batch: at most
  `NOTIFICATIONS_DELIVERY_BATCH` sends (a worker of concurrency c, c batches). That is
  at-least-once on the wire, exactly-once for a receiver that drops a `webhook-id` it has seen,
  as Standard Webhooks asks receivers to.

This test runs batches of 3 and kills twice: the pool process at the last send of a batch (the
receiver holds that request unanswered), so all 3 sends of the batch are repeated, the most a
kill can cause; then the whole worker at the first send of a batch, so exactly that one send is
repeated. Every other delivery reaches the receiver exactly once.
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter

import pytest
from django.db import transaction

from notifications import services
from notifications.models import Delivery, DeliveryStatus, Notification

from ..workers import RedisServer, WorkerProcess, producer, wait_for
from .conftest import endpoint

pytestmark = pytest.mark.worker

N = 30
BATCH = 3  # deliveries per transaction in the worker: the most one kill can make it repeat
CHUNK = 6  # deliveries per queued task (two batches): several are still queued at each kill
SEND_DELAY = "0.2"  # seconds each send takes in the worker, so that it dies in mid-flow
# Requests reach the receiver a batch at a time, three by three: a batch's rows are all pending
# or all sent, since they commit together.
FIRST_HOLD = 6  # the last send of the 2nd batch: its pool process is killed, 3 sends repeated
SECOND_HOLD = 13  # the first send of the 5th batch: the whole worker is killed, 1 repeated


@pytest.fixture
def broker(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def sent_lines(*logs) -> Counter:
    """How often each delivery was committed as sent, by the workers' own log lines (one line
    per committed batch: `deliveries sent: key#attempt key#attempt …`)."""
    pattern = re.compile(r"deliveries sent: (.+)$")
    keys: Counter = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if match := pattern.search(line):
                keys.update(item.rpartition("#")[0] for item in match.group(1).split())
    return keys


def test_a_killed_worker_and_a_restarted_redis_lose_nothing_and_duplicate_nothing(
    transactional_db, world, tmp_path, broker, receiver, monkeypatch
):
    tenant, street, staff = world.city.tenant, world.street, world.street_staff
    hook = endpoint(street, receiver.url + "/hook")
    first_hold = receiver.hold(FIRST_HOLD)
    second_hold = receiver.hold(SECOND_HOLD)

    # N events, each one notification and one Standard Webhooks delivery, written in one
    # transaction; what `notify` queues after the commit goes to the private broker in chunks.
    queued: list[int] = []
    monkeypatch.setattr(services, "enqueue", queued.extend)
    with transaction.atomic():
        for n in range(N):
            services.notify(
                tenant_id=tenant.pk,
                recipients=[staff],
                event="whistle",
                title=f"吹哨报到{n:02d}",
                key=f"whistle:{n}",
                committee=street,
            )
    deliveries = dict(Delivery.objects.filter(endpoint=hook).values_list("pk", "key"))
    assert Notification.objects.count() == N and len(deliveries) == N
    assert sorted(queued) == sorted(deliveries)
    send = producer(broker.url)
    for start in range(0, N, CHUNK):
        send.send_task("notifications.tasks.send_deliveries", args=[queued[start : start + CHUNK]])

    env = {
        "NOTIFICATIONS_SEND_DELAY": SEND_DELAY,
        "NOTIFICATIONS_DELIVERY_BATCH": str(BATCH),
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the receiver is on loopback
    }
    first = WorkerProcess(tmp_path / "first.log", broker_url=broker.url, env=env).start()
    try:
        # 1. The pool process dies at the last send of a batch: the receiver has the batch's
        # three requests, the worker has no answer to the last and no commit. The parent
        # process survives and, rejecting the lost task, puts its message back on the queue.
        wait_for(lambda: receiver.count() >= FIRST_HOLD, timeout=30, interval=0.02)
        (pool,) = first.pool_processes()
        os.kill(pool, signal.SIGKILL)
        first_hold.set()
        killed_first = receiver.webhook_ids()[FIRST_HOLD - BATCH : FIRST_HOLD]

        # 2. Later the whole worker dies, at the first send of a batch.
        wait_for(lambda: receiver.count() >= SECOND_HOLD, timeout=30, interval=0.02)
        first.kill()
        second_hold.set()
        held_second = receiver.webhook_ids()[SECOND_HOLD - 1]
    finally:
        first.stop()
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING).count()
    assert 0 < pending < N, "the worker was killed in the middle of the work"
    assert Delivery.objects.get(key=held_second).status == DeliveryStatus.PENDING  # rolled back

    # 3. Redis restarts; what was queued is still queued (append-only file), and the dead
    # worker's message is still unacknowledged, out of reach until its visibility timeout.
    client = broker.client()
    still_queued, unacked = client.llen("celery"), client.hlen("unacked")
    assert still_queued > 0 and unacked == 1
    broker.restart()
    client = broker.client()
    assert (client.llen("celery"), client.hlen("unacked")) == (still_queued, unacked)

    # 4. A fresh worker takes the queue, and the sweep queues whatever is still pending.
    second = WorkerProcess(tmp_path / "second.log", broker_url=broker.url, env=env).start()
    try:
        producer(broker.url).send_task("notifications.tasks.sweep_deliveries")
        wait_for(
            lambda: not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists(),
            timeout=40,
            interval=0.1,
        )
    finally:
        second.stop()

    # Every delivery sent, each committed as sent exactly once and at its first attempt.
    rows = list(Delivery.objects.values_list("key", "status", "attempts"))
    assert len(rows) == N
    assert {(status, attempts) for _key, status, attempts in rows} == {(DeliveryStatus.SENT, 1)}
    assert sent_lines(first.log_path, second.log_path) == Counter(deliveries.values())

    # The receiver saw each of the N ids; the only repeats are the sends of the two batches that
    # were killed, each repeated once and under the same webhook-id: the whole batch (3) for
    # the kill at its last send, the one send made for the kill at a batch's first.
    received = Counter(receiver.webhook_ids())
    assert set(received) == set(deliveries.values())
    assert len(received) == N
    assert len(set(killed_first)) == BATCH and held_second not in killed_first
    assert {key: count for key, count in received.items() if count > 1} == {
        **{key: 2 for key in killed_first},
        held_second: 2,
    }
    assert receiver.count() == N + BATCH + 1

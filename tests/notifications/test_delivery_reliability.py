"""Killing a worker mid-delivery, and restarting Redis, loses no notification and duplicates none
(DESIGN: Reliability). A real worker process and a private redis-server, against the test
database; a local receiver records what arrives.

How exactly-once is achieved, and what "once" means at a receiver:

- The outbox row is the truth. Each delivery is one row, unique by its key, written in the same
  transaction as the notification. A queued task only carries row ids.
- A send holds the row locked (`SELECT … FOR UPDATE SKIP LOCKED`) for the whole HTTP request and
  marks it `sent` in that same transaction; it only touches a row that is still pending. So two
  workers never send one row at once, and a row marked sent is never sent again.
- A worker killed mid-send never commits: PostgreSQL rolls its transaction back when the
  connection drops, and the row is pending again. A task message the worker had taken is either
  handed back to the queue (`task_reject_on_worker_lost` with `acks_late`, when only the pool
  process dies) or stays unacknowledged in Redis (when the whole worker dies); either way the
  once-a-minute sweep queues every pending row again, so nothing waits for a message that may
  never come back.
- Redis runs with an append-only file, so the messages still queued survive its restart.
- The one repeat no lock can prevent: the worker dies after the receiver took the request but
  before the commit. The row rolls back and is sent again, with the same `webhook-id` (the
  delivery's key). That is at-least-once on the wire, exactly-once for a receiver that drops a
  `webhook-id` it has seen, as Standard Webhooks asks receivers to. This test kills the worker in
  exactly that window (the receiver holds the request unanswered), twice, and checks that the
  repeats carry the same id and are the only ones.
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
CHUNK = 3  # deliveries per queued task: several messages are still queued when the worker dies
SEND_DELAY = "0.2"  # seconds each send takes in the worker, so that it dies in mid-flow
FIRST_HOLD = 4  # the receiver holds the 4th request: its sender's pool process is killed
SECOND_HOLD = 12  # and the 12th: the whole worker is killed, and Redis restarted


@pytest.fixture
def broker(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def sent_lines(*logs) -> Counter:
    """How often each delivery was committed as sent, by the workers' own log lines."""
    pattern = re.compile(r"delivery (\S+) sent \(attempt")
    keys: Counter = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if match := pattern.search(line):
                keys[match.group(1)] += 1
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

    env = {"NOTIFICATIONS_SEND_DELAY": SEND_DELAY}
    first = WorkerProcess(tmp_path / "first.log", broker_url=broker.url, env=env).start()
    try:
        # 1. The pool process dies in the middle of a send: the receiver has the request, the
        # worker has no answer and no commit. The parent process survives and, rejecting the
        # lost task, puts its message back on the queue (at its far end, behind the others).
        wait_for(lambda: receiver.count() >= FIRST_HOLD, timeout=30, interval=0.02)
        (pool,) = first.pool_processes()
        os.kill(pool, signal.SIGKILL)
        first_hold.set()
        held_first = receiver.webhook_ids()[FIRST_HOLD - 1]

        # 2. Later the whole worker dies, again in the middle of a send.
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

    # The receiver saw each of the N ids; the only repeats are the two sends killed after the
    # request reached it, each repeated once and under the same webhook-id.
    received = Counter(receiver.webhook_ids())
    assert set(received) == set(deliveries.values())
    assert len(received) == N
    assert {key: count for key, count in received.items() if count > 1} == {
        held_first: 2,
        held_second: 2,
    }
    assert receiver.count() == N + 2

"""The notifications figures of `manage.py bench`: one bulletin to the contacts of every member
unit of the scale tenant, queued, then delivered by 1, 2 and 4 worker processes.

"Queued" is `notify` and its transaction's commit (the broker's messages are counted, not sent).
"Delivered" is N forked processes, each with its own database connection, taking the task
messages (chunks of `ENQUEUE_CHUNK` delivery ids) from a shared queue as Celery's workers take
them from the broker, and running the task's service on each, with the locmem email backend:
the time from the start signal to the last delivery marked sent. Each round writes a fresh
bulletin and deletes its rows afterwards, so the dataset stays as seeded."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import Counter

from django.db import connections, transaction
from django.utils import timezone

from committees.models import Committee, Tenant
from demo.bench_budget import within
from members.models import MemberUnit, Role, User
from notifications import services as notifications
from notifications.models import Delivery, Event, Notification

BUDGET_QUEUED_S = 5.0
BUDGET_DELIVERED_S = 60.0
WORKER_COUNTS = (1, 2, 4)
WORKER_TIMEOUT_S = 600


def bench_notify(tenant: Tenant) -> list[tuple[str, str, str, bool | None]]:
    contacts = User.objects.filter(
        tenant=tenant, is_active=True, grants__role=Role.UNIT_CONTACT
    ).distinct()
    recipients = list(contacts.only("pk", "email", "is_active"))
    if not recipients:
        return [("notify all units: no unit contact accounts (run seed_scale)", "-", "", None)]
    units = MemberUnit.objects.filter(tenant=tenant).count()
    root = Committee.objects.get(tenant=tenant, parent__isnull=True)
    quiet = logging.getLogger("notifications")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # a line per batch sent: the worker's log, not the bench's
    queued_s: list[float] = []
    rounds: list[tuple[int, float, Counter]] = []
    try:
        for workers in WORKER_COUNTS:
            key = f"bench-bulletin:{workers}:{timezone.now().isoformat()}"
            try:
                seconds, created, tasks = queue_bulletin(tenant, recipients, root, key)
                queued_s.append(seconds)
                started = time.perf_counter()
                outcomes = deliver(tasks, workers)
                rounds.append((workers, time.perf_counter() - started, outcomes))
            finally:
                Delivery.objects.filter(tenant=tenant, notification__key=key).delete()
                Delivery.objects.filter(tenant=tenant, key__endswith=f":{key}").delete()
                Notification.objects.filter(tenant=tenant, key=key).delete()
    finally:
        quiet.setLevel(level)
    deliveries = sum(len(task) for task in tasks)
    rows = [
        (
            f"notify {units:,} units' {len(recipients):,} contacts: queued "
            f"({created:,} notifications, {deliveries:,} deliveries, {len(tasks)} tasks; worst of "
            + " / ".join(f"{s:.2f}" for s in queued_s)
            + " s)",
            f"{max(queued_s):.2f} s",
            f"< {BUDGET_QUEUED_S:.0f} s",
            within(max(queued_s), BUDGET_QUEUED_S),
        )
    ]
    single = rounds[0][1]
    for workers, seconds, outcomes in rounds:
        summary = ", ".join(f"{n:,} {o}" for o, n in sorted(outcomes.items()))
        per_second = outcomes["sent"] / seconds if seconds else 0
        if workers == 1:
            rows.append(
                (
                    f"  ... delivered by 1 worker ({summary}; {per_second:,.0f}/s)",
                    f"{seconds:.1f} s",
                    f"< {BUDGET_DELIVERED_S:.0f} s",
                    within(seconds, BUDGET_DELIVERED_S) and outcomes["sent"] == deliveries,
                )
            )
        else:
            rows.append(
                (
                    f"  ... by {workers} workers ({summary}; {single / seconds:.2f}x of one)",
                    f"{seconds:.1f} s",
                    "< 1 worker",
                    seconds < single and outcomes["sent"] == deliveries,
                )
            )
    return rows


def queue_bulletin(tenant, recipients, root, key) -> tuple[float, int, list[list[int]]]:
    """`notify` in its own transaction, timed with the commit; returns the tasks it queued."""
    queued: list[int] = []
    real_enqueue = notifications.enqueue
    notifications.enqueue = queued.extend  # count the broker's messages, send none
    try:
        started = time.perf_counter()
        with transaction.atomic():
            created = notifications.notify(
                tenant_id=tenant.pk,
                recipients=recipients,
                event=Event.BULLETIN,
                title="关于开展“双报到”服务月活动的通报",
                body="请各成员单位组织党员到社区报到，认领需求清单中的需求。",
                link="/demands/",
                key=key,
                committee=root,
            )
        seconds = time.perf_counter() - started
    finally:
        notifications.enqueue = real_enqueue
    chunk = notifications.ENQUEUE_CHUNK
    return seconds, created, [queued[i : i + chunk] for i in range(0, len(queued), chunk)]


def deliver(tasks: list[list[int]], workers: int) -> Counter:
    """Run the tasks on `workers` forked processes; returns the outcomes of all of them."""
    context = multiprocessing.get_context("fork")
    inbox, results = context.Queue(), context.Queue()
    ready, start = context.Barrier(workers + 1), context.Event()
    for task in tasks:
        inbox.put(task)
    for _ in range(workers):
        inbox.put(None)
    connections.close_all()  # each process opens its own connection
    processes = [
        context.Process(target=work, args=(inbox, results, ready, start)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=WORKER_TIMEOUT_S)
    start.set()
    outcomes: Counter = Counter()
    for _ in processes:
        outcomes.update(results.get(timeout=WORKER_TIMEOUT_S))
    for process in processes:
        process.join()
    return outcomes


def work(inbox, results, ready, start) -> None:
    connections["default"].ensure_connection()
    ready.wait(timeout=WORKER_TIMEOUT_S)
    start.wait(timeout=WORKER_TIMEOUT_S)
    outcomes: Counter = Counter()
    while (task := inbox.get()) is not None:
        outcomes.update(notifications.deliveries_send(task))
    connections.close_all()
    results.put(dict(outcomes))

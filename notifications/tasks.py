"""Celery entry points of the outbox: thin, ids in, a service call.

None retries through the broker: a failed send is a pending row with a `next_attempt_at`, and
the once-a-minute sweep queues it again (DESIGN: deadlines are rows scanned by beat, never
countdowns on the broker). Every task is safe to run twice: a row is sent only while pending,
under its lock."""

from celery import shared_task

from . import services


@shared_task
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    return services.deliveries_send(delivery_ids)


@shared_task
def sweep_deliveries() -> int:
    """Queue again what a lost broker message, a killed worker or a failure left pending."""
    return services.deliveries_sweep()


@shared_task
def send_robot_batches() -> int:
    """One summary per group robot of what waited for it this minute."""
    return services.robot_batches_send()


@shared_task
def send_daily_digests() -> int:
    return services.digest_send()

"""Celery entry points of the outbox: thin, ids in, a service call."""

from celery import shared_task

from . import services


@shared_task
def send_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        services.delivery_send(delivery_id)


@shared_task
def sweep_deliveries() -> int:
    """Re-send what a lost broker message or a failure left pending (every minute)."""
    ids = services.due_delivery_ids()
    for delivery_id in ids:
        services.delivery_send(delivery_id)
    return len(ids)


@shared_task
def send_robot_batches() -> int:
    return services.robot_batches_send()


@shared_task
def send_daily_digests() -> int:
    return services.digest_send()

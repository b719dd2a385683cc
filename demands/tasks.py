"""Celery entry points of the matching engine and escalation: thin, ids in, a service call."""

from celery import shared_task

from committees.models import Tenant

from . import matching, services


@shared_task
def match_demand(demand_id: int) -> int:
    return len(matching.match_demand(demand_id))


@shared_task
def match_resource(resource_id: int) -> int:
    return matching.match_resource(resource_id)


@shared_task
def full_matching_pass() -> None:
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        matching.full_pass(tenant_id)


@shared_task
def run_escalations() -> int:
    return services.escalations_run()

"""Celery entry points of the matching engine and escalation: thin, ids in, a service call.

The periodic full pass never runs as one long task: each tenant's pass is a chain of chunks (one
category's open demands, at most `matching.CHUNK_DEMANDS` of them), each chunk enqueuing the next
when it is done. An incremental task queued meanwhile (a demand published in another tenant, or
in the same one) waits behind one chunk at most, not behind a whole pass, however few workers run.
"""

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
    """Beat: every active tenant's pass starts, each as its own chain of chunks."""
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        full_pass_tenant.delay(tenant_id)


@shared_task
def full_pass_tenant(tenant_id: int) -> int:
    """Start a tenant's pass: its first chunk; returns how many categories it covers."""
    matching.drop_closed_matches(tenant_id)
    categories = matching.open_categories(tenant_id)
    if categories:
        full_pass_chunk.delay(tenant_id, categories, 0)
    return len(categories)


@shared_task
def full_pass_chunk(tenant_id: int, categories: list[int], after: int) -> int:
    """Match the next chunk of the first category's open demands (ids above `after`), then
    hand what is left to a new task at the back of the queue."""
    chunk = matching.next_chunk(tenant_id, categories[0], after=after)
    result = matching.match_demands(tenant_id, categories[0], chunk) if chunk else {"matches": 0}
    if len(chunk) == matching.CHUNK_DEMANDS:
        full_pass_chunk.delay(tenant_id, categories, chunk[-1])
    elif len(categories) > 1:
        full_pass_chunk.delay(tenant_id, categories[1:], 0)
    return result["matches"]


@shared_task
def run_escalations() -> int:
    return services.escalations_run()

from celery import shared_task

from . import services
from .models import Tenant


@shared_task
def check_tree(tenant_id: int) -> int:
    """Check one tenant's tree; returns how many faults it found."""
    return len(services.tree_check(Tenant.objects.get(pk=tenant_id)).faults)


@shared_task
def check_all_trees() -> None:
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        check_tree.delay(tenant_id)

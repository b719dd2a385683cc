"""What the resources room tells the rooms above it, without importing them.

`resources_changed` is sent after the transaction that offered, changed, paused or withdrew
resources has committed. The demands room listens (its AppConfig connects the receiver) and
rematches the open demands those resources could serve.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.dispatch import Signal

# kwargs: tenant_id (int), resource_ids (list[int])
resources_changed = Signal()


def announce_resources_changed(resources: Sequence) -> None:
    if not resources:
        return
    tenant_id = resources[0].tenant_id
    resource_ids = [resource.pk for resource in resources]
    transaction.on_commit(
        lambda: resources_changed.send(
            sender="resources", tenant_id=tenant_id, resource_ids=resource_ids
        )
    )

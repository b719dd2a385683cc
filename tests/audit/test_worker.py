"""A real worker process: what a task writes names the task, and the tenant's auditor reads it."""

from __future__ import annotations

import pytest

from audit.models import Entry

from ..test_workers import worker  # noqa: F401 - the worker process fixture
from ..workers import producer, wait_for
from .conftest import Admins, as_user
from .test_bulk_paths import overdue_demand

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("worker")]


def test_the_worker_is_named_as_the_actor_of_what_it_writes(world, admins: Admins):
    demand = overdue_demand(world)
    producer().send_task("demands.tasks.run_escalations")
    entry = wait_for(
        lambda: Entry.objects.filter(
            model="demands.demand",
            object_id=str(demand.pk),
            task="demands.tasks.run_escalations",
            changes__has_key="handling_committee_id",  # the escalation, not the rematch marker
        ).first()
    )
    assert entry.actor is None and entry.tenant == world.city.tenant
    assert "handling_committee_id" in entry.changes

    rows = as_user(admins.auditor).get("/audit/", {"model": "demands.demand"}).context["rows"]
    assert ("后台任务", "demands.tasks.run_escalations") in [
        (row.actor, row.actor_detail) for row in rows if row.entry.pk == entry.pk
    ]
    other = as_user(admins.other_auditor).get("/audit/").context["page"].paginator.count
    assert other == Entry.objects.filter(tenant=world.other_city.tenant).count()
    assert not Entry.objects.visible_to(admins.other_auditor).filter(pk=entry.pk).exists()

"""Structural writes from several processes at once leave a consistent tree (PostgreSQL only).

django-mptt rewrites lft/rght of many rows on every insert and move; without the tenant's
advisory lock, concurrent writers interleave those updates and corrupt the tree.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback

import pytest
from django.db import connection, connections

from committees import services
from committees.models import Committee, Level

PROCESSES = 4
CREATES_PER_PROCESS = 12


def write_concurrently(
    street_ids: list[int], district_id: int, slot: int, barrier, failures
) -> None:
    """One worker process: create communities under the streets and move some between them.

    A child must not return into pytest (it would run the parent's teardown), so it always ends
    with os._exit; an exception is first handed to the parent through `failures`, and the exit
    code says whether the child finished its work."""
    connections.close_all()  # never share the parent's socket
    code = 1
    try:
        barrier.wait(timeout=30)
        streets = list(Committee.objects.filter(pk__in=street_ids).order_by("division_code"))
        created: list[Committee] = []
        for i in range(CREATES_PER_PROCESS):
            street = streets[i % len(streets)]
            serial = slot * 100 + i + 10
            created.append(
                services.committee_create(
                    tenant=street.tenant,
                    parent=street,
                    name=f"并发社区{slot}-{i}",
                    level=Level.COMMUNITY,
                    division_code=f"{street.division_code[:9]}{serial:03d}",
                )
            )
        for committee in created[::3]:
            committee = Committee.objects.get(pk=committee.pk)
            target = next(s for s in streets if s.pk != committee.parent_id)
            services.committee_move(
                committee=committee,
                new_parent=target,
                division_code=f"{target.division_code[:9]}{committee.division_code[9:]}",
            )
        services.committee_create(
            tenant=streets[0].tenant,
            parent=Committee.objects.get(pk=district_id),
            name=f"并发街道{slot}",
            level=Level.STREET,
            division_code=f"110101{slot + 100:03d}000",
        )
        code = 0
    except BaseException:
        failures.put(f"process {slot}:\n{traceback.format_exc()}")
    finally:
        connections.close_all()
        os._exit(code)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_concurrent_structural_writes_leave_a_consistent_tree():
    from ..conftest import build_world

    world = build_world()
    street_ids = [world.street.pk, world.sibling_street.pk]
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    failures = context.Queue()
    connections.close_all()
    processes = [
        context.Process(
            target=write_concurrently,
            args=(street_ids, world.district.pk, slot, barrier, failures),
        )
        for slot in range(1, PROCESSES + 1)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    errors = []
    while not failures.empty():
        errors.append(failures.get(timeout=5))
    assert errors == [], "\n".join(errors)
    assert [process.exitcode for process in processes] == [0] * PROCESSES

    tenant = world.city.tenant
    assert services.tree_faults(tenant) == []
    new_communities = Committee.objects.filter(tenant=tenant, name__startswith="并发社区")
    assert new_communities.count() == PROCESSES * CREATES_PER_PROCESS
    assert Committee.objects.filter(tenant=tenant, name__startswith="并发街道").count() == PROCESSES
    # Every moved community sits under the street its new code names.
    for committee in new_communities.select_related("parent"):
        assert committee.division_code.startswith(committee.parent.division_code[:9])

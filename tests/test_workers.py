"""Tasks on a real broker and a real worker process (marked `worker`)."""

from __future__ import annotations

import pytest

from committees.models import Committee, TreeCheck

from .workers import WorkerProcess, flush_test_redis, producer, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def worker(transactional_db, tmp_path):
    flush_test_redis()
    process = WorkerProcess(tmp_path / "worker.log").start()
    yield process
    process.stop()


def test_the_worker_checks_a_tree_and_reports_faults(world, worker):
    tenant = world.city.tenant
    producer().send_task("committees.tasks.check_tree", args=[tenant.pk])
    check = wait_for(lambda: TreeCheck.objects.filter(tenant=tenant).first())
    assert check.is_consistent and check.node_count == 7

    Committee.objects.filter(pk=world.community2.pk).update(
        lft=world.community.lft, rght=world.community.rght
    )
    producer().send_task("committees.tasks.check_all_trees")
    broken = wait_for(lambda: TreeCheck.objects.filter(tenant=tenant).exclude(faults=[]).first())
    assert broken.faults
    assert "is inconsistent" in worker.log_path.read_text()
    wait_for(lambda: TreeCheck.objects.filter(tenant=world.other_city.tenant).exists())

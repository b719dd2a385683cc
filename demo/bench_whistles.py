"""The whistles' figures for `manage.py bench`: blowing a whistle that summons 23 departments
(the size of Jinding street's whistles), and publishing a bulletin to a district's whole subtree
(queued in the outbox in one statement). Each run inside a transaction that is rolled back, so the
dataset stays as seeded. The whistle list's p95 and queries are among the list reads."""

from __future__ import annotations

import statistics
import time

from django.db import transaction

from demo.bench_budget import within
from members.models import MemberUnit, UnitKind
from projects import bulletins, whistles
from projects.models import WhistleKind

BUDGET_BLOW_MS = 500.0
BUDGET_BULLETIN_S = 5.0
DEPARTMENTS = 23


class Rollback(Exception):
    pass


def _rolled_back(work):
    result = None
    try:
        with transaction.atomic():
            result = work()
            raise Rollback
    except Rollback:
        pass
    return result


def whistle_figures(tenant, street_user, street, runs: int = 10):
    district = street.parent

    def blow_once() -> float:
        departments = list(
            MemberUnit.objects.filter(tenant=tenant, kind=UnitKind.DEPARTMENT, committee=district)[
                :DEPARTMENTS
            ]
        )
        for n in range(len(departments), DEPARTMENTS):
            departments.append(
                MemberUnit.objects.create(
                    tenant=tenant,
                    committee=district,
                    name=f"{district.name}基准测试部门{n}",
                    kind=UnitKind.DEPARTMENT,
                )
            )
        started = time.perf_counter()
        whistles.whistle_blow(
            actor=street_user,
            committee=street,
            data=whistles.WhistleData(
                kind=WhistleKind.LIVELIHOOD,
                title="基准测试：模式口村环境综合整治",
                place=street.name,
                request="各部门到现场会诊",
                summons=[whistles.SummonsData(d, 24) for d in departments],
            ),
        )
        return (time.perf_counter() - started) * 1000

    timings = sorted(_rolled_back(blow_once) for _ in range(runs))
    p50 = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    figures = [
        (
            f"blow a whistle summoning {DEPARTMENTS} departments (p50 {p50:.0f} ms)",
            f"p95 {p95:.0f} ms",
            f"< {BUDGET_BLOW_MS:.0f} ms",
            within(p95, BUDGET_BLOW_MS),
        )
    ]
    city = district.parent or district

    def publish() -> tuple[float, int]:
        from members.models import Role, RoleGrant, User

        # A staff account at the city, for this run only (rolled back with it).
        actor = User.objects.create(tenant=tenant, username="bench-bulletin-publisher")
        RoleGrant.objects.create(tenant=tenant, user=actor, role=Role.STAFF, committee=city)
        started = time.perf_counter()
        bulletin = bulletins.publish_bulletin(
            actor=actor, committee=city, title="基准测试通报", body="全市街乡吹哨报到情况通报。"
        )
        return time.perf_counter() - started, bulletin.recipients

    seconds, recipients = _rolled_back(publish)
    figures.append(
        (
            f"bulletin to the city's subtree ({recipients:,} accounts) queued",
            f"{seconds:.2f} s",
            f"< {BUDGET_BULLETIN_S:.0f} s",
            within(seconds, BUDGET_BULLETIN_S),
        )
    )
    return figures

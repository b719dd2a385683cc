"""The whistle part of the Beijing-scale benchmark dataset: a dozen departments at every
district, 5,000 whistles over the last year with their summons (one to five departments each),
the officers' reports, the streets' ratings of the closed ones, and the demand side's ratings of
the completed projects' lead units.

Written like the other scale seeders (COPY through `BulkTable`, one transaction a stage, a stage
skipped when its rows exist), not through the services: no notifications, no audit trail. The
stamps are what the services and the once-a-minute scan would have left by now: a summons
unreported past its deadline is late and escalated to its district.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from demo.bulk import BulkTable, reserve_ids
from demo.scale_members import ScaleSeeder
from members.models import MemberUnit, UnitKind
from projects.models import (
    DepartmentRating,
    Evaluation,
    EvaluationDirection,
    Project,
    ProjectStatus,
    Summons,
    SummonsReport,
    Whistle,
    WhistleKind,
    WhistleStatus,
)


@dataclass(frozen=True)
class WhistleSize:
    whistles: int = 5_000


DEPARTMENTS = [
    "城市管理委员会", "城管执法局", "住房和城乡建设委员会", "生态环境局", "水务局", "交通委员会",
    "市场监督管理局", "卫生健康委员会", "民政局", "园林绿化局", "应急管理局", "公安分局",
]  # fmt: skip
PROBLEMS = [
    "污水横流", "垃圾堆积", "路口拥堵", "消防隐患", "违法建设", "河道淤积", "供暖不热",
    "燃气管线老化", "占道经营", "噪声扰民", "路灯不亮", "绿地破损",
]  # fmt: skip
KINDS = [WhistleKind.LIVELIHOOD] * 6 + [
    WhistleKind.PRIORITY,
    WhistleKind.TOUGH,
    WhistleKind.MUSTER,
    WhistleKind.VANGUARD,
]


class WhistleScaleSeeder:
    def __init__(self, members: ScaleSeeder, size: WhistleSize, *, out: Callable = print):
        self.m = members
        self.tenant = members.tenant
        self.size = size
        self.out = out

    def run(self) -> None:
        for name, stage in [
            ("departments", self.stage_departments),
            ("whistles", self.stage_whistles),
            ("evaluations", self.stage_evaluations),
        ]:
            step = dt.datetime.now()
            with transaction.atomic():
                report = stage()
            self.out(f"{name}: {report} in {(dt.datetime.now() - step).total_seconds():.1f}s")
        self.m.analyze(Whistle, Summons, SummonsReport, DepartmentRating, Evaluation, MemberUnit)

    def districts(self):
        return [p for p in self.m.places.values() if p.level == "district"]

    def stage_departments(self) -> str:
        if not self.size.whistles:
            return "none asked"
        existing = MemberUnit.objects.filter(
            tenant=self.tenant, kind=UnitKind.DEPARTMENT, committee__level="district"
        ).count()
        if existing:
            return f"{existing} present, skipped"
        rows = [
            MemberUnit(
                tenant=self.tenant,
                committee_id=d.id,
                name=f"{d.name}{name}",
                kind=UnitKind.DEPARTMENT,
                contact_name="值班室",
            )
            for d in self.districts()
            for name in DEPARTMENTS
        ]
        MemberUnit.objects.bulk_create(rows, batch_size=2000)
        return f"{len(rows)} departments"

    def stage_whistles(self) -> str:
        existing = Whistle.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        n = self.size.whistles
        if not n:
            return "none asked"
        rng = self.m.rng("whistles")
        now = self.m.now
        by_district: dict[int, list[int]] = defaultdict(list)
        for pk, committee_id in MemberUnit.objects.filter(
            tenant=self.tenant, kind=UnitKind.DEPARTMENT
        ).values_list("pk", "committee_id"):
            by_district[committee_id].append(pk)
        streets = [s for s in self.m.streets if by_district.get(s.parent_id)]
        if not streets:
            return "no departments"
        staff = self.m.staff
        fallback = next(iter(staff.values()), None)
        if fallback is None:
            return "no accounts"
        first = reserve_ids(Whistle, n)
        whistles, summons, reports, ratings = [], [], [], []
        plans = []
        total_summons = 0
        for _ in range(n):
            street = rng.choice(streets)
            departments = rng.sample(by_district[street.parent_id], rng.randint(1, 5))
            plans.append((street, departments))
            total_summons += len(departments)
        first_summons = reserve_ids(Summons, total_summons)
        summons_id = first_summons
        for i, (street, departments) in enumerate(plans):
            blown = now - dt.timedelta(minutes=rng.randint(60, 365 * 24 * 60))
            closed = blown + dt.timedelta(days=rng.randint(2, 20))
            status = (
                WhistleStatus.CLOSED
                if closed < now and rng.random() < 0.85
                else (WhistleStatus.OPEN)
            )
            author = staff.get(street.id, fallback)
            whistles.append(
                (
                    first + i,
                    self.tenant.pk,
                    street.id,
                    rng.choice(KINDS),
                    f"{street.short or street.name}{rng.choice(PROBLEMS)}",
                    f"{street.name}辖区",
                    "请部门到现场会诊处置。",
                    "",
                    status,
                    blown,
                    author,
                    closed if status == WhistleStatus.CLOSED else None,
                    author if status == WhistleStatus.CLOSED else None,
                    "已办结。" if status == WhistleStatus.CLOSED else "",
                    "",
                )
            )
            for department in departments:
                hours = rng.choice([2, 4, 12, 24, 48])
                due = blown + dt.timedelta(hours=hours)
                late = rng.random() < 0.15
                arrived = (
                    None
                    if late and rng.random() < 0.5
                    else (
                        due + dt.timedelta(hours=rng.randint(1, 12))
                        if late
                        else blown + dt.timedelta(minutes=rng.randint(10, hours * 60))
                    )
                )
                if arrived is not None and arrived > now:
                    arrived = None
                acted = (
                    arrived + dt.timedelta(hours=rng.randint(1, 48))
                    if arrived is not None
                    else None
                )
                if acted is not None and acted > now:
                    acted = None
                escalated = due + dt.timedelta(minutes=1) if (late and due < now) else None
                on_time = (
                    True if arrived is not None and not late else (False if due < now else None)
                )
                state = "acted" if acted else ("arrived" if arrived else "summoned")
                summons.append(
                    (
                        summons_id,
                        self.tenant.pk,
                        first + i,
                        department,
                        hours,
                        due,
                        state,
                        arrived,
                        arrived,
                        acted,
                        on_time,
                        due
                        if (status == WhistleStatus.OPEN and arrived is None and due >= now)
                        else None,
                        escalated,
                        street.parent_id if escalated else None,
                    )
                )
                for kind, at, note in (
                    ("arrived", arrived, "已到达现场"),
                    ("acted", acted, "已处置完毕"),
                ):
                    if at is not None:
                        reports.append((self.tenant.pk, summons_id, kind, note, author, at))
                if status == WhistleStatus.CLOSED:
                    punctuality = 5 if on_time else 2
                    attitude, result = rng.choice([3, 4, 5, 5]), rng.choice([3, 4, 4, 5])
                    score = (Decimal(punctuality + attitude + result) / 3).quantize(
                        Decimal("0.01"), rounding=ROUND_HALF_UP
                    )
                    ratings.append(
                        (
                            self.tenant.pk,
                            summons_id,
                            first + i,
                            department,
                            street.id,
                            punctuality,
                            attitude,
                            result,
                            score,
                            "",
                            author,
                            closed,
                        )
                    )
                summons_id += 1
        BulkTable(
            Whistle,
            [
                "id", "tenant_id", "committee_id", "kind", "title", "place", "request",
                "description", "status", "blown_at", "blown_by_id", "closed_at", "closed_by_id",
                "close_summary", "cancel_reason",
            ],
        ).write(whistles)  # fmt: skip
        BulkTable(
            Summons,
            [
                "id", "tenant_id", "whistle_id", "department_id", "hours", "due_at", "status",
                "acknowledged_at", "arrived_at", "acted_at", "on_time", "supervise_at",
                "escalated_at", "escalated_to_id",
            ],
        ).write(summons)  # fmt: skip
        BulkTable(
            SummonsReport, ["tenant_id", "summons_id", "kind", "note", "author_id", "at"]
        ).write(reports)
        BulkTable(
            DepartmentRating,
            [
                "tenant_id", "summons_id", "whistle_id", "department_id", "committee_id",
                "punctuality", "attitude", "result", "score", "comment", "rated_by_id",
                "rated_at",
            ],
        ).write(ratings)  # fmt: skip
        return (
            f"{len(whistles)} whistles, {len(summons)} summons, {len(reports)} reports, "
            f"{len(ratings)} ratings"
        )

    def stage_evaluations(self) -> str:
        existing = Evaluation.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.m.rng("evaluations")
        fallback = next(iter(self.m.staff.values()), None)
        rows = []
        for pk, committee_id, lead, completed in Project.objects.filter(
            tenant=self.tenant,
            status__in=[ProjectStatus.COMPLETED, ProjectStatus.EVALUATED],
            lead_unit__isnull=False,
        ).values_list("pk", "committee_id", "lead_unit_id", "completed_at"):
            rows.append(
                (
                    self.tenant.pk,
                    pk,
                    EvaluationDirection.DEMAND_TO_PROVIDER,
                    committee_id,
                    lead,
                    rng.choice([3, 4, 4, 5, 5, 5]),
                    "",
                    self.m.staff.get(committee_id, fallback),
                    completed or self.m.now,
                )
            )
        if fallback is None:
            return "no accounts"
        BulkTable(
            Evaluation,
            [
                "tenant_id", "project_id", "direction", "rater_committee_id", "subject_unit_id",
                "score", "comment", "rated_by_id", "rated_at",
            ],
        ).write(rows)  # fmt: skip
        # Every unit's record, in one statement per table.
        from projects.whistles import unit_records_refresh

        rated = {row[4] for row in rows} | set(
            DepartmentRating.objects.filter(tenant=self.tenant)
            .values_list("department_id", flat=True)
            .distinct()
        )
        unit_records_refresh(rated)
        return f"{len(rows)} evaluations, {len(rated)} unit records"

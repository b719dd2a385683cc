"""The project part of the Beijing-scale benchmark dataset: 30,000 projects over the last two
years (DESIGN.md, Performance budgets) with three milestones each, a progress update each, and
2,000 meetings with their agenda, attendees and decisions (half of them tasks).

Written like the other scale seeders: PostgreSQL COPY through `BulkTable`, one transaction a
stage, a stage skipped when its rows exist. Not through the services: no transition rows, no
audit trail, no notifications. The supervision stamps are what the once-a-minute scan would have
left by now (`projects.supervision.next_look` decides the next look), so a scan run on this data
finds only what falls due from now on; a fulfilled demand of the scale data is the demand of
each completed project, in its subtree.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from demands.models import Demand, DemandStatus
from demo.bulk import BulkTable, reserve_ids
from demo.scale_members import Place, ScaleSeeder
from members.models import MemberUnit
from projects import supervision
from projects.models import (
    AgendaItem,
    Attendee,
    Decision,
    Meeting,
    MeetingStatus,
    Milestone,
    ProgressUpdate,
    Project,
    ProjectDemand,
    ProjectSource,
    ProjectStatus,
    Task,
    TaskStatus,
)


@dataclass(frozen=True)
class ProjectSize:
    projects: int = 30_000
    meetings: int = 2_000


STATUSES = [
    (ProjectStatus.PLANNED, 15),
    (ProjectStatus.IN_PROGRESS, 40),
    (ProjectStatus.COMPLETED, 30),
    (ProjectStatus.EVALUATED, 8),
    (ProjectStatus.SUSPENDED, 3),
    (ProjectStatus.CANCELLED, 4),
]
SOURCES = [
    (ProjectSource.CLAIM, 45),
    (ProjectSource.MATCH, 20),
    (ProjectSource.DECISION, 15),
    (ProjectSource.RESOURCE, 10),
    (ProjectSource.DIRECT, 10),
]
# fmt: off
TITLES = [
    "{p}老年餐桌助餐服务", "{p}日间照料中心改造", "{p}老旧小区加装电梯", "{p}楼道堆物清理整治",
    "{p}四点半课堂", "{p}党员医护进社区义诊", "{p}错时停车共享", "{p}垃圾分类桶前值守",
    "{p}屋顶防水修缮", "{p}防电信诈骗宣传月", "{p}消防安全演练", "{p}失业人员就业对接",
    "{p}邻里纠纷调解室", "{p}文体活动场地共享", "{p}适老化改造", "{p}青少年暑期课堂",
]
MILESTONES = ["方案制定", "组织实施", "验收总结"]
UPDATES = [
    "已完成现场勘察，制定实施方案。", "已组织党员志愿者开展服务，居民反映良好。",
    "施工已过半，预计按期完成。", "资金已落实，正在采购设备。", "本周服务居民约60人次。",
]
# fmt: on
RUNNING = {ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS}
DONE = {ProjectStatus.COMPLETED, ProjectStatus.EVALUATED}


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


class ProjectScaleSeeder:
    """Stages: projects (with their demands), milestones, updates, meetings (with agenda,
    attendees, decisions and tasks)."""

    def __init__(self, members: ScaleSeeder, size: ProjectSize, *, out: Callable = print):
        self.m = members
        self.tenant = members.tenant
        self.size = size
        self.out = out
        self.rhythm = supervision.rhythm_of(self.tenant.pk)

    def run(self) -> None:
        for name, stage in [
            ("projects", self.stage_projects),
            ("milestones and progress", self.stage_milestones),
            ("meetings", self.stage_meetings),
        ]:
            step = dt.datetime.now()
            with transaction.atomic():
                report = stage()
            self.out(f"{name}: {report} in {(dt.datetime.now() - step).total_seconds():.1f}s")
        self.m.analyze(
            Project, ProjectDemand, Milestone, ProgressUpdate, Meeting, AgendaItem, Attendee, Task
        )

    # -- helpers --

    def owner_of(self, place: Place) -> Place:
        """A demand's project is owned by its street (a street's own demand: the street)."""
        node = place
        while node.level not in ("street", "district", "city") and node.parent_id in self.m.places:
            node = self.m.places[node.parent_id]
        return node

    def stamps(self, due_on: dt.date, is_open: bool) -> tuple:
        """(due_at, supervise_at, reminded_at, overdue_at, escalated_at, escalated_to_id) as the
        scan would have left them by now."""
        now = self.m.now
        row = SimpleNamespace(
            due_at=supervision.due_at_for(due_on),
            reminded_at=None,
            overdue_at=None,
            escalated_at=None,
        )
        remind_at = row.due_at - self.rhythm.remind - dt.timedelta(days=1)
        escalate_at = row.due_at + self.rhythm.escalate
        if is_open:
            if now >= row.due_at:
                row.overdue_at = row.due_at + dt.timedelta(minutes=1)
                if now >= escalate_at:
                    row.escalated_at = escalate_at + dt.timedelta(minutes=1)
            elif now >= remind_at:
                row.reminded_at = remind_at + dt.timedelta(minutes=1)
        look = supervision.next_look(row, self.rhythm, is_open=is_open)
        return row.due_at, look, row.reminded_at, row.overdue_at, row.escalated_at

    # -- stages --

    def stage_projects(self) -> str:
        existing = Project.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        n = self.size.projects
        if not n:
            return "none asked"
        rng = self.m.rng("projects")
        places, today = self.m.places, self.m.today
        units_at: dict[int, list[int]] = defaultdict(list)
        for unit_id, committee_id in MemberUnit.objects.filter(tenant=self.tenant).values_list(
            "pk", "committee_id"
        ):
            units_at[self.owner_of(places[committee_id]).id].append(unit_id)
        all_units = [u for units in units_at.values() for u in units]
        fulfilled = list(
            Demand.objects.filter(tenant=self.tenant, status=DemandStatus.FULFILLED)
            .order_by("pk")
            .values_list("pk", "committee_id", "category_id")
        )
        rng.shuffle(fulfilled)
        statuses = [_pick(rng, STATUSES) for _ in range(n)]
        first = reserve_ids(Project, n)
        rows, links = [], []
        streets = self.m.streets
        for i, status in enumerate(statuses):
            demand = fulfilled.pop() if status in DONE and fulfilled else None
            if demand is not None:
                owner = self.owner_of(places[demand[1]])
                category = demand[2]
                links.append((self.tenant.pk, first + i, demand[0]))
            else:
                owner = rng.choice(streets)
                category = None
            start = today - dt.timedelta(days=rng.randint(0, 600))
            due = start + dt.timedelta(days=rng.randint(30, 300))
            if status in RUNNING and due < today - dt.timedelta(days=60) and rng.random() < 0.8:
                due = today + dt.timedelta(days=rng.randint(1, 200))  # most running work is on time
            lead = rng.choice(units_at[owner.id] or all_units) if all_units else None
            created = self.m.moment(start - dt.timedelta(days=rng.randint(1, 20)), 10)
            started = self.m.moment(start, 9) if status != ProjectStatus.PLANNED else None
            completed = self.m.moment(min(due, today), 16) if status in DONE else None
            due_at, look, reminded, overdue, escalated = self.stamps(due, status in RUNNING)
            rows.append(
                (
                    first + i,
                    self.tenant.pk,
                    owner.id,
                    start.year,
                    rng.choice(TITLES).format(p=owner.short)[:120],
                    "驻区单位与社区共建项目。",
                    category,
                    lead,
                    Decimal(rng.randint(0, 400) * 1000),
                    start,
                    due,
                    status,
                    "资金未落实"
                    if status in (ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED)
                    else "",
                    _pick(rng, SOURCES),
                    self.m.staff.get(owner.id),
                    created,
                    started,
                    completed,
                    due_at,
                    look,
                    reminded,
                    overdue,
                    escalated,
                    owner.parent_id if escalated else None,
                )
            )
        count = BulkTable(
            Project,
            [
                "id",
                "tenant_id",
                "committee_id",
                "year",
                "title",
                "description",
                "category_id",
                "lead_unit_id",
                "budget",
                "start_on",
                "due_on",
                "status",
                "status_reason",
                "source",
                "created_by_id",
                "created_at",
                "started_at",
                "completed_at",
                "due_at",
                "supervise_at",
                "reminded_at",
                "overdue_at",
                "escalated_at",
                "escalated_to_id",
            ],
        ).write(rows)
        BulkTable(ProjectDemand, ["tenant_id", "project_id", "demand_id"]).write(links)
        return f"{count} projects ({len(links)} with their fulfilled demand)"

    def stage_milestones(self) -> str:
        existing = Milestone.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        rng = self.m.rng("milestones")
        today = self.m.today
        projects = list(
            Project.objects.filter(tenant=self.tenant)
            .order_by("pk")
            .values_list("pk", "committee_id", "status", "start_on", "due_on", "created_by_id")
        )
        milestones, updates = [], []
        for pk, committee_id, status, start, due, author in projects:
            span = max((due - start).days, 3)
            for position, title in enumerate(MILESTONES, start=1):
                day = start + dt.timedelta(days=span * position // len(MILESTONES))
                done = status in DONE or (status in RUNNING and day < today and rng.random() < 0.85)
                is_open = status in RUNNING and not done
                due_at, look, reminded, overdue, escalated = self.stamps(day, is_open)
                parent = self.m.places[committee_id].parent_id
                milestones.append(
                    (
                        self.tenant.pk,
                        pk,
                        position,
                        title,
                        day,
                        self.m.moment(min(day, today), 15) if done else None,
                        due_at,
                        look,
                        reminded,
                        overdue,
                        escalated,
                        parent if escalated else None,
                    )
                )
            if status != ProjectStatus.PLANNED and author:
                updates.append(
                    (
                        self.tenant.pk,
                        pk,
                        rng.choice(UPDATES),
                        author,
                        self.m.moment(
                            min(start + dt.timedelta(days=rng.randint(1, span)), today), 11
                        ),
                    )
                )
        count = BulkTable(
            Milestone,
            [
                "tenant_id",
                "project_id",
                "position",
                "title",
                "due_on",
                "done_at",
                "due_at",
                "supervise_at",
                "reminded_at",
                "overdue_at",
                "escalated_at",
                "escalated_to_id",
            ],
        ).write(milestones)
        written = BulkTable(
            ProgressUpdate, ["tenant_id", "project_id", "text", "author_id", "posted_at"]
        ).write(updates)
        return f"{count} milestones, {written} progress updates"

    def stage_meetings(self) -> str:
        existing = Meeting.objects.filter(tenant=self.tenant).count()
        if existing:
            return f"{existing} present, skipped"
        n = self.size.meetings
        if not n:
            return "none asked"
        rng = self.m.rng("meetings")
        now, today = self.m.now, self.m.today
        hosts = [p for p in self.m.places.values() if p.level in ("street", "district")]
        units_at: dict[int, list[int]] = defaultdict(list)
        for unit_id, committee_id in MemberUnit.objects.filter(tenant=self.tenant).values_list(
            "pk", "committee_id"
        ):
            units_at[self.owner_of(self.m.places[committee_id]).id].append(unit_id)
        zone = timezone.get_current_timezone()
        first = reserve_ids(Meeting, n)
        first_decision = reserve_ids(Decision, n)
        meetings, agenda, attendees, decisions, tasks = [], [], [], [], []
        for i in range(n):
            host = rng.choice(hosts)
            day = today + dt.timedelta(days=rng.randint(-360, 30))
            starts = dt.datetime.combine(day, dt.time(rng.choice([9, 10, 14, 15])), tzinfo=zone)
            held = starts < now
            staff = self.m.staff.get(host.id)
            if staff is None:
                continue
            meetings.append(
                (
                    first + i,
                    uuid.uuid4(),
                    self.tenant.pk,
                    host.id,
                    f"{host.short}党建工作协调委员会{'月度例会' if i % 3 else '全体会议'}",
                    starts,
                    starts + dt.timedelta(hours=2),
                    f"{host.short}党群服务中心会议室",
                    MeetingStatus.HELD if held else MeetingStatus.SCHEDULED,
                    "会议听取各成员单位项目进展汇报，议定下一步工作。" if held else "",
                    starts + dt.timedelta(hours=3) if held else None,
                    starts - dt.timedelta(days=5),
                    staff,
                )
            )
            for position, title in enumerate(("项目清单进展通报", "需求清单对接议题"), start=1):
                agenda.append((self.tenant.pk, first + i, position, title))
            for unit in rng.sample(units_at[host.id], min(3, len(units_at[host.id]))):
                attendees.append(
                    (
                        self.tenant.pk,
                        first + i,
                        unit,
                        "成员单位",
                        "attend" if held else "pending",
                        held if held else None,
                    )
                )
            if held and i % 2 == 0:
                due = day + dt.timedelta(days=rng.randint(7, 60))
                decisions.append(
                    (
                        first_decision + i,
                        self.tenant.pk,
                        first + i,
                        "task",
                        "摸排辖区需求并报送",
                        host.id,
                        due,
                        staff,
                    )
                )
                done = due < today and rng.random() < 0.8
                is_open = not done
                due_at, look, reminded, overdue, escalated = self.stamps(due, is_open)
                tasks.append(
                    (
                        self.tenant.pk,
                        host.id,
                        first_decision + i,
                        "摸排辖区需求并报送",
                        host.id,
                        due,
                        TaskStatus.DONE if done else TaskStatus.OPEN,
                        self.m.moment(due, 16) if done else None,
                        due_at,
                        look,
                        reminded,
                        overdue,
                        escalated,
                        host.parent_id if escalated else None,
                    )
                )
        BulkTable(
            Meeting,
            [
                "id",
                "uid",
                "tenant_id",
                "committee_id",
                "title",
                "starts_at",
                "ends_at",
                "location",
                "status",
                "minutes",
                "minutes_published_at",
                "invitations_sent_at",
                "created_by_id",
            ],
        ).write(meetings)
        BulkTable(AgendaItem, ["tenant_id", "meeting_id", "position", "title"]).write(agenda)
        BulkTable(
            Attendee, ["tenant_id", "meeting_id", "unit_id", "role", "response", "present"]
        ).write(attendees)
        BulkTable(
            Decision,
            [
                "id",
                "tenant_id",
                "meeting_id",
                "kind",
                "text",
                "owner_committee_id",
                "due_on",
                "created_by_id",
            ],
        ).write(decisions)
        BulkTable(
            Task,
            [
                "tenant_id",
                "committee_id",
                "decision_id",
                "title",
                "owner_committee_id",
                "due_on",
                "status",
                "done_at",
                "due_at",
                "supervise_at",
                "reminded_at",
                "overdue_at",
                "escalated_at",
                "escalated_to_id",
            ],
        ).write(tasks)
        return (
            f"{len(meetings)} meetings, {len(agenda)} agenda items, {len(attendees)} attendees, "
            f"{len(tasks)} tasks"
        )

"""Supervision with a frozen clock: the reminder once, the overdue flag once, the escalation to
the committee one level up once (its staff notified exactly once), nothing sent twice when the
task runs twice; a finished milestone is no longer chased; a reminder from the overdue list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import Notification
from projects import selectors, services
from projects.models import Milestone, SupervisionPolicy
from projects.services import MilestoneData
from projects.tasks import run_supervision

from ..factories import user_with_role
from . import factories as f

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday, 17:00 in Beijing


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def supervision_notes(user, stage: str) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, key__startswith=f"supervision:{stage}:")
        .order_by("pk")
        .values_list("title", flat=True)
    )


@pytest.fixture
def setting(world):
    SupervisionPolicy.objects.create(
        tenant=world.city.tenant, remind_days_before=2, escalate_after_days=3
    )


@pytest.fixture
def district_staff(world):
    return user_with_role("staff", world.district, username="dc_staff")


def test_reminder_overdue_and_escalation_each_once(world, setting, district_staff):
    with time_machine.travel(START, tick=False) as clock:
        today = timezone.localdate()
        project, contact = f.project(
            world,
            milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=5))],
            due_on=today + dt.timedelta(days=20),
        )
        milestone = project.milestones.get()
        assert milestone.due_at == at(today + dt.timedelta(days=6), 0)

        assert run_supervision() == {"reminded": 0, "overdue": 0, "escalated": 0}
        clock.move_to(at(today + dt.timedelta(days=3)))  # two days before the due date
        assert services.supervision_scan() == {"reminded": 1, "overdue": 0, "escalated": 0}
        assert services.supervision_scan() == {"reminded": 0, "overdue": 0, "escalated": 0}
        assert supervision_notes(contact, "reminded") == [
            f"里程碑“多福巷老年餐桌 · 开餐运营”将于{today + dt.timedelta(days=5)}到期"
        ]
        assert len(supervision_notes(world.street_staff, "reminded")) == 1

        clock.move_to(at(today + dt.timedelta(days=6), 0))  # the day after the due date begins
        assert services.supervision_scan() == {"reminded": 0, "overdue": 1, "escalated": 0}
        assert services.supervision_scan()["overdue"] == 0
        milestone.refresh_from_db()
        assert milestone.is_overdue and milestone.escalated_at is None
        assert len(supervision_notes(contact, "overdue")) == 1
        assert supervision_notes(district_staff, "escalated") == []

        clock.move_to(at(today + dt.timedelta(days=9), 0))  # three days overdue
        assert services.supervision_scan() == {"reminded": 0, "overdue": 0, "escalated": 1}
        clock.shift(dt.timedelta(days=30))
        # Nothing more for the milestone; the project itself is now late (no reminder: the
        # scan first saw it past its due date).
        assert services.supervision_scan() == {"reminded": 0, "overdue": 1, "escalated": 0}
        assert services.supervision_scan() == {"reminded": 0, "overdue": 0, "escalated": 1}
        assert services.supervision_scan() == {"reminded": 0, "overdue": 0, "escalated": 0}
        milestone.refresh_from_db()
        assert milestone.escalated_to == world.district
        assert milestone.supervise_at is None
        assert supervision_notes(district_staff, "escalated") == [
            "东华门街道的里程碑“多福巷老年餐桌 · 开餐运营”逾期未办结，已上报至东城区",
            "东华门街道的项目“多福巷老年餐桌”逾期未办结，已上报至东城区",
        ]
        # The district's leader reads it on the overdue list; the sibling street does not.
        rows = selectors.overdue_rows(selectors.overdue_list(user=world.district_leader))
        assert [(r["kind"], r["pk"]) for r in rows] == [
            ("milestone", milestone.pk),
            ("project", project.pk),
        ]
        assert selectors.overdue_list(user=world.sibling_staff).count() == 0


def test_a_finished_milestone_is_no_longer_chased(world, setting):
    with time_machine.travel(START, tick=False) as clock:
        today = timezone.localdate()
        project, contact = f.project(
            world, milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=5))]
        )
        milestone = project.milestones.get()
        services.milestone_finish(actor=contact, milestone=milestone)
        clock.move_to(at(today + dt.timedelta(days=10)))
        assert services.supervision_scan() == {"reminded": 0, "overdue": 0, "escalated": 0}
        assert Notification.objects.filter(key__startswith="supervision:").count() == 0


def test_an_item_already_late_when_seen_is_flagged_overdue_without_a_reminder(world, setting):
    with time_machine.travel(START, tick=False) as clock:
        today = timezone.localdate()
        project, contact = f.project(
            world, milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=1))]
        )
        clock.move_to(at(today + dt.timedelta(days=2)))  # the scanner was down for days
        counts = services.supervision_scan()
        assert counts["overdue"] == 1 and counts["reminded"] == 0
        assert supervision_notes(contact, "reminded") == []


def test_a_suspended_project_is_not_chased_and_resuming_picks_up(world, setting):
    with time_machine.travel(START, tick=False) as clock:
        today = timezone.localdate()
        project, _contact = f.project(
            world, milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=5))]
        )
        services.project_transition(
            actor=world.street_staff, project=project, to="suspended", reason="等待审批"
        )
        clock.move_to(at(today + dt.timedelta(days=7)))
        assert services.supervision_scan()["overdue"] == 0
        services.project_transition(actor=world.street_staff, project=project, to="planned")
        assert services.supervision_scan()["overdue"] == 1


def test_a_reminder_from_the_overdue_list_once_a_day(world, setting, district_staff):
    with time_machine.travel(START, tick=False) as clock:
        today = timezone.localdate()
        project, contact = f.project(
            world, milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=1))]
        )
        milestone = project.milestones.get()
        with pytest.raises(ValidationError) as refused:
            services.reminder_send(actor=world.district_leader, kind="milestone", pk=milestone.pk)
        assert "未逾期" in refused.value.messages[0]
        clock.move_to(at(today + dt.timedelta(days=3)))
        services.supervision_scan()
        assert services.reminder_send(
            actor=world.district_leader, kind="milestone", pk=milestone.pk
        )
        with pytest.raises(ValidationError) as refused:
            services.reminder_send(actor=world.district_leader, kind="milestone", pk=milestone.pk)
        assert refused.value.messages == ["今天已提醒过，请勿重复发送。"]
        assert (
            Notification.objects.filter(
                recipient=contact, key__startswith="supervision:nudge:"
            ).count()
            == 1
        )


def test_changing_the_tenants_rhythm_moves_every_open_rows_next_look(world):
    with time_machine.travel(START, tick=False):
        today = timezone.localdate()
        project, _contact = f.project(
            world, milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=10))]
        )
        milestone = project.milestones.get()
        assert milestone.supervise_at == milestone.due_at - dt.timedelta(days=4)  # the default
        services.supervision_policy_set(
            actor=world.tenant_admin,
            tenant_id=world.city.tenant_id,
            remind_days_before=7,
            escalate_after_days=5,
        )
        milestone = Milestone.objects.get(pk=milestone.pk)
        assert milestone.supervise_at == milestone.due_at - dt.timedelta(days=8)


def test_an_escalation_to_a_level_without_staff_reaches_the_nearest_staffed_level_above(
    world, setting
):
    # The district has no staff account: what is escalated to it waits for the city's staff.
    with time_machine.travel(START, tick=False) as clock:
        today = timezone.localdate()
        project, _contact = f.project(
            world,
            milestones=[MilestoneData("开餐运营", today + dt.timedelta(days=5))],
            due_on=today + dt.timedelta(days=40),
        )
        clock.move_to(at(today + dt.timedelta(days=6), 0))
        assert services.supervision_scan()["overdue"] == 1
        clock.move_to(at(today + dt.timedelta(days=9), 0))
        assert services.supervision_scan()["escalated"] == 1
    milestone = project.milestones.get()
    assert milestone.escalated_to == world.district  # the record names the level it rose to
    assert supervision_notes(world.tenant_admin, "escalated") == [
        "东华门街道的里程碑“多福巷老年餐桌 · 开餐运营”逾期未办结，已上报至东城区"
    ]

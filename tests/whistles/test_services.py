"""Whistles and summons through the services: blowing, the summons state machine, the report
deadline with a frozen clock (escalated once, notified once), closing and rating, isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Delivery, Notification, WebhookEndpoint
from projects import whistles
from projects.models import (
    DepartmentRating,
    DepartmentRobot,
    Summons,
    SummonsReport,
    SummonsStatus,
    Whistle,
    WhistleStatus,
)
from projects.tasks import run_summons_scan

from ..factories import user_with_role
from . import factories as f

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing


@pytest.fixture
def depts(world):
    water = f.department(world.district, "东城区水务局")
    env = f.department(world.district, "东城区生态环境局")
    return water, env, f.officer_of(water, "water_officer"), f.officer_of(env, "env_officer")


@pytest.fixture
def district_staff(world):
    return user_with_role("staff", world.district, username="dc_staff")


def test_blow_summons_each_department_with_its_deadline(world, depts):
    water, env, water_officer, env_officer = depts
    with time_machine.travel(START, tick=False):
        whistle = f.blow(world, [water, env], hours=[4, 48])
    rows = {s.department_id: s for s in whistle.summons.all()}
    assert rows[water.pk].due_at == START + dt.timedelta(hours=4)
    assert rows[env.pk].due_at == START + dt.timedelta(hours=48)
    assert rows[water.pk].status == SummonsStatus.SUMMONED and rows[water.pk].on_time is None
    assert Notification.objects.filter(recipient=water_officer, key=f"summons:{rows[water.pk].pk}")
    assert not Notification.objects.filter(
        recipient=water_officer, key=f"summons:{rows[env.pk].pk}"
    )


def test_blow_reports_every_problem_at_once(world, depts):
    water, *_ = depts
    private = f.mf.unit(world.district, name="某公司")
    elsewhere = f.department(world.other_street.parent, "黄浦区水务局")
    with pytest.raises(ValidationError) as raised:
        whistles.whistle_blow(
            actor=world.street_staff,
            committee=world.street,
            data=whistles.WhistleData(
                kind="nope",
                title="",
                place="",
                request="",
                summons=[
                    whistles.SummonsData(water, 0),
                    whistles.SummonsData(private, 4),
                    whistles.SummonsData(elsewhere, 4),
                ],
            ),
        )
    errors = raised.value.message_dict
    assert {"kind", "title", "place", "request", "summons"} <= set(errors)
    assert len(errors["summons"]) == 3
    assert not Whistle.objects.exists()


def test_only_street_staff_blow(world, depts):
    water, *_ = depts
    for user, committee in (
        (world.community_staff, world.community),
        (world.sibling_staff, world.street),
        (world.district_leader, world.street),
    ):
        with pytest.raises(PermissionDenied):
            f.blow(world, [water], actor=user, committee=committee)


def test_summons_state_machine_refuses_illegal_steps(world, depts):
    water, env, water_officer, env_officer = depts
    whistle = f.blow(world, [water, env])
    summons = whistle.summons.get(department=water)
    with pytest.raises(ValidationError):  # acting before arriving
        whistles.summons_advance(actor=water_officer, summons=summons, to="acted", note="清理")
    with pytest.raises(PermissionDenied):  # another department's officer
        whistles.summons_advance(actor=env_officer, summons=summons, to="arrived")
    with pytest.raises(PermissionDenied):  # street staff do not report for a department
        whistles.summons_advance(actor=world.street_staff, summons=summons, to="arrived")
    whistles.summons_advance(actor=water_officer, summons=summons, to="acknowledged")
    whistles.summons_advance(actor=water_officer, summons=summons, to="arrived", note="已到场")
    with pytest.raises(ValidationError):  # backwards
        whistles.summons_advance(actor=water_officer, summons=summons, to="acknowledged")
    with pytest.raises(ValidationError) as raised:  # action taken needs its note
        whistles.summons_advance(actor=water_officer, summons=summons, to="acted")
    assert "note" in raised.value.message_dict
    whistles.summons_advance(actor=water_officer, summons=summons, to="acted", note="清淤完成")
    summons.refresh_from_db()
    assert summons.status == SummonsStatus.ACTED and summons.on_time is True
    assert list(summons.reports.values_list("kind", flat=True)) == [
        "acknowledged",
        "arrived",
        "acted",
    ]


def test_missed_deadline_escalated_once_and_district_notified_once(world, depts, district_staff):
    water, env, water_officer, env_officer = depts
    with time_machine.travel(START, tick=False) as clock:
        whistle = f.blow(world, [water, env], hours=[4, 4])
        water_summons = whistle.summons.get(department=water)
        clock.shift(dt.timedelta(hours=3))
        whistles.summons_advance(actor=water_officer, summons=water_summons, to="arrived")
        assert run_summons_scan() == 0
        clock.shift(dt.timedelta(hours=1, minutes=1))
        assert run_summons_scan() == 1
        assert run_summons_scan() == 0
        clock.shift(dt.timedelta(days=2))
        assert run_summons_scan() == 0
        late = whistle.summons.get(department=env)
        assert late.on_time is False and late.escalated_to == world.district
        assert late.escalated_at == START + dt.timedelta(hours=4, minutes=1)
        assert (
            Notification.objects.filter(
                recipient=district_staff, key=f"summons:{late.pk}:escalated"
            ).count()
            == 1
        )
        assert Notification.objects.filter(recipient=district_staff).count() == 1
        assert (
            Notification.objects.filter(recipient=env_officer, key__endswith=":late").count() == 1
        )
        water_summons.refresh_from_db()
        assert water_summons.on_time is True and water_summons.escalated_at is None
        # Arriving after the escalation is late, and is not escalated again.
        whistles.summons_advance(actor=env_officer, summons=late, to="arrived")
        late.refresh_from_db()
        assert late.on_time is False and late.status == SummonsStatus.ARRIVED


def test_escalated_summons_seen_by_the_district_not_the_sibling(world, depts, district_staff):
    water, env, water_officer, env_officer = depts
    with time_machine.travel(START, tick=False) as clock:
        whistle = f.blow(world, [water, env], hours=[2, 2])
        clock.shift(dt.timedelta(hours=3))
        run_summons_scan()
    assert Summons.objects.visible_to(district_staff).filter(whistle=whistle).count() == 2
    assert not Whistle.objects.visible_to(world.sibling_staff).exists()
    assert not Summons.objects.visible_to(world.sibling_staff).exists()
    assert not Whistle.objects.visible_to(world.other_admin).exists()


def test_officer_sees_only_their_departments_summons(world, depts):
    water, env, water_officer, env_officer = depts
    police = f.department(world.district, "东华门派出所")
    police_officer = f.officer_of(police)
    both = f.blow(world, [water, env], title="河道治理")
    env_only = f.blow(world, [env], title="垃圾堆放")
    assert set(Whistle.objects.visible_to(water_officer)) == {both}
    assert set(Whistle.objects.visible_to(env_officer)) == {both, env_only}
    assert not Whistle.objects.visible_to(police_officer).exists()
    seen = Summons.objects.visible_to(water_officer)
    assert set(seen.values_list("department_id", flat=True)) == {water.pk}
    assert not Whistle.objects.visible_to(water_officer, "change").exists()
    assert not SummonsReport.objects.visible_to(police_officer).exists()


def test_close_rates_every_department_and_updates_its_record(world, depts):
    water, env, water_officer, env_officer = depts
    whistle = f.blow(world, [water, env])
    with pytest.raises(ValidationError) as raised:
        whistles.whistle_close(
            actor=world.street_staff,
            whistle=whistle,
            summary="",
            ratings={whistle.summons.get(department=water).pk: whistles.RatingData(5, 6, "x")},
        )
    errors = raised.value.message_dict
    assert "summary" in errors and any(key.startswith("rating_") for key in errors)
    assert not DepartmentRating.objects.exists()
    with pytest.raises(PermissionDenied):
        whistles.whistle_close(
            actor=world.sibling_staff, whistle=whistle, summary="好", ratings=f.ratings_for(whistle)
        )
    ratings = {
        whistle.summons.get(department=water).pk: whistles.RatingData(5, 5, 4, "响应迅速"),
        whistle.summons.get(department=env).pk: whistles.RatingData(2, 3, 3, ""),
    }
    whistles.whistle_close(
        actor=world.street_staff, whistle=whistle, summary="已清理", ratings=ratings
    )
    whistle.refresh_from_db()
    assert whistle.status == WhistleStatus.CLOSED and whistle.closed_at
    assert DepartmentRating.objects.get(department=water).score == Decimal("4.67")
    water.refresh_from_db()
    assert water.rating_count == 1 and water.rating_average == Decimal("4.67")
    with pytest.raises(ValidationError):  # closed is closed
        whistles.whistle_close(
            actor=world.street_staff, whistle=whistle, summary="再次", ratings=ratings
        )
    with pytest.raises(ValidationError):  # and no one reports on a closed whistle
        whistles.summons_advance(
            actor=water_officer, summons=whistle.summons.get(department=water), to="arrived"
        )


def test_department_robot_gets_its_summons_and_nothing_else(world, depts):
    water, env, *_ = depts
    endpoint = WebhookEndpoint.objects.create(
        tenant=world.city.tenant,
        committee=world.district,
        name="水务局群机器人",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        format="wecom",
        addressed_only=True,
    )
    DepartmentRobot.objects.create(tenant=world.city.tenant, department=water, endpoint=endpoint)
    f.blow(world, [water, env])
    f.blow(world, [env], title="另一件事")
    deliveries = Delivery.objects.filter(endpoint=endpoint)
    assert deliveries.count() == 1
    assert "东石桥" in deliveries.get().payload["title"]


def test_cancel_stops_the_clock(world, depts):
    water, *_ = depts
    with time_machine.travel(START, tick=False) as clock:
        whistle = f.blow(world, [water], hours=1)
        with pytest.raises(ValidationError):
            whistles.whistle_cancel(actor=world.street_staff, whistle=whistle, reason="")
        whistles.whistle_cancel(actor=world.street_staff, whistle=whistle, reason="重复吹哨")
        clock.shift(dt.timedelta(hours=2))
        assert run_summons_scan() == 0

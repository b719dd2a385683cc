"""Meetings (议事协调): a subcommittee's meeting with its acting chair of the day, agenda items
about demands, invitations through the outbox with an .ics file calendar clients accept (parsed
with icalendar), answers, attendance, minutes, and decisions that become projects and tasks."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from demands.models import DemandStatus
from members import services as member_services
from members.models import Membership, SeatRole, SubcommitteeField
from notifications.models import Notification
from projects import services
from projects.models import Attendee, DecisionKind, MeetingStatus, ProjectSource, Response, Task
from projects.services import AgendaData, DecisionData, MeetingData

from ..demands import factories as df
from ..members import factories as mf
from . import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


@pytest.fixture
def board(world):
    """东华门街道's livelihood subcommittee chaired in turn, a seat, two member units."""
    bus = mf.unit(world.street, name="公交集团保修三厂")
    school = mf.unit(world.street, name="第二十七中学")
    sub = member_services.subcommittee_create(
        committee=world.street, field=SubcommitteeField.LIVELIHOOD, name="社会民生专委会"
    )
    # Units join the committee where they stand; here both sit on its livelihood subcommittee.
    Membership.objects.filter(unit__in=[bus, school], committee=world.street).update(
        subcommittee=sub
    )
    member_services.rotation_set(
        subcommittee=sub,
        start=dt.date(2026, 1, 1),
        months=3,
        chairs=[(bus, "李师傅"), (school, "王校长")],
    )
    seat = member_services.seat_create(
        committee=world.street,
        role=SeatRole.MEMBER,
        person_name="张委员",
        title="保修三厂党总支书记",
        unit=bus,
        term_start=dt.date(2025, 1, 1),
    )
    return {
        "bus": bus,
        "school": school,
        "sub": sub,
        "seat": seat,
        "bus_contact": f.contact_of(bus),
        "school_contact": f.contact_of(school),
    }


def schedule(world, board, *, days=1, invite=True, agenda=()):
    starts = timezone.now() + dt.timedelta(days=days)
    return df.committed(
        lambda: services.meeting_schedule(
            actor=world.street_staff,
            data=MeetingData(
                title="社会民生专委会第二季度例会",
                committee=world.street,
                subcommittee=board["sub"],
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                location="东华门街道党群服务中心三楼会议室",
            ),
            agenda=agenda,
            seats=[board["seat"]],
            units=[board["bus"], board["school"]],
            invite=invite,
        )
    )


def test_the_invitation_email_carries_the_ics_file_as_an_attachment(world, board):
    contact = board["bus_contact"]
    contact.email = "bus@example.cn"
    contact.save(update_fields=["email"])
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False):
        meeting = schedule(world, board, agenda=[AgendaData("核桃园老年餐桌选址")])
    (email,) = [m for m in mail.outbox if m.to == ["bus@example.cn"]]
    assert email.subject.startswith("会议通知：社会民生专委会第二季度例会")
    ((filename, content, mimetype),) = email.attachments
    assert filename == "invitation.ics"
    assert mimetype.startswith("text/calendar") and "method=REQUEST" in mimetype
    raw = content.encode() if isinstance(content, str) else content
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(str(meeting.uid))
    assert event.decoded("DTSTART") == meeting.starts_at
    # The attachment travels in the message as a calendar part a mail client recognises.
    assert b"Content-Type: text/calendar" in email.message().as_bytes()

    mail.outbox.clear()
    df.committed(
        lambda: services.meeting_cancel(
            actor=world.street_staff, meeting=meeting, reason="场地检修"
        )
    )
    (cancelled,) = [m for m in mail.outbox if m.to == ["bus@example.cn"]]
    ((_, content, mimetype),) = cancelled.attachments
    raw = content.encode() if isinstance(content, str) else content
    assert "method=CANCEL" in mimetype
    assert icalendar.Calendar.from_ical(raw)["METHOD"] == "CANCEL"


def test_the_acting_chair_of_the_day_and_the_attendees_from_seats_and_units(world, board):
    with time_machine.travel(NOW, tick=False):
        meeting = schedule(world, board, days=1, invite=False)  # 2 April: the second term
    assert meeting.chair_name == "王校长"
    assert meeting.chair_unit == board["school"]
    rows = {(a.name, a.unit_id) for a in meeting.attendees.all()}
    # The bus plant sits through its seat; the school as a member unit.
    assert rows == {("张委员", board["bus"].pk), ("", board["school"].pk)}


def test_the_invitation_carries_an_ics_file_calendar_clients_accept(world, board, client_for):
    with time_machine.travel(NOW, tick=False):
        meeting = schedule(world, board, agenda=[AgendaData("核桃园老年餐桌选址")])
    note = Notification.objects.get(recipient=board["bus_contact"], key__contains="invite")
    assert note.title.startswith("会议通知：社会民生专委会第二季度例会")
    assert f"/projects/meetings/{meeting.pk}/invitation.ics" in note.body
    assert Notification.objects.filter(recipient=world.street_staff, key=note.key).exists()

    response = client_for(board["bus_contact"]).get(
        reverse("projects:meeting_ics", args=[meeting.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "社会民生专委会第二季度例会"
    assert str(event["LOCATION"]) == "东华门街道党群服务中心三楼会议室"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTEND") == meeting.ends_at
    assert str(event["UID"]).startswith(str(meeting.uid))
    assert "1. 核桃园老年餐桌选址" in str(event["DESCRIPTION"])
    assert "王校长" in str(event["DESCRIPTION"])
    assert int(event["SEQUENCE"]) == 0

    # Moved: the same event, a higher sequence, a fresh invitation.
    df.committed(
        lambda: services.meeting_reschedule(
            actor=world.street_staff,
            meeting=meeting,
            starts_at=meeting.starts_at + dt.timedelta(days=1),
            ends_at=meeting.ends_at + dt.timedelta(days=1),
            location="街道二楼会议室",
        )
    )
    again = icalendar.Calendar.from_ical(
        client_for(board["bus_contact"])
        .get(reverse("projects:meeting_ics", args=[meeting.pk]))
        .content
    ).walk("VEVENT")[0]
    assert int(again["SEQUENCE"]) == 1 and str(again["UID"]) == str(event["UID"])
    assert (
        Notification.objects.filter(recipient=board["bus_contact"], key__contains="invite").count()
        == 2
    )


def test_answers_attend_decline_or_send_a_deputy(world, board):
    meeting = schedule(world, board)
    seat_row = meeting.attendees.get(seat=board["seat"])
    school_row = meeting.attendees.get(unit=board["school"], seat__isnull=True)
    with pytest.raises(ValidationError) as refused:
        services.attendee_answer(
            actor=board["bus_contact"], attendee=seat_row, response=Response.DEPUTY
        )
    assert refused.value.message_dict == {"deputy_name": ["请填写代表的姓名。"]}
    services.attendee_answer(
        actor=board["bus_contact"],
        attendee=seat_row,
        response=Response.DEPUTY,
        deputy_name="赵副书记",
    )
    with pytest.raises(PermissionDenied):  # a unit answers only its own invitation
        services.attendee_answer(
            actor=board["bus_contact"], attendee=school_row, response=Response.ATTEND
        )
    services.attendee_answer(
        actor=board["school_contact"], attendee=school_row, response=Response.DECLINE
    )
    assert {(a.response, a.deputy_name) for a in Attendee.objects.filter(meeting=meeting)} == {
        ("deputy", "赵副书记"),
        ("decline", ""),
    }


def test_attendance_minutes_and_decisions_that_become_a_project_and_a_task(world, board):
    demand = df.demand(world.community, world.community_staff, title="核桃园老年人用餐难")
    with time_machine.travel(NOW, tick=False) as clock:
        meeting = schedule(world, board, agenda=[AgendaData("老年餐桌选址", demand=demand)])
        item = meeting.agenda.get()
        with pytest.raises(ValidationError) as early:
            services.minutes_publish(actor=world.street_staff, meeting=meeting, minutes="纪要")
        assert "尚未召开" in early.value.message_dict["minutes"][0]
        clock.shift(dt.timedelta(days=1, hours=3))
        seat_row = meeting.attendees.get(seat=board["seat"])
        services.attendance_record(actor=world.street_staff, meeting=meeting, present=[seat_row.pk])
        project_decision = df.committed(
            lambda: services.decision_record(
                actor=world.street_staff,
                meeting=meeting,
                data=DecisionData(
                    kind=DecisionKind.PROJECT,
                    text="利用保修三厂楼房建设老年餐桌",
                    due_on=timezone.localdate() + dt.timedelta(days=60),
                    agenda_item=item,
                    owner_unit=board["bus"],
                    budget="8000000",
                ),
            )
        )
        task_decision = services.decision_record(
            actor=world.street_staff,
            meeting=meeting,
            data=DecisionData(
                kind=DecisionKind.TASK,
                text="社区摸排用餐老人名单",
                due_on=timezone.localdate() + dt.timedelta(days=7),
                owner_committee=world.community,
            ),
        )
        df.committed(
            lambda: services.minutes_publish(
                actor=world.street_staff, meeting=meeting, minutes="会议议定：建设老年餐桌。"
            )
        )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert {a.present for a in meeting.attendees.all()} == {True, False}
    project = project_decision.project
    assert project.source == ProjectSource.DECISION
    assert project.lead_unit == board["bus"] and project.budget == 8_000_000
    demand.refresh_from_db()
    assert demand.status == DemandStatus.IN_PROJECT
    task = Task.objects.get(decision=task_decision)
    assert task.owner_committee == world.community and task.supervise_at is not None
    assert Notification.objects.filter(
        recipient=world.community_staff, key=f"task:{task.pk}:assigned"
    ).exists()
    minutes = Notification.objects.get(recipient=board["school_contact"], key__contains="minutes")
    assert minutes.title == "会议纪要：社会民生专委会第二季度例会"
    # The community closes the task it was handed.
    services.task_close(actor=world.community_staff, task=task, note="已摸排32位老人")
    task.refresh_from_db()
    assert task.status == "done" and task.supervise_at is None


def test_a_decision_refused_by_its_project_leaves_no_decision(world, board):
    demand = df.demand(world.community, world.community_staff, title="核桃园老年人用餐难")
    with time_machine.travel(NOW, tick=False) as clock:
        meeting = schedule(world, board, agenda=[AgendaData("选址", demand=demand)])
        clock.shift(dt.timedelta(days=2))
        services.demand_services.demand_transition(
            demand=demand, to="rejected", actor=world.community_staff, reason="重复"
        )
        with pytest.raises(ValidationError) as refused:
            services.decision_record(
                actor=world.street_staff,
                meeting=meeting,
                data=DecisionData(
                    kind=DecisionKind.PROJECT,
                    text="建设老年餐桌",
                    due_on=timezone.localdate() + dt.timedelta(days=30),
                    agenda_item=meeting.agenda.get(),
                    owner_unit=board["bus"],
                ),
            )
    assert "不能立项" in " ".join(refused.value.message_dict["demands"])
    assert not meeting.decisions.exists()


def test_others_may_not_run_the_meeting(world, board):
    meeting = schedule(world, board, invite=False)
    for actor in (world.district_leader, world.sibling_staff, board["bus_contact"]):
        with pytest.raises(PermissionDenied):
            services.meeting_invite(actor=actor, meeting=meeting)

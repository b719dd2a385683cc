"""A meeting as an iCalendar (RFC 5545) invitation that calendar clients accept.

METHOD:REQUEST with the meeting's own UID and a SEQUENCE that rises whenever the meeting moves or
is cancelled, so a calendar replaces the event it already holds instead of adding a second one.
Times are written in UTC (no VTIMEZONE needed, every client converts them to its own zone).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Meeting, MeetingStatus

PRODID = "-//dangjian-coordination//meetings//ZH"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _organiser_address() -> str:
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "") or "noreply@localhost"
    return sender.split("<")[-1].rstrip(">").strip() or "noreply@localhost"


def invitation(meeting: Meeting) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    cancelled = meeting.status == MeetingStatus.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{meeting.uid}@meetings")
    event.add("dtstamp", _utc(timezone.now()))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(meeting.ends_at))
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("location", meeting.location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    lines = [f"{item.position}. {item.title}" for item in meeting.agenda.all()]
    if meeting.chair_name:
        lines.insert(0, f"主持人：{meeting.chair_name}")
    event.add("description", "\n".join(lines))
    organiser = vCalAddress(f"mailto:{_organiser_address()}")
    organiser.params["cn"] = vText(meeting.committee.name)
    event.add("organizer", organiser)
    calendar.add_component(event)
    return calendar.to_ical()

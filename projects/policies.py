"""Who may do what with a project, a meeting or a task: the one place these rules live.

The services enforce them (a refusal is `NotAllowed`, a 403 with the reason in Chinese, before
anything changes); pages ask the same functions which buttons to show. The rules say who; the
services check the state.

- Staff of the owner committee's subtree form a project there, correct it, move it along its
  states, add milestones; its lead unit's contact and those staff post progress and mark
  milestones done.
- Staff of a committee's subtree schedule its meetings (and its subcommittees'), set the agenda
  and the attendees, record attendance, minutes and decisions.
- An invited unit's contact answers its own invitation; staff may answer for anyone.
- A task is closed by its owner (the owner unit's contact, the owner committee's staff) or by the
  staff of the committee that handed it out.
- Staff and leaders of a subtree send reminders from its overdue list (a reminder changes
  nothing but an inbox).
- Leaders read everything in their subtree; the other units' contacts see nothing of it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from committees.models import Committee, Level
from core.errors import NotAllowed
from core.scoping import Action, can, covers, user_unit_ids

from .models import RUNNING, Attendee, Meeting, Milestone, Project, Task


def is_staff_at(user, committee: Committee | None) -> bool:
    return can(user, Action.CHANGE, committee)


# --- projects ------------------------------------------------------------------------------------


def may_create_project(user, committee: Committee | None) -> bool:
    return is_staff_at(user, committee)


def require_create_project(user, committee: Committee | None) -> None:
    if not may_create_project(user, committee):
        raise NotAllowed(_("只有牵头协调委员会的工作人员可以立项。"))


def demand_fits(owner: Committee, demand) -> bool:
    """A project of a committee meets the demands arising in its subtree or handled by it."""
    return covers(owner, demand.committee) or demand.handling_committee_id == owner.pk


def may_manage_project(user, project: Project) -> bool:
    return is_staff_at(user, project.committee)


def require_manage_project(user, project: Project) -> None:
    if not may_manage_project(user, project):
        raise NotAllowed(_("只有牵头协调委员会的工作人员可以管理该项目。"))


def is_lead_contact(user, project: Project) -> bool:
    return project.lead_unit_id is not None and project.lead_unit_id in user_unit_ids(user)


def may_report_progress(user, project: Project) -> bool:
    return may_manage_project(user, project) or is_lead_contact(user, project)


def require_report_progress(user, project: Project) -> None:
    if not may_report_progress(user, project):
        raise NotAllowed(_("只有牵头单位的联络员或牵头协调委员会的工作人员可以报送进展。"))


def may_finish_milestone(user, milestone: Milestone) -> bool:
    return may_report_progress(user, milestone.project)


def project_rights(user, project: Project) -> dict[str, bool]:
    """What the project page offers this user."""
    manage = may_manage_project(user, project)
    report = manage or is_lead_contact(user, project)
    return {
        "manage": manage,
        "report": report and project.status in RUNNING,
        "finish_milestones": report and project.status in RUNNING,
    }


# --- meetings ------------------------------------------------------------------------------------


def may_schedule_meeting(user, committee: Committee | None) -> bool:
    return is_staff_at(user, committee)


def require_schedule_meeting(user, committee: Committee | None) -> None:
    if not may_schedule_meeting(user, committee):
        raise NotAllowed(_("只有该协调委员会的工作人员可以安排会议。"))


def may_manage_meeting(user, meeting: Meeting) -> bool:
    return is_staff_at(user, meeting.committee)


def require_manage_meeting(user, meeting: Meeting) -> None:
    if not may_manage_meeting(user, meeting):
        raise NotAllowed(_("只有召开会议的协调委员会的工作人员可以办理。"))


def may_answer(user, attendee: Attendee) -> bool:
    own = attendee.unit_id is not None and attendee.unit_id in user_unit_ids(user)
    return own or may_manage_meeting(user, attendee.meeting)


def require_answer(user, attendee: Attendee) -> None:
    if not may_answer(user, attendee):
        raise NotAllowed(_("只能回复本单位的会议通知。"))


# --- tasks and supervision -----------------------------------------------------------------------


def may_close_task(user, task: Task) -> bool:
    owner = task.owner_unit_id is not None and task.owner_unit_id in user_unit_ids(user)
    return owner or is_staff_at(user, task.committee) or is_staff_at(user, task.owner_committee)


def require_close_task(user, task: Task) -> None:
    if not may_close_task(user, task):
        raise NotAllowed(_("只有责任单位或交办的协调委员会可以办结该任务。"))


def may_remind(user, committee: Committee | None) -> bool:
    return can(user, Action.VIEW, committee)


def require_remind(user, committee: Committee | None) -> None:
    if not may_remind(user, committee):
        raise NotAllowed(_("只能督办本辖区的事项。"))


# --- whistles and summons ------------------------------------------------------------------------
#
# - Staff of a street or township committee blow its whistles, keep the daily rhythm, close them
#   and rate the departments; the staff above (the district) read and act on them too.
# - A department's officer answers only their own department's summons.
# - A unit's contact rates the organising committee of the projects the unit served; the owner
#   committee's staff rate the providers.


def may_blow_whistle(user, committee: Committee | None) -> bool:
    return (
        committee is not None and committee.level == Level.STREET and is_staff_at(user, committee)
    )


def require_blow_whistle(user, committee: Committee | None) -> None:
    if not may_blow_whistle(user, committee):
        raise NotAllowed(_("只有街道、乡镇的工作人员可以吹哨。"))


def may_manage_whistle(user, whistle) -> bool:
    return is_staff_at(user, whistle.committee)


def require_manage_whistle(user, whistle) -> None:
    if not may_manage_whistle(user, whistle):
        raise NotAllowed(_("只有吹哨街乡的工作人员可以办理。"))


def is_officer_of(user, department_id: int | None) -> bool:
    ids = getattr(user, "department_ids", None)
    return department_id is not None and ids is not None and department_id in ids()


def may_answer_summons(user, summons) -> bool:
    return is_officer_of(user, summons.department_id)


def require_answer_summons(user, summons) -> None:
    if not may_answer_summons(user, summons):
        raise NotAllowed(_("只有被召集部门的报到员可以报到。"))


def may_rate_providers(user, project: Project) -> bool:
    return is_staff_at(user, project.committee)


def may_rate_committee(user, project: Project, unit_id: int) -> bool:
    return unit_id in user_unit_ids(user)

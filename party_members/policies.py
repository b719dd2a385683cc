"""Who may do what with party members' registrations, service and teams: the one place these
rules live. The services enforce them (a refusal is `NotAllowed`, a 403 with the reason); the
pages ask them which forms and numbers to show.

- Staff of a community (or of a level above it) decide its registrations, found its service
  teams, record service done there (recording it certifies it) and verify or reject what
  members logged.
- A party member acts for themself only: moves their registration, logs their own service once
  the community has confirmed them, joins a team of that community.
- A unit's party organisation is registered by the unit's contact or by the community's staff.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from committees.models import Committee
from core.errors import NotAllowed
from core.scoping import Action, can, user_unit_ids
from members.models import MemberUnit

from .models import PartyMember


def is_staff_of(user, community: Committee | None) -> bool:
    """Staff acting in the community's subtree: its own, or a street's or district's above."""
    return community is not None and can(user, Action.CHANGE, community)


def require_staff_of(user, community: Committee | None, message: str) -> None:
    if not is_staff_of(user, community):
        raise NotAllowed(message)


def may_record_service_of(user, member: PartyMember) -> bool:
    """Staff of the member's community record their service (and call them: they see the
    number unmasked)."""
    return is_staff_of(user, member.community)


def require_self(user, member: PartyMember | None) -> PartyMember:
    """A party member's own act: the record must be the user's own."""
    if member is None or member.user_id != getattr(user, "pk", None):
        raise NotAllowed(_("只能以本人的名义办理。"))
    return member


def require_unit_side(user, unit: MemberUnit, community: Committee) -> None:
    """A unit's registration is asked by its contact, or by the community's staff."""
    if unit.pk not in user_unit_ids(user) and not is_staff_of(user, community):
        raise NotAllowed(_("只有该单位的联络员或社区工作人员可以办理单位报到。"))

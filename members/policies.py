"""Who may register, change and read member units: the rules the members services enforce and
the pages and the API only ask about (to show a button, to open a form).

Staff register units at the committees in their change scope and change every field of a unit
standing there; a unit's own contact keeps its contact and party details up to date and nothing
else; a unit's contact phone is for those who work with it (PIPL).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from committees.models import Committee
from core.errors import NotAllowed
from core.scoping import Action, can, user_scopes

from .models import MemberUnit

STAFF = "staff"
CONTACT = "contact"
# What a unit's own contact may change in its profile; the rest is the committee staff's.
CONTACT_EDITABLE_FIELDS = frozenset(
    {"address", "contact_name", "contact_phone", "party_org_type", "party_member_count"}
)


def may_register_units(user) -> bool:
    """Holds a role that changes business records somewhere (staff, tenant administrators)."""
    return bool(user_scopes(user, Action.CHANGE))


def ensure_may_register_units(user) -> None:
    if not may_register_units(user):
        raise NotAllowed(_("您没有登记成员单位的权限。"))


def ensure_may_register_at(actor, committee: Committee) -> None:
    """A unit is registered where it stands, by staff of that committee's subtree."""
    if actor.tenant_id != committee.tenant_id or not can(actor, Action.CHANGE, committee):
        raise NotAllowed(_("只能在您工作范围内的协调委员会登记成员单位。"))


def unit_edit_mode(user, unit: MemberUnit) -> str | None:
    """Staff of the committee where the unit stands change all of it; its contact, their part."""
    if can(user, Action.CHANGE, unit.committee):
        return STAFF
    if unit.pk in user.unit_ids():
        return CONTACT
    return None


def ensure_may_edit_unit(user, unit: MemberUnit) -> str:
    mode = unit_edit_mode(user, unit)
    if mode is None:
        raise NotAllowed(_("您不能修改该成员单位。"))
    return mode


def fields_refused(mode: str, changed: set[str]) -> set[str]:
    """The changed fields the mode may not change."""
    return set() if mode == STAFF else changed - CONTACT_EDITABLE_FIELDS


def may_see_unit_contact(user, unit: MemberUnit) -> bool:
    """A unit's contact phone is for the staff who work with it and the unit itself."""
    return unit.pk in user.unit_ids() or can(user, Action.CHANGE, unit.committee)

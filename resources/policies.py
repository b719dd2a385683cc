"""Who may offer resources where, and who may change which resource: the rules the resources
services enforce; pages and the API only ask (to show a button, to open a form).

- Staff offer resources at the committees of their change scope, for the committee itself or on
  behalf of an active member unit they can see.
- A member unit's contact offers their own unit's resources at the committees where the unit
  stands or is an active member.
- A resource is changed by staff of the committee it serves, or by its unit's contact; a contact
  moves it only to another committee where the unit stands or belongs. A withdrawn resource is
  not changed any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from committees.models import Committee
from core.errors import Errors, NotAllowed
from core.scoping import Action, can, user_scopes
from members.models import Membership, MembershipStatus, MemberUnit

from .models import Resource, ResourceStatus

STAFF = "staff"
CONTACT = "contact"


def offer_mode(user) -> str | None:
    """How the user offers resources: as staff, as a unit's contact, or not at all."""
    if user_scopes(user, Action.CHANGE):
        return STAFF
    if getattr(user, "is_authenticated", False) and user.unit_ids():
        return CONTACT
    return None


def can_offer(user) -> bool:
    return offer_mode(user) is not None


def ensure_can_offer(user) -> str:
    """A leader (read-only) or an account without a role offers nothing."""
    mode = offer_mode(user)
    if mode is None:
        raise NotAllowed(_("您没有登记资源的权限。"))
    return mode


def contact_units(user) -> list[MemberUnit]:
    """The active units the user is contact for, in the user's tenant."""
    unit_ids = user.unit_ids() if getattr(user, "is_authenticated", False) else set()
    if not unit_ids:
        return []
    return list(
        MemberUnit.objects.filter(pk__in=unit_ids, tenant_id=user.tenant_id, is_active=True)
        .select_related("committee")
        .order_by("name", "pk")
    )


def unit_places(units: Sequence[MemberUnit]) -> dict[int, list[Committee]]:
    """For each unit, the open committees where it stands or is an active member (two queries)."""
    if not units:
        return {}
    pairs = list(
        Membership.objects.filter(
            unit__in=units, status=MembershipStatus.ACTIVE, committee__closed_at__isnull=True
        ).values_list("unit_id", "committee_id")
    )
    wanted = {u.committee_id for u in units} | {committee_id for _unit, committee_id in pairs}
    committees = {c.pk: c for c in Committee.objects.filter(pk__in=wanted, closed_at__isnull=True)}
    places: dict[int, list[Committee]] = {}
    for unit in units:
        ids = {unit.committee_id} | {c for u, c in pairs if u == unit.pk}
        found = [committees[i] for i in ids if i in committees]
        places[unit.pk] = sorted(found, key=lambda c: (c.tree_id, c.lft))
    return places


class OfferRule:
    """Who may offer where, read once for one actor (a handful of queries) and then asked for
    every row in memory: a single entry, each row of a workbook, each item of a bulk call."""

    def __init__(self, actor, *, units: Sequence[MemberUnit] | None = None) -> None:
        self.actor = actor
        self.mode = ensure_can_offer(actor)
        self.units = list(units) if units is not None else []
        if self.mode == CONTACT:
            if units is None:
                self.units = contact_units(actor)
            self.places = unit_places(self.units)
        else:
            self.places = {}
        self._visible_units: dict[int, bool] = {}

    def place_ids(self) -> set[int]:
        return {c.pk for committees in self.places.values() for c in committees}

    def know_units(self, units: Iterable[MemberUnit | None]) -> None:
        """Read at once which of these units staff may offer for (active, and visible to them)."""
        wanted = {u.pk for u in units if u is not None and u.pk not in self._visible_units}
        if not wanted:
            return
        visible = set(
            MemberUnit.objects.visible_to(self.actor)
            .filter(pk__in=wanted, is_active=True)
            .values_list("pk", flat=True)
        )
        self._visible_units.update({pk: pk in visible for pk in wanted})

    def check(self, committee: Committee | None, unit: MemberUnit | None, errors: Errors) -> None:
        """What is wrong with offering at `committee` for `unit` (None: the committee itself)."""
        if committee is None:
            return
        if self.mode == STAFF:
            if not can(self.actor, Action.CHANGE, committee):
                errors.add("committee", _("只能在您工作范围内的协调委员会登记资源。"))
            if unit is not None:
                self.know_units([unit])
                if not self._visible_units[unit.pk]:
                    errors.add("offered_by", _("在您的工作范围内找不到该成员单位。"))
            return
        if unit is None or unit.pk not in self.actor.unit_ids():
            errors.add("offered_by", _("只能为本单位提交资源。"))
        elif committee.pk not in {c.pk for c in self.places.get(unit.pk, [])}:
            errors.add("committee", _("只能选择本单位所在或已加入的协调委员会。"))


def edit_mode(user, resource: Resource) -> str | None:
    """How the user may change a resource they can see: as staff of the committee it serves, as
    the offering unit's contact, or not at all (a leader)."""
    if can(user, Action.CHANGE, resource.committee):
        return STAFF
    if resource.offered_by_id is not None and resource.offered_by_id in user.unit_ids():
        return CONTACT
    return None


def ensure_may_edit(user, resource: Resource) -> str:
    mode = edit_mode(user, resource)
    if mode is None:
        raise NotAllowed(_("您不能修改该资源。"))
    if resource.status == ResourceStatus.WITHDRAWN:
        raise ValidationError(_("已撤回的资源不能再修改。"))
    return mode


def ensure_may_set_status(user, resource: Resource) -> str:
    mode = edit_mode(user, resource)
    if mode is None:
        raise NotAllowed(_("您不能修改该资源。"))
    return mode


def check_move(actor, resource: Resource, committee: Committee, errors: Errors) -> None:
    """A resource moves to another committee only where its changer could offer it anew."""
    if committee.pk == resource.committee_id:
        return
    if edit_mode(actor, resource) == STAFF:
        if not can(actor, Action.CHANGE, committee):
            errors.add("committee", _("只能在您工作范围内的协调委员会登记资源。"))
        return
    places = unit_places([resource.offered_by]).get(resource.offered_by_id, [])
    if committee.pk not in {c.pk for c in places}:
        errors.add("committee", _("只能选择本单位所在或已加入的协调委员会。"))


def ensure_may_import(actor, committee: Committee, unit: MemberUnit | None) -> str:
    """An import goes to a committee the actor may offer at, for the unit named."""
    errors = Errors()
    rule = OfferRule(actor, units=[unit] if unit is not None else None)
    if actor.tenant_id != committee.tenant_id:
        raise NotAllowed
    rule.check(committee, unit, errors)
    if errors.any():
        raise NotAllowed(next(iter(errors.by_field.values()))[0])
    return rule.mode

"""Who may do what with a demand, a claim or a wish: the one place these rules live.

The services enforce them: each write asks its rule first and is refused with `NotAllowed` (a
403, with the reason in Chinese) before anything changes. Pages ask the same functions which
buttons to show. The rules say who; the services check the state (a fulfilled demand does not
move, a decided claim is not answered again).

- Staff of the subtree where a demand arose act on it: correct, publish, reject, withdraw and
  fulfil it, ask units for their resources for it, answer units' claims, release them.
- The unit that raised a demand keeps it: its contact corrects, publishes and withdraws it.
- A unit's contact claims for their own unit, answers staff's requests for its resources and
  releases its accepted claims.
- Leaders, and units that only matched or claimed, read.
- A party member whose registration the community confirmed claims its residents' wishes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee
from core.errors import Errors, NotAllowed
from core.scoping import Action, can, covers, user_scopes, user_unit_ids
from members.models import MemberUnit
from party_members.models import PartyMember, RegistrationStatus
from party_members.selectors import own_party_member
from resources.models import Resource

from .models import TRANSITIONS, Claim, ClaimDirection, Demand, DemandStatus

# The moves a person makes with a button: (to, label, whether it needs a reason). Claims,
# projects and releases move demands too, as consequences of those acts.
MOVES = (
    (DemandStatus.PUBLISHED, gettext_lazy("发布"), False),
    (DemandStatus.FULFILLED, gettext_lazy("标记办结"), False),
    (DemandStatus.REJECTED, gettext_lazy("驳回"), True),
    (DemandStatus.WITHDRAWN, gettext_lazy("撤回"), True),
)
# A demand takes a committee's resource while open or already matched (as an accepted claim).
COMMITTABLE_STATUSES = (DemandStatus.PUBLISHED, DemandStatus.MATCHED)
STAFF_MOVES = frozenset(to for to, _label, _reason in MOVES)
KEEPER_MOVES = frozenset({DemandStatus.PUBLISHED, DemandStatus.WITHDRAWN})


# --- entering and raising demands ------------------------------------------------------------------


def entry_committees(user) -> QuerySet[Committee]:
    """Where a staff member may enter demands: the open committees of their subtrees."""
    return Committee.objects.visible_to(user, Action.CHANGE).open()


def raising_units(user) -> QuerySet[MemberUnit]:
    """The units a contact may raise demands for: their own, while active."""
    return MemberUnit.objects.visible_to(user).filter(
        pk__in=sorted(user_unit_ids(user)), is_active=True
    )


def may_enter_demands(user) -> bool:
    return bool(user_scopes(user, Action.CHANGE))


def may_raise_demands(user) -> bool:
    return bool(user_unit_ids(user))


def demand_place(
    user, *, committee: Committee | int | None, unit: MemberUnit | int | None, errors: Errors
) -> tuple[Committee | None, MemberUnit | None]:
    """Where a new demand arises, and which unit raised it: staff enter demands at an open
    committee of their subtrees; a unit's contact raises one for their own unit, and it arises
    where the unit stands. Someone who may do neither is refused; a place outside the user's
    reach is a field error, added to `errors` with the demand's other problems."""
    if unit is not None:
        if not may_raise_demands(user):
            raise NotAllowed(_("只有成员单位联络员可以以单位名义提出需求。"))
        found = raising_units(user).filter(pk=_pk(unit)).select_related("committee").first()
        if found is None:
            errors.add("raised_by_unit", _("只能以您联络的单位名义提出需求。"))
            return None, None
        if committee is not None and _pk(committee) != found.committee_id:
            errors.add("committee", _("单位提出的需求，提出地即该单位所在地。"))
        return found.committee, found
    if not may_enter_demands(user):
        raise NotAllowed(_("您没有录入需求的权限。"))
    found = (
        entry_committees(user).filter(pk=_pk(committee)).first() if committee is not None else None
    )
    if found is None:
        errors.add("committee", _("请选择您工作范围内的协调委员会。"))
    return found, None


def _pk(value) -> int | None:
    """The id of a model or of what a form or a request body gave for it."""
    if isinstance(value, Committee | MemberUnit):
        return value.pk
    return int(value) if str(value).isdigit() else None


# --- one demand ---------------------------------------------------------------------------------


def is_staff_for(user, demand: Demand) -> bool:
    """Staff of the subtree where the demand arose (an escalated demand's new level holds the
    place it arose in its subtree, so its staff are among them)."""
    return can(user, Action.CHANGE, demand.committee)


def is_keeper(user, demand: Demand) -> bool:
    """The contact of the unit that raised the demand."""
    return demand.raised_by_unit_id is not None and demand.raised_by_unit_id in user_unit_ids(user)


def may_edit(user, demand: Demand) -> bool:
    return is_staff_for(user, demand) or is_keeper(user, demand)


def require_edit(user, demand: Demand) -> None:
    if not may_edit(user, demand):
        raise NotAllowed(_("只有需求所在地的工作人员或提出单位可以修改该需求。"))


def may_move(user, demand: Demand, to: str) -> bool:
    """Whether the user's role allows this move at all (the service checks the state)."""
    if is_staff_for(user, demand):
        return to in STAFF_MOVES
    return is_keeper(user, demand) and to in KEEPER_MOVES


def require_move(user, demand: Demand, to: str) -> None:
    if not may_move(user, demand, to):
        raise NotAllowed(
            _("您不能将该需求变为“%(s)s”。") % {"s": DemandStatus(to).label}
            if to in DemandStatus.values
            else _("您不能这样变更该需求。")
        )


def moves(user, demand: Demand) -> list[tuple[str, str, bool]]:
    """The moves to offer as buttons now: the user's role allows them and the state leads there."""
    reachable = set(TRANSITIONS[demand.status])
    if demand.status != DemandStatus.DRAFT:
        # A matched demand goes back on the open list when its pairings are released, not by a
        # "publish" button beside them.
        reachable.discard(DemandStatus.PUBLISHED)
    return [
        (to, str(label), needs_reason)
        for to, label, needs_reason in MOVES
        if to in reachable and may_move(user, demand, to)
    ]


def kept_fields(user, demand: Demand) -> set[str]:
    """What a keeper may not change: a unit raising its own demand chooses neither its kind nor
    its source."""
    return set() if is_staff_for(user, demand) else {"kind", "source"}


# --- claims ---------------------------------------------------------------------------------------


def may_request_resource(user, demand: Demand) -> bool:
    """Staff of the demand's subtree ask units for their resources (the committee's side)."""
    return is_staff_for(user, demand)


def require_request_resource(user, demand: Demand) -> None:
    if not may_request_resource(user, demand):
        raise NotAllowed(_("只有需求所在地的工作人员可以申请资源。"))


def may_commit(user, demand: Demand, resource: Resource) -> bool:
    """直接对接: staff of the committee offering its own resource (or of a level above it)
    commit it to a demand of the place it serves."""
    return (
        resource.offered_by_id is None
        and resource.tenant_id == demand.tenant_id
        and can(user, Action.CHANGE, resource.committee)
        and covers(resource.committee, demand.committee)
    )


def may_commit_resource(user, resource: Resource) -> bool:
    """Whether the user may commit this resource to some demand (the resource page's action):
    a committee's own resource, and the user staff of that committee or above. Which demands
    it may go to is `selectors.committable_demands`; each commitment is `may_commit`'s."""
    return resource.offered_by_id is None and can(user, Action.CHANGE, resource.committee)


def require_commit(user, demand: Demand, resource: Resource) -> None:
    if resource.offered_by_id is not None:
        raise ValidationError({"resource": _("成员单位的资源请通过认领或申请对接。")})
    if not may_commit(user, demand, resource):
        raise NotAllowed(
            _(
                "只有提供该资源的协调委员会（或其上级）的工作人员，可以把它直接对接到其服务范围内的需求。"
            )
        )


def may_claim_with(user, resource: Resource) -> bool:
    """A contact claims a demand with a resource of their own unit (the unit's side)."""
    return resource.offered_by_id is not None and resource.offered_by_id in user_unit_ids(user)


def claiming_unit(
    user, *, unit: MemberUnit | int | None = None, resource: Resource | None = None
) -> MemberUnit:
    """Which unit claims: one of the user's own units, the one named, else the one offering the
    resource, else the user's only unit; read through the units' scoping entry point."""
    own = user_unit_ids(user)
    if not own:
        raise NotAllowed(_("只有成员单位联络员可以以单位名义认领需求。"))
    unit_id = (
        _pk(unit)
        if unit is not None
        else (resource.offered_by_id if resource is not None and resource.offered_by_id else None)
    )
    if unit_id is None and len(own) == 1:
        unit_id = next(iter(own))
    if unit_id is None:
        raise ValidationError({"unit": _("请选择以哪个单位认领。")})
    found = MemberUnit.objects.visible_to(user).filter(pk=unit_id, pk__in=sorted(own)).first()
    if found is None:
        raise NotAllowed(_("只能以您联络的单位名义认领。"))
    return found


def answering_side_is_staff(claim: Claim) -> bool:
    """Staff answer a unit's claim; the unit answers staff's request for its resource."""
    return claim.direction == ClaimDirection.UNIT_CLAIMS


def may_answer(user, claim: Claim) -> bool:
    if answering_side_is_staff(claim):
        return is_staff_for(user, claim.demand)
    return claim.unit_id in user_unit_ids(user)


def require_answer(user, claim: Claim) -> None:
    if not may_answer(user, claim):
        raise NotAllowed(
            _("单位的认领由需求所在地的工作人员回应。")
            if answering_side_is_staff(claim)
            else _("资源申请由提供资源的单位回应。")
        )


def may_release(user, claim: Claim) -> bool:
    """Either side gives an accepted claim's capacity back (for a committee's direct commitment,
    the offering committee's staff are that side)."""
    if is_staff_for(user, claim.demand):
        return True
    if claim.direction == ClaimDirection.COMMITTEE_COMMITS:
        return claim.resource_id is not None and can(user, Action.CHANGE, claim.resource.committee)
    return claim.unit_id in user_unit_ids(user)


def require_release(user, claim: Claim) -> None:
    if not may_release(user, claim):
        raise NotAllowed(_("只有认领的双方可以释放。"))


def match_action(
    user,
    demand: Demand,
    resource: Resource,
    open_units: set[int],
    committed: set[int] = frozenset(),
) -> str | None:
    """The button a proposed match shows: "claim" for the unit whose resource it is, "request"
    for staff, none once that unit has an open claim on the demand or the demand is not open;
    "commit" for a committee's own resource, to the staff who may commit it."""
    unit_id = resource.offered_by_id
    if demand.status not in COMMITTABLE_STATUSES:
        return None
    if unit_id is None:
        if resource.pk in committed or not may_commit(user, demand, resource):
            return None
        return "commit"
    if demand.status != DemandStatus.PUBLISHED or unit_id in open_units:
        return None
    if may_claim_with(user, resource):
        return "claim"
    if may_request_resource(user, demand):
        return "request"
    return None


# --- wishes (心愿认领) -------------------------------------------------------------------------------


def wish_claimer(user) -> PartyMember:
    """The party member claiming a wish: the user's own record, which the community confirmed."""
    member = own_party_member(user)
    if member is None:
        raise NotAllowed(_("只有在职党员可以认领心愿。"))
    if member.registration_status != RegistrationStatus.CONFIRMED or member.community is None:
        raise NotAllowed(_("报到经社区确认后才能认领心愿。"))
    return member


def require_wish_claim(member: PartyMember, demand: Demand) -> None:
    """A member claims the wishes of their community (and of the grids and buildings in it)."""
    if not (demand.tenant_id == member.tenant_id and covers(member.community, demand.committee)):
        raise NotAllowed(_("只能认领报到社区的心愿。"))


def may_explain(user, demand) -> bool:
    """Staff and leaders whose scope holds the demand (where it arose or is handled) may see how
    every candidate scored; a unit contact sees only its own proposals' reasons."""
    return can(user, Action.VIEW, demand.committee) or can(
        user, Action.VIEW, demand.handling_committee
    )

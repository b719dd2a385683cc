"""Write operations on the three lists' first two: demands and resources, and the two-way claims
that pair them. Each validates in full before writing, records who did what, and notifies through
the outbox in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from categories.models import Category
from categories.services import resolve_category
from committees.models import Committee
from core.errors import NON_FIELD, Errors, NotAllowed
from core.numbers import number
from core.scoping import Action, Scope, ensure_in_scope, subtree_q
from demands.models import (
    EDITABLE_STATUSES,
    NEEDS_REASON,
    TRANSITIONS,
    Claim,
    ClaimDirection,
    ClaimStatus,
    Demand,
    DemandAttachment,
    DemandKind,
    DemandStatus,
    DemandTransition,
    Source,
    Urgency,
)
from members.models import MemberUnit, Role
from notifications import services as notifications
from notifications.models import Event
from resources.models import CapacityUnit, Resource, ResourceStatus

from . import policies, selectors

STAFF_ROLES = [Role.STAFF, Role.TENANT_ADMIN]
# The columns' limits: anything beyond them is refused with a message instead of a database error.
REASON_MAX_LENGTH = 300
MAX_PEOPLE_AFFECTED = 100_000_000
MAX_QUANTITY = Decimal("1e11")
# Photos from a phone (a grid worker's snapshot) and scanned letters: nothing a browser would run.
ATTACHMENT_MAX_COUNT = 5
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".pdf": "application/pdf",
}


def staff_of(committee: Committee):
    """The staff holding a role at exactly this committee: the people of that level."""
    from members.models import User

    return User.objects.filter(
        is_active=True,
        grants__committee=committee,
        grants__role__in=STAFF_ROLES,
    ).distinct()


def answering_staff(committee: Committee):
    """Who answers what waits at `committee`: the staff of the nearest committee up the tree
    that has any (itself first), and what the message says when it went up."""
    from members.selectors import answering_committee, routing_note, staff_at

    answering = answering_committee(committee)
    return staff_at(answering), routing_note(committee, answering)


def contacts_of(unit_ids):
    from members.models import User

    return User.objects.filter(
        is_active=True, grants__role=Role.UNIT_CONTACT, grants__member_unit_id__in=list(unit_ids)
    ).distinct()


# --- demands ------------------------------------------------------------------------------------


@dataclass
class DemandData:
    title: str
    description: str
    category: Category | int | str | None
    source: str = Source.RESIDENT
    kind: str = DemandKind.NEED
    people_affected: int | str = 1
    urgency: str = Urgency.NORMAL
    needed_by: dt.date | None = None
    quantity: Decimal | str | None = None
    quantity_unit: str = ""
    extra: dict = field(default_factory=dict)


# The fields of a demand that its entry form, its API and its corrections speak of.
DEMAND_FIELDS = tuple(name for name in DemandData.__dataclass_fields__ if name != "extra")


def demand_values(demand: Demand) -> dict:
    """A demand's fields as they are, to start a correction from."""
    values = {name: getattr(demand, name) for name in DEMAND_FIELDS}
    values["category"] = demand.category
    return values


def clean_demand(
    *, tenant_id: int, committee: Committee | None, data: DemandData, errors: Errors | None = None
) -> dict:
    """Validate a demand's fields in full; returns the clean values or raises every problem."""
    own = errors is None
    errors = errors or Errors()
    title = (data.title or "").strip()
    if not title:
        errors.add("title", _("请填写标题。"))
    elif len(title) > 120:
        errors.add("title", _("标题不能超过120个字。"))
    description = (data.description or "").strip()
    if not description:
        errors.add("description", _("请描述需求。"))
    category = resolve_category(tenant_id, data.category)
    if category is None:
        errors.add("category", _("未知的需求类别“%(c)s”。") % {"c": data.category or ""})
    if data.source not in Source.values:
        errors.add("source", _("未知的来源。"))
    if data.kind not in DemandKind.values:
        errors.add("kind", _("未知的需求类型。"))
    if data.urgency not in Urgency.values:
        errors.add("urgency", _("未知的紧急程度。"))
    try:
        people = 1 if data.people_affected in (None, "") else int(data.people_affected)
        if people < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("people_affected", _("涉及人数应为不小于1的整数。"))
        people = 1
    if people > MAX_PEOPLE_AFFECTED:
        errors.add("people_affected", _("涉及人数过大，请核对。"))
    if data.needed_by is not None and data.needed_by < timezone.localdate():
        errors.add("needed_by", _("期望解决日期不能早于今天。"))
    quantity = None
    if data.quantity not in (None, ""):
        try:
            quantity = Decimal(str(data.quantity))
            if not quantity.is_finite():
                raise InvalidOperation
        except (InvalidOperation, TypeError, ValueError):
            errors.add("quantity", _("需求数量应为数字。"))
            quantity = None
        else:
            if quantity <= 0:
                errors.add("quantity", _("需求数量应大于0。"))
            elif quantity >= MAX_QUANTITY:
                errors.add("quantity", _("需求数量过大。"))
            else:
                quantity = quantity.quantize(Decimal("0.1"))
    if quantity is not None and data.quantity_unit not in CapacityUnit.values:
        errors.add("quantity_unit", _("请选择数量单位。"))
    if committee is None:
        if not {"committee", "raised_by_unit"} & set(errors.by_field):
            errors.add("committee", _("请选择提出需求的协调委员会。"))
    elif committee.tenant_id != tenant_id or committee.closed_at is not None:
        errors.add("committee", _("请选择提出需求的协调委员会。"))
    if own:
        errors.raise_if_any()
    return {
        "title": title,
        "description": description,
        "category": category,
        "source": data.source,
        "kind": data.kind,
        "people_affected": people,
        "urgency": data.urgency,
        "needed_by": data.needed_by,
        "quantity": quantity,
        "quantity_unit": data.quantity_unit if quantity is not None else "",
    }


def attachment_type(file) -> str | None:
    """What an uploaded file really is, read from its first bytes (neither its name nor the
    browser's word for it is trusted); None for anything but an image or a PDF."""
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return ".heic"
    if head.startswith(b"%PDF-"):
        return ".pdf"
    return None


def clean_attachments(files: Sequence, *, existing: int = 0, errors: Errors) -> list[tuple]:
    """Photos and PDFs only, at most 10 MB each and five to a demand: (file, extension) pairs."""
    files = list(files or ())
    if existing + len(files) > ATTACHMENT_MAX_COUNT:
        errors.add(
            "attachments",
            _("每条需求最多%(max)d个附件（已有%(n)d个）。")
            % {"max": ATTACHMENT_MAX_COUNT, "n": existing},
        )
        return []
    accepted = []
    for file in files:
        name = getattr(file, "name", "") or _("附件")
        if file.size > ATTACHMENT_MAX_BYTES:
            errors.add(
                "attachments",
                _("“%(name)s”超过%(max)d MB。")
                % {"name": name, "max": ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            )
            continue
        extension = attachment_type(file)
        if extension is None:
            errors.add("attachments", _("“%(name)s”不是图片或PDF文件。") % {"name": name})
            continue
        accepted.append((file, extension))
    return accepted


def _save_attachments(demand: Demand, accepted: list[tuple]) -> None:
    for file, extension in accepted:
        attachment = DemandAttachment(
            tenant_id=demand.tenant_id,
            demand=demand,
            original_name=(getattr(file, "name", "") or "")[:255] or f"attachment{extension}",
        )
        # A stored name of our own: nothing the uploader typed reaches the file system.
        attachment.file.save(f"{uuid.uuid4().hex}{extension}", file, save=False)
        attachment.save()


@transaction.atomic
def demand_create(
    *,
    actor,
    data: DemandData,
    committee: Committee | int | None = None,
    raised_by_unit: MemberUnit | int | None = None,
    publish: bool = False,
    attachments: Sequence = (),
) -> Demand:
    """Enter a demand (as a draft, or published at once), with photos or scans attached: staff
    at a committee of their subtrees, or a member unit's contact for their unit (two-way
    collection), where the unit stands. A unit chooses neither the kind nor the source."""
    errors = Errors()
    committee, raised_by_unit = policies.demand_place(
        actor, committee=committee, unit=raised_by_unit, errors=errors
    )
    if raised_by_unit is not None:
        data = replace(data, source=Source.MEMBER_UNIT, kind=DemandKind.NEED)
    clean = clean_demand(tenant_id=actor.tenant_id, committee=committee, data=data, errors=errors)
    accepted = clean_attachments(attachments, errors=errors)
    errors.raise_if_any()
    demand = Demand.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        handling_committee=committee,
        created_by=actor,
        raised_by_unit=raised_by_unit,
        **clean,
    )
    DemandTransition.objects.create(
        tenant_id=demand.tenant_id, demand=demand, to_status=DemandStatus.DRAFT, actor=actor
    )
    _save_attachments(demand, accepted)
    ensure_in_scope(demand, actor, Action.CHANGE)
    if publish:
        return demand_transition(demand=demand, to=DemandStatus.PUBLISHED, actor=actor)
    return demand


@transaction.atomic
def demand_update(
    *,
    actor,
    demand: Demand,
    data: DemandData,
    attachments: Sequence = (),
    publish: bool = False,
) -> Demand:
    """Correct a draft or published demand and attach more photos or scans; a draft may be
    published at once. The unit that raised it keeps its kind and source as they are."""
    demand = _locked(demand)
    policies.require_edit(actor, demand)
    if demand.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("“%(s)s”状态的需求不能再修改。") % {"s": demand.get_status_display()}
        )
    kept = {name: getattr(demand, name) for name in policies.kept_fields(actor, demand)}
    data = replace(data, **kept)
    errors = Errors()
    clean = clean_demand(
        tenant_id=demand.tenant_id, committee=demand.committee, data=data, errors=errors
    )
    accepted = clean_attachments(attachments, existing=demand.attachments.count(), errors=errors)
    errors.raise_if_any()
    for name, value in clean.items():
        setattr(demand, name, value)
    demand.save()
    _save_attachments(demand, accepted)
    ensure_in_scope(demand, actor, Action.CHANGE)
    if publish and demand.status == DemandStatus.DRAFT:
        return demand_transition(demand=demand, to=DemandStatus.PUBLISHED, actor=actor)
    if demand.status == DemandStatus.PUBLISHED:
        schedule_matching(demand.pk)
    return demand


def _locked(demand: Demand) -> Demand:
    """The demand, locked for the write, with what its rules and deadlines read."""
    return (
        Demand.objects.select_for_update(of=("self",))
        .select_related("category", "committee", "handling_committee")
        .get(pk=demand.pk)
    )


def escalation_due(demand: Demand, *, start=None):
    days = demand.category.escalation_days.get(demand.handling_committee.level)
    if not days or demand.handling_committee.parent_id is None:
        return None
    return (start or timezone.now()) + dt.timedelta(days=int(days))


def _transition(demand: Demand, to: str, actor, reason: str = "") -> None:
    if to not in TRANSITIONS[demand.status]:
        raise ValidationError(
            _("需求不能从“%(a)s”变为“%(b)s”。")
            % {"a": demand.get_status_display(), "b": DemandStatus(to).label}
        )
    if to in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": _("请说明原因。")})
    if len(reason.strip()) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("原因不能超过%(n)d个字。") % {"n": REASON_MAX_LENGTH}})
    DemandTransition.objects.create(
        tenant_id=demand.tenant_id,
        demand=demand,
        from_status=demand.status,
        to_status=to,
        actor=actor,
        reason=reason.strip(),
    )
    demand.status = to
    demand.status_reason = reason.strip()


def demand_publish(*, demand: Demand, actor) -> Demand:
    """Put a draft on the open list, where the engine matches it and its deadline runs."""
    return demand_transition(demand=demand, to=DemandStatus.PUBLISHED, actor=actor)


@transaction.atomic
def demand_transition(*, demand: Demand, to: str, actor, reason: str = "") -> Demand:
    """Move a demand along its states (publish, reject, withdraw, fulfil), recording who and
    why: staff of its subtree make every move, the unit that raised it publishes and withdraws."""
    if to not in DemandStatus.values:
        raise ValidationError({"to": _("未知的状态。")})
    demand = _locked(demand)
    policies.require_move(actor, demand, to)
    before = demand.status
    _transition(demand, to, actor, reason or "")
    if to == DemandStatus.PUBLISHED:
        # Back on the open list: a fresh deadline, and a wish's claim no longer holds.
        demand.published_at = demand.published_at or timezone.now()
        demand.escalation_due_at = escalation_due(demand)
        demand.claimed_by_member = None
    else:
        demand.escalation_due_at = None
    demand.save()
    ensure_in_scope(demand, actor, Action.CHANGE)
    if DemandStatus.PUBLISHED in (before, to):
        # Matches are proposals for open demands: recomputed on reopening, dropped on leaving.
        schedule_matching(demand.pk)
    return demand


def schedule_matching(demand_id: int) -> None:
    from .matching import mark_pending
    from .tasks import match_demand

    mark_pending([demand_id])
    transaction.on_commit(lambda: match_demand.delay(demand_id))


@transaction.atomic
def demand_escalate(*, demand: Demand) -> Demand | None:
    """Problems rise up: an unmatched demand past its level's deadline goes one level up, and
    the staff of that level hear of it. Returns None when there is nothing to do."""
    demand = (
        Demand.objects.select_for_update(skip_locked=True)
        .select_related("category", "handling_committee", "committee")
        .filter(pk=demand.pk, status=DemandStatus.PUBLISHED)
        .first()
    )
    if (
        demand is None
        or demand.escalation_due_at is None
        or demand.escalation_due_at > timezone.now()
    ):
        return None
    current = demand.handling_committee
    parent = current.parent
    if parent is None:
        demand.escalation_due_at = None
        demand.save(update_fields=["escalation_due_at"])
        return None
    days = demand.category.escalation_days.get(current.level)
    DemandTransition.objects.create(
        tenant_id=demand.tenant_id,
        demand=demand,
        from_status=demand.status,
        to_status=demand.status,
        reason=_("在%(from)s超过%(days)s天未对接，上报至%(to)s")
        % {"from": current.name, "days": days, "to": parent.name},
    )
    demand.handling_committee = parent
    demand.escalation_due_at = escalation_due(demand)
    demand.save(update_fields=["handling_committee", "escalation_due_at", "updated_at"])
    recipients, routed = answering_staff(parent)
    notifications.notify(
        tenant_id=demand.tenant_id,
        recipients=recipients,
        event=Event.ESCALATION,
        title=_("需求上报：%(title)s") % {"title": demand.title},
        body=_("%(from)s的需求超过%(days)s天未对接，已上报至%(to)s。")
        % {"from": current.name, "days": days, "to": parent.name}
        + routed,
        link=f"/demands/{demand.pk}/",
        key=f"escalation:{demand.pk}:{parent.pk}",
        committee=parent,
    )
    schedule_matching(demand.pk)
    return demand


def escalations_run(limit: int = 500) -> int:
    """Escalate every demand whose deadline has passed (the once-a-minute beat task)."""
    due = list(
        Demand.objects.filter(status=DemandStatus.PUBLISHED, escalation_due_at__lte=timezone.now())
        .order_by("escalation_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if demand_escalate(demand=Demand(pk=pk)) is not None)


# --- rematching when resources change ----------------------------------------------------------


def rematch_for_changed_resources(sender, *, tenant_id: int, resource_ids: list[int], **kwargs):
    """Receiver of `resources.signals.resources_changed` (sent after commit): one resource is
    rematched against the demands it may serve; many are grouped so that each open demand they
    could serve is rescored once."""
    from .tasks import match_resource

    if len(resource_ids) == 1:
        match_resource.delay(resource_ids[0])
        return
    resources = Resource.objects.filter(pk__in=resource_ids).select_related("committee")
    sites: dict[int, set[tuple[int, int, int]]] = {}
    for resource in resources:
        site = resource.committee
        sites.setdefault(resource.category_id, set()).add((site.tree_id, site.lft, site.rght))
    _rescore_demands_served(tenant_id, sites)


# Beyond this many places per category, rescoring every open demand of the category is cheaper
# than a query with that many ranges; rescoring a demand the new resources cannot serve changes
# nothing.
_MAX_RANGES = 200
_MAX_DEMANDS_RESCORED = 5000


def _outermost(ranges: set[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    kept: list[tuple[int, int, int]] = []
    for tree_id, lft, rght in sorted(ranges, key=lambda r: (r[0], r[1], -r[2])):
        if kept and kept[-1][0] == tree_id and kept[-1][1] <= lft and rght <= kept[-1][2]:
            continue
        kept.append((tree_id, lft, rght))
    return kept


def _rescore_demands_served(tenant_id: int, sites: dict[int, set[tuple[int, int, int]]]) -> None:
    from .tasks import match_demand

    condition = Q(pk__in=[])
    for category_id, ranges in sites.items():
        outermost = _outermost(ranges)
        if len(outermost) > _MAX_RANGES:
            condition |= Q(category_id=category_id)
            continue
        for tree_id, lft, rght in outermost:
            site = Scope(tenant_id=tenant_id, tree_id=tree_id, lft=lft, rght=rght)
            condition |= Q(category_id=category_id) & subtree_q(site)
    demand_ids = list(
        Demand.objects.filter(tenant_id=tenant_id, status=DemandStatus.PUBLISHED)
        .filter(condition)
        .order_by("pk")
        .values_list("pk", flat=True)[:_MAX_DEMANDS_RESCORED]
    )
    for demand_id in demand_ids:
        match_demand.delay(demand_id)


# --- two-way claims -------------------------------------------------------------------------------


def _clean_quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value or 0))
        if not quantity.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"quantity": _("数量应为数字。")}) from None
    if quantity < 0:
        raise ValidationError({"quantity": _("数量不能为负数。")})
    if quantity >= MAX_QUANTITY:
        raise ValidationError({"quantity": _("数量过大。")})
    return quantity.quantize(Decimal("0.1"))


def _over_remaining(quantity: Decimal, resource: Resource, what: str) -> str:
    """认领数量20超过“三层楼”剩余15个。"""
    return _("%(what)s%(q)s超过“%(r)s”剩余%(left)s%(unit)s。") % {
        "what": what,
        "q": number(quantity),
        "r": resource.title,
        "left": number(resource.remaining),
        "unit": resource.get_capacity_unit_display(),
    }


def _clean_text(value: str | None, field_name: str, label: str) -> str:
    text = (value or "").strip()
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError(
            {
                field_name: _("%(label)s不能超过%(n)d个字。")
                % {"label": label, "n": REASON_MAX_LENGTH}
            }
        )
    return text


@transaction.atomic
def claim_by_unit(
    *,
    actor,
    demand: Demand,
    unit: MemberUnit | int | None = None,
    resource: Resource | None = None,
    quantity=0,
    message: str = "",
) -> Claim:
    """A member unit claims a published demand (双向认领: the unit's side). The unit is one of
    the contact's own: the one named, else the one offering the resource, else their only one."""
    unit = policies.claiming_unit(actor, unit=unit, resource=resource)
    quantity = _clean_quantity(quantity)
    message = _clean_text(message, "message", _("留言"))
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if not unit.is_active:
        raise ValidationError({"unit": _("该单位已停用，不能认领。")})
    if demand.status != DemandStatus.PUBLISHED:
        raise ValidationError(
            _("该需求当前为“%(s)s”，不能认领。") % {"s": demand.get_status_display()}
        )
    if unit.tenant_id != demand.tenant_id:
        raise ValidationError({"unit": _("只能认领本市的需求。")})
    if resource is not None and resource.offered_by_id != unit.pk:
        raise ValidationError({"resource": _("只能以本单位的资源认领。")})
    if resource is not None and resource.status != ResourceStatus.ACTIVE:
        raise ValidationError({"resource": _("该资源已暂停或撤回。")})
    if resource is not None and quantity > resource.remaining:
        # Refused at once, as a staff request is: not left pending to fail at acceptance.
        raise ValidationError({"quantity": _over_remaining(quantity, resource, _("认领数量"))})
    if Claim.objects.filter(
        demand=demand, unit=unit, status__in=[ClaimStatus.PENDING, ClaimStatus.ACCEPTED]
    ).exists():
        raise ValidationError(_("“%(unit)s”已认领该需求，请勿重复提交。") % {"unit": unit.name})
    claim = Claim.objects.create(
        tenant_id=demand.tenant_id,
        demand=demand,
        resource=resource,
        unit=unit,
        quantity=quantity,
        direction=ClaimDirection.UNIT_CLAIMS,
        message=message,
        created_by=actor,
    )
    ensure_in_scope(claim, actor, Action.CHANGE)
    recipients, routed = answering_staff(demand.handling_committee)
    notifications.notify(
        tenant_id=demand.tenant_id,
        recipients=recipients,
        event=Event.CLAIM,
        title=_("%(unit)s认领了需求“%(title)s”") % {"unit": unit.name, "title": demand.title},
        body=f"{message}{routed}",
        link=f"/demands/{demand.pk}/",
        key=f"claim:{claim.pk}",
        committee=demand.handling_committee,
    )
    return claim


@transaction.atomic
def claim_request_resource(
    *, actor, demand: Demand, resource: Resource | None, quantity=0, message: str = ""
) -> Claim:
    """Staff ask a unit for its resource for a demand (双向认领: the committee's side)."""
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("committee", "handling_committee")
        .get(pk=demand.pk)
    )
    # Locked like a unit's claim, so a claim and a request for the same pair cannot both open.
    policies.require_request_resource(actor, demand)
    if resource is None:
        raise ValidationError({"resource": _("请选择要申请的资源。")})
    if selectors.resource_for_claim(user=actor, demand=demand, resource_id=resource.pk) is None:
        raise NotAllowed(_("找不到该资源。"))
    quantity = _clean_quantity(quantity)
    message = _clean_text(message, "message", _("留言"))
    if resource.offered_by_id is None:
        raise ValidationError({"resource": _("该资源由协调委员会提供，无需申请，可直接对接。")})
    if demand.status != DemandStatus.PUBLISHED:
        raise ValidationError(
            _("该需求当前为“%(s)s”，不能再申请资源。") % {"s": demand.get_status_display()}
        )
    if resource.tenant_id != demand.tenant_id:
        raise ValidationError({"resource": _("资源不属于本市。")})
    if resource.status != ResourceStatus.ACTIVE:
        raise ValidationError({"resource": _("该资源已暂停或撤回。")})
    if quantity > resource.remaining:
        raise ValidationError({"quantity": _over_remaining(quantity, resource, _("申请数量"))})
    if Claim.objects.filter(
        demand=demand,
        unit_id=resource.offered_by_id,
        status__in=[ClaimStatus.PENDING, ClaimStatus.ACCEPTED],
    ).exists():
        raise ValidationError(_("已向该单位发出申请，请等待回应。"))
    claim = Claim.objects.create(
        tenant_id=demand.tenant_id,
        demand=demand,
        resource=resource,
        unit_id=resource.offered_by_id,
        quantity=quantity,
        direction=ClaimDirection.STAFF_REQUESTS,
        message=message,
        created_by=actor,
    )
    ensure_in_scope(claim, actor, Action.CHANGE)
    notifications.notify(
        tenant_id=demand.tenant_id,
        recipients=contacts_of([resource.offered_by_id]),
        event=Event.CLAIM,
        title=_("%(c)s申请使用“%(r)s”")
        % {"c": demand.handling_committee.name, "r": resource.title},
        body=demand.title,
        link=f"/demands/{demand.pk}/",
        key=f"claim:{claim.pk}",
        committee=demand.handling_committee,
    )
    return claim


def _check_demand_quantity(
    demand: Demand, resource: Resource | None, quantity: Decimal, field: str = NON_FIELD
) -> None:
    """A pairing counts against the demand's quantity only when both speak of the same unit:
    5,000 yuan of funds says nothing about 40 people's meals."""
    same_unit = resource is None or resource.capacity_unit == demand.quantity_unit
    if demand.quantity is None or not quantity or not same_unit:
        return
    accepted = demand.claims.filter(status=ClaimStatus.ACCEPTED).filter(
        Q(resource__isnull=True) | Q(resource__capacity_unit=demand.quantity_unit)
    )
    taken = accepted.aggregate(total=Sum("quantity"))["total"] or 0
    if taken + quantity > demand.quantity:
        raise ValidationError(
            {
                field: _("需求只差%(left)s%(unit)s，已由其他对接满足，无法再接受%(q)s。")
                % {
                    "left": number(demand.quantity - taken),
                    "unit": CapacityUnit(demand.quantity_unit).label,
                    "q": number(quantity),
                }
            }
        )


def _take_capacity(resource: Resource, quantity: Decimal, field: str = NON_FIELD) -> None:
    """Take capacity with one conditional UPDATE that succeeds only while enough remains, so two
    commitments racing for the last of it cannot both win."""
    if not quantity:
        return
    taken = Resource.objects.filter(
        pk=resource.pk, status=ResourceStatus.ACTIVE, remaining__gte=quantity
    ).update(remaining=F("remaining") - quantity)
    if not taken:
        left = Resource.objects.values_list("remaining", flat=True).get(pk=resource.pk)
        raise ValidationError(
            {
                field: _("“%(r)s”剩余%(left)s%(unit)s，不足%(q)s：已被其他认领占用。")
                % {
                    "r": resource.title,
                    "left": number(left),
                    "unit": resource.get_capacity_unit_display(),
                    "q": number(quantity),
                }
            }
        )


@transaction.atomic
def resource_commit(
    *, actor, demand: Demand, resource: Resource, quantity=None, message: str = ""
) -> Claim:
    """直接对接: staff of the committee offering its own resource (or of a level above) commit
    it to a demand of the place it serves. The record is an accepted claim (no unit, the
    committee's resource): capacity taken by the same race-safe conditional update, the demand
    matched, and a project may be formed from it as from any accepted claim."""
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("committee", "handling_committee")
        .get(pk=demand.pk)
    )
    resource = Resource.objects.select_related("committee").get(pk=resource.pk)
    policies.require_commit(actor, demand, resource)
    quantity = _clean_quantity(quantity)
    message = _clean_text(message, "message", _("留言"))
    errors = Errors()
    if quantity <= 0:
        errors.add("quantity", _("请填写对接数量（大于0）。"))
    if demand.status not in policies.COMMITTABLE_STATUSES:
        errors.add(
            NON_FIELD,
            _("该需求当前为“%(s)s”，不能再对接资源。") % {"s": demand.get_status_display()},
        )
    if resource.status != ResourceStatus.ACTIVE:
        errors.add("resource", _("该资源已暂停或撤回。"))
    elif quantity > resource.remaining:
        errors.add("quantity", _over_remaining(quantity, resource, _("对接数量")))
    if Claim.objects.filter(
        demand=demand,
        resource=resource,
        direction=ClaimDirection.COMMITTEE_COMMITS,
        status=ClaimStatus.ACCEPTED,
    ).exists():
        errors.add("resource", _("该资源已对接到这条需求；如需调整，请先释放原对接。"))
    errors.raise_if_any()
    _check_demand_quantity(demand, resource, quantity, "quantity")
    _take_capacity(resource, quantity, "quantity")
    now = timezone.now()
    claim = Claim.objects.create(
        tenant_id=demand.tenant_id,
        demand=demand,
        resource=resource,
        unit=None,
        quantity=quantity,
        direction=ClaimDirection.COMMITTEE_COMMITS,
        message=message,
        status=ClaimStatus.ACCEPTED,
        created_by=actor,
        decided_by=actor,
        decided_at=now,
    )
    ensure_in_scope(claim, actor, Action.CHANGE)
    if demand.status == DemandStatus.PUBLISHED:
        _transition(
            demand,
            DemandStatus.MATCHED,
            actor,
            _("%(c)s的“%(r)s”直接对接") % {"c": resource.committee.name, "r": resource.title},
        )
        demand.escalation_due_at = None
        demand.save()
    notifications.notify(
        tenant_id=demand.tenant_id,
        recipients=staff_of(demand.handling_committee).exclude(pk=actor.pk),
        event=Event.CLAIM_DECIDED,
        title=_("%(c)s把“%(r)s”对接到需求“%(title)s”")
        % {"c": resource.committee.name, "r": resource.title, "title": demand.title},
        body=message,
        link=f"/demands/{demand.pk}/",
        key=f"commit:{claim.pk}",
        committee=demand.handling_committee,
    )
    return claim


def claim_open(
    *,
    actor,
    direction: str,
    demand: Demand,
    resource: Resource | None = None,
    unit: MemberUnit | int | None = None,
    quantity=0,
    message: str = "",
) -> Claim:
    """Open a claim from either side: a unit claims the demand, or staff request a resource."""
    if direction == ClaimDirection.UNIT_CLAIMS:
        return claim_by_unit(
            actor=actor,
            demand=demand,
            unit=unit,
            resource=resource,
            quantity=quantity,
            message=message,
        )
    if direction == ClaimDirection.STAFF_REQUESTS:
        return claim_request_resource(
            actor=actor, demand=demand, resource=resource, quantity=quantity, message=message
        )
    if direction == ClaimDirection.COMMITTEE_COMMITS:
        if resource is None:
            raise ValidationError({"resource": _("请选择要对接的资源。")})
        return resource_commit(
            actor=actor, demand=demand, resource=resource, quantity=quantity, message=message
        )
    raise ValidationError({"direction": _("未知的认领方向。")})


def _locked_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("demand", "demand__committee", "demand__handling_committee")
        .select_related("resource", "unit")
        .get(pk=claim.pk)
    )


@transaction.atomic
def claim_accept(*, claim: Claim, actor) -> Claim:
    """The answering side accepts (staff a unit's claim, the unit staff's request): the claim
    commits its capacity and the demand is matched.

    Two acceptances racing for the last capacity cannot both win: capacity is taken by one
    conditional UPDATE that only succeeds while enough remains."""
    claim = _locked_claim(claim)
    policies.require_answer(actor, claim)
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError(_("该认领已处理（%(s)s）。") % {"s": claim.get_status_display()})
    demand = Demand.objects.select_for_update().get(pk=claim.demand_id)
    if demand.status not in (DemandStatus.PUBLISHED, DemandStatus.MATCHED):
        raise ValidationError(
            _("需求已是“%(s)s”，不能再接受认领。") % {"s": demand.get_status_display()}
        )
    _check_demand_quantity(demand, claim.resource, claim.quantity)
    if claim.resource_id:
        _take_capacity(claim.resource, claim.quantity)
    claim.status = ClaimStatus.ACCEPTED
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    ensure_in_scope(claim, actor, Action.CHANGE)
    if demand.status == DemandStatus.PUBLISHED:
        _transition(
            demand, DemandStatus.MATCHED, actor, _("%(unit)s认领成功") % {"unit": claim.party_name}
        )
        demand.escalation_due_at = None
        demand.save()
    notify_claim_decided(claim, accepted=True)
    return claim


@transaction.atomic
def claim_decline(*, claim: Claim, actor, reason: str) -> Claim:
    """The answering side declines, saying why."""
    claim = _locked_claim(claim)
    policies.require_answer(actor, claim)
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError(_("该认领已处理（%(s)s）。") % {"s": claim.get_status_display()})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("谢绝时请说明原因。")})
    reason = _clean_text(reason, "reason", _("原因"))
    claim.status = ClaimStatus.DECLINED
    claim.reason = reason
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    ensure_in_scope(claim, actor, Action.CHANGE)
    notify_claim_decided(claim, accepted=False)
    return claim


@transaction.atomic
def claim_release(*, claim: Claim, actor, reason: str = "") -> Claim:
    """Either side gives an accepted claim's capacity back (the pairing fell through)."""
    reason = _clean_text(reason, "reason", _("原因"))
    claim = _locked_claim(claim)
    policies.require_release(actor, claim)
    if claim.status != ClaimStatus.ACCEPTED:
        raise ValidationError(_("只有已接受的认领可以释放。"))
    if claim.resource_id and claim.quantity:
        Resource.objects.filter(pk=claim.resource_id).update(
            remaining=Least(F("capacity"), F("remaining") + claim.quantity)
        )
    claim.status = ClaimStatus.RELEASED
    claim.reason = reason
    claim.save(update_fields=["status", "reason"])
    ensure_in_scope(claim, actor, Action.CHANGE)
    demand = Demand.objects.select_for_update().get(pk=claim.demand_id)
    if (
        demand.status == DemandStatus.MATCHED
        and not demand.claims.filter(status=ClaimStatus.ACCEPTED).exists()
    ):
        _transition(demand, DemandStatus.PUBLISHED, actor, reason or _("对接取消"))
        demand.escalation_due_at = escalation_due(demand)
        demand.save()
        # Open again: its matches are computed afresh.
        schedule_matching(demand.pk)
    return claim


def notify_claim_decided(claim: Claim, *, accepted: bool) -> None:
    if claim.direction == ClaimDirection.UNIT_CLAIMS:
        recipients = contacts_of([claim.unit_id])
    else:
        recipients, _routed = answering_staff(claim.demand.handling_committee)
    verb = _("已接受") if accepted else _("已谢绝")
    notifications.notify(
        tenant_id=claim.tenant_id,
        recipients=recipients,
        event=Event.CLAIM_DECIDED,
        title=_("“%(title)s”的认领%(verb)s") % {"title": claim.demand.title, "verb": verb},
        body=claim.reason,
        link=f"/demands/{claim.demand_id}/",
        key=f"claim-decided:{claim.pk}",
        committee=claim.demand.handling_committee,
    )


# --- wishes (心愿认领) --------------------------------------------------------------------------------


@transaction.atomic
def wish_claim(*, actor, demand: Demand) -> Demand:
    """A party member registered with the community claims one of its residents' small wishes
    (心愿认领) and sees it through; the demand is then matched to that member. Two members
    tapping the same wish at once: the first has it, the second is told so."""
    member = policies.wish_claimer(actor)
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("committee", "handling_committee")
        .get(pk=demand.pk)
    )
    if demand.kind != DemandKind.WISH:
        raise ValidationError(_("只有微心愿可以由党员个人认领。"))
    policies.require_wish_claim(member, demand)
    if demand.claimed_by_member_id == member.pk:
        raise ValidationError(_("您已认领该心愿。"))
    if demand.claimed_by_member_id is not None:
        raise ValidationError(_("手慢了：该心愿已被其他党员认领。"))
    if demand.status != DemandStatus.PUBLISHED:
        raise ValidationError(
            _("该心愿当前为“%(s)s”，不能认领。") % {"s": demand.get_status_display()}
        )
    _transition(demand, DemandStatus.MATCHED, actor, _("党员%(name)s认领") % {"name": member.name})
    demand.claimed_by_member = member
    demand.escalation_due_at = None
    demand.save()
    recipients, routed = answering_staff(demand.handling_committee)
    notifications.notify(
        tenant_id=demand.tenant_id,
        recipients=recipients,
        event=Event.CLAIM,
        title=_("党员%(name)s认领了心愿“%(title)s”") % {"name": member.name, "title": demand.title},
        body=routed,
        link=f"/demands/{demand.pk}/",
        key=f"wish:{demand.pk}:{member.pk}",
        committee=demand.handling_committee,
    )
    schedule_matching(demand.pk)
    return demand


# --- projects move their demands along --------------------------------------------------------------

# What becomes of a project's demands when it is formed, completed or cancelled.
PROJECT_DEMAND_MOVES = {
    "formed": DemandStatus.IN_PROJECT,
    "completed": DemandStatus.FULFILLED,
    "cancelled": DemandStatus.MATCHED,
}


@transaction.atomic
def demands_follow_project(*, demand_ids: Sequence[int], event: str, actor, reason: str) -> None:
    """The project list (the room above) moves the demands a project meets: "in project" from
    the day it is formed, "fulfilled" when it completes, matched again when it is cancelled (the
    pairing stands; staff decide what next). A published demand formed into a project straight
    from a meeting or a committed resource is matched first, so it takes the path its states
    allow. Every demand that cannot follow is named in one ValidationError, and none moves."""
    to = PROJECT_DEMAND_MOVES[event]
    demands = list(Demand.objects.select_for_update().filter(pk__in=demand_ids).order_by("pk"))
    errors = Errors()
    paths = []
    for demand in demands:
        path = [to]
        if to == DemandStatus.IN_PROJECT and demand.status == DemandStatus.PUBLISHED:
            path = [DemandStatus.MATCHED, DemandStatus.IN_PROJECT]
        status = demand.status
        for step in path:
            if step not in TRANSITIONS[status]:
                errors.add(
                    "demands",
                    _("需求“%(title)s”当前为“%(s)s”，不能%(what)s。")
                    % {
                        "title": demand.title,
                        "s": demand.get_status_display(),
                        "what": {
                            "formed": _("立项"),
                            "completed": _("随项目办结"),
                            "cancelled": _("退回已对接"),
                        }[event],
                    },
                )
                break
            status = step
        paths.append((demand, path))
    errors.raise_if_any()
    for demand, path in paths:
        for step in path:
            _transition(demand, step, actor, reason)
        demand.escalation_due_at = None
        demand.save()

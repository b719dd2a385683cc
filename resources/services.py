"""Write operations of the resource list: offering, changing, pausing and withdrawing resources.

Each validates in full before writing, enforces `policies` (who may offer where, who may change
which resource) and re-checks after writing that the resource is still in the writer's scope. When
resources change, the demands room is told after commit through `signals.resources_changed`, and
rematches the demands they could serve.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from categories.models import Category
from categories.services import resolve_category
from committees.models import Committee
from core.errors import Errors, field_messages
from core.scoping import Action, ensure_all_in_scope, ensure_in_scope
from members.models import MemberUnit

from . import policies
from .models import CapacityUnit, Resource, ResourceKind, ResourceStatus
from .signals import announce_resources_changed


@dataclass
class ResourceData:
    title: str
    kind: str
    category: Category | int | str | None
    capacity: Decimal | str | None
    capacity_unit: str
    description: str = ""
    available_from: dt.date | None = None
    available_until: dt.date | None = None


KINDS = frozenset(ResourceKind.values)
CAPACITY_UNITS = frozenset(CapacityUnit.values)

# A paused resource can be offered again; a withdrawn one is gone for good.
RESOURCE_TRANSITIONS: dict[str, set[str]] = {
    ResourceStatus.ACTIVE: {ResourceStatus.PAUSED, ResourceStatus.WITHDRAWN},
    ResourceStatus.PAUSED: {ResourceStatus.ACTIVE, ResourceStatus.WITHDRAWN},
    ResourceStatus.WITHDRAWN: set(),
}


def clean_resource(
    *, tenant_id: int, committee: Committee | None, data: ResourceData, errors: Errors | None = None
) -> dict:
    """Validate a resource's fields in full; returns the clean values or raises every problem.

    With `errors` given, problems are added to it instead of raised (imports and bulk create
    collect them row by row). Pass the category as a Category of the tenant to spare a query."""
    own = errors is None
    errors = errors or Errors()
    title = (data.title or "").strip()
    if not title:
        errors.add("title", _("请填写资源名称。"))
    elif len(title) > 120:
        errors.add("title", _("资源名称不能超过120个字。"))
    if data.kind not in KINDS:
        errors.add("kind", _("未知的资源类型“%(k)s”。") % {"k": data.kind or ""})
    category = resolve_category(tenant_id, data.category)
    if category is None:
        errors.add("category", _("未知的需求类别“%(c)s”。") % {"c": data.category or ""})
    capacity = None
    try:
        capacity = Decimal(str(data.capacity)).quantize(Decimal("0.1"))
        if capacity <= 0:
            errors.add("capacity", _("容量应大于0，当前为%(c)s。") % {"c": capacity})
        elif capacity >= Decimal("1e11"):
            errors.add("capacity", _("容量过大。"))
    except (InvalidOperation, TypeError, ValueError):
        capacity = None
        errors.add("capacity", _("容量应为数字。"))
    if data.capacity_unit not in CAPACITY_UNITS:
        errors.add("capacity_unit", _("未知的容量单位“%(u)s”。") % {"u": data.capacity_unit or ""})
    if data.available_from and data.available_until and data.available_until < data.available_from:
        errors.add("available_until", _("可用截止日期不能早于开始日期。"))
    if committee is None or committee.tenant_id != tenant_id or committee.closed_at is not None:
        errors.add("committee", _("请选择资源服务的协调委员会。"))
    if own:
        errors.raise_if_any()
    return {
        "title": title,
        "kind": data.kind,
        "category": category,
        "capacity": capacity,
        "capacity_unit": data.capacity_unit,
        "description": (data.description or "").strip(),
        "available_from": data.available_from,
        "available_until": data.available_until,
    }


@dataclass
class ResourceOffer:
    """One resource to offer: where, by whom (None: the committee itself), and what."""

    committee: Committee | None
    offered_by: MemberUnit | None
    data: ResourceData


def validate_offer(*, rule: policies.OfferRule, offer: ResourceOffer) -> dict:
    """Validate an offer in full, fields and policy together; the clean values, or every problem
    by field. `rule` is the actor's offer policy, read once for a whole batch."""
    errors = Errors()
    clean = clean_resource(
        tenant_id=rule.actor.tenant_id, committee=offer.committee, data=offer.data, errors=errors
    )
    unit = offer.offered_by
    if unit is not None and unit.tenant_id != rule.actor.tenant_id:
        errors.add("offered_by", _("提供单位不属于本市。"))
    else:
        rule.check(offer.committee, unit, errors)
    errors.raise_if_any()
    return clean


def _new_resource(actor, offer: ResourceOffer, clean: dict) -> Resource:
    return Resource(
        tenant_id=offer.committee.tenant_id,
        committee=offer.committee,
        offered_by=offer.offered_by,
        created_by=actor,
        remaining=clean["capacity"],
        **clean,
    )


@transaction.atomic
def resource_create(
    *, actor, committee: Committee, data: ResourceData, offered_by: MemberUnit | None = None
) -> Resource:
    """Offer a resource to a committee's subtree, by a member unit or by the committee itself."""
    offer = ResourceOffer(committee=committee, offered_by=offered_by, data=data)
    clean = validate_offer(rule=policies.OfferRule(actor), offer=offer)
    resource = _new_resource(actor, offer, clean)
    resource.save()
    ensure_in_scope(resource, actor, Action.CHANGE)
    announce_resources_changed([resource])
    return resource


@transaction.atomic
def resources_bulk_create(*, actor, offers: list[ResourceOffer]) -> list[Resource]:
    """Offer many resources at once (an import, the bulk API), all or none: each is validated
    here again against the actor's offer policy read once, then all are inserted in bulk and
    matched in one pass after commit."""
    rule = policies.OfferRule(actor)
    rule.know_units(offer.offered_by for offer in offers)
    errors = Errors()
    resources = []
    for index, offer in enumerate(offers):
        try:
            resources.append(_new_resource(actor, offer, validate_offer(rule=rule, offer=offer)))
        except ValidationError as error:
            for field, messages in field_messages(error).items():
                errors.add(f"{index}.{field}", "；".join(messages))
    errors.raise_if_any()
    resources = Resource.objects.bulk_create(resources, batch_size=2000)
    ensure_all_in_scope(Resource, [r.pk for r in resources], actor, Action.CHANGE)
    announce_resources_changed(resources)
    return resources


def status_problem(current: Resource, status: str) -> str | None:
    """Why a resource cannot move to `status` now, or None."""
    if status not in ResourceStatus.values:
        return _("未知的状态。")
    if status != current.status and status not in RESOURCE_TRANSITIONS[current.status]:
        return _("资源已是“%(a)s”，不能再改为“%(b)s”。") % {
            "a": current.get_status_display(),
            "b": ResourceStatus(status).label,
        }
    return None


def validate_change(
    *,
    actor,
    resource: Resource,
    data: ResourceData,
    committee: Committee | None = None,
    status: str | None = None,
) -> dict:
    """Validate a change of a resource in full: its fields, a move to another committee, what is
    committed to accepted claims, a new status. The clean values, or every problem by field."""
    target = committee or resource.committee
    errors = Errors()
    clean = clean_resource(tenant_id=resource.tenant_id, committee=target, data=data, errors=errors)
    if "committee" not in errors.by_field:
        policies.check_move(actor, resource, target, errors)
    committed = resource.capacity - resource.remaining
    if "capacity" not in errors.by_field and clean["capacity"] < committed:
        errors.add("capacity", _("总量不能少于已承诺给认领的%(c)s。") % {"c": committed})
    if status is not None and (problem := status_problem(resource, status)):
        errors.add("status", problem)
    errors.raise_if_any()
    return clean


@transaction.atomic
def resource_update(
    *,
    actor,
    resource: Resource,
    data: ResourceData,
    committee: Committee | None = None,
    status: str | None = None,
) -> Resource:
    """Change what a resource offers (with `committee`, where; with `status`, pause, offer again
    or withdraw it), all at once or not at all. What accepted claims have committed stays
    committed: the remaining capacity moves with the total, which cannot fall below it."""
    policies.ensure_may_edit(actor, resource)
    current = (
        Resource.objects.select_for_update(of=("self",))
        .select_related("committee", "offered_by")
        .get(pk=resource.pk)
    )
    policies.ensure_may_edit(actor, current)
    clean = validate_change(
        actor=actor, resource=current, data=data, committee=committee, status=status
    )
    committed = current.capacity - current.remaining
    for name, value in clean.items():
        setattr(current, name, value)
    current.committee = committee or current.committee
    current.remaining = clean["capacity"] - committed
    if status is not None:
        current.status = status
    current.save()
    ensure_in_scope(current, actor, Action.CHANGE)
    announce_resources_changed([current])
    return current


@transaction.atomic
def resource_set_status(*, actor, resource: Resource, status: str) -> Resource:
    """Pause a resource, offer it again, or withdraw it for good. Capacity already committed to
    accepted claims stays committed; a paused or withdrawn resource takes no new claims."""
    policies.ensure_may_set_status(actor, resource)
    current = Resource.objects.select_for_update().get(pk=resource.pk)
    if problem := status_problem(current, status):
        raise ValidationError({"status": problem})
    if current.status != status:
        current.status = status
        current.save(update_fields=["status", "updated_at"])
        ensure_in_scope(current, actor, Action.CHANGE)
        # Offered again: it may serve demands; paused or withdrawn: it leaves their proposals.
        announce_resources_changed([current])
    resource.status = current.status
    return current

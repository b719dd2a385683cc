"""Write operations of the resource list: offering, changing, pausing and withdrawing resources.

Each validates in full before writing. When resources change, the demands room is told after
commit through `signals.resources_changed`, and rematches the demands they could serve.
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
from core.errors import Errors
from members.models import MemberUnit

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
    if data.kind not in ResourceKind.values:
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
    if data.capacity_unit not in CapacityUnit.values:
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


@transaction.atomic
def resource_create(
    *, actor, committee: Committee, data: ResourceData, offered_by: MemberUnit | None = None
) -> Resource:
    """Offer a resource to a committee's subtree, by a member unit or by the committee itself."""
    errors = Errors()
    clean = clean_resource(
        tenant_id=committee.tenant_id, committee=committee, data=data, errors=errors
    )
    if offered_by is not None and offered_by.tenant_id != committee.tenant_id:
        errors.add("offered_by", _("提供单位不属于本市。"))
    errors.raise_if_any()
    resource = Resource.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        offered_by=offered_by,
        created_by=actor,
        remaining=clean["capacity"],
        **clean,
    )
    announce_resources_changed([resource])
    return resource


@transaction.atomic
def resources_bulk_create(
    *, actor, rows: list[tuple[Committee, MemberUnit | None, dict]]
) -> list[Resource]:
    """Create already-validated resources at once (imports, the bulk API), then match them in
    one pass after commit."""
    resources = Resource.objects.bulk_create(
        [
            Resource(
                tenant_id=c.tenant_id,
                committee=c,
                offered_by=u,
                created_by=actor,
                remaining=clean["capacity"],
                **clean,
            )
            for c, u, clean in rows
        ],
        batch_size=2000,
    )
    announce_resources_changed(resources)
    return resources


@transaction.atomic
def resource_update(
    *, resource: Resource, data: ResourceData, committee: Committee | None = None
) -> Resource:
    """Change what a resource offers (and, with `committee`, where). What accepted claims have
    committed stays committed: the remaining capacity moves with the total, and the total cannot
    fall below what is committed."""
    current = Resource.objects.select_for_update().get(pk=resource.pk)
    if current.status == ResourceStatus.WITHDRAWN:
        raise ValidationError(_("已撤回的资源不能再修改。"))
    committee = committee or current.committee
    errors = Errors()
    clean = clean_resource(
        tenant_id=current.tenant_id, committee=committee, data=data, errors=errors
    )
    committed = current.capacity - current.remaining
    if "capacity" not in errors.by_field and clean["capacity"] < committed:
        errors.add(
            "capacity",
            _("总量不能少于已承诺给认领的%(c)s。") % {"c": committed},
        )
    errors.raise_if_any()
    for name, value in clean.items():
        setattr(current, name, value)
    current.committee = committee
    current.remaining = clean["capacity"] - committed
    current.save()
    announce_resources_changed([current])
    return current


@transaction.atomic
def resource_set_status(*, resource: Resource, status: str) -> Resource:
    """Pause a resource, offer it again, or withdraw it for good. Capacity already committed to
    accepted claims stays committed; a paused or withdrawn resource takes no new claims."""
    if status not in ResourceStatus.values:
        raise ValidationError({"status": _("未知的状态。")})
    current = Resource.objects.select_for_update().get(pk=resource.pk)
    if current.status != status:
        if status not in RESOURCE_TRANSITIONS[current.status]:
            raise ValidationError(
                {
                    "status": _("资源已是“%(a)s”，不能再改为“%(b)s”。")
                    % {"a": current.get_status_display(), "b": ResourceStatus(status).label}
                }
            )
        current.status = status
        current.save(update_fields=["status", "updated_at"])
        # Offered again: it may serve demands; paused or withdrawn: it leaves their proposals.
        announce_resources_changed([current])
    resource.status = current.status
    return current

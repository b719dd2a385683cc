"""Who may offer resources where, and the resource list's Excel template, import and export.

Staff offer resources to the committees in their reach (optionally on behalf of a member unit they
can see); a member unit's contact offers their own unit's resources to a committee the unit stands
in or belongs to. The pages, the import and the API all ask this module, so the rule is written once.

An import checks every row with the same validation as the single-entry form
(`services.clean_resource`), with the committee and the offering unit resolved once for the whole
file, and creates every row with `services.resources_bulk_create` in one transaction: the whole file
or nothing. The uploaded file is kept in an `ImportBatch` (kind "resources") whatever the outcome,
with every bad row listed by row, column and reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee, Level
from core import excel
from core.errors import Errors
from core.models import ImportBatch, ImportStatus
from core.scoping import Action, can, user_scopes
from members.imports import kept_upload
from members.models import Membership, MembershipStatus, MemberUnit

from . import services
from .models import CapacityUnit, Category, Resource, ResourceKind, ResourceStatus

KIND_RESOURCES = "resources"
SHEET_TITLE = gettext_lazy("资源清单")
STAFF = "staff"
CONTACT = "contact"


# --- who may offer what, where -----------------------------------------------------------------


def as_id(value) -> int | None:
    """An id typed or posted as text; None for anything else ("²".isdigit() is true, too)."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def category_lookup(categories: Iterable[Category]):
    """Turn a posted category (an id or a name) into one of the tenant's active categories,
    without a query. Anything else travels as a category of no tenant, which the service calls
    unknown by the text given."""
    by_key = {str(c.pk): c for c in categories} | {c.name: c for c in categories}

    def lookup(value) -> Category | None:
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        return by_key.get(text) or Category(tenant_id=0, name=text)

    return lookup


def is_staff_writer(user) -> bool:
    """Holds a role that acts on business records somewhere (staff, tenant administrators)."""
    return bool(user_scopes(user, Action.CHANGE))


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


def can_offer(user) -> bool:
    return is_staff_writer(user) or bool(
        getattr(user, "is_authenticated", False) and user.unit_ids()
    )


def unit_committees(units: Sequence[MemberUnit]) -> dict[int, list[Committee]]:
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
    result: dict[int, list[Committee]] = {}
    for unit in units:
        ids = {unit.committee_id} | {c for u, c in pairs if u == unit.pk}
        found = [committees[i] for i in ids if i in committees]
        result[unit.pk] = sorted(found, key=lambda c: (c.tree_id, c.lft))
    return result


def committee_label(committee: Committee) -> str:
    return (
        f"{committee.name}（{committee.division_code}）"
        if committee.division_code
        else committee.name
    )


def write_mode(user, resource: Resource) -> str | None:
    """How the user may change a resource they can see: as staff of its committee, as the
    offering unit's contact, or not at all (a leader: 403)."""
    if can(user, Action.CHANGE, resource.committee):
        return STAFF
    if resource.offered_by_id is not None and resource.offered_by_id in user.unit_ids():
        return CONTACT
    return None


def staff_committee_by_reference(user, reference: str) -> Committee:
    """An open committee in the user's reach, named by exact division code or exact name."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"committee": _("请填写资源服务的协调委员会。")})
    scoped = Committee.objects.visible_to(user, Action.CHANGE).open()
    field = "division_code" if reference.isdigit() else "name"
    matches = list(scoped.filter(**{field: reference})[:2])
    if not matches:
        raise ValidationError(
            {"committee": _("在您的工作范围内找不到协调委员会“%(ref)s”。") % {"ref": reference}}
        )
    if len(matches) > 1:
        raise ValidationError(
            {
                "committee": _("有多个名为“%(ref)s”的协调委员会，请改填12位区划代码。")
                % {"ref": reference}
            }
        )
    return matches[0]


def staff_committee_by_id(user, committee_id) -> Committee:
    committee = None
    if as_id(committee_id) is not None:
        committee = (
            Committee.objects.visible_to(user, Action.CHANGE)
            .open()
            .filter(pk=as_id(committee_id))
            .first()
        )
    if committee is None:
        raise ValidationError({"committee": _("请选择您工作范围内的协调委员会。")})
    return committee


def staff_unit_by_reference(user, reference: str) -> MemberUnit | None:
    """A member unit the user can see, by unified social credit code or exact name; blank: the
    committee itself offers."""
    reference = (reference or "").strip()
    if not reference:
        return None
    units = MemberUnit.objects.visible_to(user).filter(is_active=True)
    matches = list(
        units.filter(Q(credit_code=reference.upper()) | Q(name=reference)).order_by("pk")[:2]
    )
    if not matches:
        raise ValidationError(
            {"offered_by": _("在您的工作范围内找不到成员单位“%(ref)s”。") % {"ref": reference}}
        )
    if len(matches) > 1:
        raise ValidationError(
            {
                "offered_by": _("有多家名为“%(ref)s”的单位，请改填统一社会信用代码。")
                % {"ref": reference}
            }
        )
    return matches[0]


def staff_unit_by_id(user, unit_id) -> MemberUnit | None:
    if unit_id in (None, ""):
        return None
    unit = None
    if as_id(unit_id) is not None:
        unit = MemberUnit.objects.visible_to(user).filter(pk=as_id(unit_id), is_active=True).first()
    if unit is None:
        raise ValidationError({"offered_by": _("在您的工作范围内找不到该成员单位。")})
    return unit


def contact_unit(units: Sequence[MemberUnit], unit_id) -> MemberUnit:
    """The unit a contact acts for: the one named, which must be theirs, or their only one."""
    if unit_id in (None, ""):
        if len(units) == 1:
            return units[0]
        raise ValidationError({"offered_by": _("请选择提供资源的本单位。")})
    for unit in units:
        if str(unit.pk) == str(unit_id).strip():
            return unit
    raise ValidationError({"offered_by": _("只能为本单位提交资源。")})


def contact_committee(
    unit: MemberUnit, committees: dict[int, list[Committee]], committee_id
) -> Committee:
    """A committee where the unit stands or belongs; blank: where it stands."""
    allowed = committees.get(unit.pk, [])
    if committee_id in (None, ""):
        standing = next((c for c in allowed if c.pk == unit.committee_id), None)
        if standing is not None:
            return standing
    else:
        for committee in allowed:
            if str(committee.pk) == str(committee_id).strip():
                return committee
    raise ValidationError({"committee": _("只能选择本单位所在或已加入的协调委员会。")})


# --- the workbook's columns ---------------------------------------------------------------------


def resource_columns(categories: Iterable[Category]) -> list[excel.Column]:
    """The template's columns; the 类别 drop-down lists the tenant's active categories."""
    return [
        excel.Column(gettext_lazy("资源名称"), "title", required=True, max_length=120, width=30),
        excel.Column(gettext_lazy("资源类型"), "kind", choices=ResourceKind.choices, required=True),
        excel.Column(
            gettext_lazy("类别"),
            "category",
            choices=[(c.name, c.name) for c in categories],
            required=True,
        ),
        excel.Column(
            gettext_lazy("总量"),
            "capacity",
            required=True,
            width=12,
            help=gettext_lazy("大于0的数字，最多一位小数"),
        ),
        excel.Column(
            gettext_lazy("单位"),
            "capacity_unit",
            choices=CapacityUnit.choices,
            required=True,
            width=10,
            help=gettext_lazy("总量的计量单位"),
        ),
        excel.Column(
            gettext_lazy("可用开始"),
            "available_from",
            width=14,
            help=gettext_lazy("日期，如2026-05-01；留空表示即日起"),
        ),
        excel.Column(
            gettext_lazy("可用截止"),
            "available_until",
            width=14,
            help=gettext_lazy("日期，不能早于可用开始；留空表示长期"),
        ),
        excel.Column(
            gettext_lazy("服务范围"),
            "committee",
            width=22,
            help=gettext_lazy(
                "资源服务的协调委员会的12位区划代码或完整名称（见“可填服务范围”表）；"
                "留空则为导入时选择的协调委员会"
            ),
        ),
        excel.Column(gettext_lazy("描述"), "description", max_length=2000, width=40),
    ]


EXTRA_EXPORT_COLUMNS = [
    excel.Column(gettext_lazy("剩余"), "remaining", width=12),
    excel.Column(gettext_lazy("状态"), "status", choices=ResourceStatus.choices, width=10),
    excel.Column(gettext_lazy("提供单位"), "offered_by", width=30),
    excel.Column(gettext_lazy("登记时间"), "created_at", width=18),
]


def active_categories(tenant_id: int) -> list[Category]:
    return list(Category.objects.filter(tenant_id=tenant_id, is_active=True))


# --- the template -------------------------------------------------------------------------------


def reference_rows(committees: Iterable[Committee]) -> list[tuple]:
    return [(c.division_code, c.name, Level(c.level).label) for c in committees]


def staff_reference_committees(user, committee: Committee | None = None) -> list[Committee]:
    queryset = Committee.objects.visible_to(user, Action.CHANGE).open()
    if committee is not None:
        queryset = queryset.filter(
            tree_id=committee.tree_id, lft__gte=committee.lft, rght__lte=committee.rght
        )
    return list(
        queryset.order_by("tree_id", "lft").only(
            "id", "name", "division_code", "level", "tree_id", "lft"
        )[:20_000]
    )


def resource_template(*, tenant_id: int, committees: Iterable[Committee]) -> bytes:
    """The resource template with drop-downs (资源类型, 类别, 单位) and the committees the user
    may fill in as 服务范围 on a sheet of its own."""
    return excel.build_template(
        resource_columns(active_categories(tenant_id)),
        sheet_title=str(SHEET_TITLE),
        instructions=[
            _("本模板用于批量登记资源清单（场地、人员、专业技能、资金、物资、设备）。"),
            _("资源类型、类别、单位从下拉列表选择；总量须大于0。"),
            _("“服务范围”填写“可填服务范围”表中的区划代码或名称，资源服务该协调委员会及其下级。"),
            _("日期填写如2026-05-01；可用截止不能早于可用开始。"),
        ],
        reference_sheets={
            _("可填服务范围"): (
                [_("区划代码"), _("名称"), _("层级")],
                reference_rows(committees),
            )
        },
    )


# --- importing ----------------------------------------------------------------------------------


def workbook_error(message: str) -> dict[str, Any]:
    """Errors are stored as {"row": 7, "field": "capacity", "column": "总量", "message": "…"}; a
    problem with the workbook as a whole has no row."""
    return {"row": None, "field": "", "column": "", "message": message}


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def parse_day(text: str) -> dt.date | None:
    """A date as people type it in a spreadsheet; raises ValueError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class ImportTarget:
    """Where a file's resources go: the committee chosen for the file, the unit offering them
    (None: the committee itself), and how the user acts (staff or the unit's contact)."""

    committee: Committee
    unit: MemberUnit | None
    mode: str
    # For a contact: the committees the unit may offer to (where it stands or belongs).
    allowed: list[Committee] | None = None


def import_target(user, committee: Committee, unit: MemberUnit | None) -> ImportTarget:
    """Check that the user may import into this committee for this unit; PermissionDenied if not."""
    if user.tenant_id != committee.tenant_id:
        raise PermissionDenied
    if unit is not None and unit.tenant_id != committee.tenant_id:
        raise PermissionDenied
    if can(user, Action.CHANGE, committee):
        return ImportTarget(committee=committee, unit=unit, mode=STAFF)
    if unit is not None and unit.pk in user.unit_ids():
        allowed = unit_committees([unit]).get(unit.pk, [])
        if committee.pk in {c.pk for c in allowed}:
            return ImportTarget(committee=committee, unit=unit, mode=CONTACT, allowed=allowed)
    raise PermissionDenied


def resources_import(
    *, user, committee: Committee, unit: MemberUnit | None, uploaded_file
) -> ImportBatch:
    """Staff, or a member unit's contact, upload a filled-in resource template.

    The file is kept with the batch whatever happens. If the workbook cannot be read, or any row
    is bad, the batch is rejected with every problem listed by row and column, and no resource is
    created. Otherwise every row becomes a resource in one transaction. Raises ValidationError only
    for a file too big to be kept at all, PermissionDenied for a committee or unit out of reach.
    """
    target = import_target(user, committee, unit)
    batch, data = kept_upload(
        user=user, committee=committee, kind=KIND_RESOURCES, uploaded_file=uploaded_file
    )

    categories = active_categories(committee.tenant_id)
    columns = resource_columns(categories)
    try:
        rows = excel.read_rows(
            data, columns, excel.max_rows_setting(), sheet_title=str(SHEET_TITLE)
        )
    except excel.WorkbookError as error:
        return _reject(batch, [workbook_error(error.message)])
    batch.row_count = len(rows)
    if not rows:
        return _reject(batch, [workbook_error(_("表格中没有数据行：请从第二行起填写。"))])

    prepared, errors = _validate(
        user=user, target=target, rows=rows, columns=columns, categories=categories
    )
    if errors:
        return _reject(batch, errors)
    return _create(batch, user, target, prepared)


def _reject(batch: ImportBatch, errors: list[dict[str, Any]]) -> ImportBatch:
    batch.pk = None
    batch.status = ImportStatus.REJECTED
    batch.created_count = 0
    batch.errors = errors
    batch.save()
    return batch


class _Abort(Exception):
    pass


def _create(
    batch: ImportBatch, user, target: ImportTarget, prepared: list[tuple[Committee, dict]]
) -> ImportBatch:
    errors: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    services.resources_bulk_create(
                        actor=user,
                        rows=[(committee, target.unit, clean) for committee, clean in prepared],
                    )
            except (IntegrityError, DataError) as error:
                # A committee closed or a category removed between validation and now.
                errors.append(
                    workbook_error(_("保存时数据发生了变化，整个文件未导入，请重新上传。"))
                )
                raise _Abort from error
            batch.status = ImportStatus.IMPORTED
            batch.created_count = len(prepared)
            batch.errors = []
            batch.save()
    except _Abort:
        return _reject(batch, errors)
    return batch


def _validate(
    *,
    user,
    target: ImportTarget,
    rows: list[excel.Row],
    columns: list[excel.Column],
    categories: list[Category],
) -> tuple[list[tuple[Committee, dict]], list[dict[str, Any]]]:
    tenant_id = target.committee.tenant_id
    by_name = {c.name: c for c in categories}
    resolve = _committee_resolver(user=user, target=target, rows=rows)
    order = {column.field: index for index, column in enumerate(columns)}
    headers = {column.field: str(column.header) for column in columns}
    prepared: list[tuple[Committee, dict]] = []
    errors: list[dict[str, Any]] = []
    for row in rows:
        cell_errors = {field: list(messages) for field, messages in row.errors.items()}
        values = row.values
        committee, problem = resolve(values["committee"])
        if problem:
            cell_errors.setdefault("committee", []).append(problem)
        days = {}
        for name in ("available_from", "available_until"):
            try:
                days[name] = parse_day(values[name])
            except ValueError:
                days[name] = None
                cell_errors.setdefault(name, []).append(
                    _("“%(value)s”不是有效的日期，请填写如2026-05-01。") % {"value": values[name]}
                )
        data = services.ResourceData(
            title=values["title"],
            kind=values["kind"],
            # A name not in the list already has its cell error; the service needs no query.
            category=by_name.get(values["category"]),
            capacity=values["capacity"] or None,
            capacity_unit=values["capacity_unit"],
            description=values["description"],
            **days,
        )
        found = Errors()
        # The same validation as the single-entry form, field by field.
        clean = services.clean_resource(
            tenant_id=tenant_id, committee=committee or target.committee, data=data, errors=found
        )
        if cell_errors or found.by_field:
            errors.extend(_row_errors(row.number, cell_errors, found.by_field, order, headers))
        else:
            prepared.append((committee, clean))
    return prepared, errors


def _committee_resolver(*, user, target: ImportTarget, rows: list[excel.Row]):
    """Turn the 服务范围 cells into committees for the whole file at once: for staff, one query
    over the committees of the import's subtree they may act on; for a unit's contact, among the
    committees the unit stands in or belongs to. Anything else is reported the same way, whether
    it does not exist or lies outside the user's reach."""
    scope = target.committee
    references = {row.values["committee"] for row in rows if row.values["committee"]}
    by_code: dict[str, list[Committee]] = defaultdict(list)
    by_name: dict[str, list[Committee]] = defaultdict(list)
    if references:
        if target.mode == STAFF:
            candidates: Iterable[Committee] = (
                Committee.objects.visible_to(user, Action.CHANGE)
                .open()
                .filter(
                    tenant_id=scope.tenant_id,
                    tree_id=scope.tree_id,
                    lft__gte=scope.lft,
                    rght__lte=scope.rght,
                )
                .filter(Q(division_code__in=references) | Q(name__in=references))
            )
        else:
            candidates = target.allowed or []
        for candidate in candidates:
            if candidate.division_code in references:
                by_code[candidate.division_code].append(candidate)
            if candidate.name in references:
                by_name[candidate.name].append(candidate)
    where = (
        _("“%(scope)s”范围内") % {"scope": scope.name}
        if target.mode == STAFF
        else _("本单位所在或已加入的")
    )

    def resolve(text: str) -> tuple[Committee | None, str]:
        if not text:
            return scope, ""
        matches = by_code.get(text) or by_name.get(text) or []
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            return None, _("有%(n)d个名为“%(text)s”的协调委员会，请改填12位区划代码以区分。") % {
                "n": len(matches),
                "text": text,
            }
        return None, _(
            "找不到服务范围“%(text)s”：请填写%(where)s协调委员会的区划代码或完整名称。"
        ) % {
            "text": text,
            "where": where,
        }

    return resolve


def _row_errors(
    row: int,
    cell_errors: dict[str, list[str]],
    service_errors: dict[str, list[str]],
    order: dict[str, int],
    headers: dict[str, str],
) -> list[dict[str, Any]]:
    """A row's problems in column order. Where a cell was already found wanting (left empty, not
    in the list), the service's message about the same field would only repeat it."""
    merged = dict(cell_errors)
    for field, messages in service_errors.items():
        merged.setdefault(field, messages)
    ordered = sorted(merged.items(), key=lambda item: order.get(item[0], len(order)))
    return [
        {"row": row, "field": field, "column": headers.get(field, ""), "message": str(message)}
        for field, messages in ordered
        for message in messages
    ]


# --- export -------------------------------------------------------------------------------------


def export_rows(resources: Iterable[Resource]) -> Iterator[dict[str, Any]]:
    for resource in resources:
        yield {
            "title": resource.title,
            "kind": resource.kind,
            "category": resource.category.name,
            "capacity": resource.capacity,
            "capacity_unit": resource.capacity_unit,
            "available_from": resource.available_from,
            "available_until": resource.available_until,
            "committee": resource.committee.name,
            "description": resource.description,
            "remaining": resource.remaining,
            "status": resource.status,
            "offered_by": resource.offered_by.name if resource.offered_by else "",
            "created_at": resource.created_at,
        }


def resource_export(*, resources: Iterable[Resource]) -> bytes:
    """The resources the user filtered, in the template's columns followed by what only the
    system knows (remaining, status, offering unit, when entered)."""
    columns = resource_columns(()) + EXTRA_EXPORT_COLUMNS
    return excel.write_workbook(columns, export_rows(resources), sheet_title=str(SHEET_TITLE))

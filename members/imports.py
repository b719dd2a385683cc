"""Importing member units from the Excel template.

Every row goes through the same validation as the single-entry form (`services.clean_unit_data`)
and is created by the same service (`services.member_unit_create`), in one transaction: either the
whole file is imported or nothing is, and the staff member gets every bad row with its reason. The
uploaded file is kept with its `ImportBatch` whatever the outcome, so it can be looked at later.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee, Level
from core import excel, identifiers
from core.models import ImportBatch, ImportStatus
from core.scoping import Action, can
from members import services
from members.models import MemberUnit, PartyOrgType, UnitKind, User

from .selectors import unit_contact_phone

KIND_MEMBER_UNITS = "member_units"
SHEET_TITLE = gettext_lazy("成员单位")

# The single-entry validation checks name, code and phone in full; the lengths given here are the
# ones only the database would otherwise enforce.
UNIT_COLUMNS: list[excel.Column] = [
    excel.Column(gettext_lazy("单位名称"), "name", required=True, width=32),
    excel.Column(
        gettext_lazy("统一社会信用代码"),
        "credit_code",
        width=24,
        requirement=gettext_lazy("除部队单位外必填"),
        help=gettext_lazy("18位，末位为校验位"),
    ),
    excel.Column(gettext_lazy("单位类型"), "kind", choices=UnitKind.choices, required=True),
    excel.Column(
        gettext_lazy("所在地"),
        "committee",
        width=22,
        help=gettext_lazy(
            "所在协调委员会的12位区划代码或完整名称（见“可填所在地”表）；留空则为导入时选择的协调委员会"
        ),
    ),
    excel.Column(gettext_lazy("地址"), "address", max_length=255, width=36),
    excel.Column(gettext_lazy("联系人"), "contact_name", max_length=64),
    excel.Column(
        gettext_lazy("联系电话"),
        "contact_phone",
        help=gettext_lazy("手机号11位，或座机如010-12345678"),
    ),
    excel.Column(
        gettext_lazy("党组织类型"), "party_org_type", choices=PartyOrgType.choices, required=True
    ),
    excel.Column(
        gettext_lazy("党员人数"),
        "party_member_count",
        width=12,
        help=gettext_lazy("不小于0的整数，不填为0"),
    ),
]


def workbook_error(message: str) -> dict[str, Any]:
    """Errors are stored as {"row": 7, "field": "credit_code", "column": "统一社会信用代码",
    "message": "…"}; a problem with the workbook as a whole has no row."""
    return {"row": None, "field": "", "column": "", "message": message}


@dataclass
class _Prepared:
    number: int
    committee: Committee
    data: services.UnitData


def kept_upload(
    *, user: User, committee: Committee, kind: str, uploaded_file
) -> tuple[ImportBatch, bytes]:
    """Read an uploaded workbook within the size cap and attach it to a new, unsaved batch, so
    it is kept whatever happens to its rows. A file too big to keep is refused outright."""
    max_bytes = excel.max_bytes_setting()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError({"file": excel.too_big_message(size, max_bytes)})
    uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError({"file": excel.too_big_message(len(data), max_bytes)})
    original_name = os.path.basename(getattr(uploaded_file, "name", "") or "upload.xlsx")[-255:]
    batch = ImportBatch(
        tenant_id=committee.tenant_id,
        kind=kind,
        committee=committee,
        uploaded_by=user,
        original_name=original_name,
        status=ImportStatus.REJECTED,
    )
    batch.file.save(original_name, ContentFile(data), save=False)
    return batch, data


def member_units_import(*, user: User, committee: Committee, uploaded_file) -> ImportBatch:
    """A staff member uploads a filled-in template of member units for their committee's area.

    The file is stored with the batch whatever happens. If the workbook cannot be read, or any row
    is bad, the batch is rejected with every problem listed by row and column, and no unit is
    created. Otherwise every row becomes a unit (joined to the committee where it stands) in one
    transaction. Raises ValidationError only for a file too big to be kept at all.
    """
    if user.tenant_id != committee.tenant_id or not can(user, Action.CHANGE, committee):
        raise PermissionDenied
    batch, data = kept_upload(
        user=user, committee=committee, kind=KIND_MEMBER_UNITS, uploaded_file=uploaded_file
    )

    try:
        rows = excel.read_rows(
            data, UNIT_COLUMNS, excel.max_rows_setting(), sheet_title=str(SHEET_TITLE)
        )
    except excel.WorkbookError as error:
        return _reject(batch, [workbook_error(error.message)])
    batch.row_count = len(rows)
    if not rows:
        return _reject(batch, [workbook_error(_("表格中没有数据行：请从第二行起填写。"))])

    prepared, errors = _validate(user=user, committee=committee, rows=rows)
    if errors:
        return _reject(batch, errors)
    return _create(batch, prepared)


def _reject(batch: ImportBatch, errors: list[dict[str, Any]]) -> ImportBatch:
    batch.pk = None
    batch.status = ImportStatus.REJECTED
    batch.created_count = 0
    batch.errors = errors
    batch.save()
    return batch


class _Abort(Exception):
    pass


def _create(batch: ImportBatch, prepared: list[_Prepared]) -> ImportBatch:
    tenant = batch.committee.tenant
    errors: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    services.member_units_create_many(
                        tenant=tenant, items=[(item.committee, item.data) for item in prepared]
                    )
            except (IntegrityError, DataError) as error:
                # Someone registered one of these codes between validation and now.
                errors.append(
                    workbook_error(
                        _("保存时发现统一社会信用代码已被他人登记，整个文件未导入，请重新上传。")
                    )
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
    *, user: User, committee: Committee, rows: list[excel.Row]
) -> tuple[list[_Prepared], list[dict[str, Any]]]:
    tenant = committee.tenant
    resolve = _committee_resolver(user=user, scope=committee, rows=rows)
    taken = services.taken_credit_codes(tenant)
    first_row_of_code: dict[str, int] = {}
    prepared: list[_Prepared] = []
    errors: list[dict[str, Any]] = []
    for row in rows:
        cell_errors = {field: list(messages) for field, messages in row.errors.items()}
        values = row.values
        target, problem = resolve(values["committee"])
        if problem:
            cell_errors.setdefault("committee", []).append(problem)

        code = identifiers.normalize_credit_code(values["credit_code"])
        if code and code in first_row_of_code:
            cell_errors.setdefault("credit_code", []).append(
                _("与第%(row)d行的统一社会信用代码%(code)s重复：同一单位只应填写一行。")
                % {"row": first_row_of_code[code], "code": code}
            )
        elif code:
            first_row_of_code[code] = row.number

        data = services.UnitData(
            name=values["name"],
            kind=values["kind"],
            credit_code=values["credit_code"],
            address=values["address"],
            contact_name=values["contact_name"],
            contact_phone=values["contact_phone"],
            party_org_type=values["party_org_type"],
            party_member_count=values["party_member_count"] or 0,
        )
        service_errors: dict[str, list[str]] = {}
        try:
            # The same validation as the single-entry form, field by field.
            clean = services.clean_unit_data(
                tenant=tenant, committee=target, data=data, taken_codes=taken
            )
        except ValidationError as error:
            service_errors = _by_field(error)
        if cell_errors or service_errors:
            errors.extend(_row_errors(row.number, cell_errors, service_errors))
        else:
            prepared.append(_Prepared(number=row.number, committee=target, data=clean))
    return prepared, errors


def _committee_resolver(*, user: User, scope: Committee, rows: list[excel.Row]):
    """Turn the 所在地 cells into committees with one query: the committees of the import's
    subtree the user may act on, matched by exact division code or exact name. Anything else is
    reported the same way, whether it does not exist or lies outside the user's reach."""
    references = {row.values["committee"] for row in rows if row.values["committee"]}
    by_code: dict[str, list[Committee]] = defaultdict(list)
    by_name: dict[str, list[Committee]] = defaultdict(list)
    if references:
        candidates = (
            Committee.objects.visible_to(user, Action.CHANGE)
            .filter(
                tenant_id=scope.tenant_id,
                tree_id=scope.tree_id,
                lft__gte=scope.lft,
                rght__lte=scope.rght,
            )
            .filter(Q(division_code__in=references) | Q(name__in=references))
        )
        for candidate in candidates:
            if candidate.division_code in references:
                by_code[candidate.division_code].append(candidate)
            if candidate.name in references:
                by_name[candidate.name].append(candidate)

    def resolve(text: str) -> tuple[Committee | None, str]:
        if not text:
            return scope, ""
        matches = by_code.get(text) or by_name.get(text) or []
        open_ones = [c for c in matches if c.closed_at is None]
        if len(open_ones) == 1:
            return open_ones[0], ""
        if len(open_ones) > 1:
            return None, _("有%(n)d个名为“%(text)s”的协调委员会，请改填12位区划代码以区分。") % {
                "n": len(open_ones),
                "text": text,
            }
        if matches:
            return matches[0], ""  # a closed committee: the unit validation says why it won't do
        return None, _(
            "找不到所在地“%(text)s”：请填写“%(scope)s”范围内协调委员会的12位区划代码或完整名称。"
        ) % {"text": text, "scope": scope.name}

    return resolve


def _by_field(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"": list(error.messages)}


_HEADERS_BY_FIELD = {column.field: column for column in UNIT_COLUMNS}
_COLUMN_ORDER = {column.field: index for index, column in enumerate(UNIT_COLUMNS)}


def _entry(row: int, field: str, message: str) -> dict[str, Any]:
    column = _HEADERS_BY_FIELD.get(field)
    return {
        "row": row,
        "field": field,
        "column": str(column.header) if column else "",
        "message": str(message),
    }


def _row_errors(
    row: int, cell_errors: dict[str, list[str]], service_errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """A row's problems in column order. Where a cell was already found wanting (left empty, not
    in the list), the service's message about the same field would only repeat it."""
    merged = dict(cell_errors)
    for field, messages in service_errors.items():
        merged.setdefault(field, messages)
    ordered = sorted(
        merged.items(), key=lambda item: _COLUMN_ORDER.get(item[0], len(_COLUMN_ORDER))
    )
    return [_entry(row, field, message) for field, messages in ordered for message in messages]


def template_reference_rows(*, user: User, committee: Committee | None = None) -> list[tuple]:
    """The committees the user may import into, for the template's reference sheet."""
    queryset = Committee.objects.visible_to(user, Action.CHANGE).open()
    if committee is not None:
        queryset = queryset.filter(
            tree_id=committee.tree_id, lft__gte=committee.lft, rght__lte=committee.rght
        )
    return [
        (code, name, Level(level).label)
        for code, name, level in queryset.order_by("tree_id", "lft").values_list(
            "division_code", "name", "level"
        )[:20_000]
    ]


def unit_template(*, user: User, committee: Committee | None = None) -> bytes:
    """The member-unit template with drop-downs and the list of places the user may fill in."""
    return excel.build_template(
        UNIT_COLUMNS,
        sheet_title=str(SHEET_TITLE),
        instructions=[
            _("本模板用于批量登记成员单位（驻区单位）。"),
            _(
                "统一社会信用代码按GB 32100校验末位；同一文件中同一代码只能出现一次，已登记的代码不能重复登记。"
            ),
            _("“所在地”填写“可填所在地”表中的区划代码或名称；名称重复时请填区划代码。"),
            _("导入的单位同时加入其所在地的协调委员会。"),
        ],
        reference_sheets={
            _("可填所在地"): (
                [_("区划代码"), _("名称"), _("层级")],
                template_reference_rows(user=user, committee=committee),
            )
        },
    )


def unit_export_rows(*, user: User, units: Iterable[MemberUnit]) -> Iterator[dict[str, Any]]:
    """The rows of an export, with the contact phone masked for a viewer who does not need it."""
    for unit in units:
        yield {
            "name": unit.name,
            "credit_code": unit.credit_code,
            "kind": unit.kind,
            "committee": unit.committee.name,
            "address": unit.address,
            "contact_name": unit.contact_name,
            "contact_phone": unit_contact_phone(user, unit),
            "party_org_type": unit.party_org_type,
            "party_member_count": unit.party_member_count,
        }


def unit_export(*, user: User, units: Iterable[MemberUnit]) -> bytes:
    """The member units the user filtered, as a workbook in the template's columns."""
    return excel.write_workbook(
        UNIT_COLUMNS, unit_export_rows(user=user, units=units), sheet_title=str(SHEET_TITLE)
    )

"""The one bulk-input pipeline: single entry, every Excel row and every item of a bulk API call go
through one row form, so the same bad row gets the same messages whichever way it came in.

This room holds no business rule: the rules live in the apps' services and policies, which the
row form asks. How to build a row type (member units and resources are the first two; the project
and account imports are built the same way):

1. **A row form** subclassing `RowForm`: one field per input, declared with the field types below
   (`TextField`, `ChoiceField`, `DateField`, `ReferenceField`), which speak the same words on a
   page, in a cell and in an API item ("请填写“单位名称”。", "“飞船”不是可选的资源类型…"). Its
   `clean_row()` turns the parsed values into the item its service takes: it resolves references
   through the context's resolvers and calls the service's own validation (which also asks the
   policy), raising one ValidationError by field. It is also the page's form.
2. **A row context** subclassing `RowContext`: what all rows of one input share, read once: who
   enters them, a resolver per reference field (`core.references`), lookup tables (the tenant's
   categories, the credit codes already taken). `prefetch(rows)` reads every reference of a batch
   with one query per resolver, so a 10,000-row file costs no query per row.
3. **A `RowType`**: the form, the import's kind (`ImportBatch.kind`), the sheet's title, which
   fields are columns (`Column` specs: width, help), and what to say when saving finds a conflict
   that validation could not see (a code registered by someone else a moment ago).
4. **Two services** in the app: one creating one item (single entry), one creating many at once
   with `bulk_create`; both enforce the policy and re-check scope after writing
   (`core.scoping.ensure_in_scope` / `ensure_all_in_scope`), each in one transaction.

Then a page binds `Form(request.POST, context=ctx)` and, if valid, calls the single-entry service
with `form.item`; the API's create does the same with `row_data(request.data)`; an Excel import is
`row_type.import_workbook(...)` (the upload kept in an `ImportBatch` whatever happens, the sheet
streamed within the caps of `core.excel`, every row through the form, all rows saved in one
transaction or none, every bad row listed by row, column and reason); a bulk API call is
`row_type.bulk(...)` (the same for a JSON array, with errors by index).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import MaxLengthValidator
from django.db import DataError, IntegrityError, transaction
from django.utils.choices import normalize_choices
from django.utils.translation import gettext as _

from . import excel
from .errors import NON_FIELD, Errors, field_messages
from .forms import StyledForm, date_input
from .models import ImportBatch, ImportStatus
from .references import ReferenceResolver

MAX_BULK_ITEMS = 10_000
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


# --- the fields of a row form ---------------------------------------------------------------------


class RowField:
    """A missing value is named by its field's label, the same on a page and in a cell."""

    def validate(self, value):
        if value in self.empty_values and self.required:
            raise ValidationError(excel.required_message(self.label), code="required")
        super().validate(value)


class TextField(RowField, forms.CharField):
    """Text, too long said in the spreadsheet's words (the length is checked, not cut)."""

    def __init__(self, *, max_length: int | None = None, **kwargs):
        super().__init__(max_length=max_length, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def validate(self, value):
        super().validate(value)
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                excel.too_long_message(self.label, self.max_length, len(value)), code="max_length"
            )


class ReferenceField(TextField):
    """Text naming an object (a committee by code, name or id; a unit by credit code, name or
    id): the row form resolves it with its context's resolver for this field."""


class ChoiceField(RowField, forms.ChoiceField):
    """One of a list, given as its value or as its label: a page posts values, a spreadsheet's
    drop-down writes labels, a program sends either."""

    def __init__(self, *, blank: str | None = None, **kwargs):
        # The page's drop-down opens on `blank` ("请选择"); it is no choice of the list.
        self.blank = blank
        super().__init__(**kwargs)

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = list(normalize_choices(value))
        blank = [("", self.blank)] if self.blank is not None else []
        self.widget.choices = [*blank, *self._choices]
        self._lookup = excel.choice_lookup(self._choices)

    def to_python(self, value):
        text = super().to_python(value).strip()
        return self._lookup.get(text, text)

    def validate(self, value):
        if value in self.empty_values:
            super().validate(value)
        elif not self.valid_value(value):
            raise ValidationError(excel.choice_message(value, self.label), code="invalid_choice")


class DateField(RowField, forms.DateField):
    """A date as people type it in a spreadsheet (2026-05-01, 2026/5/1, 2026年5月1日)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", date_input())
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for pattern in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValidationError(
            _("“%(value)s”不是有效的日期，请填写如2026-05-01。") % {"value": text}, code="invalid"
        )


# --- the row form and its context -------------------------------------------------------------


class RowContext:
    """What every row of one input shares, read once: the user entering them and a resolver per
    reference field. Subclasses add the lookup tables their rows need."""

    def __init__(self, user) -> None:
        self.user = user
        self.resolvers: dict[str, ReferenceResolver] = {}

    def prefetch(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Read every reference of the rows at once: one query per resolver."""
        for name, resolver in self.resolvers.items():
            resolver.prefetch(row.get(name) for row in rows)

    def resolve(self, name: str, value: Any):
        return self.resolvers[name].resolve(value)


class RowForm(StyledForm):
    """The form of one row, for a page, a spreadsheet row or an API item. After `is_valid()`,
    `item` is what the row type's services take. `position` names the row in messages that
    refer to another row of the same batch ("第7行")."""

    def __init__(self, data=None, files=None, *, context: RowContext, position: str = "", **kwargs):
        self.context = context
        self.position = position
        self.item: Any = None
        super().__init__(data, files, **kwargs)

    def rebind(self, data, position: str = "") -> RowForm:
        """Bind the form to the next row of a batch. A batch sets one form up once (its fields,
        choices and widgets) and binds it to each row in turn: the same checks, without
        copying every field ten thousand times."""
        self.data = data
        self.is_bound = True
        self.position = position
        self.item = None
        self._errors = None
        return self

    def clean(self):
        cleaned = super().clean()
        try:
            self.item = self.clean_row(cleaned)
        except ValidationError as error:
            self.item = None
            self.add_row_errors(error)
        return cleaned

    def clean_row(self, values: dict[str, Any]) -> Any:
        """The item of a good row, or one ValidationError by field (service and policy)."""
        raise NotImplementedError

    def checked(
        self, problems: Errors, validate: Callable[[], Any], *, quiet: Iterable[str] = ()
    ) -> Any:
        """A step of the row's validation (resolving a reference, the service's validation):
        its result, or None with its problems noted, which count only on fields that have none
        yet (a committee that names nothing need not also be "missing"), nor on `quiet` ones."""
        try:
            return validate()
        except ValidationError as error:
            for name, messages in field_messages(error).items():
                if name not in problems.by_field and name not in quiet:
                    for message in messages:
                        problems.add(name, message)
            return None

    def add_row_errors(self, error: ValidationError) -> None:
        """The service's problems on their fields. Where a field already failed to parse, its
        own message says it; the service's would only repeat it."""
        for name, messages in field_messages(error).items():
            if name in self._errors:
                continue
            self.add_error(name if name in self.fields else None, messages)

    def error_dict(self) -> dict[str, list[str]]:
        return {
            (NON_FIELD if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in self.errors.items()
        }


def row_data(payload: Any) -> Mapping[str, Any]:
    """An API item as a row form's data: refuses what is not an object."""
    if not isinstance(payload, Mapping):
        raise ValidationError({NON_FIELD: [_("每一项应为一个对象。")]})
    return payload


# --- the row type -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field of the row form that is a column of the workbook, with how the sheet shows it."""

    field: str
    width: int = 18
    help: Any = ""
    requirement: Any = ""


class BulkRejected(Exception):
    """A bulk API call with bad items: nothing was created. `failures` are
    [{"index": i, "errors": {field: [messages]}}] in the order given."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(failures)} bad items")
        self.failures = failures


@dataclass
class RowType:
    form_class: type[RowForm]
    kind: str  # ImportBatch.kind
    sheet_title: Any
    columns_spec: Sequence[Column]
    conflict_message: Any  # a conflict only saving could find; nothing was imported

    def columns(self, context: RowContext | None = None) -> list[excel.Column]:
        """The workbook's columns, read off the row form: header, drop-down choices, required,
        length. With a context, as that context's rows see them (the tenant's categories)."""
        fields = (
            self.form_class(context=context).fields
            if context is not None
            else self.form_class.base_fields
        )
        columns = []
        for spec in self.columns_spec:
            field = fields[spec.field]
            columns.append(
                excel.Column(
                    field.label,
                    spec.field,
                    choices=list(field.choices) if isinstance(field, forms.ChoiceField) else None,
                    required=field.required,
                    max_length=getattr(field, "max_length", None),
                    help=spec.help,
                    requirement=spec.requirement,
                    width=spec.width,
                )
            )
        return columns

    # --- checking rows --------------------------------------------------------------------------

    def check(
        self, context: RowContext, rows: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> tuple[list[Any], list[tuple[int, dict[str, list[str]]]]]:
        """Every row through the row form: the items of all rows, or (position, errors by field)
        for each bad one. `rows` are (position label, data)."""
        context.prefetch([data for _position, data in rows])
        items, failures = [], []
        form = self.form_class(context=context)
        for index, (position, data) in enumerate(rows):
            form.rebind(data, position)
            if form.is_valid():
                items.append(form.item)
            else:
                failures.append((index, form.error_dict()))
        return items, failures

    # --- Excel --------------------------------------------------------------------------------

    def template(
        self,
        *,
        context: RowContext,
        instructions: Iterable[str],
        reference_sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]],
    ) -> bytes:
        return excel.build_template(
            self.columns(context),
            sheet_title=str(self.sheet_title),
            instructions=instructions,
            reference_sheets=reference_sheets,
        )

    def export(
        self, rows: Iterable[Mapping[str, Any]], extra: Sequence[excel.Column] = ()
    ) -> bytes:
        """A list in the template's columns (then `extra`, what only the system knows)."""
        return excel.write_workbook(
            [*self.columns(), *extra], rows, sheet_title=str(self.sheet_title)
        )

    def import_workbook(
        self,
        *,
        actor,
        committee,
        uploaded_file,
        context: RowContext,
        save: Callable[[list[Any]], Any],
    ) -> ImportBatch:
        """Import an uploaded workbook at a committee: the whole file or nothing.

        The file is kept with the batch whatever happens. A workbook that cannot be read, or any
        bad row, rejects the batch with every problem listed by row and column; otherwise `save`
        (the app's bulk service) gets every row's item in one transaction with the batch. Raises
        ValidationError only for a file too big to be kept at all."""
        batch, data = kept_upload(
            actor=actor, committee=committee, kind=self.kind, uploaded_file=uploaded_file
        )
        columns = self.columns(context)
        try:
            rows = excel.read_rows(data, columns, sheet_title=str(self.sheet_title))
        except excel.WorkbookError as error:
            return _reject(batch, [workbook_error(error.message)])
        batch.row_count = len(rows)
        if not rows:
            return _reject(batch, [workbook_error(_("表格中没有数据行：请从第二行起填写。"))])

        items, failures = self.check(
            context, [(_("第%(n)d行") % {"n": row.number}, row.values) for row in rows]
        )
        if failures:
            return _reject(batch, _row_entries(rows, failures, columns))
        try:
            with transaction.atomic():
                save(items)
                batch.status = ImportStatus.IMPORTED
                batch.created_count = len(items)
                batch.errors = []
                batch.save()
        except (IntegrityError, DataError):
            return _reject(batch, [workbook_error(str(self.conflict_message))])
        except (ValidationError, PermissionDenied) as error:
            # What the service refuses at saving time that the rows did not show.
            messages = field_messages(error) if isinstance(error, ValidationError) else {}
            text = "；".join(m for ms in messages.values() for m in ms) or _("无权导入这些数据。")
            return _reject(batch, [workbook_error(text)])
        return batch

    # --- the bulk API -------------------------------------------------------------------------

    def bulk(
        self,
        *,
        context: RowContext,
        payload: Any,
        save: Callable[[list[Any]], Any],
        max_items: int = MAX_BULK_ITEMS,
    ) -> Any:
        """Create every item of a bulk API call (a JSON array, or {"items": [...]}) through the
        row form, all or nothing: `save`'s result, or BulkRejected with errors by index. What
        concerns no single item (not a list, too many, a refusal of the whole by `save`) comes
        in the same shape with index null, so the error body is always one list."""
        try:
            items = bulk_items(payload, max_items)
        except ValidationError as error:
            raise BulkRejected([{"index": None, "errors": field_messages(error)}]) from error
        failures: list[dict[str, Any]] = []
        rows: list[tuple[int, Mapping[str, Any]]] = []
        for index, item in enumerate(items):
            try:
                rows.append((index, row_data(item)))
            except ValidationError as error:
                failures.append({"index": index, "errors": field_messages(error)})
        good, bad = self.check(
            context, [(_("第%(n)d项") % {"n": index + 1}, data) for index, data in rows]
        )
        failures += [{"index": rows[i][0], "errors": errors} for i, errors in bad]
        if failures:
            raise BulkRejected(sorted(failures, key=lambda failure: failure["index"]))
        try:
            with transaction.atomic():
                return save(good)
        except ValidationError as error:
            raise BulkRejected([{"index": None, "errors": field_messages(error)}]) from error


def bulk_items(payload: Any, max_items: int) -> list[Any]:
    if isinstance(payload, Mapping) and "items" in payload:
        payload = payload["items"]
    if not isinstance(payload, list):
        raise ValidationError({NON_FIELD: [_("请提交一个列表（JSON数组）。")]})
    if not payload:
        raise ValidationError({NON_FIELD: [_("列表为空。")]})
    if len(payload) > max_items:
        raise ValidationError(
            {
                NON_FIELD: [
                    _("一次最多提交%(max)d项，本次为%(n)d项，请分批提交。")
                    % {"max": max_items, "n": len(payload)}
                ]
            }
        )
    return payload


# --- the kept upload and its batch ---------------------------------------------------------------


def kept_upload(*, actor, committee, kind: str, uploaded_file) -> tuple[ImportBatch, bytes]:
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
        uploaded_by=actor,
        original_name=original_name,
        status=ImportStatus.REJECTED,
    )
    batch.file.save(original_name, ContentFile(data), save=False)
    return batch, data


def workbook_error(message: str) -> dict[str, Any]:
    """Errors are stored as {"row": 7, "field": "capacity", "column": "总量", "message": "…"}; a
    problem with the workbook as a whole has no row."""
    return {"row": None, "field": "", "column": "", "message": str(message)}


def _reject(batch: ImportBatch, errors: list[dict[str, Any]]) -> ImportBatch:
    batch.pk = None
    batch.status = ImportStatus.REJECTED
    batch.created_count = 0
    batch.errors = errors
    batch.save()
    return batch


def _row_entries(
    rows: Sequence[excel.Row],
    failures: list[tuple[int, dict[str, list[str]]]],
    columns: Sequence[excel.Column],
) -> list[dict[str, Any]]:
    """Each bad row's problems, in column order (what belongs to no column last)."""
    order = {column.field: index for index, column in enumerate(columns)}
    headers = {column.field: str(column.header) for column in columns}
    entries = []
    for index, errors in failures:
        for name, messages in sorted(errors.items(), key=lambda e: order.get(e[0], len(order))):
            field = name if name in order else ""
            for message in messages:
                entries.append(
                    {
                        "row": rows[index].number,
                        "field": field,
                        "column": headers.get(field, ""),
                        "message": str(message),
                    }
                )
    return entries

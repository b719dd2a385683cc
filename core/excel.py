"""Excel workbooks for any list: a template to fill in, reading it back, and exporting a list.

Generic on purpose: a list describes its columns once (`Column`, derived from its row form by
`core.bulk`) and gets a template with drop-downs, a streaming reader with a header check and caps on
size and rows, and an export that cannot smuggle a formula into the reader's spreadsheet. Nothing
here knows about member units or resources.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A workbook is a zip: 10 MB of it can unpack to gigabytes of XML. This bounds the parsing work,
# including sheets that carry a million formatted but empty rows.
DEFAULT_MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# OWASP CSV/formula injection: a text cell starting with one of these is read as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B22222")
REQUIRED_MARK_FILL = PatternFill("solid", fgColor="8B0000")


@dataclass(frozen=True)
class Column:
    """One column of a list's workbook.

    `choices` are (value, label) pairs: the template offers the labels in a drop-down and the
    reader turns a label (or the raw value) back into the value.
    """

    header: Any  # a (lazy) translatable string; the text in the header row
    field: str
    choices: Sequence[tuple[str, Any]] | None = None
    required: bool = False
    max_length: int | None = None
    help: Any = ""  # one line on the instructions sheet
    requirement: Any = ""  # instead of 必填/选填 when it depends, e.g. "除部队单位外必填"
    width: int = 18

    def label_of(self, value: Any) -> Any:
        if self.choices is None:
            return value
        return next((str(label) for key, label in self.choices if key == value), value)


@dataclass
class Row:
    """One data row of an uploaded sheet: its Excel row number and its cells as the text a person
    typed, by field. Whether the text is good is the row form's question (`core.bulk`)."""

    number: int
    values: dict[str, str]


class WorkbookError(Exception):
    """The workbook as a whole cannot be read: not an xlsx, too big, wrong columns, too many rows."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- settings ---------------------------------------------------------------------------------


def max_rows_setting() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_bytes_setting() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_unzipped_bytes_setting() -> int:
    return int(getattr(settings, "IMPORT_MAX_UNZIPPED_BYTES", DEFAULT_MAX_UNZIPPED_BYTES))


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(size, 1) / 1024:.0f} KB"


# --- the template ------------------------------------------------------------------------------


def build_template(
    columns: Sequence[Column],
    *,
    sheet_title: str,
    instructions: Iterable[str] = (),
    max_rows: int | None = None,
    reference_sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]] | None = None,
) -> bytes:
    """An empty workbook to fill in: the header row on `sheet_title`, a drop-down on every column
    with choices (fed from a hidden sheet, so long lists work), text format on the other columns
    (so codes and phone numbers keep their leading zeros), an instructions sheet, and optional
    reference sheets (for example the codes the user may fill in)."""
    max_rows = max_rows or max_rows_setting()
    last_row = max_rows + 1
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=str(column.header))
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_MARK_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.choices is None:
            sheet.column_dimensions[letter].number_format = "@"

    choice_columns = [(i, c) for i, c in enumerate(columns, start=1) if c.choices is not None]
    if choice_columns:
        lists = workbook.create_sheet(_("选项"))
        for list_index, (sheet_index, column) in enumerate(choice_columns, start=1):
            lists.cell(row=1, column=list_index, value=str(column.header))
            labels = [str(label) for _value, label in column.choices or ()]
            for offset, label in enumerate(labels, start=2):
                lists.cell(row=offset, column=list_index, value=label)
            letter = get_column_letter(list_index)
            source = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(labels) + 1}"
            validation = DataValidation(
                type="list",
                formula1=source,
                allow_blank=not column.required,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle=_("请从下拉列表中选择"),
                error=_("“%(column)s”只能填写下拉列表中的一项。") % {"column": column.header},
                promptTitle=str(column.header),
                prompt=_("请从下拉列表中选择。"),
                showInputMessage=True,
            )
            target = get_column_letter(sheet_index)
            validation.add(f"{target}2:{target}{last_row}")
            sheet.add_data_validation(validation)
        lists.sheet_state = "hidden"

    notes = workbook.create_sheet(_("说明"))
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    lines = list(instructions) + [
        _("第一行是表头，请勿修改、增加或删除列；从第二行起每行填写一条。表头为深红色的列必填。"),
        _("每次最多导入%(rows)d行，文件不超过%(size)s。")
        % {"rows": max_rows, "size": human_size(max_bytes_setting())},
        _("任何一行有错时整个文件都不会导入，系统会逐行列出错误原因，改正后重新上传即可。"),
    ]
    notes.append([_("填写说明")])
    notes["A1"].font = Font(bold=True, size=14)
    for number, line in enumerate(lines, start=1):
        notes.append([f"{number}.", line])
    notes.append([])
    notes.append([_("列"), _("填写要求")])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    for column in columns:
        parts = [str(column.requirement) or (_("必填") if column.required else _("选填"))]
        if column.help:
            parts.append(str(column.help))
        if column.choices is not None:
            parts.append(
                _("从下拉列表选择：%(labels)s")
                % {"labels": "、".join(str(label) for _value, label in column.choices)}
            )
        if column.max_length:
            parts.append(_("不超过%(n)d个字") % {"n": column.max_length})
        notes.append([str(column.header), "；".join(parts)])
    for row in notes.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    for title, (headers, rows) in (reference_sheets or {}).items():
        reference = workbook.create_sheet(title)
        reference.append([str(h) for h in headers])
        for cell in reference[1]:
            cell.font = Font(bold=True)
        for index in range(1, len(headers) + 1):
            letter = get_column_letter(index)
            reference.column_dimensions[letter].width = 24
            reference.column_dimensions[letter].number_format = "@"
        for values in rows:
            reference.append([_text_or_value(v) for v in values])

    workbook.active = 0
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _text_or_value(value: Any) -> Any:
    if isinstance(value, Promise):
        value = str(value)
    return escape_formula(value) if isinstance(value, str) else value


# --- reading an upload --------------------------------------------------------------------------


def expected_headers(columns: Sequence[Column]) -> list[str]:
    return [str(column.header) for column in columns]


def _accepted_header_rows(columns: Sequence[Column]) -> list[list[str]]:
    """The header row in the page's language, and in the site's default language: a template
    downloaded by a colleague who reads the pages in another language still fits."""
    rows = [expected_headers(columns)]
    with translation.override(settings.LANGUAGE_CODE):
        default = expected_headers(columns)
    if default not in rows:
        rows.append(default)
    return rows


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: 13812345678 stays digits, not 1.3812345678E10."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _read_bytes(file: IO[bytes] | bytes, max_bytes: int) -> bytes:
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if size is not None and size > max_bytes:
            raise WorkbookError(too_big_message(size, max_bytes))
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WorkbookError(too_big_message(len(data), max_bytes))
    return data


def too_big_message(size: int, max_bytes: int) -> str:
    return _("文件过大（%(size)s），上传的文件不能超过%(max)s。请分成几个文件导入。") % {
        "size": human_size(size),
        "max": human_size(max_bytes),
    }


def not_xlsx_message() -> str:
    return _(
        "无法读取该文件：它不是有效的Excel工作簿（.xlsx）。"
        "如果是旧版.xls或WPS、CSV文件，请先另存为“Excel工作簿（*.xlsx）”，再用下载的模板填写上传。"
    )


def _check_zip(data: bytes, max_unzipped: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise WorkbookError(not_xlsx_message()) from error
    if unpacked > max_unzipped:
        raise WorkbookError(
            _("文件解压后过大（超过%(max)s），可能含有大量带格式的空行。请删除空行后重新上传。")
            % {"max": human_size(max_unzipped)}
        )


def read_rows(
    file: IO[bytes] | bytes,
    columns: Sequence[Column],
    max_rows: int | None = None,
    *,
    sheet_title: str | None = None,
    max_bytes: int | None = None,
) -> list[Row]:
    """Read the data rows of an uploaded workbook, streaming it in read-only mode.

    Raises WorkbookError (one clear message) for a file that is too big or not an xlsx, a header
    row that differs from the template, or more than `max_rows` data rows. Fully empty rows are
    skipped. Cells come back as text; the row form of `core.bulk` says what is wrong with them.
    """
    max_rows = max_rows or max_rows_setting()
    data = _read_bytes(file, max_bytes or max_bytes_setting())
    _check_zip(data, max_unzipped_bytes_setting())
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises a dozen kinds for a broken file
        raise WorkbookError(not_xlsx_message()) from error
    try:
        return _read_sheet(workbook, columns, max_rows, sheet_title)
    except WorkbookError:
        raise
    except Exception as error:  # a part of the package that does not parse
        raise WorkbookError(not_xlsx_message()) from error
    finally:
        workbook.close()


def _read_sheet(workbook, columns: Sequence[Column], max_rows: int, sheet_title: str | None):
    if sheet_title and sheet_title in workbook.sheetnames:
        sheet = workbook[sheet_title]
    elif workbook.worksheets:
        sheet = workbook.worksheets[0]
    else:
        raise WorkbookError(not_xlsx_message())

    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = [cell_text(value) for value in header]
    while found and not found[-1]:
        found.pop()
    accepted = _accepted_header_rows(columns)
    if found not in accepted:
        raise WorkbookError(header_message(accepted[0], found))

    rows: list[Row] = []
    width = len(columns)
    fields = [column.field for column in columns]
    # Only the template's columns are read, so a sheet claiming 16,384 columns costs nothing.
    for number, cells in enumerate(
        sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=2
    ):
        texts = [cell_text(value) for value in cells]
        if not any(texts):
            continue
        if len(rows) >= max_rows:
            raise WorkbookError(
                _(
                    "数据超过%(max)d行（第%(row)d行起超出）。每次最多导入%(max)d行，请分成几个文件导入。"
                )
                % {"max": max_rows, "row": number}
            )
        texts += [""] * (width - len(texts))
        rows.append(Row(number=number, values=dict(zip(fields, texts, strict=True))))
    return rows


def header_message(expected: list[str], found: list[str]) -> str:
    missing = [h for h in expected if h not in found]
    extra = [h for h in found if h not in expected]
    details = []
    if missing:
        details.append(_("缺少列：%(cols)s") % {"cols": "、".join(missing)})
    if extra:
        details.append(
            _("多出列：%(cols)s") % {"cols": "、".join(h or _("（空白表头）") for h in extra)}
        )
    if not missing and not extra:
        details.append(_("列的顺序不同"))
    return _(
        "表头与模板不一致（%(details)s）。应为：%(expected)s；实际为：%(found)s。"
        "请下载最新模板，按模板的列填写后重新上传。"
    ) % {
        "details": "；".join(details),
        "expected": "、".join(expected),
        "found": "、".join(found) if found else _("（空）"),
    }


# --- what is wrong with one cell (the row forms of `core.bulk` say it in these words) -------------


def required_message(header: Any) -> str:
    return _("请填写“%(column)s”。") % {"column": header}


def choice_message(value: Any, header: Any) -> str:
    return _("“%(value)s”不是可选的%(column)s，请从下拉列表中选择。") % {
        "value": value,
        "column": header,
    }


def too_long_message(header: Any, limit: int, length: int) -> str:
    return _("“%(column)s”不能超过%(n)d个字，当前为%(len)d个字。") % {
        "column": header,
        "n": limit,
        "len": length,
    }


def choice_lookup(choices: Sequence[tuple[Any, Any]]) -> dict[str, str]:
    """Text as typed (a value, or its label in the page's or the site's language) → the value."""
    lookup = {str(value): str(value) for value, _label in choices}
    lookup.update({str(label): str(value) for value, label in choices})
    with translation.override(settings.LANGUAGE_CODE):
        lookup.update({str(label): str(value) for value, label in choices})
    return lookup


# --- export -------------------------------------------------------------------------------------


def escape_formula(text: str) -> str:
    """Prefix a text that a spreadsheet would run as a formula with a single quote (OWASP)."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def write_workbook(
    columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, sheet_title: str
) -> bytes:
    """A list as a workbook, written as it is read (write-only mode): a header row, then one row
    per item with choice values shown as their labels and every text cell escaped."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=escape_formula(str(column.header)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for item in rows:
        sheet.append([_export_value(column, item.get(column.field)) for column in columns])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _export_value(column: Column, value: Any) -> Any:
    value = column.label_of(value)
    if value is None:
        return None
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            # Excel has no time zones: write the local wall-clock time the pages show.
            from django.utils import timezone

            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return escape_formula(str(value))

"""Workbook helpers shared by the Excel tests of every list: a workbook built from rows, an upload
of it, the file an import kept, and the rows of an exported workbook."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from core import excel
from core.models import ImportBatch


def row_of(fields: Sequence[str], defaults: dict, **overrides) -> list:
    """A row in the columns' order: `defaults` with some cells changed."""
    values = {**defaults, **overrides}
    return [values[field] for field in fields]


def workbook_bytes(headers: Sequence, rows: Iterable[Sequence], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(data: bytes, name: str = "upload.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_CONTENT_TYPE)


def kept_bytes(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


def exported(response, headers: Sequence[str], keys: Sequence[str] | None = None) -> list[dict]:
    """The data rows of an exported workbook, by `keys` (the headers when not given), after
    checking the answer is a workbook with the expected header row."""
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(headers)
    return [dict(zip(keys or headers, row, strict=True)) for row in rows[1:]]

"""Workbook helpers shared by the Excel tests of every list: a workbook built from rows, an upload
of it, the file an import kept, and the rows of an exported workbook."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from core import excel
from core.models import ImportBatch


class Sheet:
    """One list's workbook as the tests fill it in: its header row and fields, its sheet's title,
    a good row (`good(n)` gives the n-th one's cells by field) and the upload's file name."""

    def __init__(self, *, headers, fields, title: str, good, filename: str) -> None:
        self.headers, self.fields, self.title = list(headers), list(fields), title
        self.good, self.filename = good, filename

    def row(self, n: int, **overrides) -> list:
        """The n-th good row in the columns' order, with some cells changed."""
        values = {**self.good(n), **overrides}
        return [values[field] for field in self.fields]

    def workbook(self, rows, headers=None, title: str | None = None) -> bytes:
        return workbook_bytes(
            self.headers if headers is None else headers, rows, title or self.title
        )

    def upload(self, data: bytes, name: str | None = None) -> SimpleUploadedFile:
        return upload(data, name or self.filename)


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

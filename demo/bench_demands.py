"""The resource import's benchmark: DESIGN.md's "importing a 10,000-row resource workbook with
row-level validation: under 20 s". `make bench` calls `resource_import_seconds` and prints the
figure; nothing is asserted here.
"""

from __future__ import annotations

import datetime as dt
import io
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from categories.defaults import categories_ensure_defaults
from categories.models import Category
from committees.models import Committee
from core import excel
from core.models import ImportStatus
from resources import imports as resource_imports
from resources.models import CapacityUnit, ResourceKind


def resource_workbook(committee: Committee, rows: int = 10_000) -> bytes:
    """A filled-in resource template of `rows` good rows, as a staff member would upload it:
    every kind, category and unit from the drop-downs, dates on some rows, and the committee's
    own code as 服务范围 on every other row (the rest left blank: the committee chosen)."""
    categories = list(Category.objects.filter(tenant_id=committee.tenant_id, is_active=True))
    if not categories:
        categories = [c for c in categories_ensure_defaults(committee.tenant) if c.is_active]
    columns = resource_imports.RESOURCE_ROWS.columns()
    kinds = [str(label) for _value, label in ResourceKind.choices]
    units = [str(label) for _value, label in CapacityUnit.choices]
    today = timezone.localdate()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(resource_imports.RESOURCE_ROWS.sheet_title))
    sheet.append(excel.expected_headers(columns))
    place = committee.division_code or ""
    for n in range(rows):
        sheet.append(
            [
                f"{categories[n % len(categories)].name}资源{n + 1}号",
                kinds[n % len(kinds)],
                categories[n % len(categories)].name,
                (n % 500) + 1,
                units[n % len(units)],
                today if n % 3 == 0 else None,
                today + dt.timedelta(days=365) if n % 3 == 0 else None,
                place if n % 2 == 0 else None,
                "可提供场地、人员或物资，联系本单位党建办预约使用。",
            ]
        )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def resource_import_seconds(user, committee: Committee, rows: int = 10_000) -> float:
    """Build a `rows`-row resource workbook and time its import by `user` (staff of `committee`):
    the whole of it — keeping the file, reading it, validating every row with the single-entry
    validation, creating every resource in one transaction.

    The import is rolled back afterwards and its kept file deleted, so the benchmark dataset stays
    as seeded. Matching the new resources runs after commit in a worker, outside the import."""
    data = resource_workbook(committee, rows)
    upload = SimpleUploadedFile("bench-resources.xlsx", data, content_type=excel.XLSX_CONTENT_TYPE)
    batch = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            batch = resource_imports.resources_import(
                actor=user, committee=committee, unit=None, uploaded_file=upload
            )
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
    finally:
        if batch is not None and batch.file.name:
            batch.file.storage.delete(batch.file.name)
    if batch.status != ImportStatus.IMPORTED or batch.created_count != rows:
        raise RuntimeError(f"the benchmark workbook did not import: {batch.errors[:3]}")
    return elapsed


class _Undo(Exception):
    """Raised to roll back what a measurement changed."""


def full_pass_after(tenant, change: str) -> dict:
    """The full pass after a change every night brings, measured and then rolled back (the
    dataset stays as seeded, its stored analyses and reasons with it):

    - "resources": one resource of every category offered anew (its text edited), so every
      category's weights move and every reason is worded again and compared;
    - "vocabulary": a thesaurus entry added, so every text is read afresh as well."""
    from categories.models import ThesaurusEntry
    from demands import matching
    from resources.models import Resource

    result: dict = {}
    try:
        with transaction.atomic():
            if change == "resources":
                for category_id in matching.open_categories(tenant.pk):
                    latest = (
                        matching.eligible_resources(tenant.pk, category_id).order_by("-pk").first()
                    )
                    Resource.objects.filter(pk=latest.pk).update(
                        description=f"{latest.description}（新增）"
                    )
            else:
                ThesaurusEntry.objects.create(
                    tenant=tenant, headword="基准测试词", synonyms="基准测试用语"
                )
            started, cpu = time.perf_counter(), time.process_time()
            result = matching.full_pass(tenant.pk)
            result["seconds"] = time.perf_counter() - started
            result["cpu"] = time.process_time() - cpu
            raise _Undo
    except _Undo:
        pass
    matching.clear_caches()
    return result


def python_speed() -> float:
    """Seconds this machine's Python takes for ten million additions: machines of one kind
    differed by two times here, so figures from two machines compare only beside this one."""
    started = time.perf_counter()
    total = 0
    for n in range(10_000_000):
        total += n
    return time.perf_counter() - started

"""The pages every import of the bulk-input pipeline has: its past uploads, one upload's result
(every bad row and why) and the kept file as it was received.

Read through `ImportBatch.objects.visible_to` (uploads of committees in the user's reach, and
always the user's own: a unit's contact holds no committee scope but sees what they uploaded). A
list subclasses each page with its `kind`, its templates and whether the user may import again.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views import View

from .excel import XLSX_CONTENT_TYPE
from .models import ImportBatch
from .views import ScopedPageMixin

PAGE_SIZE = 50


class ImportBatchMixin(ScopedPageMixin):
    model = ImportBatch
    kind: str = ""
    template_name = ""

    def get_scoped_queryset(self) -> QuerySet[ImportBatch]:
        return (
            ImportBatch.objects.visible_to(self.request.user)
            .filter(kind=self.kind)
            .select_related("committee", "uploaded_by")
            .order_by("-uploaded_at", "-pk")
        )

    def get_batch(self) -> ImportBatch:
        return self.get_scoped_object(queryset=self.get_scoped_queryset())

    def may_import(self, batch: ImportBatch | None = None) -> bool:
        """Whether the page offers to import (again); asked of the list's policy."""
        raise NotImplementedError


class ImportListView(ImportBatchMixin, View):
    """Past uploads, newest first."""

    def get(self, request):
        page = Paginator(self.get_scoped_queryset(), PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"page": page, "batches": page.object_list, "can_import": self.may_import()}
        return render(request, self.template_name, context)


class ImportDetailView(ImportBatchMixin, View):
    """One upload's result: what was imported, or every bad row and why."""

    def get(self, request, pk):
        batch = self.get_batch()
        errors = sorted(
            batch.errors or [], key=lambda e: (e.get("row") is not None, e.get("row") or 0)
        )
        context = {
            "batch": batch,
            "errors": errors,
            "bad_rows": len({e["row"] for e in errors if e.get("row") is not None}),
            "workbook_errors": [e for e in errors if e.get("row") is None],
            "row_errors": [e for e in errors if e.get("row") is not None],
            "can_reimport": self.may_import(batch),
        }
        return render(request, self.template_name, context)


class ImportFileView(ImportBatchMixin, View):
    """The uploaded file as it was received, to those who can see the batch."""

    def get(self, request, pk):
        batch = self.get_batch()
        try:
            handle = batch.file.open("rb")
        except (FileNotFoundError, ValueError) as error:
            raise Http404 from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=batch.original_name,
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Cache-Control"] = "private, no-store"
        return response

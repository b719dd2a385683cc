"""Base classes that apply the scoping rule once, for every page.

A page names its model; the base class reads through `Model.objects.visible_to(user, action)`,
the action following the request's method (GET reads, POST changes). An object outside the user's
scope is a 404, exactly like one that does not exist; an object the user may see but not change
is a 403. Services raise `ValidationError` and `PermissionDenied`; pages only show them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header

from .errors import error_text
from .references import as_id
from .scoping import Action, action_for_method

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ScopedPageMixin(LoginRequiredMixin):
    """For class-based pages. `get_scoped_queryset()` is the model's scoped rows for the action
    of the request; `get_scoped_object()` is a 404 outside the scope and a 403 for a reader who
    may see the object but not take the action."""

    model: type[Model] | None = None
    # None: follow the method. A page whose POST only reads (a search form) sets VIEW.
    action: Action | None = None

    def scope_action(self) -> Action:
        return self.action or action_for_method(self.request.method)

    def get_scoped_queryset(self, model: type[Model] | None = None, action=None) -> QuerySet:
        model = model or self.model
        return model.objects.visible_to(self.request.user, action or self.scope_action())

    def get_scoped_object(
        self, model: type[Model] | None = None, pk: Any = None, queryset: QuerySet | None = None
    ) -> Model:
        model = model or self.model
        pk = as_id(str(self.kwargs["pk"] if pk is None else pk))
        if pk is None:
            raise Http404  # a pk posted or typed as anything but an id names nothing
        readable = queryset if queryset is not None else model.objects.all()
        obj = get_object_or_404(
            readable.filter(pk__in=model.objects.visible_to(self.request.user, Action.VIEW)),
            pk=pk,
        )
        action = self.scope_action()
        if (
            action != Action.VIEW
            and not model.objects.visible_to(self.request.user, action).filter(pk=obj.pk).exists()
        ):
            raise PermissionDenied
        return obj


def run_service(request, call: Callable[[], Any], success: str | None = None) -> Any | None:
    """Call a service from a one-button page: its result, or None with the refusal shown as a
    message. What the service refuses changes nothing (each service is one transaction)."""
    try:
        result = call()
    except ValidationError as error:
        messages.error(request, error_text(error))
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


_PK_SENTINEL = 918273645


def pk_urls(name: str, *leading) -> Callable[[int], str]:
    """`reverse(name, args=[*leading, pk])` for every row of a list at the cost of one
    `reverse`: the URL of a made-up pk, split where that pk stands (a list of 50 rows otherwise
    walks the resolver 50 times). For patterns whose last argument is an `<int:pk>`, which
    `str(pk)` writes."""
    from django.urls import reverse

    head, tail = reverse(name, args=[*leading, _PK_SENTINEL]).split(str(_PK_SENTINEL))
    return lambda pk: f"{head}{pk}{tail}"


def private_file(
    field_file,
    *,
    types: dict[str, str],
    filename: str,
    as_attachment: bool | None = None,
    cache: str = "private, max-age=600",
) -> FileResponse:
    """A stored file served by a scoped view (never from /media/): its type by its extension
    among the ones the upload accepted (else a download of octets), never sniffed by the
    browser, cached only by the reader's own browser; a file gone from the disk is a 404.
    `as_attachment` defaults to a download for a type not in `types`."""
    from pathlib import Path

    extension = Path(field_file.name).suffix.lower()
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        content_type=types.get(extension, "application/octet-stream"),
        as_attachment=extension not in types if as_attachment is None else as_attachment,
        filename=filename,
    )
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response

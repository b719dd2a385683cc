"""The API's base classes: scoping applied once, and services' errors translated once.

Every viewset names its model; the base reads through `Model.objects.visible_to(user, action)`
with the action of the request's method, so a PATCH of an object the caller may only read is a
403 and one outside the scope a 404. A service's `ValidationError` becomes a 400 with field
errors, its `PermissionDenied` a 403, through the exception handler below.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import field_messages
from .scoping import Action, action_for_method


class ScopedViewSetMixin:
    model: type[Model]

    def scope_action(self) -> Action:
        return action_for_method(self.request.method)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user, Action.VIEW)

    def get_object(self):
        # Found among what the caller may read (else 404); changing needs the change scope.
        obj = super().get_object()
        action = self.scope_action()
        if (
            action != Action.VIEW
            and not self.model.objects.visible_to(self.request.user, action)
            .filter(pk=obj.pk)
            .exists()
        ):
            raise exceptions.PermissionDenied
        return obj


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The API's base: every list and detail reads through the model's scoping entry point."""


def form_serializer(form_class, name: str, **kwargs) -> serializers.Serializer:
    """The OpenAPI description of an endpoint that takes a row form's fields (`core.bulk`), so
    the form stays the one declaration of its input."""
    from django import forms as django_forms
    from drf_spectacular.utils import inline_serializer

    fields = {}
    for field_name, field in form_class.base_fields.items():
        options = {"required": False, "help_text": field.help_text or field.label}
        if isinstance(field, django_forms.DateField):
            fields[field_name] = serializers.DateField(allow_null=True, **options)
        else:
            fields[field_name] = serializers.CharField(allow_blank=True, **options)
    return inline_serializer(name, fields=fields, **kwargs)


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(field_messages(error))


def exception_handler(exc, context):
    """DRF's handler, taught that a service's Django ValidationError is a 400 with field
    errors (DRF already maps Django's PermissionDenied and Http404)."""
    if isinstance(exc, DjangoValidationError):
        exc = service_errors(exc)
    if isinstance(exc, exceptions.Throttled):
        # DRF's own wording is English-only here; ours names the wait (Retry-After too).
        import math

        wait = max(1, math.ceil(exc.wait or 1))
        exc = exceptions.Throttled(wait=wait)
        exc.detail = exceptions.ErrorDetail(
            _("请求过于频繁，请%(seconds)d秒后再试。") % {"seconds": wait}, code="throttled"
        )
    return drf_exception_handler(exc, context)


class KeysetPagination(pagination.CursorPagination):
    """Keyset (cursor) pagination for the big lists where no one needs a count (service
    records: three million at Beijing scale). The page is read from an index in the list's
    order, whatever the scope holds: no OFFSET, no count(*). `?page_size=` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-pk",)

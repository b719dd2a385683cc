"""Base classes that apply the scoping rule once, for pages and the API alike.

A page or endpoint names its model; the base class reads through `Model.objects.visible_to(user)`.
An object outside the user's scope is a 404, exactly like one that does not exist. An object the
user may see but not change is a 403.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import viewsets

from .scoping import Action, can


class ScopedPageMixin(LoginRequiredMixin):
    """For class-based pages: `get_scoped_object()` is a 404 outside the scope, 403 for a
    permitted reader lacking `required_action`."""

    model: type[Model]
    required_action: Action = Action.VIEW

    def get_scoped_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_scoped_object(self) -> Model:
        obj = get_object_or_404(self.get_scoped_queryset(), pk=self.kwargs["pk"])
        if self.required_action != Action.VIEW and not can(
            self.request.user, self.required_action, self.committee_of(obj)
        ):
            raise PermissionDenied
        return obj

    def committee_of(self, obj: Model):
        """The committee whose scope governs the object, along its queryset's committee path."""
        path = getattr(type(obj).objects.get_queryset(), "committee_path", "committee")
        for attribute in filter(None, path.split("__")):
            obj = getattr(obj, attribute)
        return obj


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """The API's base: every list and detail reads through the model's scoping entry point."""

    model: type[Model]

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form's fields, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)

"""Helpers of the audit tests: the auditors (shared with the security tests), a write made as a
view makes it (behind the audit middleware), and the trail's entries of a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from audit.middleware import AuditContextMiddleware
from audit.models import Entry

from ..security.conftest import Admins, admins, as_user  # noqa: F401 - the fixture is shared

T = TypeVar("T")


def in_request(user, action: Callable[[], T], ip: str = "10.20.30.40", path: str = "/x/") -> T:
    """Run `action` inside a request from `ip`, behind the audit middleware, with the user set
    by the view (as DRF does once it has checked a token), not by the middleware."""
    result: list[T] = []

    def view(request):
        request.user = user
        result.append(action())
        return HttpResponse()

    request = RequestFactory().post(path, REMOTE_ADDR=ip)
    request.user = AnonymousUser()
    AuditContextMiddleware(view)(request)
    return result[0]


def entries(model: str, **filters) -> list[Entry]:
    """The trail's entries of a model (its label_lower), oldest first."""
    return list(Entry.objects.filter(model=model, **filters).order_by("pk"))

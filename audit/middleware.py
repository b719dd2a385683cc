"""The request an audit entry is written in: its user, tenant and address go with every write."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from core.http import client_ip

from .context import Deferred, audit_context


def _user(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def request_context(request: HttpRequest) -> dict:
    """What the trail keeps of a request. The user is read at each write statement, so that the
    user a token authenticates inside the view (DRF) or a login during the request is the one
    named, not the anonymous visitor the middleware saw."""

    def read(attribute: str):
        return Deferred(lambda: getattr(_user(request), attribute, None))

    return {
        "actor": read("pk"),
        "tenant": read("tenant_id"),
        "username": read("username"),
        "ip": client_ip(request),
        "method": request.method,
        "path": request.path,
    }


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(**request_context(request)):
            return self.get_response(request)

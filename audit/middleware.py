"""The request an audit entry is written in: its user and address become the entry's actor."""

from __future__ import annotations

from contextvars import ContextVar

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse

from core.http import client_ip

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request() -> HttpRequest | None:
    return _current_request.get()


class AuditContextMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware with our address, and the actor read when an entry is written
    rather than when the request arrives: an API call authenticated by token only has its user
    once DRF has authenticated it (see `audit.services.set_actor_from_request`)."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request)

    @staticmethod
    def _get_actor(request: HttpRequest):
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return super().__call__(request)
        finally:
            _current_request.reset(token)

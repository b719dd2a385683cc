"""The audit trail's writes: a read of personal data, and the retention purge.

Every write to an audited table is recorded by PostgreSQL itself (`audit.recording`); entries
are append-only: PostgreSQL refuses to change them and to delete them before 180 days (audit
migration 0002), and `Entry.save` says the same in Python."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Model
from django.db.models.functions import Now
from django.http import HttpRequest

from core.http import client_ip

from .models import AuditLogIsAppendOnly, Entry, Operation
from .policies import is_auditor
from .recording import tracked_tables

# Network logs are kept at least six months (网络安全法 art. 21); migration 0002 holds the same
# number.
RETENTION_FLOOR_DAYS = 180

__all__ = [
    "RETENTION_FLOOR_DAYS",
    "AuditLogIsAppendOnly",
    "audit_log_purge",
    "is_auditor",
    "record_personal_data_access",
    "retention_days",
]


def record_personal_data_access(user, obj: Model, request: HttpRequest | None = None) -> Entry:
    """Record that `user` read `obj` in full: a party member's record, or any record of personal
    data (PIPL). Pages and endpoints that show such a record call this on every read. The entry
    keeps who, when, from where and which record, not what the record held."""
    actor = user if getattr(user, "is_authenticated", False) else None
    table = tracked_tables().get(obj._meta.label_lower)
    tenant_id = table.tenant_id_of(obj) if table else getattr(obj, "tenant_id", None)
    return Entry.objects.create(
        tenant_id=tenant_id or getattr(actor, "tenant_id", None),
        actor=actor,
        remote_addr=client_ip(request) if request is not None else None,
        context={
            "username": actor.username if actor else None,
            "path": request.path if request is not None else None,
        },
        operation=Operation.ACCESS,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
    )


def retention_days() -> int:
    return max(RETENTION_FLOOR_DAYS, settings.AUDIT_LOG_RETENTION_DAYS)


def audit_log_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention period (180 days, or longer if configured);
    run daily by Celery beat. Returns how many were deleted.

    The cut-off is taken from the database's clock, the one the trigger that guards young
    entries reads, so the two never disagree about an entry's age."""
    age = dt.timedelta(days=retention_days())
    cutoff = (now - age) if now is not None else (Now() - age)
    deleted, _by_model = Entry.objects.filter(at__lt=cutoff).delete()
    return deleted

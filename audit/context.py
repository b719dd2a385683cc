"""Who is writing: the pghistory context that the audit triggers read with every statement.

`pghistory.context` sends its metadata to PostgreSQL ahead of each write statement, where the
triggers of `audit.recording` copy it into the entries. A request's context names its user and
that user's tenant (read when a statement is sent, not when the request arrives: DRF
authenticates a token inside the view, after the middleware has run), the client's address and
the path. A Celery task's context names the task; a task run eagerly inside a request (the
embedded demo, the tests) adds its name to the request's context for as long as it runs.

On SQLite nothing is sent: there are no triggers to read it, and SQLite knows no `set_config`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pghistory
from celery.signals import task_postrun, task_prerun
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

_local = threading.local()


class Deferred:
    """A context value read when a statement is sent rather than when the context opens."""

    def __init__(self, read: Callable[[], Any]):
        self.read = read


class ContextEncoder(DjangoJSONEncoder):
    """pghistory's encoder of the context (settings.PGHISTORY_JSON_ENCODER)."""

    def default(self, o):
        if isinstance(o, Deferred):
            return o.read()
        return super().default(o)


def recorded_by_triggers() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def audit_context(**metadata: Any) -> Iterator[None]:
    """Open a context with `metadata`, or, inside one already open, add `metadata` to it until
    this block ends (pghistory itself would keep nested values after the block)."""
    if not recorded_by_triggers():
        yield
        return
    current: dict[str, Any] | None = getattr(_local, "current", None)
    if current is None:
        with pghistory.context(**metadata):
            _local.current = dict(metadata)
            try:
                yield
            finally:
                _local.current = None
        return
    previous = {key: current.get(key) for key in metadata}
    pghistory.context(**metadata)
    current.update(metadata)
    try:
        yield
    finally:
        pghistory.context(**previous)
        current.update(previous)


# --- Celery: the worker as actor -----------------------------------------------------------------


def _open_task_context(sender=None, task_id=None, task=None, **kwargs) -> None:
    contexts = _local.__dict__.setdefault("tasks", {})
    context = audit_context(task=task.name, task_id=task_id)
    context.__enter__()
    contexts[task_id] = context


def _close_task_context(sender=None, task_id=None, **kwargs) -> None:
    context = getattr(_local, "tasks", {}).pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)


def connect_task_signals() -> None:
    task_prerun.connect(_open_task_context, dispatch_uid="audit_task_context_open", weak=False)
    task_postrun.connect(_close_task_context, dispatch_uid="audit_task_context_close", weak=False)

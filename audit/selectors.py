"""What the audit administrator reads: the tenant's entries, filtered, and each in words.

An entry holds a row as PostgreSQL saw it (columns and raw values). `describe` turns a page of
entries into what a person reads: the model's and the fields' Chinese names, choice labels,
local times, and related objects by their names, fetched with one query per related model
whatever the number of entries."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .models import Entry, Operation
from .recording import Tracked, tracked_tables

# --- the list ------------------------------------------------------------------------------------


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def entries_visible_to(user, filters: dict | None = None) -> QuerySet[Entry]:
    """The auditor's entries, newest first, narrowed by the filters of `AuditFilterForm`: local
    dates (inclusive), an actor (username, name, or the name of a background task), a kind of
    object (a model's label_lower) and an operation."""
    filters = filters or {}
    entries = Entry.objects.visible_to(user).select_related("actor")
    if filters.get("date_from"):
        entries = entries.filter(at__gte=_start_of(filters["date_from"]))
    if filters.get("date_to"):
        entries = entries.filter(at__lt=_start_of(filters["date_to"] + dt.timedelta(days=1)))
    if filters.get("actor"):
        name = filters["actor"].strip()
        entries = entries.filter(
            Q(actor__username=name) | Q(actor__display_name__contains=name) | Q(task__contains=name)
        )
    if filters.get("model"):
        entries = entries.filter(model=filters["model"])
    if filters.get("operation"):
        entries = entries.filter(operation=filters["operation"])
    return entries.order_by("-at", "-pk")


def audited_kinds() -> list[tuple[str, str]]:
    """The kinds of object in the trail, (label_lower, name), sorted by name."""
    return sorted(
        ((key, str(table.label)) for key, table in tracked_tables().items()),
        key=lambda pair: pair[1],
    )


# --- each entry in words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Row:
    entry: Entry
    operation: str
    kind: str
    object: str
    actor: str
    actor_detail: str
    changes: list[Change]


def _relations(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def _referenced(entries: Sequence[Entry]) -> dict[type[models.Model], set[str]]:
    """The ids of the related objects that the entries name, by model."""
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for entry in entries:
        table = tracked_tables().get(entry.model)
        if table is None:
            continue
        data, changes = entry.data or {}, entry.changes or {}
        for relation in _relations(table.model):
            values = [data.get(relation.column), *(changes.get(relation.column) or ())]
            wanted[relation.related_model].update(str(v) for v in values if v is not None)
    return wanted


def _fetch(wanted: dict[type[models.Model], set]) -> dict[tuple[type[models.Model], str], object]:
    """One query per related model, with that model's own relations joined, so that a name
    built from them (a claim is "unit ↔ demand") costs nothing more."""
    found = {}
    for model, ids in wanted.items():
        joined = [f.name for f in _relations(model)]
        for obj in model._base_manager.filter(pk__in=ids).select_related(*joined):
            found[(model, str(obj.pk))] = obj
    return found


def _instance(table: Tracked, data: dict, found: dict) -> models.Model:
    """The row as it was, rebuilt from the entry, with its related objects from `found`."""
    model = table.model
    values = {}
    for f in model._meta.concrete_fields:
        if f.column not in data or f.is_relation:
            continue
        try:
            values[f.attname] = f.to_python(data[f.column])
        except (ValidationError, TypeError, ValueError):
            continue
    instance = model(**values)
    for relation in _relations(model):
        raw = data.get(relation.column)
        setattr(instance, relation.attname, raw)
        relation.set_cached_value(instance, found.get((relation.related_model, str(raw))))
    return instance


def _object_name(entry: Entry, table: Tracked | None, found: dict) -> str:
    if entry.object_repr or table is None or not entry.data:
        return entry.object_repr or f"#{entry.object_id}"
    if table.field_labels:  # a link of a many-to-many field: name both ends
        return " · ".join(
            _shown(f, entry.data.get(f.column), found) for f in _relations(table.model)
        )
    try:
        return str(_instance(table, entry.data, found)) or f"#{entry.object_id}"
    except Exception:  # a name that needs more than the row holds
        return f"#{entry.object_id}"


def _number(value) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _shown(field: models.Field | None, value, found: dict) -> str:
    """A raw value as a person reads it."""
    if value is None or value == "":
        return ""
    if field is None:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if field.is_relation:
        obj = found.get((field.related_model, str(value)))
        return str(obj) if obj is not None else _("#%(id)s（已删除）") % {"id": value}
    if field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        return str(labels.get(str(value), value))
    if isinstance(field, models.BooleanField):
        return _("是") if value else _("否")
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is None:
            return str(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _changes(entry: Entry, table: Tracked | None, found: dict) -> list[Change]:
    fields = {f.column: f for f in table.model._meta.concrete_fields} if table else {}

    def label(column: str) -> str:
        f = fields.get(column)
        if f is None:
            return column
        return str(table.field_labels.get(f.name) or f.verbose_name)

    if entry.operation == Operation.UPDATE:
        return [
            Change(
                label(c),
                _shown(fields.get(c), pair[0], found),
                _shown(fields.get(c), pair[1], found),
            )
            for c, pair in (entry.changes or {}).items()
        ]
    if entry.operation not in (Operation.CREATE, Operation.DELETE):
        return []
    pk = table.model._meta.pk.column if table else "id"
    rows = []
    for column, value in (entry.data or {}).items():
        if column in (pk, "tenant_id") or value in (None, ""):
            continue
        shown = _shown(fields.get(column), value, found)
        before, after = ("", shown) if entry.operation == Operation.CREATE else (shown, "")
        rows.append(Change(label(column), before, after))
    return rows


def _actor(entry: Entry) -> tuple[str, str]:
    username = (entry.context or {}).get("username") or ""
    if entry.actor is not None:
        detail = entry.actor.username
        if entry.task:
            detail = f"{detail} · {_('后台任务')} {entry.task}"
        return str(entry.actor), detail
    if entry.task:
        return _("后台任务"), entry.task
    if username:
        return username, _("（账号已删除）")
    return _("系统"), _("无请求或任务（如命令行）")


def _kind(entry: Entry, table: Tracked | None) -> str:
    if table is not None:
        return str(table.label)
    try:
        return str(apps.get_model(entry.model)._meta.verbose_name)
    except (LookupError, ValueError):
        return entry.model


def describe(entries: Sequence[Entry]) -> list[Row]:
    """A page of entries in words; takes one query per kind of related object on the page."""
    entries = list(entries)
    found = _fetch(_referenced(entries))
    labels = {Operation(value): label for value, label in Operation.choices}
    rows = []
    for entry in entries:
        table = tracked_tables().get(entry.model)
        actor, detail = _actor(entry)
        rows.append(
            Row(
                entry=entry,
                operation=str(labels.get(entry.operation, entry.operation)),
                kind=_kind(entry, table),
                object=_object_name(entry, table, found),
                actor=actor,
                actor_detail=detail,
                changes=_changes(entry, table, found),
            )
        )
    return rows

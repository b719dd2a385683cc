"""What the trail records, and the PostgreSQL triggers that record it.

Each app declares its audited models in its own AppConfig, and this floor finds them through the
app registry (it never imports the apps above it)::

    audited_models = {
        "Resource": {},
        "Committee": {"exclude": {"lft", "rght", "tree_id", "depth"}},
        "Preference": {"tenant": "user__tenant"},
        "otp_totp.TOTPDevice": {"exclude": {"key"}, "tenant": "user__tenant"},
    }

A name without a dot is a model of the declaring app. The options:

- ``exclude``: fields never recorded (secrets; bookkeeping that changes with every neighbour).
  Fields named ``password`` or ``secret`` are never recorded, declared or not.
- ``m2m``: many-to-many fields whose links are recorded, as rows of their through table.
- ``tenant``: the lookup path from a row to the id of its tenant (``"tenant"`` unless said;
  ``"pk"`` for the tenant itself). Each entry belongs to that tenant, whoever wrote it.
- ``object``: the field that identifies the object when its primary key is itself a secret
  (an API token's key).
- ``label``: the name the auditor reads, for a model of a third-party app without a Chinese one.

Every audited table gets three statement-level AFTER triggers (insert, update, delete), managed
by django-pgtrigger and installed after each ``migrate``. One statement writes one INSERT into
the trail however many rows it touched, so a ``bulk_create`` of 10,000 rows or a queryset
``update()`` is recorded as surely as a ``save()``, and costs one statement. Who wrote it is
read from the pghistory context of the statement (see ``audit.context``).

SQLite (the embedded demo) has none of this: pgtrigger installs nothing there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pgtrigger
from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.text import format_lazy

ALWAYS_EXCLUDED = frozenset({"password", "secret"})
TRAIL_TABLE = "audit_entry"


@dataclass(frozen=True)
class Tracked:
    """One audited table."""

    model: type[models.Model]
    label: str | Promise  # what the auditor reads: the model's verbose name, or "服务队·成员"
    exclude: frozenset[str] = frozenset()
    tenant_path: str = "tenant"
    object_field: str | None = None
    field_labels: dict[str, str | Promise] = field(default_factory=dict)  # of through tables

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    def recorded_fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields if f.name not in self.exclude]

    def excluded_columns(self) -> list[str]:
        return sorted(f.column for f in self.model._meta.concrete_fields if f.name in self.exclude)

    def tenant_id_of(self, obj: models.Model) -> int | None:
        """The tenant of a row, by the same path the triggers follow."""
        *hops, last = self.tenant_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop, None)
            if obj is None:
                return None
        if last == "pk":
            return obj.pk
        return getattr(obj, obj._meta.get_field(last).attname)


def _declarations() -> list[tuple[str, dict]]:
    declared = []
    for config in apps.get_app_configs():
        for name, options in getattr(config, "audited_models", {}).items():
            declared.append((name if "." in name else f"{config.label}.{name}", options))
    return declared


def _through_tables(model: type[models.Model], names: set[str], tenant_path: str) -> list[Tracked]:
    """A recorded many-to-many field's links are rows of its through table; they belong to the
    tenant of the row that holds the field."""
    tracked = []
    for name in sorted(names):
        m2m = model._meta.get_field(name)
        through = m2m.remote_field.through
        source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        tracked.append(
            Tracked(
                model=through,
                label=format_lazy("{}·{}", model._meta.verbose_name, m2m.verbose_name),
                tenant_path=f"{source}__{tenant_path}",
                field_labels={
                    source: model._meta.verbose_name,
                    target: m2m.verbose_name,
                },
            )
        )
    return tracked


@functools.cache
def tracked_tables() -> dict[str, Tracked]:
    """Every audited table by its model's label_lower, from the apps' declarations."""
    tables: dict[str, Tracked] = {}
    for label, options in _declarations():
        model = apps.get_model(label)
        tenant_path = options.get("tenant", "tenant")
        declared = set(options.get("exclude", set()))
        for name in declared:
            model._meta.get_field(name)  # a misspelt exclusion must not let a secret through
        exclude = frozenset(declared) | {
            f.name for f in model._meta.concrete_fields if f.name in ALWAYS_EXCLUDED
        }
        tracked = [
            Tracked(
                model=model,
                label=options.get("label", model._meta.verbose_name),
                exclude=exclude,
                tenant_path=tenant_path,
                object_field=options.get("object"),
            ),
            *_through_tables(model, set(options.get("m2m", set())), tenant_path),
        ]
        for table in tracked:
            _column_at(table.model, table.tenant_path, "n")  # a wrong path fails at start-up
            tables[table.key] = table
    return tables


# --- the triggers -------------------------------------------------------------------------------


def _column_at(model: type[models.Model], path: str, alias: str) -> str:
    """SQL for the value at the end of a lookup path from the row `alias` of `model`: the
    column itself, or a subquery along the foreign keys."""
    first, _sep, rest = path.partition("__")
    step = model._meta.pk if first == "pk" else model._meta.get_field(first)
    column = f'{alias}."{step.column}"'
    if not rest:
        return column
    target = step.related_model
    inner = f"{alias}_{len(alias)}"
    return (
        f'(SELECT {_column_at(target, rest, inner)} FROM "{target._meta.db_table}" AS {inner}'
        f' WHERE {inner}."{step.target_field.column}" = {column})'
    )


def _row_json(table: Tracked, alias: str) -> str:
    excluded = table.excluded_columns()
    if not excluded:
        return f"to_jsonb({alias})"
    listed = ", ".join(f"'{column}'" for column in excluded)
    return f"(to_jsonb({alias}) - ARRAY[{listed}]::text[])"


def _object_id(table: Tracked, alias: str) -> str:
    model = table.model
    column = (
        model._meta.get_field(table.object_field).column
        if table.object_field
        else model._meta.pk.column
    )
    return f'{alias}."{column}"::text'


_CONTEXT = "_ctx := NULLIF(current_setting('pghistory.context_metadata', true), '')::jsonb;"
_COLUMNS = (
    "at, tenant_id, actor_id, task, remote_addr, context,"
    " operation, model, object_id, object_repr, data, changes"
)


def _insert(table: Tracked, operation: str, alias: str, data: str, changes: str) -> str:
    """The INSERT into the trail of one entry per row of the transition table `alias`."""
    tenant = _column_at(table.model, table.tenant_path, alias)
    return (
        f"INSERT INTO {TRAIL_TABLE} ({_COLUMNS}) SELECT now(),"
        f" COALESCE({tenant}, (_ctx->>'tenant')::bigint), (_ctx->>'actor')::bigint,"
        f" COALESCE(_ctx->>'task', ''), (_ctx->>'ip')::inet, _ctx,"
        f" '{operation}', '{table.key}', {_object_id(table, alias)}, '', {data}, {changes}"
    )


def _on_insert(table: Tracked) -> str:
    return f"{_insert(table, 'create', 'n', _row_json(table, 'n'), 'NULL')} FROM audit_new AS n;"


def _on_update(table: Tracked) -> str:
    """One entry per row that really changed, with {column: [before, after]} of its changes.
    Columns are compared one by one, in SQL written for the table: comparing whole rows as
    JSON costs ten times more on a 10,000-row update."""
    pk = table.model._meta.pk.column
    columns = [f.column for f in table.recorded_fields()]
    pairs = [
        f'\'{c}\', CASE WHEN o."{c}" IS DISTINCT FROM n."{c}"'
        f' THEN jsonb_build_array(to_jsonb(o."{c}"), to_jsonb(n."{c}")) END'
        for c in columns
    ]
    # jsonb_build_object takes at most 100 arguments: 50 columns a call.
    objects = " || ".join(
        f"jsonb_build_object({', '.join(pairs[i : i + 50])})" for i in range(0, len(pairs), 50)
    )
    changed = " OR ".join(f'o."{c}" IS DISTINCT FROM n."{c}"' for c in columns)
    return (
        f"{_insert(table, 'update', 'n', _row_json(table, 'n'), f'jsonb_strip_nulls({objects})')}"
        f' FROM audit_old AS o JOIN audit_new AS n ON o."{pk}" = n."{pk}"'
        f" WHERE {changed};"
    )


def _on_delete(table: Tracked) -> str:
    return f"{_insert(table, 'delete', 'o', _row_json(table, 'o'), 'NULL')} FROM audit_old AS o;"


def triggers_for(table: Tracked) -> list[pgtrigger.Trigger]:
    def trigger(name, operation, referencing, statement):
        return pgtrigger.Trigger(
            name=name,
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=operation,
            referencing=referencing,
            declare=[("_ctx", "JSONB")],
            func=f"{_CONTEXT} {statement} RETURN NULL;",
        )

    return [
        trigger(
            "audit_create",
            pgtrigger.Insert,
            pgtrigger.Referencing(new="audit_new"),
            _on_insert(table),
        ),
        trigger(
            "audit_update",
            pgtrigger.Update,
            pgtrigger.Referencing(old="audit_old", new="audit_new"),
            _on_update(table),
        ),
        trigger(
            "audit_delete",
            pgtrigger.Delete,
            pgtrigger.Referencing(old="audit_old"),
            _on_delete(table),
        ),
    ]


def register_triggers() -> None:
    """Register the triggers of every audited table with pgtrigger, which installs them after
    each `migrate` (PGTRIGGER_INSTALL_ON_MIGRATE)."""
    for table in tracked_tables().values():
        for trigger in triggers_for(table):
            trigger.register(table.model)

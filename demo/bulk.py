"""Bulk loading for the benchmark dataset: PostgreSQL COPY through a streamed text buffer, with
ids reserved from the sequences so rows can refer to each other before they are written."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models
from django.utils import timezone

# --- the Beijing-scale benchmark dataset ----------------------------------------------------------
#
# Rows are written in bulk: PostgreSQL COPY fed by generators (other databases: executemany, for
# the small sizes the tests use). Bulk writes send no signals, so the audit log and any other
# receiver see none of these rows; that is acceptable for a benchmark dataset, and nothing else
# may write this way.

# COPY reads the text form of each value: str() of it, with "None" for NULL (no generated text is
# "None") and True/False, which PostgreSQL reads as booleans. Generated values never contain a
# backslash, tab or newline, so nothing needs escaping; `BulkTable` checks the defaults it adds.
COPY_OPTIONS = "(FORMAT text, NULL 'None')"


class _LineStream(io.TextIOBase):
    """A read()-able stream over an iterator of text chunks, so COPY reads while we generate."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        size = -1 if size is None else size
        parts, length = [self.buffer], len(self.buffer)
        while size < 0 or length < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            length += len(chunk)
        data = "".join(parts)
        if size < 0 or len(data) <= size:
            self.buffer = ""
            return data
        self.buffer = data[size:]
        return data[:size]


class BulkTable:
    """Writes many rows of one model: the given columns from each row, every other column its
    model default (auto_now fields: now). Primary keys come from the rows when `id` is among
    the columns (reserve them with `reserve_ids`), otherwise from the database."""

    def __init__(self, model: type[models.Model], columns: list[str]):
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        self.model = model
        self.table = meta.db_table
        self.fields = [fields[name] for name in columns]
        now = timezone.now()
        self.constant_fields, self.constants = [], []
        for f in meta.concrete_fields:
            if f.attname in columns or f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            if value is None and not f.null:
                raise ValueError(f"{self.table}.{f.column}: no value and no default")
            self.constant_fields.append(f)
            self.constants.append(value)
        qn = connection.ops.quote_name
        self.column_sql = ", ".join(qn(f.column) for f in [*self.fields, *self.constant_fields])
        if any(
            isinstance(v, str) and (v == "None" or any(c in v for c in "\\\t\n\r"))
            for v in self.constants
        ):
            raise ValueError(f"{self.table}: a default cannot be written in COPY text format")
        self.suffix = "".join("\t" + str(v) for v in self.constants) + "\n"

    def write(self, rows: Iterable[tuple]) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        return self._insert(rows)

    def _copy(self, rows: Iterable[tuple]) -> int:
        count = 0
        suffix = self.suffix

        def chunks() -> Iterator[str]:
            nonlocal count
            lines = []
            for row in rows:
                lines.append("\t".join(map(str, row)) + suffix)
                if len(lines) == 2000:
                    count += len(lines)
                    yield "".join(lines)
                    lines = []
            count += len(lines)
            yield "".join(lines)

        table = connection.ops.quote_name(self.table)
        sql = f"COPY {table} ({self.column_sql}) FROM STDIN WITH {COPY_OPTIONS}"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, _LineStream(chunks()), 1 << 17)
        return count

    def _insert(self, rows: Iterable[tuple]) -> int:
        fields = [*self.fields, *self.constant_fields]
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {connection.ops.quote_name(self.table)} ({self.column_sql}) VALUES ({marks})"
        count, batch = 0, []
        with connection.cursor() as cursor:
            for row in rows:
                values = [*row, *self.constants]
                batch.append(
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
                )
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


@contextmanager
def bulk_loading(*models_: type[models.Model]) -> Iterator[None]:
    """Load millions of rows the way PostgreSQL's manual advises ("Populating a Database"): with
    the tables' foreign keys and secondary indexes dropped, and rebuilt once at the end.

    A foreign key checks every inserted row by itself, at commit (Django's keys are deferred):
    some 12 µs a key a row. An index takes every row at a random place. Rebuilt at the end, an
    index is built from sorted rows and a key checks all rows in one join. Primary keys and
    unique constraints stay (the generated keys are ascending, so they are cheap to keep); unique
    indexes that are rebuilt check uniqueness as they are built. All of it runs in the caller's
    transaction: if anything fails, it rolls back and nothing was ever dropped. The tables are
    locked until the transaction ends."""
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_loading() needs a transaction")
    qn = connection.ops.quote_name
    keys: list[tuple[str, str, str]] = []
    indexes: list[str] = []
    with connection.cursor() as cursor:
        # A table with deferred checks still pending cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            for name, definition in cursor.fetchall():
                keys.append((table, name, definition))
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid"
                "  AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))"
                " ORDER BY i.relname",
                [table],
            )
            for name, definition in cursor.fetchall():
                indexes.append(definition)
                cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve `count` primary keys of a model's table; returns the first. On PostgreSQL the
    sequence is moved past them at once, so ordinary inserts meanwhile cannot collide."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return cursor.fetchone()[0] + 1
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}),"
            f" (SELECT last_value FROM {sequence})) + %s)",
            [sequence, count],
        )
        return cursor.fetchone()[0] - count + 1

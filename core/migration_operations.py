"""Schema changes a live deployment can take while it is being written to.

An index added to a table that already holds a city's rows (3,000,000 service records, 720,000
party members) is built with PostgreSQL's `CREATE INDEX CONCURRENTLY`: a plain `CREATE INDEX`
holds every write to the table for as long as the build takes. A migration using it sets
`atomic = False` (a concurrent build cannot run inside a transaction). If such a build fails
half way, PostgreSQL leaves the index marked invalid; `migrate` then stops with the error, and
the index is dropped by hand before running it again (the README's operations section).

On SQLite (the embedded demo) there are no concurrent builds and no live writers: the index is
created as it would be by `AddIndex`.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexWhileWriting(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
        return super().database_backwards(app_label, schema_editor, from_state, to_state)

"""The indexes added to tables that hold a city's rows are built without holding its writes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

# (app, migration, an index it adds)
LIVE_INDEX_MIGRATIONS = [
    ("demands", "0007_newest_first_per_tenant", "demand_newest"),
    ("party_members", "0003_service_record_recent_index", "servicerecord_recent"),
    ("party_members", "0004_staff_list_indexes", "partymember_community_name"),
    ("projects", "0003_newest_first_per_tenant", "project_newest"),
    ("projects", "0004_overdue_keys", "milestone_open_overdue"),
    ("resources", "0003_resource_candidate_indexes", "resource_active_at"),
    ("resources", "0004_city_newest_first", "resource_newest"),
]


@pytest.mark.parametrize(("app", "migration", "index"), LIVE_INDEX_MIGRATIONS)
def test_an_index_on_a_big_table_is_added_concurrently_and_is_valid(db, app, migration, index):
    from django.db.migrations.loader import MigrationLoader

    from core.migration_operations import AddIndexWhileWriting

    loaded = MigrationLoader(connection).get_migration(app, migration)
    assert loaded.atomic is False
    assert all(isinstance(op, AddIndexWhileWriting) for op in loaded.operations)
    assert index in {op.index.name for op in loaded.operations}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [index],
        )
        assert cursor.fetchone() == (True,)


def test_the_statement_is_create_index_concurrently_outside_a_transaction(transactional_db):
    out = io.StringIO()
    call_command("sqlmigrate", "projects", "0004_overdue_keys", stdout=out)
    sql = out.getvalue()
    assert 'CREATE INDEX CONCURRENTLY "project_overdue_keys"' in sql
    assert "BEGIN;" not in sql

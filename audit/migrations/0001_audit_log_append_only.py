"""The audit log is append-only: PostgreSQL refuses to change an entry, and to delete one younger
than 180 days (the retention that audit.services.audit_log_purge keeps). Signals would miss a
queryset update or a raw statement; a trigger misses nothing short of TRUNCATE or a superuser.

SQLite (the embedded demo) gets no trigger.
"""

from django.db import migrations

FUNCTION = "audit_log_append_only"
TRIGGER = "audit_log_append_only"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("auditlog", "LogEntry")._meta.db_table)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'audit log entry % cannot be changed: the audit log is append-only', OLD.id
                    USING ERRCODE = 'restrict_violation';
            END IF;
            IF OLD.timestamp >= now() - interval '180 days' THEN
                RAISE EXCEPTION 'audit log entry % cannot be deleted: entries are kept 180 days', OLD.id
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN OLD;
        END;
        $$;
        DROP TRIGGER IF EXISTS {TRIGGER} ON {table};
        CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
        """,
        params=None,  # the RAISE messages' % placeholders are PL/pgSQL's, not parameters
    )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("auditlog", "LogEntry")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auditlog", "0017_add_actor_email")]

    operations = [migrations.RunPython(install, uninstall)]

"""The audit trail is append-only: PostgreSQL refuses to change an entry, and to delete one younger
than 180 days (the retention that audit.services.audit_log_purge keeps). A check in Python would
miss a queryset update or a raw statement; a trigger misses nothing short of TRUNCATE or a
superuser. (This trigger is plain SQL on purpose, not pgtrigger's: pgtrigger's triggers can be
switched off for a session by `pgtrigger.ignore`, this one cannot.)

SQLite (the embedded demo) gets no trigger.
"""

from django.db import migrations

FUNCTION = "audit_entry_append_only"
TRIGGER = "audit_entry_append_only"
TABLE = "audit_entry"

INSTALL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit entry % cannot be changed: the audit trail is append-only', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.at >= now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit entry % cannot be deleted: entries are kept 180 days', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$;
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

UNINSTALL = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The RAISE messages' % placeholders are PL/pgSQL's, not parameters.
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]

"""Database-level guard: audit rows can be inserted, never changed, and on PostgreSQL never deleted.

SQLite (the demo database) refuses updates only: Django's test flush empties tables with DELETE there, whereas on
PostgreSQL it uses TRUNCATE, which the row trigger does not see.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER core_auditevent_append_only ON core_auditevent;
DROP FUNCTION core_auditevent_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (UPDATE refused)'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER core_auditevent_no_update;"


def forward(apps, schema_editor):
    sql = {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}[schema_editor.connection.vendor]
    schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    sql = {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}[schema_editor.connection.vendor]
    schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]

"""On SQLite too, audit rows are never deleted: only `flush`, which empties every table, passes the trigger (see
core.sqlite.base). PostgreSQL already refuses row deletes (0002) and its application role may not TRUNCATE."""

from django.db import migrations

SQLITE_FORWARD = """
CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent WHEN NOT poradnia_flushing()
BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (DELETE refused)'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER core_auditevent_no_delete;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_auditevent_append_only")]

    operations = [migrations.RunPython(forward, backward)]

"""Never double-booked (CAL-3), enforced by the database.

PostgreSQL: an exclusion constraint over (doctor, time range) for the occupying statuses. Being a table constraint,
it holds for every change into an occupying status or time — inserts, moves, status changes — and for any number of
racing transactions. SQLite has no such constraint; there the booking services run in transactions that begin
IMMEDIATE (settings), which serialises them, and check for overlaps inside.
"""

from django.db import migrations

OCCUPYING = "('booked', 'confirmed', 'in_visit', 'done')"

FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT scheduling_appointment_no_overlap
    EXCLUDE USING gist (employee_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN {OCCUPYING});
"""
BACKWARD = "ALTER TABLE scheduling_appointment DROP CONSTRAINT scheduling_appointment_no_overlap;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]

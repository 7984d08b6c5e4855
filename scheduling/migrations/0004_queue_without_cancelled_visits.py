from django.db import migrations


def drop_entries_of_cancelled_visits(apps, schema_editor):
    """Entries kept for visits cancelled before appointment_cancel took them out of the queue."""
    apps.get_model("scheduling", "WaitingListEntry").objects.filter(appointment__status="cancelled").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_text_validators_notes_limit"),
    ]

    operations = [
        migrations.RunPython(drop_entries_of_cancelled_visits, migrations.RunPython.noop),
    ]

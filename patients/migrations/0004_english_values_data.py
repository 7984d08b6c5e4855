from django.db import migrations

# The stored values become English identifiers; the labels the UI shows stay Polish.
RENAMED = {
    "OsozCard": {"status": {"aktywna": "active", "nieaktywna": "inactive"}, "source": {"recznie": "manual"}},
    "Patient": {"document_type": {"dowod_osobisty": "id_card", "paszport": "passport", "inny": "other"}},
}


def rename(apps, schema_editor, *, backwards=False):
    for model_name, fields in RENAMED.items():
        model = apps.get_model("patients", model_name)
        for field, values in fields.items():
            for old, new in values.items():
                before, after = (new, old) if backwards else (old, new)
                model.objects.filter(**{field: before}).update(**{field: after})


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0003_english_values"),
    ]

    operations = [
        migrations.RunPython(rename, rename_back),
    ]

# The constraints and the index on the card status, again, with the English values (see 0003).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0004_english_values_data'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='osozcard',
            index=models.Index(condition=models.Q(('status', 'active')), fields=['number'], name='patients_card_active_number'),
        ),
        migrations.AddConstraint(
            model_name='osozcard',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('patient',), name='patients_osozcard_one_active', violation_error_message='Tylko jedna karta OSOZ pacjenta może mieć status Aktywna.'),
        ),
        migrations.AddConstraint(
            model_name='osozcard',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['active', 'inactive'])), name='patients_osozcard_status_known'),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_auditevent_no_delete_sqlite'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='category',
            field=models.CharField(choices=[('security', 'Bezpieczeństwo'), ('record_access', 'Dostęp do kartoteki'), ('configuration', 'Konfiguracja'), ('integration', 'Integracja OSOZ'), ('export', 'Eksport danych'), ('emergency_access', 'Dostęp w trybie awaryjnym')], max_length=20, verbose_name='kategoria'),
        ),
    ]

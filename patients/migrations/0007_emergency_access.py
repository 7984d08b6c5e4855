import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0006_text_validators'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='patient',
            options={'default_permissions': ('view', 'add', 'change'), 'permissions': [('view_all_patients', 'Widzi kartoteki wszystkich pacjentów')], 'verbose_name': 'pacjent', 'verbose_name_plural': 'pacjenci'},
        ),
        migrations.CreateModel(
            name='EmergencyAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('granted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='emergency_accesses', to='patients.patient')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'dostęp w trybie awaryjnym',
                'verbose_name_plural': 'dostępy w trybie awaryjnym',
                'default_permissions': (),
                'indexes': [models.Index(fields=['user', 'expires_at'], name='patients_emergency_user_expiry')],
            },
        ),
    ]

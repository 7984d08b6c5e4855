"""The second factors django-otp kept with their seeds in the clear move to accounts.TOTPDevice, seeds encrypted at
rest; the plain copies are deleted. The sessions of the moment name the old devices, so everyone logs in again."""

from binascii import unhexlify

from django.db import migrations

from core.crypto import secret_encrypt

COPIED = ("user_id", "name", "confirmed", "step", "t0", "digits", "tolerance", "drift", "last_t")
COPIED += ("throttling_failure_timestamp", "throttling_failure_count", "created_at", "last_used_at")


def forward(apps, schema_editor):
    plain = apps.get_model("otp_totp", "TOTPDevice")
    encrypted = apps.get_model("accounts", "TOTPDevice")
    encrypted.objects.bulk_create(
        encrypted(
            key_encrypted=secret_encrypt(unhexlify(device.key)), **{name: getattr(device, name) for name in COPIED}
        )
        for device in plain.objects.all()
    )
    plain.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_totp_device_encrypted"), ("otp_totp", "0003_add_timestamps")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

"""After rotating SECRETS_ENCRYPTION_KEYS: re-encrypt every location's private key under the new first key."""

from django.core.management.base import BaseCommand, CommandError

from clinic.services import location_private_keys_reencrypt
from core.crypto import CryptoError


class Command(BaseCommand):
    help = (
        "Re-encrypts the locations' private keys under the first SECRETS_ENCRYPTION_KEYS key; all or nothing. "
        "Run it after adding a new key in front, before removing the old one (docs/security.md)."
    )

    def handle(self, *args, **options):
        try:
            count = location_private_keys_reencrypt()
        except CryptoError as error:
            raise CommandError(f"{error} Nothing was changed.") from error
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} location private key(s)."))

"""After rotating SECRETS_ENCRYPTION_KEYS: re-encrypt every stored secret under the new first key."""

from django.core.management.base import BaseCommand, CommandError

from core.crypto import CryptoError
from core.services import secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored secret (locations' private keys, the OSOZ client and webhook secrets) under the "
        "first SECRETS_ENCRYPTION_KEYS key; all or nothing. Run it after adding a new key in front, before removing "
        "the old one (docs/security.md)."
    )

    def handle(self, *args, **options):
        try:
            counts = secrets_reencrypt()
        except CryptoError as error:
            raise CommandError(f"{error} Nothing was changed.") from error
        for field, count in counts.items():
            self.stdout.write(f"{field}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {sum(counts.values())} secret(s)."))

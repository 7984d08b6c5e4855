"""Send the booking nudges that are due now (the in-process sender does the same every few seconds)."""

from django.core.management.base import BaseCommand

from osoz_sandbox import webhooks


class Command(BaseCommand):
    help = "Wysyła zaległe powiadomienia webhook o nowych zdarzeniach rezerwacji."

    def handle(self, *args, **options):
        delivered = webhooks.deliveries_send_due()
        self.stdout.write(f"Dostarczono powiadomień: {delivered}.")

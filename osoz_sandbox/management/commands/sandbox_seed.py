"""Create the sandbox's demo clinic and its Provider Service account (idempotent), and print the credentials."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from osoz_sandbox.models import Entity, ProviderAccount

DEMO_ENTITY_ID = "7350012345"
DEMO_USERNAME = "osoz-demo"
DEMO_PASSWORD = "Osoz-demo-2026"


class Command(BaseCommand):
    help = "Tworzy demonstracyjny podmiot i konto Serwisu Świadczeniodawcy OSOZ w piaskownicy."

    @transaction.atomic
    def handle(self, *args, **options):
        entity, _ = Entity.objects.get_or_create(
            entity_id=DEMO_ENTITY_ID,
            defaults={
                "name": "Przychodnia Demo sp. z o.o.",
                "address": "ul. Zdrowa 1, 00-001 Warszawa",
                "nip": "5260250274",
                "reply_email": "rejestracja@przychodnia-demo.pl",
                "widget_domains": "127.0.0.1\nlocalhost",
            },
        )
        user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        ProviderAccount.objects.get_or_create(user=user, defaults={"entity": entity})
        self.stdout.write(
            f"Serwis Świadczeniodawcy OSOZ (piaskownica): login {DEMO_USERNAME}, hasło {DEMO_PASSWORD}, "
            f"podmiot {entity.name} ({entity.entity_id})"
        )

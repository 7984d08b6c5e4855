"""Create the sandbox's demo clinic and its Provider Service account (idempotent), and print the credentials. With
--cooperation, the demo clinic has also accepted the insurers' regulations (manual §10.1), has the service for insurers
switched on (§10.2) and works with those insurers (§10.3), as `make demo`'s clinic, whose price lists and shared
schedules are for them, expects."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from osoz_sandbox import insurers
from osoz_sandbox.models import Entity, Insurer, ProviderAccount

DEMO_ENTITY_ID = "7350012345"
DEMO_USERNAME = "osoz-demo"
DEMO_PASSWORD = "Osoz-demo-2026"


class Command(BaseCommand):
    help = "Tworzy demonstracyjny podmiot i konto Serwisu Świadczeniodawcy OSOZ w piaskownicy."

    def add_arguments(self, parser):
        parser.add_argument(
            "--cooperation",
            nargs="*",
            default=[],
            metavar="OSOZ_ID",
            help="Ubezpieczyciele, z którymi podmiot współpracuje.",
        )

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
        if options["cooperation"]:
            insurers.insurance_data_confirm(entity=entity)
            insurers.insurance_terms_accept(entity=entity)
            # Rejestracja on-line > Ustawienia: "Stan usługi dla Ubezpieczycieli" on, and on at once for each new
            # insurer (§10.2), so that their call centres can book the schedules the clinic shares with them.
            Entity.objects.filter(pk=entity.pk).update(insurers_online_registration=True, insurers_auto_enable=True)
            for insurer in Insurer.objects.filter(osoz_id__in=options["cooperation"]).order_by("osoz_id"):
                insurers.cooperation_start(entity=entity, insurer=insurer)
                self.stdout.write(f"Współpraca z ubezpieczycielem {insurer.name} ({insurer.osoz_id}) aktywna.")

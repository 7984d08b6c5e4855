"""Patients' portal accounts for tests: a verified account with a known password, not linked to a record yet."""

from datetime import date

import factory
from django.utils import timezone

from patients.pesel import pesel_make
from portal.models import PatientAccount

PORTAL_PASSWORD = "Zielony-ogrodek-2026"


class PatientAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientAccount
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"pacjent{n}@example.pl")
    first_name = "Jan"
    last_name = "Kowalski"
    pesel = factory.Sequence(lambda n: pesel_make(birth_date=date(1980, 5, 14), sex="M", serial=n))
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PORTAL_PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()

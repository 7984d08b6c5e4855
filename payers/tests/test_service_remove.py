"""Removing a service of Cennik ogólny: gone from the payers' lists too, or deactivated while something uses it."""

from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.urls import reverse

from payers.models import PayerService, Service
from payers.tests.factories import PayerServiceFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_confirmation_names_the_payer_lists_and_removal_empties_them(client_for, alice):
    service = ServiceFactory(name="Holter EKG 24 h", price=Decimal("250.00"))
    PayerServiceFactory.create_batch(2, service=service)
    client = client_for(alice)
    url = reverse("payers:service_remove", args=[service.pk])
    page = client.get(url).text
    assert "Czy usunąć usługę „Holter EKG 24 h” (250,00\xa0zł) z cennika ogólnego?" in page
    assert "liczba cenników: 2" in page
    response = client.post(url, follow=True)
    assert "Usunięto usługę „Holter EKG 24 h”." in response.text
    assert not Service.objects.exists() and not PayerService.objects.exists()


def test_a_service_in_use_is_deactivated_with_a_clear_message(client_for, alice, monkeypatch):
    service = ServiceFactory(name="Holter EKG 24 h")
    PayerServiceFactory(service=service)
    client = client_for(alice)  # logging in deletes a session: before anything is protected

    def protected(self, objs, *args, **kwargs):
        raise ProtectedError("Wizyta wskazuje tę usługę.", set())

    monkeypatch.setattr(Collector, "collect", protected)
    response = client.post(reverse("payers:service_remove", args=[service.pk]), follow=True)
    assert "jest używana, więc nie została usunięta: oznaczono ją jako nieaktywną" in response.text
    assert list(Service.objects.values_list("active", flat=True)) == [False]
    assert list(PayerService.objects.values_list("active", flat=True)) == [False]


def test_only_administrators_remove_services(client_for, bob, carol, dave):
    service = ServiceFactory()
    for user in (bob, carol, dave):
        assert client_for(user).post(reverse("payers:service_remove", args=[service.pk])).status_code == 403
    assert Service.objects.filter(pk=service.pk, active=True).exists()

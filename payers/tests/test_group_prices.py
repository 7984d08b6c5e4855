"""Zmień ceny: every price of a group in one form, all saved or none, flowing into the payers' lists."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from payers.models import PayerService, Service
from payers.tests.factories import PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    group = ServiceGroupFactory(name="Badania laboratoryjne")
    for name, price in (("Morfologia krwi", "25.00"), ("CRP", "35.00"), ("TSH", "35.00")):
        PayerServiceFactory(service=ServiceFactory(group=group, name=name, price=Decimal(price)))
    return group


def prices(group, **typed):
    return {
        f"price_{service.pk}": typed.get(service.name, str(service.price).replace(".", ","))
        for service in group.services.all()
    }


def test_the_form_shows_the_prices_and_saves_the_changed_ones(client_for, alice, group):
    client = client_for(alice)
    url = reverse("payers:group_prices", args=[group.pk])
    page = client.get(url).text
    assert 'value="25,00"' in page and "Zapisz ceny" in page
    response = client.post(url, prices(group, CRP="39,90", TSH="1 035,5"), follow=True)
    assert "Zapisano ceny: zmieniono 2." in response.text
    assert dict(Service.objects.values_list("name", "price")) == {
        "Morfologia krwi": Decimal("25.00"),
        "CRP": Decimal("39.90"),
        "TSH": Decimal("1035.50"),
    }
    assert set(PayerService.objects.values_list("name", "price")) == {
        ("Morfologia krwi", Decimal("25.00")),
        ("CRP", Decimal("39.90")),
        ("TSH", Decimal("1035.50")),
    }


@pytest.mark.parametrize("bad", ["39,999", "-1", "dużo", "=SUM(A1:A9)"])
def test_one_bad_price_refuses_them_all_in_polish(client_for, alice, group, bad):
    response = client_for(alice).post(reverse("payers:group_prices", args=[group.pk]), prices(group, CRP="40", TSH=bad))
    assert response.status_code == 200 and 'class="error"' in response.text
    assert dict(Service.objects.values_list("name", "price"))["CRP"] == Decimal("35.00")
    assert not AuditEvent.objects.exists()


def test_only_administrators_change_prices(client_for, bob, carol, group):
    for user in (bob, carol):
        assert (
            client_for(user).post(reverse("payers:group_prices", args=[group.pk]), prices(group, CRP="1")).status_code
            == 403
        )
    assert dict(Service.objects.values_list("name", "price"))["CRP"] == Decimal("35.00")

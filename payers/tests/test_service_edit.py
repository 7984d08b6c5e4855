"""Adding and editing a service of Cennik ogólny: prices typed the Polish way, bad input refused in Polish with
nothing changed, and a change reaching the payers' lists."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from payers.models import Payer, PayerService, Service
from payers.tests.factories import PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return ServiceGroupFactory(name="Konsultacje specjalistyczne")


def form(group, **changes):
    return {"group": group.pk, "name": "Konsultacja kardiologiczna", "price": "250", "active": "on"} | changes


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("250", "250.00"), ("149,99", "149.99"), ("1 234,50", "1234.50"), ("1\xa0234,5 zł", "1234.50"), ("0", "0.00")],
)
def test_a_price_is_typed_the_polish_way(client_for, alice, group, typed, stored):
    response = client_for(alice).post(
        reverse("payers:service_edit", kwargs={"group_pk": group.pk}), form(group, price=typed)
    )
    assert response.status_code == 302
    assert Service.objects.get().price == Decimal(stored)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("149,999", "Kwota może mieć najwyżej dwa miejsca po przecinku."),
        ("-10", "Kwota nie może być ujemna."),
        ("sto złotych", "Wpisz kwotę liczbą, np. 150 albo 149,99."),
        ("1e3", "Wpisz kwotę liczbą, np. 150 albo 149,99."),
        ("=1+1", "Wpisz kwotę liczbą, np. 150 albo 149,99."),
        ("100000000", "Kwota może wynosić najwyżej 99\xa0999\xa0999,99\xa0zł."),
        ("", "To pole jest wymagane."),
    ],
)
def test_a_bad_price_is_refused_in_polish_and_nothing_changes(client_for, alice, group, typed, error):
    service = ServiceFactory(group=group, price=Decimal("250.00"))
    PayerServiceFactory(service=service)
    client = client_for(alice)
    added = client.post(reverse("payers:service_edit", kwargs={"group_pk": group.pk}), form(group, price=typed))
    edited = client.post(reverse("payers:service_edit", args=[service.pk]), form(group, price=typed))
    for response in (added, edited):
        assert response.status_code == 200 and error in response.text
    assert list(Service.objects.values_list("price", flat=True)) == [Decimal("250.00")]
    assert list(PayerService.objects.values_list("price", flat=True)) == [Decimal("250.00")]
    assert not AuditEvent.objects.exists()


def test_a_name_that_looks_like_a_formula_is_just_text_and_control_characters_are_refused(client_for, alice, group):
    client = client_for(alice)
    url = reverse("payers:service_edit", kwargs={"group_pk": group.pk})
    client.post(url, form(group, name='=HYPERLINK("http://zlo.example","Kliknij")'))
    assert Service.objects.get().name == '=HYPERLINK("http://zlo.example","Kliknij")'
    response = client.post(url, form(group, name="Konsultacja\x07"))
    assert "Pole zawiera niedozwolone znaki sterujące." in response.text
    assert Service.objects.count() == 1


def test_editing_a_service_says_its_copies_follow_and_they_do(client_for, alice, group):
    service = ServiceFactory(group=group, name="Konsultacja kardiologiczna")
    copy = PayerServiceFactory(service=service)
    client = client_for(alice)
    url = reverse("payers:service_edit", args=[service.pk])
    assert "Usługa jest nadpisana w cennikach płatników (liczba cenników: 1)." in client.get(url).text
    response = client.post(url, form(group, name="Konsultacja kardiologiczna z EKG", price="300,00"), follow=True)
    assert "Zapisano usługę „Konsultacja kardiologiczna z EKG”." in response.text
    copy.refresh_from_db()
    assert (copy.name, copy.price) == ("Konsultacja kardiologiczna z EKG", Decimal("300.00"))
    assert Payer.objects.get(pk=copy.payer_id).list_changed_since_sent


def test_a_duplicate_name_in_the_group_is_refused(client_for, alice, group):
    ServiceFactory(group=group, name="Konsultacja kardiologiczna")
    response = client_for(alice).post(reverse("payers:service_edit", kwargs={"group_pk": group.pk}), form(group))
    assert "W tej grupie cennika jest już usługa o tej nazwie." in response.text
    assert Service.objects.count() == 1


def test_reception_and_doctors_cannot_add_or_change_services(client_for, bob, carol, group):
    service = ServiceFactory(group=group)
    for user in (bob, carol):
        client = client_for(user)
        assert client.post(reverse("payers:service_edit", args=[service.pk]), form(group, price="1")).status_code == 403
        assert client.get(reverse("payers:service_edit", kwargs={"group_pk": group.pk})).status_code == 403
    assert Service.objects.get().price == Decimal("250.00")

"""Usługi prywatne > Płatnicy: payers typed in and imported from OSOZ, the reminder of lists changed since they were
last sent, adding, editing and removing a payer typed in by hand."""

from datetime import datetime

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.time import WARSAW
from payers.models import Payer, PayerService
from payers.tests.factories import PayerFactory, PayerServiceFactory

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 11, 30, 12, 0, tzinfo=WARSAW)


def test_the_list_shows_import_from_osoz_and_the_reminder(client_for, alice):
    PayerFactory(name="Wisła Ubezpieczenia Zdrowotne S.A.", osoz_id="800100", list_changed_at=SENT)
    PayerFactory(name="Medikor", osoz_id="800200", list_changed_at=SENT, list_sent_at=SENT)
    PayerFactory(name="Opieka24", osoz_id="800400", removed_on_osoz_at=SENT)
    PayerFactory(name="Zakład pracy", osoz_id="", imported_from_osoz=False, nip="5260250274")
    page = client_for(alice).get(reverse("payers:payer_list")).text
    assert "Usługi prywatne › Płatnicy" in page and "Import z OSOZ" in page
    assert page.count("zmieniony od ostatniej wysyłki") == 1
    assert "Cenniki płatników zmienione od ostatniej wysyłki do OSOZ: 1." in page
    assert "usunięty z OSOZ 30.11.2026 12:00" in page and "30.11.2026 12:00" in page
    assert "526-025-02-74" in page and "Nowy płatnik" in page
    assert page.count("<td>Tak</td>") == 3 and page.count("<td>Nie</td>") == 1


def test_a_payer_is_added_by_hand_and_edited(client_for, alice):
    client = client_for(alice)
    response = client.post(
        reverse("payers:payer_edit"), {"name": "Zakład Pracy „Stomil”", "nip": "526 025 02 74"}, follow=True
    )
    payer = Payer.objects.get()
    assert "Zapisano płatnika „Zakład Pracy „Stomil””." in response.text
    assert (payer.nip, payer.imported_from_osoz, payer.osoz_id) == ("5260250274", False, "")
    client.post(reverse("payers:payer_edit", args=[payer.pk]), {"name": "Stomil S.A.", "nip": ""})
    assert Payer.objects.get().name == "Stomil S.A."
    assert AuditEvent.objects.filter(action__in=["payer_added", "payer_changed"]).count() == 2


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "Firma", "nip": "526-025-02-75"}, "NIP to 10 cyfr z poprawną cyfrą kontrolną"),
        ({"name": "Firma\x1b[31m", "nip": ""}, "Pole zawiera niedozwolone znaki sterujące."),
        ({"name": "", "nip": ""}, "To pole jest wymagane."),
    ],
)
def test_bad_payer_data_are_refused_in_polish(client_for, alice, data, error):
    response = client_for(alice).post(reverse("payers:payer_edit"), data)
    assert response.status_code == 200 and error in response.text
    assert not Payer.objects.exists()


def test_an_imported_payer_is_not_edited_by_hand(client_for, alice):
    payer = PayerFactory(name="Wisła")
    response = client_for(alice).post(reverse("payers:payer_edit", args=[payer.pk]), {"name": "Inna"}, follow=True)
    assert "Dane płatnika pobranego z OSOZ aktualizuje import płatników z OSOZ." in response.text
    assert Payer.objects.get().name == "Wisła"


def test_removing_a_payer_typed_in_by_hand_removes_its_price_list(client_for, alice):
    payer = PayerFactory(name="Zakład pracy", osoz_id="", imported_from_osoz=False)
    PayerServiceFactory.create_batch(2, payer=payer)
    client = client_for(alice)
    url = reverse("payers:payer_remove", args=[payer.pk])
    assert "liczba usług nadpisanych: 2" in client.get(url).text
    response = client.post(url, follow=True)
    assert "Usunięto płatnika „Zakład pracy”." in response.text
    assert not Payer.objects.exists() and not PayerService.objects.exists()


def test_an_imported_payer_still_in_osoz_is_not_removed(client_for, alice):
    payer = PayerFactory(name="Wisła")
    client = client_for(alice)
    assert (
        "zniknie z listy, gdy OSOZ przestanie go wymieniać"
        in client.get(reverse("payers:payer_remove", args=[payer.pk])).text
    )
    client.post(reverse("payers:payer_remove", args=[payer.pk]))
    assert Payer.objects.exists()


def test_other_roles_cannot_open_or_change_payers(client_for, bob, carol, dave):
    payer = PayerFactory(osoz_id="", imported_from_osoz=False)
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(reverse("payers:payer_list")).status_code == 403
        assert client.post(reverse("payers:payer_edit"), {"name": "X"}).status_code == 403
        assert client.post(reverse("payers:payer_remove", args=[payer.pk])).status_code == 403
    assert Payer.objects.count() == 1

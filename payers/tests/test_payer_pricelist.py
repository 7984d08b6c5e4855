"""A payer's price list as manual §11.2 walks it: the groups, a group's tabs Usługi nienadpisane / Usługi nadpisane,
a service's preview with „Nadpisz”, which moves it between the tabs, and its undo."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.time import WARSAW
from payers.models import Payer, PayerService
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    group = ServiceGroupFactory(name="Konsultacje specjalistyczne")
    payer = PayerFactory(name="Wisła Ubezpieczenia Zdrowotne S.A.")
    cardiology = ServiceFactory(group=group, name="Konsultacja kardiologiczna", price=Decimal("250.00"))
    dermatology = ServiceFactory(group=group, name="Konsultacja dermatologiczna", price=Decimal("230.00"))
    PayerServiceFactory(payer=payer, service=cardiology)
    return {"group": group, "payer": payer, "cardiology": cardiology, "dermatology": dermatology}


def group_url(scene, tab=""):
    url = reverse("payers:payer_group", kwargs={"pk": scene["payer"].pk, "group_pk": scene["group"].pk})
    return f"{url}?tab={tab}" if tab else url


def test_the_price_list_shows_the_groups_with_their_overridden_services(client_for, alice, scene):
    page = client_for(alice).get(reverse("payers:payer_pricelist", args=[scene["payer"].pk])).text
    assert "Cennik płatnika" in page and "Konsultacje specjalistyczne" in page
    assert "<td><strong>1</strong></td>" in page and "<td>2</td>" in page
    assert "Eksportuj do pliku Excel (.xlsx)" in page


def test_the_tabs_split_the_group_and_nadpisz_moves_a_service_between_them(client_for, alice, scene):
    client = client_for(alice)
    not_overridden = client.get(group_url(scene)).text
    assert "Usługi nienadpisane" in not_overridden and "Usługi nadpisane" in not_overridden
    assert "Konsultacja dermatologiczna" in not_overridden and "Konsultacja kardiologiczna" not in not_overridden
    overridden = client.get(group_url(scene, "nadpisane")).text
    assert "Konsultacja kardiologiczna" in overridden and "Konsultacja dermatologiczna" not in overridden

    preview_url = reverse("payers:payer_service", args=[scene["payer"].pk, scene["dermatology"].pk])
    preview = client.get(preview_url).text
    assert "Podgląd usługi" in preview and "230,00\xa0zł" in preview and ">Nadpisz</button>" in preview
    response = client.post(
        reverse("payers:payer_service_override", args=[scene["payer"].pk, scene["dermatology"].pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == group_url(scene, "nadpisane")
    assert "jest teraz w zakładce Usługi nadpisane" in response.text
    assert "Konsultacja dermatologiczna" in response.text
    assert "Konsultacja dermatologiczna" not in client.get(group_url(scene)).text
    assert Payer.objects.get().list_changed_since_sent

    response = client.post(
        reverse("payers:payer_service_undo", args=[scene["payer"].pk, scene["dermatology"].pk]), follow=True
    )
    assert "jest znowu w zakładce Usługi nienadpisane" in response.text
    assert not PayerService.objects.filter(service=scene["dermatology"]).exists()


def test_a_tab_comes_as_a_fragment_to_htmx(client_for, alice, scene):
    response = client_for(alice).get(group_url(scene, "nadpisane"), HTTP_HX_REQUEST="true")
    assert '<nav class="tabs"' in response.text and "<h1>" not in response.text
    assert "Konsultacja kardiologiczna" in response.text


def test_an_inactive_service_cannot_be_overridden(client_for, alice, scene):
    inactive = ServiceFactory(group=scene["group"], name="Konsultacja psychiatryczna", active=False)
    client = client_for(alice)
    preview = client.get(reverse("payers:payer_service", args=[scene["payer"].pk, inactive.pk])).text
    assert "Usługa jest nieaktywna w cenniku ogólnym, więc nie można jej nadpisać." in preview
    response = client.post(reverse("payers:payer_service_override", args=[scene["payer"].pk, inactive.pk]), follow=True)
    assert "jest nieaktywna w cenniku ogólnym" in response.text
    assert not PayerService.objects.filter(service=inactive).exists()


def test_a_payer_gone_from_osoz_is_shown_so_and_gets_no_new_services(client_for, alice, scene):
    Payer.objects.update(removed_on_osoz_at=datetime(2026, 11, 30, 8, 0, tzinfo=WARSAW))
    client = client_for(alice)
    page = client.get(reverse("payers:payer_pricelist", args=[scene["payer"].pk])).text
    assert "Płatnika nie ma już w OSOZ (stwierdzono 30.11.2026 08:00)" in page
    client.post(reverse("payers:payer_service_override", args=[scene["payer"].pk, scene["dermatology"].pk]))
    assert not PayerService.objects.filter(service=scene["dermatology"]).exists()


def test_other_roles_cannot_see_or_change_a_payers_list(client_for, bob, carol, dave, scene):
    payer, service = scene["payer"].pk, scene["dermatology"].pk
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(reverse("payers:payer_pricelist", args=[payer])).status_code == 403
        assert client.get(group_url(scene)).status_code == 403
        assert client.get(reverse("payers:payer_service", args=[payer, service])).status_code == 403
        assert client.post(reverse("payers:payer_service_override", args=[payer, service])).status_code == 403
        assert (
            client.post(reverse("payers:payer_service_undo", args=[payer, scene["cardiology"].pk])).status_code == 403
        )
    assert PayerService.objects.count() == 1

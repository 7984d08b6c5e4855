"""The insurer half of the Provider Service (SBX-5, manual §10): the regulations of „Ubezpieczenia”, Stan usługi dla
Ubezpieczycieli, the insurer catalogue with „Nawiąż współpracę” / „Przystąp” / „Zakończ współpracę”, Rejestracja
on-line per insurer, the location identifiers of Tabela 8, and GET /api/v1/payers (contract 1.3.0)."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from osoz_sandbox.contract import validate
from osoz_sandbox.models import (
    Cooperation,
    CooperationStatus,
    Entity,
    Insurer,
    LocationCode,
    LocationCodeStatus,
)
from osoz_sandbox.tests.conftest import location_payload

# The seeded catalogue (migration 0003): Wisła needs location codes, Medikor does not.
WISLA, MEDIKOR, ZDROWIE_PLUS, OPIEKA24 = "800100", "800200", "800300", "800400"
SETTINGS = "/provider/ustawienia/"
TERMS = "/provider/ubezpieczenia/regulamin/"
TERMS_ACCEPT = "/provider/ubezpieczenia/regulamin/akceptacja/"
INSURERS = "/provider/ubezpieczenia/ubezpieczyciele/"


def insurer_url(osoz_id: str, tail: str = "") -> str:
    return f"{INSURERS}{osoz_id}/{tail}"


@pytest.fixture
def provider(client, provider_user) -> Client:
    client.force_login(provider_user)
    return client


@pytest.fixture
def insured(entity) -> Entity:
    """The clinic with its data complete and the regulations of „Ubezpieczenia” accepted."""
    now = timezone.now()
    Entity.objects.filter(pk=entity.pk).update(
        nip="5260250274", insurance_data_confirmed_at=now, insurance_terms_accepted_at=now
    )
    entity.refresh_from_db()
    return entity


def settings_data(entity: Entity, **changes) -> dict:
    data = {name: getattr(entity, name) for name in Entity.SETTINGS}
    data.update(changes)
    return {name: ("on" if value is True else value) for name, value in data.items() if value is not False}


def statuses(page: str) -> list[str]:
    """The cooperation statuses of Ubezpieczenia > Ubezpieczyciele, row by row."""
    return re.findall(r'<td class="status-\w+">([^<]+)</td>', page)


def cooperate(provider: Client, osoz_id: str):
    return provider.post(insurer_url(osoz_id, "wspolpraca/"), {"accept_terms": "on"})


# --- The catalogue ---------------------------------------------------------------------------------------------------


def test_the_catalogue_is_seeded_with_insurers_with_ids_and_valid_nips(db):
    insurers = list(Insurer.objects.all())
    assert len(insurers) == 4
    assert {insurer.osoz_id for insurer in insurers} == {WISLA, MEDIKOR, ZDROWIE_PLUS, OPIEKA24}
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    for insurer in insurers:
        digits = [int(d) for d in insurer.nip]
        assert len(digits) == 10 and sum(w * d for w, d in zip(weights, digits, strict=False)) % 11 == digits[9]
        assert insurer.terms and insurer.terms_version and insurer.short_name


def test_the_insurer_pages_are_for_provider_accounts_only(client, entity):
    for url in (TERMS, INSURERS, insurer_url(WISLA), insurer_url(WISLA, "identyfikatory-lokalizacji/")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/provider/logowanie/")
    stranger = get_user_model().objects.create_user(username="obcy", password="Obcy-haslo-2026")
    client.force_login(stranger)
    assert client.get(INSURERS).status_code == 403
    assert client.post(insurer_url(WISLA, "wspolpraca/"), {"accept_terms": "on"}).status_code == 403
    assert not Cooperation.objects.exists()


def test_the_menu_leads_to_regulamin_and_ubezpieczyciele(provider):
    text = provider.get("/provider/").text
    assert 'href="/provider/ubezpieczenia/regulamin/">Regulamin</a>' in text
    assert 'href="/provider/ubezpieczenia/ubezpieczyciele/">Ubezpieczyciele</a>' in text


# --- Ubezpieczenia > Regulamin (§10.1) -----------------------------------------------------------------------------


def test_regulations_need_complete_data_then_confirmation_then_acceptance(provider, entity):
    page = provider.get(TERMS).text
    assert "Zweryfikuj dane świadczeniodawcy" in page and "Brakuje wymaganych danych: NIP." in page
    # Without the tick, and then without a NIP: nothing is confirmed.
    assert "Zaznacz „Potwierdzam poprawność danych”" in provider.post(TERMS, {}).text
    refused = provider.post(TERMS, {"confirm_data": "on"}).text
    assert "Uzupełnij wymagane dane świadczeniodawcy (*): NIP." in refused
    entity.refresh_from_db()
    assert entity.insurance_data_confirmed_at is None
    # The acceptance step cannot be reached before the data are confirmed.
    assert provider.get(TERMS_ACCEPT)["Location"] == TERMS

    Entity.objects.filter(pk=entity.pk).update(nip="5260250274")
    response = provider.post(TERMS, {"confirm_data": "on"})
    assert response.status_code == 302 and response["Location"] == TERMS_ACCEPT
    accept = provider.get(TERMS_ACCEPT).text
    assert "Pobierz regulamin" in accept and "Akceptuję regulamin" in accept
    assert "zaznacz „Akceptuję regulamin”" in provider.post(TERMS_ACCEPT, {}).text
    entity.refresh_from_db()
    assert not entity.insurance_active

    done = provider.post(TERMS_ACCEPT, {"accept_terms": "on"}, follow=True).text
    assert "Usługa „Ubezpieczenia” jest aktywna." in done
    assert "Zapoznaj się z dostępnymi ofertami współpracy" in done
    entity.refresh_from_db()
    assert entity.insurance_active


def test_the_regulations_can_be_downloaded(provider):
    response = provider.get("/provider/ubezpieczenia/regulamin/pobierz/")
    assert response["Content-Disposition"] == 'attachment; filename="regulamin-uslugi-ubezpieczenia.txt"'
    assert "Regulamin usługi „Ubezpieczenia”" in response.content.decode()
    insurer = provider.get(insurer_url(WISLA, "regulaminy/pobierz/"))
    assert "Wisła Ubezpieczenia Zdrowotne S.A." in insurer.content.decode()


# --- Stan usługi dla Ubezpieczycieli (§10.2) -----------------------------------------------------------------------


def test_insurers_online_registration_needs_the_regulations(provider, entity):
    page = provider.post(SETTINGS, settings_data(entity, insurers_online_registration=True)).text
    assert "Najpierw zaakceptuj regulamin usługi „Ubezpieczenia”" in page
    entity.refresh_from_db()
    assert not entity.insurers_online_registration and not entity.insurers_auto_enable


def test_switching_insurers_on_switches_automatic_enabling_on_and_shows_the_state(provider, insured):
    page = provider.get(SETTINGS).text
    assert "Stan usługi dla Ubezpieczycieli" in page and "Nieaktywna" in page
    assert "Brak współpracy z Ubezpieczycielami" in page
    done = provider.post(
        SETTINGS, settings_data(insured, insurers_online_registration=True, insurers_auto_enable=False), follow=True
    ).text
    assert "Usługa będzie automatycznie włączana także dla nowych Ubezpieczycieli" in done
    assert '<strong class="status-active">Aktywna</strong>' in done
    insured.refresh_from_db()
    assert insured.insurers_online_registration and insured.insurers_auto_enable
    # The automatic option can then be switched off on its own; without the service it means nothing.
    provider.post(SETTINGS, settings_data(insured, insurers_auto_enable=False))
    insured.refresh_from_db()
    assert insured.insurers_online_registration and not insured.insurers_auto_enable
    provider.post(SETTINGS, settings_data(insured, insurers_online_registration=False, insurers_auto_enable=True))
    insured.refresh_from_db()
    assert not insured.insurers_online_registration and not insured.insurers_auto_enable


# --- Ubezpieczenia > Ubezpieczyciele (§10.3, §10.4) -----------------------------------------------------------------


def test_the_list_shows_every_insurer_without_cooperation_and_the_way_to_the_regulations(provider, entity):
    page = provider.get(INSURERS).text
    assert statuses(page) == ["Brak współpracy"] * 4
    assert "zaakceptuj regulamin usługi „Ubezpieczenia”" in page
    for name in ("Wisła Ubezpieczenia Zdrowotne S.A.", "Medikor Towarzystwo Ubezpieczeń S.A.", "5271003450"):
        assert name in page
    assert f'href="{insurer_url(WISLA)}"' in page


def test_cooperation_is_refused_before_the_regulations_of_the_service(provider, entity):
    page = cooperate(provider, MEDIKOR).text
    assert "Współpracy z ubezpieczycielem nie można jeszcze nawiązać." in page
    assert not Cooperation.objects.filter(status=CooperationStatus.ACTIVE).exists()


def test_nawiaz_wspolprace_needs_the_insurers_regulations_accepted(provider, insured):
    detail = provider.get(insurer_url(MEDIKOR)).text
    assert "Nawiąż współpracę" in detail and "Oferta współpracy" in detail
    form = provider.get(insurer_url(MEDIKOR, "wspolpraca/")).text
    assert "Rozumiem i zgadzam się z treścią regulaminu" in form and "Pobierz regulamin" in form
    refused = provider.post(insurer_url(MEDIKOR, "wspolpraca/"), {}).text
    assert "zaznacz „Rozumiem i zgadzam się z treścią regulaminu”" in refused
    assert not Cooperation.objects.exists()

    response = cooperate(provider, MEDIKOR)
    assert response["Location"] == insurer_url(MEDIKOR)
    page = provider.get(insurer_url(MEDIKOR)).text
    assert "Nawiązano współpracę z ubezpieczycielem Medikor Towarzystwo Ubezpieczeń S.A." in page
    assert "Współpraca aktywna" in page and "Zakończ współpracę" in page
    cooperation = Cooperation.objects.get(entity=insured, insurer__osoz_id=MEDIKOR)
    assert cooperation.is_active and cooperation.terms_version == cooperation.insurer.terms_version
    # Without the service for insurers, Rejestracja on-line waits for „Włącz”.
    assert not cooperation.online_registration
    assert sorted(statuses(provider.get(INSURERS).text)) == ["Brak współpracy"] * 3 + ["Współpraca aktywna"]


def test_przystap_on_the_regulations_tab_leads_to_the_same_acceptance(provider, insured):
    tab = provider.get(insurer_url(OPIEKA24, "regulaminy/")).text
    assert "Niezaakceptowany" in tab and f'href="{insurer_url(OPIEKA24, "wspolpraca/")}">Przystąp</a>' in tab
    cooperate(provider, OPIEKA24)
    tab = provider.get(insurer_url(OPIEKA24, "regulaminy/")).text
    assert "Zaakceptowany" in tab and "Przystąp" not in tab


def test_automatic_enabling_switches_online_registration_on_for_a_new_insurer(provider, insured):
    Entity.objects.filter(pk=insured.pk).update(insurers_online_registration=True, insurers_auto_enable=True)
    page = cooperate(provider, MEDIKOR)
    assert Cooperation.objects.get(insurer__osoz_id=MEDIKOR).online_registration
    assert (
        "Rejestracja on-line dla tego ubezpieczyciela została włączona automatycznie."
        in provider.get(page["Location"]).text
    )


def test_wlacz_switches_one_insurers_online_registration_only_with_the_service_on(provider, insured):
    cooperate(provider, MEDIKOR)
    url = insurer_url(MEDIKOR, "rejestracja-online/")
    refused = provider.post(url, {"enabled": "on"}, follow=True).text
    assert "Najpierw włącz Rejestrację on-line w sekcji Stan usługi dla Ubezpieczycieli" in refused
    assert not Cooperation.objects.get(insurer__osoz_id=MEDIKOR).online_registration
    Entity.objects.filter(pk=insured.pk).update(insurers_online_registration=True)
    done = provider.post(url, {"enabled": "on"}, follow=True).text
    assert "Rejestracja on-line dla ubezpieczyciela Medikor Towarzystwo Ubezpieczeń S.A. jest włączona." in done
    assert Cooperation.objects.get(insurer__osoz_id=MEDIKOR).online_registration
    provider.post(url, {})
    assert not Cooperation.objects.get(insurer__osoz_id=MEDIKOR).online_registration
    # Not for an insurer the clinic does not cooperate with.
    other = provider.post(insurer_url(OPIEKA24, "rejestracja-online/"), {"enabled": "on"}, follow=True).text
    assert "tylko przy aktywnej współpracy" in other
    assert not Cooperation.objects.filter(insurer__osoz_id=OPIEKA24).exists()


def test_zakoncz_wspolprace_is_confirmed_and_the_insurer_is_back_to_no_cooperation(provider, insured):
    cooperate(provider, MEDIKOR)
    confirm = provider.get(insurer_url(MEDIKOR, "zakonczenie/")).text
    assert "Czy na pewno zakończyć współpracę z ubezpieczycielem Medikor" in confirm
    assert "Tak, zakończ współpracę" in confirm
    assert Cooperation.objects.get(insurer__osoz_id=MEDIKOR).is_active  # opening the question changes nothing
    done = provider.post(insurer_url(MEDIKOR, "zakonczenie/"), follow=True).text
    assert "Zakończono współpracę z ubezpieczycielem Medikor Towarzystwo Ubezpieczeń S.A." in done
    cooperation = Cooperation.objects.get(insurer__osoz_id=MEDIKOR)
    assert cooperation.status == CooperationStatus.NONE and cooperation.ended_at and not cooperation.online_registration
    assert statuses(provider.get(INSURERS).text) == ["Brak współpracy"] * 4
    # Ending again is refused; cooperating again is possible.
    again = provider.post(insurer_url(MEDIKOR, "zakonczenie/"), follow=True).text
    assert "Placówka nie współpracuje z ubezpieczycielem Medikor" in again
    cooperate(provider, MEDIKOR)
    assert Cooperation.objects.get(insurer__osoz_id=MEDIKOR).is_active


def test_an_unknown_insurer_is_404(provider):
    assert provider.get(insurer_url("999999")).status_code == 404


# --- Identyfikatory lokalizacji (Tabela 8) ----------------------------------------------------------------------------


@pytest.fixture
def located(api, insured, public_key_pem, provider):
    """The insured clinic with one published location and an active cooperation with Wisła (which needs codes)."""
    assert api.put("/api/v1/locations/1", location_payload(public_key_pem)).status_code == 200
    assert cooperate(provider, WISLA)["Location"] == insurer_url(WISLA, "identyfikatory-lokalizacji/")
    return insured


def codes_url() -> str:
    return insurer_url(WISLA, "identyfikatory-lokalizacji/")


def status_of(entity) -> str:
    code = LocationCode.objects.filter(entity=entity, insurer__osoz_id=WISLA, unit_number=1).first()
    return code.status if code else LocationCodeStatus.UNLINKED


def operator_enters(entity, code: str):
    return Client().post(
        "/operator/identyfikatory-lokalizacji/",
        {"entity_id": entity.entity_id, "insurer": WISLA, "unit_number": 1, "code": code},
    )


def test_location_codes_follow_tabela_8(provider, located):
    page = provider.get(codes_url()).text
    assert "kod Wisła" in page and "Przychodnia Centrum" in page and "Brak powiązania" in page
    # The clinic enters the code before the OSOZ operator: „Kod nieznany”.
    provider.post(codes_url(), {"code_1": "WIS-001-WAW"})
    assert status_of(located) == LocationCodeStatus.UNKNOWN
    assert "Kod nieznany" in provider.get(codes_url()).text
    # The operator enters it afterwards; the clinic's earlier entry stays unknown until entered again.
    assert operator_enters(located, "WIS-001-WAW").status_code == 302
    assert status_of(located) == LocationCodeStatus.UNKNOWN
    provider.post(codes_url(), {"code_1": ""})
    assert status_of(located) == LocationCodeStatus.UNLINKED
    provider.post(codes_url(), {"code_1": "wis-001-waw"})
    assert status_of(located) == LocationCodeStatus.ACCEPTED
    assert "Zaakceptowano" in provider.get(codes_url()).text
    # A wrong code is unknown.
    provider.post(codes_url(), {"code_1": "WIS-002-WAW"})
    assert status_of(located) == LocationCodeStatus.UNKNOWN


def test_an_operator_correcting_an_accepted_code_makes_it_unknown(provider, located):
    operator_enters(located, "WIS-001-WAW")
    provider.post(codes_url(), {"code_1": "WIS-001-WAW"})
    assert status_of(located) == LocationCodeStatus.ACCEPTED
    operator_enters(located, "WIS-009-WAW")
    assert status_of(located) == LocationCodeStatus.UNKNOWN
    assert "WIS-009-WAW" in Client().get("/operator/identyfikatory-lokalizacji/").text


def test_a_code_with_spaces_or_odd_characters_is_refused_in_polish(provider, located):
    page = provider.post(codes_url(), {"code_1": "WIS 001"}).text
    assert "Wprowadź kod bez spacji" in page
    page = provider.post(codes_url(), {"code_1": "WIS_001;"}).text
    assert "Kod może zawierać tylko litery, cyfry i „-”" in page
    assert not LocationCode.objects.exists()


def test_location_codes_wait_for_the_cooperation(provider, insured, api, public_key_pem):
    api.put("/api/v1/locations/1", location_payload(public_key_pem))
    page = provider.get(codes_url()).text
    assert "Identyfikatory lokalizacji wprowadza się po nawiązaniu współpracy" in page
    refused = provider.post(codes_url(), {"code_1": "WIS-001"}).text
    assert "po nawiązaniu współpracy z ubezpieczycielem Wisła" in refused
    assert not LocationCode.objects.exists()
    assert (
        "nie wymaga identyfikatorów lokalizacji"
        in provider.get(insurer_url(MEDIKOR, "identyfikatory-lokalizacji/")).text
    )


# --- GET /api/v1/payers (contract 1.3.0) ------------------------------------------------------------------------------


def test_payers_lists_the_insurers_with_active_cooperation_by_name(api, provider, insured):
    assert api.get("/api/v1/payers").json() == {"payers": []}
    for osoz_id in (ZDROWIE_PLUS, MEDIKOR, WISLA):
        cooperate(provider, osoz_id)
    provider.post(insurer_url(ZDROWIE_PLUS, "zakonczenie/"))
    response = api.get("/api/v1/payers")
    assert response.status_code == 200 and response["X-RateLimit-Limit"]
    body = response.json()
    validate("PayerList", body)
    assert body == {
        "payers": [
            {"payer_id": MEDIKOR, "name": "Medikor Towarzystwo Ubezpieczeń S.A.", "nip": "9512008765"},
            {"payer_id": WISLA, "name": "Wisła Ubezpieczenia Zdrowotne S.A.", "nip": "5271003450"},
        ]
    }


def test_payers_are_the_entitys_own(api, insured):
    other = Entity.objects.create(entity_id="7350099999", name="Inna przychodnia", nip="5260250274")
    Cooperation.objects.create(
        entity=other, insurer=Insurer.objects.get(osoz_id=MEDIKOR), status=CooperationStatus.ACTIVE
    )
    assert api.get("/api/v1/payers").json() == {"payers": []}


def test_payers_need_a_token(db):
    response = Client().get("/api/v1/payers")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert Client(HTTP_AUTHORIZATION="Bearer zly-token").get("/api/v1/payers").status_code == 401


@pytest.mark.django_db
def test_the_demo_seed_works_with_the_insurers_it_is_given_and_can_run_again():
    for _run in range(2):
        call_command("sandbox_seed", "--cooperation", WISLA, MEDIKOR, stdout=io.StringIO())
    entity = Entity.objects.get(entity_id="7350012345")
    assert entity.insurance_terms_accepted_at is not None
    active = Cooperation.objects.filter(entity=entity, status=CooperationStatus.ACTIVE)
    assert sorted(active.values_list("insurer__osoz_id", flat=True)) == [WISLA, MEDIKOR]

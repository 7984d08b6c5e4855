"""Manual §10.1–§10.4 in a real browser, as a new Provider Service user follows them: the regulations of
„Ubezpieczenia”, Rejestracja on-line for insurers, cooperation with an insurer and its location code, and its end."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from osoz_sandbox.insurers import operator_code_enter
from osoz_sandbox.models import Entity, Insurer, Location
from osoz_sandbox.tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue():
    """The insurer catalogue its data migration seeds: a transactional test may start after another one's flush has
    emptied the tables."""
    importlib.import_module("osoz_sandbox.migrations.0003_insurers").catalogue_load(apps, None)


def test_the_provider_follows_chapter_10_of_the_manual(page, provider_user, entity, catalogue):
    Entity.objects.filter(pk=entity.pk).update(nip="5260250274")
    Location.objects.create(entity=entity, unit_number=1, unit_name="Przychodnia Centrum", visible=True, version=1)
    page.goto("/provider/logowanie/")
    page.get_by_label("Login").fill(provider_user.username)
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    menu = page.locator("header nav")
    tabs = page.get_by_role("navigation", name="Zakładki ubezpieczyciela")

    # §10.1: Ubezpieczenia > Regulamin — the data checked, then the regulations accepted.
    menu.get_by_role("link", name="Regulamin").click()
    page.get_by_label("Potwierdzam poprawność danych").check()
    page.get_by_role("button", name="Dalej").click()
    page.get_by_label("Akceptuję regulamin").check()
    page.get_by_role("button", name="Akceptuję").click()
    expect(page.get_by_text("Zaakceptowano regulamin. Usługa „Ubezpieczenia” jest aktywna.")).to_be_visible()

    # §10.2: Rejestracja on-line > Ustawienia, Stan usługi dla Ubezpieczycieli.
    menu.get_by_role("link", name="Ustawienia").click()
    page.get_by_label("Rejestracja on-line (Ubezpieczyciele)").check()
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Usługa będzie automatycznie włączana także dla nowych Ubezpieczycieli")).to_be_visible()
    expect(page.get_by_label("Automatyczne włączanie Rejestracji on-line dla nowych Ubezpieczycieli")).to_be_checked()

    # §10.3: Ubezpieczenia > Ubezpieczyciele, Informacje, Nawiąż współpracę, the insurer's regulations.
    menu.get_by_role("link", name="Ubezpieczyciele").click()
    row = page.get_by_role("row").filter(has_text="Wisła Ubezpieczenia Zdrowotne S.A.")
    expect(row.get_by_text("Brak współpracy")).to_be_visible()
    row.get_by_role("link", name="Informacje").click()
    page.get_by_role("link", name="Nawiąż współpracę").click()
    page.get_by_label("Rozumiem i zgadzam się z treścią regulaminu").check()
    page.get_by_role("button", name="Potwierdź").click()
    expect(
        page.get_by_text("Nawiązano współpracę z ubezpieczycielem Wisła Ubezpieczenia Zdrowotne S.A.")
    ).to_be_visible()

    # Identyfikatory lokalizacji: the operator's code first, then the clinic's (Tabela 8).
    operator_code_enter(entity=entity, insurer=Insurer.objects.get(osoz_id="800100"), unit_number=1, code="WIS-001-WAW")
    page.get_by_label("kod Wisła – Przychodnia Centrum").fill("WIS-001-WAW")
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_role("cell", name="Zaakceptowano")).to_be_visible()

    tabs.get_by_role("link", name="Informacje").click()
    expect(page.get_by_text("Rejestracja on-line jest włączona")).to_be_visible()

    # §10.4: Zakończ współpracę, confirmed.
    page.get_by_role("link", name="Zakończ współpracę").click()
    page.get_by_role("button", name="Tak, zakończ współpracę").click()
    expect(page.get_by_text("Zakończono współpracę z ubezpieczycielem Wisła")).to_be_visible()
    page.get_by_role("link", name="« Ubezpieczyciele").click()
    row = page.get_by_role("row").filter(has_text="Wisła Ubezpieczenia Zdrowotne S.A.")
    expect(row.get_by_text("Brak współpracy")).to_be_visible()
    assert Entity.objects.get(pk=entity.pk).insurance_terms_accepted_at <= timezone.now()

"""The Regulamin Portalu Pacjenta (portal.terms): the product's draft until the administrator writes the clinic's own,
open to anybody, linked from the registration, which records the version the patient accepted; each change a new
version, audited, for administrators only."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TESTS_NOW
from core.models import AuditEvent
from portal.models import PatientAccount
from portal.terms import terms_get
from portal.tests.test_account_views import VALID

pytestmark = pytest.mark.django_db

STAFF_PAGE = "/ustawienia/portal-pacjenta/regulamin/"


def test_anybody_reads_the_draft_until_the_clinic_writes_its_own():
    html = Client().get("/portal/regulamin/").content.decode()
    assert "<h1>Regulamin Portalu Pacjenta</h1>" in html
    assert "Wersja 1 z 01.12.2026." in html
    assert "§ 3. Umawianie i odwoływanie wizyt" in html
    assert "numer alarmowy 112" in html


def test_the_registration_links_it_and_records_the_version_accepted(client, django_capture_on_commit_callbacks):
    page = client.get(reverse("portal:register")).content.decode()
    assert 'href="/portal/regulamin/" target="_blank" rel="noopener"' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:register"), VALID)

    account = PatientAccount.objects.get()
    assert (account.terms_version, account.terms_accepted_at.date()) == (terms_get().version, TESTS_NOW.date())


def test_the_administrator_writes_a_new_version_audited(client_for, alice):
    client = client_for(alice)
    assert "§ 1. Postanowienia ogólne" in client.get(STAFF_PAGE).content.decode()

    response = client.post(STAFF_PAGE, {"text": "§ 1. Regulamin przychodni.\n\nDrugi akapit <b>bez HTML</b>."})
    assert response.status_code == 302
    terms = terms_get()
    assert (terms.version, terms.text) == (2, "§ 1. Regulamin przychodni.\n\nDrugi akapit <b>bez HTML</b>.")
    event = AuditEvent.objects.get(action="portal_terms_changed")
    assert (event.actor, event.message) == (alice, "Zmieniono regulamin Portalu Pacjenta (wersja 2).")

    html = Client().get("/portal/regulamin/").content.decode()
    assert "<p>Drugi akapit &lt;b&gt;bez HTML&lt;/b&gt;.</p>" in html  # the patient reads text, never markup
    assert "Wersja 2" in html

    client.post(STAFF_PAGE, {"text": terms.text})  # the same text again: no new version
    assert terms_get().version == 2


def test_an_empty_text_is_refused_and_changes_nothing(client_for, alice):
    response = client_for(alice).post(STAFF_PAGE, {"text": "  "})
    assert response.status_code == 200 and "To pole jest wymagane." in response.content.decode()
    assert terms_get().version == 1


def test_only_administrators_change_it(client_for, bob):
    client = client_for(bob)  # reception
    assert client.get(STAFF_PAGE).status_code == 403
    assert client.post(STAFF_PAGE, {"text": "Inny regulamin."}).status_code == 403
    assert terms_get().version == 1

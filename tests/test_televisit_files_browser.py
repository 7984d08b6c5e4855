"""A file through the televisit's chat, in two browsers (manual §15.4.2, Tabela 13 "Czat"): during the call the patient
clicks the paperclip, chooses a PDF and clicks Wyślij; the doctor's chat shows it with a link that downloads the same
bytes, and it is among the visit's documents. A file that is no PDF, JPEG or PNG is refused in the patient's chat."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conftest import browser_login
from core.models import AuditEvent
from televisit.models import VisitDocument, VisitDocumentKind
from televisit.services import televisit_patient_link

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WAIT_MS = 30_000  # two Chromiums with fake media on a loaded machine


def connected(page):
    page.wait_for_function(
        "() => ['connected', 'completed'].includes(document.getElementById('televisit').dataset.ice)",
        timeout=WAIT_MS,
        polling=200,
    )


def attach(page, name, content, mime_type):
    """Dodaj załącznik: the paperclip opens the file chooser, where one file is chosen."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Dodaj załącznik").click()
    assert not chooser.value.is_multiple()
    chooser.value.set_files({"name": name, "mimeType": mime_type, "buffer": content})
    expect(page.locator("#tv-chat-file-name")).to_have_text(name)


def test_the_patient_sends_a_pdf_that_the_doctor_receives_and_downloads(media_page_for, televisit_today):
    patient = media_page_for()
    patient.set_default_timeout(WAIT_MS)
    patient.goto(televisit_patient_link(appointment=televisit_today).removeprefix("http://127.0.0.1:8000"))
    visit = media_page_for()
    visit.set_default_timeout(WAIT_MS)
    browser_login(visit, televisit_today.employee.user)
    visit.goto(reverse("scheduling:visit", kwargs={"pk": televisit_today.pk}))
    with visit.expect_popup() as opened:
        visit.get_by_role("link", name="Wykonaj telewizytę").click()
    doctor = opened.value
    doctor.set_default_timeout(WAIT_MS)
    patient.get_by_role("button", name="Odbierz").click()
    connected(doctor)
    connected(patient)
    expect(doctor.get_by_role("button", name="Dodaj załącznik")).to_have_count(0)  # the doctor receives

    # A page named .pdf is refused in the patient's chat, and nothing reaches the doctor.
    patient.get_by_role("button", name="Czat").click()
    attach(patient, "wynik.pdf", b"<!DOCTYPE html><p>nie PDF</p>", "application/pdf")
    patient.get_by_role("button", name="Wyślij").click()
    expect(patient.get_by_role("alert")).to_have_text(
        "Można przesłać tylko plik PDF, JPEG lub PNG; ten plik nie jest żadnym z nich."
    )
    assert not VisitDocument.objects.exists()

    # Another file instead, with a message: the text over the socket, the file to the visit's documents.
    attach(patient, "wynik badania.pdf", PDF, "application/pdf")
    patient.get_by_label("Wiadomość").fill("Przesyłam wynik.")
    patient.get_by_role("button", name="Wyślij").click()
    expect(patient.locator("#tv-messages li.file")).to_have_text("Przesłano plik: wynik badania.pdf")
    expect(patient.get_by_role("alert")).to_be_hidden()
    expect(patient.locator("#tv-chat-file-name")).to_be_hidden()

    # The text comes over the socket, the file's notice from the upload: either may reach the doctor first.
    expect(doctor.locator("#tv-messages li:not(.file)")).to_have_text("Pacjent: Przesyłam wynik.")
    received = doctor.locator("#tv-messages li.file")
    expect(received).to_have_text("Pacjent przesłał plik: wynik badania.pdf (48 B)")
    with doctor.expect_download() as downloading:
        received.get_by_role("link", name="wynik badania.pdf").click()
    download = downloading.value
    assert download.suggested_filename == "wynik badania.pdf"
    assert Path(download.path()).read_bytes() == PDF

    document = VisitDocument.objects.get()
    assert (document.appointment_id, document.kind, document.complete) == (
        televisit_today.pk,
        VisitDocumentKind.ATTACHMENT,
        True,
    )
    event = AuditEvent.objects.get(action="televisit_file_received")
    assert event.actor_label == "Pacjent" and "wynik" not in event.message
    assert AuditEvent.objects.filter(action="patient_viewed", message__startswith="Pobrano dokument wizyty").exists()

    # The visit, in its own tab, lists it among its documents.
    visit.reload()
    section = visit.locator("#dokumenty-wizyty")
    expect(section.get_by_role("link", name="wynik badania.pdf")).to_be_visible()
    expect(section).to_contain_text("Załącznik od pacjenta")

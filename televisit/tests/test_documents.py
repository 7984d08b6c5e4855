"""Files through the televisit's chat (§15.4.2, Tabela 13 "Czat") and the visit's documents: the patient sends one PDF,
JPEG or PNG at a time, checked by its content, size and number; it lands among the visit's documents, audited without
its name, and is handed out only to the staff who may see the visit and, by his link, to the patient."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from config.asgi import application
from core.models import AuditCategory, AuditEvent
from scheduling.tests.factories import AppointmentFactory
from televisit.documents import JPEG, PDF, attachment_name
from televisit.models import Televisit, VisitDocument, VisitDocumentKind
from televisit.services import televisit_patient_link
from televisit.tests.conftest import LINK_SPOILERS, link_spoil
from televisit.tests.test_consumers import doctor_joins, headers

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOT_A_FILE_WE_TAKE = "Można przesłać tylko plik PDF, JPEG lub PNG; ten plik nie jest żadnym z nich."
REFUSED = "Link do telewizyty jest nieważny"


def image_bytes(image_format: str) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, image_format)
    return buffer.getvalue()


def token_of(appointment) -> str:
    return televisit_patient_link(appointment=appointment).rstrip("/").rsplit("/", 1)[1]


def upload_url(token: str) -> str:
    return reverse("televisit:televisit_patient_attachments", kwargs={"token": token})


def send(client, token, *files, separate=False):
    """Post files as the patient's window does, in the field "file"; `separate` puts each in a field of its own."""
    data = {f"file{index}": file for index, file in enumerate(files)} if separate else {"file": list(files)}
    return client.post(upload_url(token), data)


def pdf(name="wynik.pdf", content=PDF_BYTES, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def nothing_stored(settings):
    stored = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    audited = AuditEvent.objects.filter(action="televisit_file_received").exists()
    return not VisitDocument.objects.exists() and not stored and not audited


def document_of(appointment, kind=VisitDocumentKind.ATTACHMENT, complete=True, content=PDF_BYTES, name="wynik.pdf"):
    return VisitDocument.objects.create(
        appointment=appointment,
        kind=kind,
        name=name,
        content_type="application/pdf" if kind == VisitDocumentKind.ATTACHMENT else "video/webm",
        size=len(content),
        file=ContentFile(content, name="ignored"),
        complete=complete,
    )


# --- Sending -----------------------------------------------------------------------------------------------------


def test_the_patients_pdf_is_stored_audited_and_announced(
    client, televisit_today, django_capture_on_commit_callbacks, settings
):
    token = token_of(televisit_today)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(client, token, pdf(name="C:\\Users\\Ewa\\Wyniki\\wynik 90010112345.pdf"))
    document = VisitDocument.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "name": "wynik 90010112345.pdf",
        "url": reverse("televisit:televisit_patient_attachment", kwargs={"token": token, "document_id": document.pk}),
    }
    assert (document.appointment, document.kind, document.complete) == (televisit_today, "attachment", True)
    assert (document.content_type, document.size) == ("application/pdf", len(PDF_BYTES))
    stored = Path(document.file.path)
    assert stored.read_bytes() == PDF_BYTES and stored.is_relative_to(settings.MEDIA_ROOT)
    event = AuditEvent.objects.get(action="televisit_file_received")
    assert (event.category, event.actor, event.actor_label) == (AuditCategory.TELEVISIT, None, "Pacjent")
    assert (event.object_type, event.object_id) == ("scheduling.appointment", str(televisit_today.pk))
    assert event.message == "Pacjent przesłał plik przez czat telewizyty (PDF, 48\xa0bajtów)."
    assert len(callbacks) == 1  # the doctor's window is told (test_the_doctors_open_window_hears_of_the_file)


@pytest.mark.parametrize(
    ("name", "content", "stored_as", "content_type"),
    [
        ("skan.pdf", image_bytes("PNG"), "skan.png", "image/png"),
        ("zdjęcie.JPEG", image_bytes("JPEG"), "zdjęcie.jpg", "image/jpeg"),
        ("bez rozszerzenia", PDF_BYTES, "bez rozszerzenia.pdf", "application/pdf"),
    ],
    ids=["a PNG named .pdf", "a JPEG", "a PDF without an extension"],
)
def test_a_file_is_taken_for_what_its_content_is(client, televisit_today, name, content, stored_as, content_type):
    # The browser's word is not taken either: every one claims to be a PDF.
    response = send(client, token_of(televisit_today), pdf(name=name, content=content))
    document = VisitDocument.objects.get()
    assert response.status_code == 201 and response.json()["name"] == stored_as
    assert (document.name, document.content_type) == (stored_as, content_type)


@pytest.mark.parametrize(
    "content",
    [
        b"%PDX-1.4\n%%EOF\n",
        b"<!DOCTYPE html><script>alert(1)</script>",
        image_bytes("GIF"),
        image_bytes("PNG")[:40] + b"\x00" * 40,
        b"\x89PNG\r\n\x1a\n" + b"<html>" * 10,
        b"\xff\xd8\xff\xe0 not really a JPEG",
    ],
    ids=[
        "a PDF with the wrong header",
        "HTML named .pdf",
        "a GIF",
        "a broken PNG",
        "HTML after a PNG header",
        "a JPEG header only",
    ],
)
def test_what_is_no_pdf_jpeg_or_png_is_refused_and_nothing_stored(client, televisit_today, settings, content):
    response = send(client, token_of(televisit_today), pdf(content=content))
    assert response.status_code == 422 and response.json() == {"error": NOT_A_FILE_WE_TAKE}
    assert nothing_stored(settings)


def test_a_file_over_the_limit_is_refused(client, televisit_today, settings):
    settings.TELEVISIT_ATTACHMENT_MAX_BYTES = 40
    response = send(client, token_of(televisit_today), pdf())
    assert response.status_code == 422
    assert response.json() == {"error": "Plik jest za duży: można przesłać plik o rozmiarze do 40\xa0bajtów."}
    assert nothing_stored(settings)


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(client, televisit_today, settings):
    settings.TELEVISIT_ATTACHMENT_MAX_BYTES = 1000
    response = send(client, token_of(televisit_today), pdf(content=PDF_BYTES + b"0" * 70_000))
    assert response.status_code == 413 and response.json() == {"error": "Plik jest za duży."}
    assert nothing_stored(settings)


def test_an_empty_file_is_refused(client, televisit_today, settings):
    response = send(client, token_of(televisit_today), pdf(content=b""))
    assert response.status_code == 422 and response.json() == {"error": "Wybrany plik jest pusty."}
    assert nothing_stored(settings)


@pytest.mark.parametrize("separate", [False, True], ids=["in one field", "in two fields"])
def test_one_file_per_send(client, televisit_today, settings, separate):
    response = send(client, token_of(televisit_today), pdf(), pdf(name="drugi.pdf"), separate=separate)
    assert response.status_code == 400
    assert response.json() == {"error": "Jednorazowo można wysłać tylko jeden plik."}
    assert nothing_stored(settings)


def test_a_send_without_a_file_says_so(client, televisit_today, settings):
    response = client.post(upload_url(token_of(televisit_today)), {"text": "Dzień dobry"})
    assert response.status_code == 400 and response.json() == {"error": "Wybierz plik do wysłania."}
    assert nothing_stored(settings)


def test_a_televisit_takes_only_so_many_files(client, televisit_today, settings):
    settings.TELEVISIT_ATTACHMENT_MAX_COUNT = 2
    token = token_of(televisit_today)
    assert [send(client, token, pdf()).status_code for _ in range(2)] == [201, 201]
    response = send(client, token, pdf())
    assert response.status_code == 422
    assert response.json() == {"error": "Przesłano już największą dozwoloną liczbę plików dla tej telewizyty (2)."}
    assert VisitDocument.objects.count() == 2
    assert AuditEvent.objects.filter(action="televisit_file_received").count() == 2


@pytest.mark.parametrize("reason", LINK_SPOILERS)
def test_an_invalid_link_sends_nothing(client, clock, televisit_today, settings, reason):
    token = token_of(televisit_today)
    link_spoil(televisit_today, reason, clock)
    if reason == "made up":
        token = token[:-6] + "AAAAAA"
    response = send(client, token, pdf())
    assert response.status_code == 404 and REFUSED in response.content.decode()
    assert nothing_stored(settings)


def test_the_window_gives_the_token_the_upload_needs_and_without_it_nothing_is_sent(televisit_today, settings):
    patient = Client(enforce_csrf_checks=True)
    token = token_of(televisit_today)
    page = patient.get(reverse("televisit:televisit_patient", kwargs={"token": token}))
    assert patient.post(upload_url(token), {"file": pdf()}).status_code == 403
    assert nothing_stored(settings)
    csrf = page.context["csrf_token"]
    assert f'data-upload="{upload_url(token)}" data-csrf="{csrf}"' in page.content.decode()
    response = patient.post(upload_url(token), {"file": pdf()}, headers={"X-CSRFToken": str(csrf)})
    assert response.status_code == 201


def test_only_the_patients_window_has_the_paperclip(client_for, carol, client, televisit_today):
    patient_page = client.get(reverse("televisit:televisit_patient", kwargs={"token": token_of(televisit_today)}))
    doctor_page = client_for(carol).get(reverse("televisit:televisit", kwargs={"appointment_id": televisit_today.pk}))
    assert 'aria-label="Dodaj załącznik"' in patient_page.content.decode()
    assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in patient_page.content.decode()
    assert "Dodaj załącznik" not in doctor_page.content.decode()
    assert 'data-file-received="Pacjent przesłał plik:"' in doctor_page.content.decode()


@pytest.mark.parametrize(
    ("original", "file_type", "kept"),
    [
        ("/home/ewa/../wynik.pdf", PDF, "wynik.pdf"),
        ("C:\\fakepath\\wynik.pdf", PDF, "wynik.pdf"),
        ("wynik\x00\x1b[31m\r\n.pdf", PDF, "wynik[31m.pdf"),
        ("zdj\u202egpj.exe", JPEG, "zdjgpj.jpg"),
        ('a<b>c:"d"|e?f*.pdf', PDF, "abcdef.pdf"),
        ("  ..wynik   badania..  .pdf", PDF, "wynik badania.pdf"),
        ("...", PDF, "zalacznik.pdf"),
        ("", JPEG, "zalacznik.jpg"),
        ("x" * 300 + ".pdf", PDF, "x" * 100 + ".pdf"),
    ],
)
def test_the_kept_name_is_a_clean_base_name_with_the_right_extension(original, file_type, kept):
    assert attachment_name(original, file_type) == kept


# --- The doctor's window ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded_specialisations")
def test_the_doctors_open_window_hears_of_the_file(client_for, carol, televisit_today):
    staff = client_for(carol)
    token = token_of(televisit_today)
    path = f"/ws/telewizyta/{Televisit.objects.get().pk}/"
    patient = Client()

    async def scenario():
        doctor = await doctor_joins(path, staff)
        response = await database_sync_to_async(send)(patient, token, pdf(name="wynik.pdf"))
        assert response.status_code == 201
        heard = await doctor.receive_json_from(timeout=5)
        await doctor.disconnect()
        return heard

    with ThreadPoolExecutor(max_workers=1) as pool:
        heard = pool.submit(async_to_sync(scenario)).result()
    document = VisitDocument.objects.get()
    url = reverse("televisit:visit_document", kwargs={"document_id": document.pk})
    assert heard == {"type": "file", "name": "wynik.pdf", "size": len(PDF_BYTES), "url": url}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded_specialisations")
def test_the_patients_window_is_not_told_the_staff_link(televisit_today):
    token = token_of(televisit_today)
    path = f"/ws/telewizyta/{Televisit.objects.get().pk}/"

    async def scenario():
        patient = WebsocketCommunicator(application, path, headers=headers())
        assert (await patient.connect())[0]
        await patient.send_json_to({"type": "join", "token": token})
        assert (await patient.receive_json_from(timeout=3))["type"] == "welcome"
        response = await database_sync_to_async(send)(Client(), token, pdf())
        assert response.status_code == 201
        nothing = await patient.receive_nothing(timeout=1)
        await patient.disconnect()
        return nothing

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(async_to_sync(scenario)).result()


# --- Downloads ----------------------------------------------------------------------------------------------------


def staff_url(document):
    return reverse("televisit:visit_document", kwargs={"document_id": document.pk})


def downloaded(response) -> bytes:
    """The body of a download, which is streamed asynchronously, as ASGI serves it."""

    async def read():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)()


@pytest.mark.parametrize("persona", ["carol", "bob"], ids=["the visit's doctor", "reception"])
def test_staff_who_may_see_the_visit_download_the_document_and_it_is_audited(
    request, client_for, televisit_today, persona
):
    document = document_of(televisit_today, name="wynik Łódź.pdf")
    user = request.getfixturevalue(persona)
    response = client_for(user).get(staff_url(document))
    assert response.status_code == 200 and downloaded(response) == PDF_BYTES
    assert (response["Content-Type"], response["Content-Length"]) == ("application/pdf", str(len(PDF_BYTES)))
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''wynik%20%C5%81%C3%B3d%C5%BA.pdf"
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="patient_viewed")
    assert (event.category, event.actor, event.object_id) == ("record_access", user, str(televisit_today.patient_id))
    assert event.message == f"Pobrano dokument wizyty pacjenta: Załącznik od pacjenta (id {document.pk})."


def test_a_recording_downloads_alike(client_for, carol, televisit_today):
    content = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 3000  # longer than a download's chunk
    recording = document_of(televisit_today, kind=VisitDocumentKind.RECORDING, content=content)
    response = client_for(carol).get(staff_url(recording))
    assert response.status_code == 200 and response["Content-Type"] == "video/webm"
    assert response["Content-Length"] == str(len(content)) and downloaded(response) == content


def test_another_doctors_visit_document_is_not_found(client_for, carol_schedule, erins_televisit):
    document = document_of(erins_televisit)
    response = client_for(carol_schedule.employee.user).get(staff_url(document))
    assert response.status_code == 404 and not AuditEvent.objects.exists()


def test_without_the_role_or_a_login_nothing_is_downloaded(client_for, client, dave, televisit_today):
    document = document_of(televisit_today)
    assert client.get(staff_url(document)).status_code == 302  # to the login
    assert client_for(dave).get(staff_url(document)).status_code == 403
    assert not AuditEvent.objects.exists()


def test_an_unfinished_recording_is_not_handed_out(client_for, carol, televisit_today):
    recording = document_of(televisit_today, kind=VisitDocumentKind.RECORDING, complete=False)
    assert client_for(carol).get(staff_url(recording)).status_code == 404


def test_the_patient_downloads_his_own_file_by_his_link(client, televisit_today):
    token = token_of(televisit_today)
    url = send(client, token, pdf()).json()["url"]
    response = client.get(url)
    assert response.status_code == 200 and downloaded(response) == PDF_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="wynik.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]


def test_the_patients_link_hands_out_nothing_else(client, clock, televisit_today, carol_schedule):
    token = token_of(televisit_today)
    other = AppointmentFactory(schedule=carol_schedule, starts_at=televisit_today.ends_at, kind="televisit")
    others_file = document_of(other)
    recording = document_of(televisit_today, kind=VisitDocumentKind.RECORDING)
    own = document_of(televisit_today)
    for document in (others_file, recording):
        url = reverse("televisit:televisit_patient_attachment", kwargs={"token": token, "document_id": document.pk})
        assert client.get(url).status_code == 404
    own_url = reverse("televisit:televisit_patient_attachment", kwargs={"token": token, "document_id": own.pk})
    clock.move_to(televisit_today.ends_at + timedelta(hours=2, minutes=1))
    response = client.get(own_url)
    assert response.status_code == 404 and REFUSED in response.content.decode()


# --- Dokumenty wizyty -------------------------------------------------------------------------------------------


def visit_page(client, appointment) -> str:
    return client.get(reverse("scheduling:visit", kwargs={"pk": appointment.pk})).content.decode()


def test_the_visit_lists_its_complete_documents_of_both_kinds(client_for, carol, televisit_today):
    attachment = document_of(televisit_today, name="wynik <b>.pdf")
    recording = document_of(televisit_today, kind=VisitDocumentKind.RECORDING, name="telewizyta-2026-12-01-1000.webm")
    document_of(televisit_today, kind=VisitDocumentKind.RECORDING, complete=False, name="niedokonczone.webm")
    page = visit_page(client_for(carol), televisit_today)
    assert "Dokumenty wizyty" in page
    assert f'<a href="{staff_url(attachment)}" download>wynik &lt;b&gt;.pdf</a>' in page
    assert f'<a href="{staff_url(recording)}" download>telewizyta-2026-12-01-1000.webm</a>' in page
    assert "Załącznik od pacjenta" in page and "Nagranie telewizyty" in page and "48\xa0bajtów" in page
    assert "niedokonczone.webm" not in page


def test_a_televisit_without_documents_says_where_they_will_be(client_for, carol, televisit_today):
    assert "Brak dokumentów." in visit_page(client_for(carol), televisit_today)


def test_an_ordinary_visit_without_documents_has_no_section(client_for, carol, carol_schedule):
    appointment = AppointmentFactory(schedule=carol_schedule)
    assert "Dokumenty wizyty" not in visit_page(client_for(carol), appointment)

"""The patient's "Czat" (POR-6): messages and one file at a time before and after the videoconsultation, the clinic's
replies and their unread count, his own files again through his portal session; bad input is refused in Polish and
stores nothing, and another patient can neither read nor write in it."""

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from core.time import WARSAW
from portal.tests.booking_setup import account_make, portal_client
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from televisit.chat import visit_message_send
from televisit.models import MessageSide, VisitDocument, VisitDocumentKind, VisitMessage
from televisit.tests.test_documents import downloaded

pytestmark = pytest.mark.django_db

TEN = datetime(2026, 12, 1, 10, tzinfo=WARSAW)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def video(carol_schedule):
    return AppointmentFactory(schedule=carol_schedule, starts_at=TEN, kind=AppointmentKind.TELEVISIT)


@pytest.fixture
def anna(video):
    return portal_client(account_make("anna@example.com", patient=video.patient))


def chat_url(appointment):
    return reverse("portal:visit_chat", kwargs={"appointment_id": appointment.pk})


def pdf(name="wynik.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings):
    return [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_the_patient_writes_before_the_visit_with_a_pdf(anna, video, settings):
    response = anna.post(chat_url(video), {"text": "Przesyłam wynik badania.", "file": pdf("wynik morfologii.pdf")})
    assert response.status_code == 302 and response["Location"].endswith("#nowa")
    message = VisitMessage.objects.get()
    assert (message.side, message.author_label, message.text) == (
        MessageSide.PATIENT,
        "Pacjent",
        "Przesyłam wynik badania.",
    )
    document = message.document
    assert (document.appointment_id, document.kind, document.name) == (
        video.pk,
        VisitDocumentKind.ATTACHMENT,
        "wynik morfologii.pdf",
    )
    assert AuditEvent.objects.filter(action="televisit_file_received", object_id=str(video.pk)).exists()

    page = anna.get(chat_url(video)).content.decode()
    assert "Przesyłam wynik badania." in page and "wynik morfologii.pdf" in page
    download = anna.get(reverse("portal:visit_document", args=[video.pk, document.pk]))
    assert download.status_code == 200
    assert downloaded(download) == PDF


def test_a_file_alone_is_a_message_too(anna, video):
    anna.post(chat_url(video), {"text": "", "file": pdf()})
    assert VisitMessage.objects.get().text == ""


def test_the_patient_writes_after_the_visit(anna, video, clock):
    video.status = AppointmentStatus.DONE
    video.save()
    clock.move_to(TEN + timedelta(days=2))
    # A new login: the one of two days ago has timed out.
    response = portal_client(video.patient.portal_account).post(chat_url(video), {"text": "Pytanie po wizycie."})
    assert response.status_code == 302
    assert VisitMessage.objects.get().text == "Pytanie po wizycie."


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        ({"text": ""}, "Napisz wiadomość albo dołącz plik."),
        ({"text": "   "}, "Napisz wiadomość albo dołącz plik."),
        ({"text": "Wynik\x1b[31m"}, "Pole zawiera niedozwolone znaki sterujące."),
        ({"text": "a" * 2001}, "co najwyżej 2000 znaków"),
        (
            {"text": "To nie PDF", "file": ("wynik.pdf", b"<!DOCTYPE html><p>nie PDF</p>", "application/pdf")},
            "Można przesłać tylko plik PDF, JPEG lub PNG; ten plik nie jest żadnym z nich.",
        ),
        ({"text": "Pusty", "file": ("pusty.pdf", b"", "application/pdf")}, "Wybrany plik jest pusty."),
        (
            {"text": "Dwa", "file": [("a.pdf", PDF, "application/pdf"), ("b.pdf", PDF, "application/pdf")]},
            "Jednorazowo można wysłać tylko jeden plik.",
        ),
        # A bad text with a good file: the file is not stored either.
        ({"text": "Zły\x00tekst", "file": ("wynik.pdf", PDF, "application/pdf")}, "niedozwolone znaki sterujące"),
    ],
)
def test_bad_input_is_refused_in_polish_and_stores_nothing(anna, video, settings, data, refusal):
    files = data.pop("file", None)
    if files is not None:
        data["file"] = [pdf(*item) for item in files] if isinstance(files, list) else pdf(*files)
    response = anna.post(chat_url(video), data)
    assert response.status_code == 400
    assert refusal in response.content.decode()
    assert not VisitMessage.objects.exists()
    assert not VisitDocument.objects.exists()
    assert stored_files(settings) == []


def test_a_file_too_large_is_refused(anna, video, settings):
    settings.TELEVISIT_ATTACHMENT_MAX_BYTES = 20
    response = anna.post(chat_url(video), {"text": "Duży", "file": pdf()})
    assert response.status_code == 400 and "Plik jest za duży" in response.content.decode()
    assert not VisitMessage.objects.exists() and not VisitDocument.objects.exists()


def test_a_cancelled_visits_chat_takes_nothing(anna, video):
    video.status = AppointmentStatus.CANCELLED
    video.cancelled_at = TEN - timedelta(hours=2)
    video.save()
    response = anna.post(chat_url(video), {"text": "Czy wizyta się odbędzie?"})
    assert response.status_code == 400 and "czat tej wizyty jest zamknięty" in response.content.decode().lower()
    assert not VisitMessage.objects.exists()


def test_the_clinics_replies_are_counted_until_the_patient_opens_the_chat(anna, video, carol):
    for text in ("Dzień dobry.", "Proszę przesłać wynik."):
        visit_message_send(appointment=video, side=MessageSide.STAFF, text=text, user=carol)
    visit_page = anna.get(reverse("portal:visit", args=[video.pk])).content.decode()
    assert "2 nowe wiadomości" in visit_page
    assert "2 nowe wiadomości" in anna.get(reverse("portal:home")).content.decode()  # "Moje wizyty" says so too

    chat = anna.get(chat_url(video)).content.decode()
    assert "Karolina Lekarska" in chat and "Proszę przesłać wynik." in chat
    assert not VisitMessage.objects.filter(read_at__isnull=True).exists()
    assert "nowe wiadomości" not in anna.get(reverse("portal:visit", args=[video.pk])).content.decode()
    assert "nowe wiadomości" not in anna.get(reverse("portal:home")).content.decode()


def test_another_patient_can_neither_read_nor_write_nor_download(video, anna, carol):
    anna.post(chat_url(video), {"text": "Moje wyniki", "file": pdf()})
    visit_message_send(appointment=video, side=MessageSide.STAFF, text="Odpowiedź", user=carol)
    document = VisitDocument.objects.get()
    bruno = portal_client(account_make("bruno@example.com"))
    assert bruno.get(chat_url(video)).status_code == 404
    assert bruno.post(chat_url(video), {"text": "Cudzy czat"}).status_code == 404
    assert bruno.get(reverse("portal:visit_document", args=[video.pk, document.pk])).status_code == 404
    assert VisitMessage.objects.count() == 2
    # Marking read is the owner's: the staff's reply is still unread.
    assert VisitMessage.objects.get(side=MessageSide.STAFF).read_at is None


def test_a_document_of_another_visit_or_a_recording_is_not_the_patients_to_download(anna, video, carol_schedule):
    other = AppointmentFactory(schedule=carol_schedule, kind=AppointmentKind.TELEVISIT)
    other_client = portal_client(account_make("ola@example.com", patient=other.patient))
    other_client.post(chat_url(other), {"text": "Cudzy", "file": pdf()})
    foreign = VisitDocument.objects.get()
    recording = VisitDocument.objects.create(
        appointment=video, kind=VisitDocumentKind.RECORDING, name="nagranie.webm", content_type="video/webm"
    )
    for document in (foreign, recording):
        assert anna.get(reverse("portal:visit_document", args=[video.pk, document.pk])).status_code == 404


# --- The open chat asks for what is new -------------------------------------------------------------------------

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_PORTAL_POLL": "1"}


def test_the_open_chat_gets_the_clinics_reply_without_a_reload(anna, video, carol):
    page = anna.get(chat_url(video)).content.decode()
    assert f'hx-get="{chat_url(video)}?po=0"' in page

    assert anna.get(chat_url(video), {"po": 0}, **POLL).status_code == 204  # nothing yet
    reply = visit_message_send(appointment=video, side=MessageSide.STAFF, text="Proszę o wyniki.", user=carol)

    response = anna.get(chat_url(video), {"po": 0}, **POLL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Proszę o wyniki." in html
    assert f'hx-get="{chat_url(video)}?po={reply.pk}"' in html  # the next question starts from it
    assert 'id="chat-status" hx-swap-oob="true">Nowa wiadomość w czacie.' in html
    reply.refresh_from_db()
    assert reply.read_at is not None  # the patient has it in front of him
    assert anna.get(chat_url(video), {"po": reply.pk}, **POLL).status_code == 204


def test_asking_does_not_keep_the_portal_session_alive(anna, video, settings):
    cookie = settings.PORTAL_SESSION_COOKIE_NAME
    assert cookie in anna.get(chat_url(video)).cookies  # the patient's own request renews it
    assert cookie not in anna.get(chat_url(video), {"po": 0}, **POLL).cookies


def test_an_ended_session_takes_the_whole_page_to_the_login(video, client):
    response = client.get(chat_url(video), {"po": 0}, **POLL)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/portal/logowanie/?next={chat_url(video).replace('/', '%2F')}%3Fpo%3D0"

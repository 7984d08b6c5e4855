"""The recording's upload to the visit (TV-6): only where the clinic enables it, only for who may conduct the
televisit, in order, idempotent and resumable, complete only with every chunk, audited without its content."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from scheduling.models import AppointmentStatus, BookingSettings
from televisit.models import VisitDocument, VisitDocumentKind
from televisit.recordings import EBML_MAGIC

pytestmark = pytest.mark.django_db

FIRST = EBML_MAGIC + b"webm-header-and-first-cluster"


@pytest.fixture
def attached():
    BookingSettings.objects.update_or_create(id=1, defaults={"televisit_recordings_attached": True})


def start(client, appointment):
    return client.post(reverse("televisit:recording_start", kwargs={"appointment_id": appointment.pk}))


def chunk(client, document, index, data):
    url = reverse("televisit:recording_chunk", kwargs={"document_id": document.pk, "index": index})
    return client.post(url, data=data, content_type="application/octet-stream")


def finish(client, document, chunks, seconds=12):
    url = reverse("televisit:recording_finish", kwargs={"document_id": document.pk})
    return client.post(url, data=json.dumps({"chunks": chunks, "seconds": seconds}), content_type="application/json")


def test_the_window_offers_the_upload_only_where_the_clinic_attaches_recordings(client_for, carol, televisit_today):
    url = reverse("televisit:televisit", kwargs={"appointment_id": televisit_today.pk})
    client = client_for(carol)
    assert "data-upload=" not in client.get(url).content.decode()
    assert start(client, televisit_today).status_code == 403
    assert not VisitDocument.objects.exists()
    BookingSettings.objects.update_or_create(id=1, defaults={"televisit_recordings_attached": True})
    upload = reverse("televisit:recording_start", kwargs={"appointment_id": televisit_today.pk})
    assert f'data-upload="{upload}"' in client.get(url).content.decode()


def test_chunks_are_appended_in_order_and_the_end_completes_the_recording(attached, client_for, carol, televisit_today):
    client = client_for(carol)
    response = start(client, televisit_today)
    assert response.status_code == 201 and response.json()["next"] == 0
    document = VisitDocument.objects.get()
    assert document.kind == VisitDocumentKind.RECORDING and not document.complete
    assert document.name.startswith("telewizyta-2026-12-01-") and document.name.endswith(".webm")

    assert chunk(client, document, 0, FIRST).json() == {"next": 1}
    # The same chunk again (its answer was lost): acknowledged, not appended twice.
    assert chunk(client, document, 0, FIRST).json() == {"next": 1}
    # A chunk ahead of the one expected: refused with where to resume.
    ahead = chunk(client, document, 2, b"third")
    assert ahead.status_code == 409 and ahead.json() == {"next": 1}
    # Ending with a chunk missing: refused with the one missing.
    early = finish(client, document, chunks=3)
    assert early.status_code == 409 and early.json() == {"next": 1}
    assert chunk(client, document, 1, b"second").json() == {"next": 2}
    assert chunk(client, document, 2, b"third").json() == {"next": 3}
    assert not AuditEvent.objects.filter(action="televisit_recording_attached").exists()

    assert finish(client, document, chunks=3, seconds=3725).json() == {"next": 3}
    document.refresh_from_db()
    assert document.complete and document.size == len(FIRST) + len(b"second") + len(b"third")
    with document.file.open("rb") as stored:
        assert stored.read() == FIRST + b"second" + b"third"
    event = AuditEvent.objects.get(action="televisit_recording_attached")
    assert event.message == "Dołączono nagranie telewizyty do wizyty (czas nagrania 1:02:05, 0.0 MB)."
    assert event.actor == carol
    # Finished: ending again is acknowledged, more chunks are refused.
    assert finish(client, document, chunks=3).status_code == 200
    assert chunk(client, document, 3, b"late").status_code == 422
    assert AuditEvent.objects.filter(action="televisit_recording_attached").count() == 1


def test_what_is_no_webm_or_too_much_is_refused_and_changes_nothing(
    attached, settings, client_for, carol, televisit_today
):
    client = client_for(carol)
    start(client, televisit_today)
    document = VisitDocument.objects.get()
    refused = chunk(client, document, 0, b"<html>not a recording</html>")
    assert refused.status_code == 422 and "WebM" in refused.json()["error"]
    assert chunk(client, document, 0, b"").status_code == 400
    settings.TELEVISIT_RECORDING_MAX_BYTES = len(FIRST) + 3
    assert chunk(client, document, 0, FIRST).status_code == 200
    too_much = chunk(client, document, 1, b"four")
    assert too_much.status_code == 422 and "rozmiar" in too_much.json()["error"]
    document.refresh_from_db()
    assert document.chunks == 1 and document.size == len(FIRST)
    assert finish(client, document, chunks="x").status_code == 400


def test_only_who_may_conduct_the_televisit_uploads(attached, client_for, carol, televisit_today, erins_televisit):
    start(client_for(carol), televisit_today)
    document = VisitDocument.objects.get()
    # Another doctor: neither her own recording of Carol's visit nor chunks of Carol's.
    erin = erins_televisit.employee.user
    assert start(client_for(erin), televisit_today).status_code == 404
    assert chunk(client_for(erin), document, 0, FIRST).status_code == 404
    assert finish(client_for(erin), document, chunks=0).status_code == 404
    # Nobody logged in (a patient's browser): the login page, nothing appended.
    assert chunk(Client(), document, 0, FIRST).status_code == 302
    document.refresh_from_db()
    assert document.chunks == 0


def test_a_recording_cannot_be_started_for_a_finished_televisit(attached, client_for, carol, televisit_today):
    televisit_today.status = AppointmentStatus.DONE
    televisit_today.save()
    assert start(client_for(carol), televisit_today).status_code == 404

"""The staff's side of the patient's chat (POR-6) and of his "Połącz" (POR-5): the visit's "Czat z pacjentem" with its
unread count, read and audited as a view of the patient's data; the reply; the notice that the patient is ready, on
the visit and in the calendar (fetched, and heard live over the calendar's socket) — for those who may see the
visit, and for nobody else (a doctor of another location)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.models import AuditEvent
from scheduling.models import AppointmentStatus
from televisit.chat import visit_message_send
from televisit.models import MessageSide, Televisit, VisitMessage
from televisit.services import televisit_call_start, televisit_end, televisit_patient_ready
from televisit.tests.conftest import TODAY_AT_TEN

pytestmark = pytest.mark.django_db


def visit_url(appointment):
    return reverse("scheduling:visit", kwargs={"pk": appointment.pk})


def reply_url(appointment):
    return reverse("televisit:visit_chat", kwargs={"appointment_id": appointment.pk})


def ready_url(appointment):
    return reverse("televisit:televisit_ready", kwargs={"appointment_id": appointment.pk})


def patient_writes(appointment, text):
    return visit_message_send(appointment=appointment, side=MessageSide.PATIENT, text=text)


def test_the_doctor_reads_the_patients_messages_with_their_count_and_it_is_audited(client_for, carol, televisit_today):
    patient_writes(televisit_today, "Dzień dobry, mam pytanie.")
    patient_writes(televisit_today, "Czy mam przygotować wyniki?")
    page = client_for(carol).get(visit_url(televisit_today)).content.decode()
    assert "Czat z pacjentem" in page and "2 nowe wiadomości" in page
    assert "Czy mam przygotować wyniki?" in page
    assert not VisitMessage.objects.filter(read_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="patient_viewed", message="Wyświetlono czat z pacjentem na stronie wizyty.")
    assert (event.actor, event.object_id) == (carol, str(televisit_today.patient_id))
    # Read once: the next view counts none.
    assert "nowe wiadomości" not in client_for(carol).get(visit_url(televisit_today)).content.decode()


def test_an_empty_chat_is_shown_for_a_videoconsultation_without_an_audit(client_for, carol, televisit_today):
    page = client_for(carol).get(visit_url(televisit_today)).content.decode()
    assert "Czat z pacjentem" in page and "Brak wiadomości." in page
    assert not AuditEvent.objects.filter(message__startswith="Wyświetlono czat").exists()


@pytest.mark.parametrize("persona", ["carol", "bob"], ids=["the visit's doctor", "reception"])
def test_the_clinic_replies(request, client_for, televisit_today, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reply_url(televisit_today), {"text": "Proszę przesłać wynik przed wizytą."})
    assert response.status_code == 302 and response["Location"].endswith("#czat")
    message = VisitMessage.objects.get()
    assert (message.side, message.author, message.author_label) == (MessageSide.STAFF, user, user.get_full_name())


@pytest.mark.parametrize(
    ("text", "refusal"),
    [("", "Napisz wiadomość albo dołącz plik."), ("Wynik\x07", "Pole zawiera niedozwolone znaki sterujące.")],
)
def test_a_bad_reply_is_refused_in_polish_and_stores_nothing(client_for, carol, televisit_today, text, refusal):
    response = client_for(carol).post(reply_url(televisit_today), {"text": text}, follow=True)
    assert refusal in response.content.decode()
    assert not VisitMessage.objects.exists()


def test_a_cancelled_videoconsultations_chat_takes_no_reply(client_for, carol, televisit_today):
    televisit_today.status = AppointmentStatus.CANCELLED
    televisit_today.cancelled_at = TODAY_AT_TEN - timedelta(hours=2)
    televisit_today.save()
    response = client_for(carol).post(reply_url(televisit_today), {"text": "Halo"}, follow=True)
    assert "Czat tej wizyty jest zamknięty" in response.content.decode()
    assert not VisitMessage.objects.exists()


def test_a_doctor_of_another_location_sees_nothing_and_cannot_reply(client_for, erins_televisit, carol_schedule):
    patient_writes(erins_televisit, "Pytanie do doktor Obcej.")
    client = client_for(carol_schedule.employee.user)
    assert client.get(visit_url(erins_televisit)).status_code == 404
    assert client.post(reply_url(erins_televisit), {"text": "Nie moja wizyta"}).status_code == 404
    assert client.get(ready_url(erins_televisit)).status_code == 404
    assert VisitMessage.objects.get().read_at is None
    assert not VisitMessage.objects.filter(side=MessageSide.STAFF).exists()
    assert not AuditEvent.objects.filter(message__startswith="Wyświetlono czat").exists()


def test_a_user_without_a_role_gets_nothing(client_for, dave, televisit_today):
    client = client_for(dave)
    assert client.post(reply_url(televisit_today), {"text": "x"}).status_code == 403
    assert client.get(ready_url(televisit_today)).status_code == 403
    assert client.get(reverse("televisit:televisit_ready_list")).status_code == 403
    assert not VisitMessage.objects.exists()


def test_the_ready_patient_is_noticed_on_the_visit_until_the_doctor_calls(client_for, carol, televisit_today):
    client = client_for(carol)
    assert "Pacjent jest gotowy do videokonsultacji" not in client.get(visit_url(televisit_today)).content.decode()
    assert client.get(ready_url(televisit_today)).content == b""

    assert televisit_patient_ready(appointment=televisit_today)
    assert "Pacjent jest gotowy do videokonsultacji" in client.get(visit_url(televisit_today)).content.decode()
    notice = client.get(ready_url(televisit_today)).content.decode()
    assert "Pacjent jest gotowy do videokonsultacji" in notice and "Wykonaj telewizytę" in notice
    assert televisit_today.patient.last_name not in notice  # no patient's name: nothing to audit
    listed = client.get(reverse("televisit:televisit_ready_list")).content.decode()
    assert f'data-appointment="{televisit_today.pk}"' in listed

    televisit = Televisit.objects.get(appointment=televisit_today)
    televisit_call_start(televisit_id=televisit.pk, user=carol)
    assert client.get(ready_url(televisit_today)).content == b""
    assert client.get(reverse("televisit:televisit_ready_list")).content.strip() == b""


def test_ready_again_after_an_ended_call_but_not_during_one(carol, televisit_today):
    assert televisit_patient_ready(appointment=televisit_today)
    assert not televisit_patient_ready(appointment=televisit_today)  # waiting already
    televisit = Televisit.objects.get(appointment=televisit_today)
    televisit_call_start(televisit_id=televisit.pk, user=carol)
    assert not televisit_patient_ready(appointment=televisit_today)  # the call goes on
    televisit_end(televisit_id=televisit.pk, user=carol)
    assert televisit_patient_ready(appointment=televisit_today)
    assert AuditEvent.objects.filter(action="televisit_patient_ready").count() == 2


def test_another_doctors_calendar_lists_no_ready_patient(client_for, televisit_today, erin_schedule):
    televisit_patient_ready(appointment=televisit_today)
    listed = client_for(erin_schedule.employee.user).get(reverse("televisit:televisit_ready_list"))
    assert listed.status_code == 200 and listed.content.strip() == b""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditCategory, AuditEvent
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from televisit import services
from televisit.models import Televisit
from televisit.selectors import televisit_for_token
from televisit.tokens import token_hash

pytestmark = pytest.mark.django_db


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def test_the_link_is_absolute_the_same_each_time_and_only_its_hash_is_stored(televisit_today):
    link = services.televisit_patient_link(appointment=televisit_today)
    assert link == services.televisit_patient_link(appointment=televisit_today)
    token = token_of(link)
    assert link == "http://127.0.0.1:8000" + reverse("televisit:televisit_patient", kwargs={"token": token})
    televisit = Televisit.objects.get()
    assert televisit.token_hash == token_hash(token)
    assert token not in str(Televisit.objects.values().get())
    assert televisit_for_token(token=token) == televisit


def test_the_link_starts_with_the_public_address_whoever_asks(settings, rf, televisit_today):
    settings.PORADNIA_PUBLIC_URL = "https://wizyty.example.pl"
    request = rf.get("/", HTTP_HOST="localhost")
    link = services.televisit_patient_link(appointment=televisit_today, request=request)
    assert link.startswith("https://wizyty.example.pl/telewizyta/pacjent/")
    assert link == services.televisit_patient_link(appointment=televisit_today)


def test_the_link_works_until_the_visits_end_plus_the_grace(clock, settings, televisit_today):
    token = token_of(services.televisit_patient_link(appointment=televisit_today))
    end = televisit_today.ends_at + timedelta(minutes=settings.TELEVISIT_LINK_GRACE_MINUTES)
    assert televisit_for_token(token=token, now=end) is not None
    assert televisit_for_token(token=token, now=end + timedelta(seconds=1)) is None
    clock.move_to(end + timedelta(minutes=1))
    assert televisit_for_token(token=token) is None


def test_a_cancelled_visit_refuses_its_link_and_gets_none(televisit_today):
    token = token_of(services.televisit_patient_link(appointment=televisit_today))
    cancel(televisit_today)
    assert televisit_for_token(token=token) is None
    with pytest.raises(DomainError):
        services.televisit_patient_link(appointment=televisit_today)


def cancel(appointment):
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = appointment.starts_at
    appointment.save()


def test_a_moved_visit_refuses_the_old_link_and_gets_a_new_one(televisit_today):
    old = token_of(services.televisit_patient_link(appointment=televisit_today))
    televisit_today.starts_at += timedelta(hours=1)
    televisit_today.ends_at += timedelta(hours=1)
    televisit_today.save()
    assert televisit_for_token(token=old) is None
    new = token_of(services.televisit_patient_link(appointment=televisit_today))
    assert new != old
    assert televisit_for_token(token=new).appointment == televisit_today
    assert televisit_for_token(token=old) is None


def test_another_visits_token_or_a_made_up_one_opens_nothing(televisit_today, televisit_later):
    services.televisit_patient_link(appointment=televisit_today)
    assert televisit_for_token(token="A" * 43) is None
    assert televisit_for_token(token="short") is None


def test_a_visit_that_is_no_televisit_gets_no_link(carol_schedule):
    appointment = AppointmentFactory(schedule=carol_schedule, kind=AppointmentKind.VISIT)
    with pytest.raises(DomainError):
        services.televisit_patient_link(appointment=appointment)
    assert not Televisit.objects.exists()


def test_a_new_secret_key_retires_the_old_link(settings, televisit_today):
    old = token_of(services.televisit_patient_link(appointment=televisit_today))
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    new = token_of(services.televisit_patient_link(appointment=televisit_today))
    assert new != old and televisit_for_token(token=old) is None and televisit_for_token(token=new) is not None


def test_a_call_is_audited_started_connected_and_ended_with_its_duration(clock, carol, televisit_today):
    televisit = services.televisit_for_appointment(appointment=televisit_today)
    assert services.televisit_call_start(televisit_id=televisit.pk, user=carol)
    assert not services.televisit_call_start(televisit_id=televisit.pk, user=carol)  # ringing again: the same call
    assert services.televisit_connected(televisit_id=televisit.pk, user=carol)
    assert not services.televisit_connected(televisit_id=televisit.pk, user=carol)  # after an ICE restart
    clock.shift(timedelta(minutes=12, seconds=5))
    assert services.televisit_end(televisit_id=televisit.pk, user=None)
    assert not services.televisit_end(televisit_id=televisit.pk, user=carol)
    events = list(AuditEvent.objects.filter(category=AuditCategory.TELEVISIT).order_by("id"))
    assert [event.action for event in events] == ["televisit_started", "televisit_connected", "televisit_ended"]
    assert events[0].message == "Rozpoczęto telewizytę: pracownik medyczny dzwoni do pacjenta."
    assert events[2].message == "Zakończono telewizytę (czas połączenia 0:12:05)."
    assert events[2].actor_label == "Pacjent" and events[0].actor == carol
    assert all(event.object_id == str(televisit_today.pk) for event in events)
    pesel = televisit_today.patient.pesel
    assert pesel and all(pesel not in event.message + event.object_repr for event in events)
    televisit.refresh_from_db()
    assert televisit.ended_by is None and televisit.ended_by_label == "Pacjent"


def test_a_call_nobody_answered_ends_without_a_connection_and_may_start_again(carol, televisit_today):
    televisit = services.televisit_for_appointment(appointment=televisit_today)
    services.televisit_call_start(televisit_id=televisit.pk, user=carol)
    services.televisit_end(televisit_id=televisit.pk, user=carol)
    assert AuditEvent.objects.get(action="televisit_ended").message == (
        "Zakończono telewizytę; połączenia z pacjentem nie nawiązano."
    )
    assert services.televisit_call_start(televisit_id=televisit.pk, user=carol)
    assert AuditEvent.objects.filter(action="televisit_started").count() == 2

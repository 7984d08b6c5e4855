"""The timetable and its filters are cached for every patient alike (portal.booking), and every change ends that at
once: a booking, a hold and its lapse, the portal's offer. What no change record reaches lasts at most
PORTAL_TIMETABLE_CACHE_SECONDS."""

from datetime import timedelta

import pytest
import time_machine

from conftest import TESTS_NOW
from portal.offer import portal_offer_save
from portal.tests.booking_setup import at, portal_client, slot_value
from scheduling.models import AppointmentSource
from scheduling.services import appointment_book, slot_holds_expire
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

COMMERCIAL = "/portal/umow/komercyjna/"


def booked_past_the_services(offer):
    """Written straight to the database (as a data import would), so no change is recorded."""
    AppointmentFactory(
        employee=offer.clinic_doctor,
        cell=offer.cell,
        schedule=offer.clinic_schedule,
        starts_at=at(10),
        ends_at=at(10, 20),
    )


def shown(client, employee, starts_at) -> bool:
    return slot_value(employee, starts_at) in client.get(COMMERCIAL).content.decode()


def test_a_page_read_again_comes_from_the_cache(offer, anna, django_assert_max_num_queries):
    client = portal_client(anna)
    assert shown(client, offer.clinic_doctor, at(10))
    # The session, the account, the patient's own hold, the session's save in its savepoint: no schedule, slot or
    # filter query.
    with django_assert_max_num_queries(6):
        assert shown(client, offer.clinic_doctor, at(10))


def test_a_booking_by_the_reception_leaves_every_timetable_at_once(
    offer, anna, piotr, django_capture_on_commit_callbacks
):
    client = portal_client(anna)
    assert shown(client, offer.clinic_doctor, at(10))

    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            employee_id=offer.clinic_doctor.pk,
            starts_at=at(10),
            patient=piotr.patient,
            source=AppointmentSource.CALENDAR,
        )

    assert not shown(client, offer.clinic_doctor, at(10))
    assert shown(client, offer.clinic_doctor, at(10, 20))


def test_a_hold_leaves_the_others_timetable_at_once_stays_free_to_its_holder_and_comes_back_when_it_lapses(
    offer, anna, piotr, django_capture_on_commit_callbacks
):
    anna_client, piotr_client = portal_client(anna), portal_client(piotr)
    assert shown(anna_client, offer.clinic_doctor, at(10))
    assert shown(piotr_client, offer.clinic_doctor, at(10))

    with django_capture_on_commit_callbacks(execute=True):
        piotr_client.post(
            "/portal/umow/termin/",
            {"slot": slot_value(offer.clinic_doctor, at(10)), "kind": "visit", "tryb": "komercyjna"},
        )

    assert not shown(anna_client, offer.clinic_doctor, at(10))
    assert shown(piotr_client, offer.clinic_doctor, at(10))
    with time_machine.travel(TESTS_NOW + timedelta(minutes=6), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert slot_holds_expire() == 1
        assert shown(anna_client, offer.clinic_doctor, at(10))


def test_the_offer_changed_in_ustawienia_shows_at_once(offer, anna, alice, django_capture_on_commit_callbacks):
    client = portal_client(anna)
    assert "Poradnia dermatologiczna" in client.get(COMMERCIAL).content.decode()
    flags = {"commercial": False, "nfz": True, "referral_required": True, "videoconsultation": True}

    with django_capture_on_commit_callbacks(execute=True):
        portal_offer_save(cells={offer.cell.pk: flags}, doctors={}, actor=alice)

    html = client.get(COMMERCIAL).content.decode()
    assert "Poradnia dermatologiczna" not in html
    assert slot_value(offer.clinic_doctor, at(10)) not in html


def test_what_no_change_record_reaches_lasts_at_most_the_cache_seconds(offer, anna, clock, settings):
    # The demo's per-process cache, whose entries age on the test's clock (Redis keeps a clock of its own).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ttl"}}
    client = portal_client(anna)
    assert shown(client, offer.clinic_doctor, at(10))
    booked_past_the_services(offer)
    assert shown(client, offer.clinic_doctor, at(10))
    clock.shift(settings.PORTAL_TIMETABLE_CACHE_SECONDS + 1)
    assert not shown(client, offer.clinic_doctor, at(10))


def test_with_no_cache_seconds_every_page_is_read_afresh(offer, anna, settings):
    settings.PORTAL_TIMETABLE_CACHE_SECONDS = 0
    client = portal_client(anna)
    assert shown(client, offer.clinic_doctor, at(10))
    booked_past_the_services(offer)
    assert not shown(client, offer.clinic_doctor, at(10))

"""A private schedule's payer settings published to OSOZ (SCH-4, SCH-5): what the Schedule document's `payers` say,
that every change of them — in the schedule, in the payers' price lists, in OSOZ's list of payers — republishes it,
that reconciliation compares them, and, against a live sandbox, that OSOZ holds what was sent."""

from dataclasses import replace
from datetime import time
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import OsozAccess
from core.crypto import secret_encrypt
from osoz_integration import interface, publication, reconcile
from osoz_integration.models import Connection
from osoz_integration.selectors import connection_get, outbox_pending
from osoz_integration.tests.conftest import connect
from osoz_integration.tests.test_publication import Sandbox
from payers.interface import OsozPayer
from payers.models import Payer, ScheduleOffer
from payers.schedule_offers import schedule_offer_save
from payers.services import payer_service_override, payer_service_override_undo, payers_osoz_apply
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory
from scheduling.services import BlockSpec, schedule_save
from tests import loop
from tests.loop import drain

sandbox_template = loop.sandbox_template
sandbox_server = loop.sandbox_server

pytestmark = pytest.mark.django_db

WEEKDAYS = [BlockSpec(weekday, time(8), time(12), 20) for weekday in range(5)]


@pytest.fixture
def price_lists(published_clinic):
    """Two OSOZ payers, each with an active override in a group of its own, and groups that offer them nothing; the
    clinic's doctor takes the insurers' bookings too („Dostęp rejestracji on-line tylko dla”: Wszyscy)."""
    published_clinic.doctor.osoz_access = OsozAccess.ALL
    published_clinic.doctor.save(update_fields=["osoz_access"])
    wisla = PayerFactory(name="Wisła Ubezpieczenia", osoz_id="800101")
    opieka = PayerFactory(name="Opieka24", osoz_id="800102")
    dermatology = ServiceGroupFactory(name="Dermatologia")
    cardiology = ServiceGroupFactory(name="Kardiologia")
    return SimpleNamespace(
        wisla=wisla,
        opieka=opieka,
        dermatology=dermatology,
        cardiology=cardiology,
        wisla_dermatology=PayerServiceFactory(payer=wisla, service=ServiceFactory(group=dermatology)),
        opieka_cardiology=PayerServiceFactory(payer=opieka, service=ServiceFactory(group=cardiology)),
    )


def offer(schedule, payers, groups) -> ScheduleOffer:
    stored = ScheduleOffer.objects.create(schedule=schedule)
    stored.payers.set(payers)
    stored.groups.set(groups)
    return stored


def published_payers(schedule) -> list[interface.PayerOffer]:
    return publication.schedule_document(schedule.pk, 1).payload.payers


def switched_on() -> None:
    Connection.objects.filter(pk=connection_get().pk).update(
        client_id="klient-1", client_secret_encrypted=secret_encrypt(b"tajny"), enabled=True
    )


# --- The document -----------------------------------------------------------------------------------------------------


def test_each_chosen_payer_is_offered_the_chosen_groups_holding_its_overrides(published_clinic, price_lists):
    p = price_lists
    both = ServiceGroupFactory(name="Badania")
    PayerServiceFactory(payer=p.wisla, service=ServiceFactory(group=both))
    PayerServiceFactory(payer=p.opieka, service=ServiceFactory(group=both))
    offer(published_clinic.schedule, [p.opieka, p.wisla], [p.dermatology, p.cardiology, both])
    document = publication.schedule_document(published_clinic.schedule.pk, 1)
    assert document.payload.payers == [
        interface.PayerOffer(payer_id="800101", service_group_ids=sorted([str(p.dermatology.pk), str(both.pk)])),
        interface.PayerOffer(payer_id="800102", service_group_ids=sorted([str(p.cardiology.pk), str(both.pk)])),
    ]
    assert "płatnicy OSOZ: Wisła Ubezpieczenia, Opieka24" in str(document.published)
    interface.contract_check("Schedule", document.payload.to_json())


def test_a_payer_gone_from_osoz_or_a_group_without_overrides_is_left_out(published_clinic, price_lists):
    p = price_lists
    inactive = ServiceGroupFactory(name="Medycyna pracy")
    PayerServiceFactory(payer=p.wisla, service=ServiceFactory(group=inactive, active=False))
    offer(published_clinic.schedule, [p.wisla, p.opieka], [p.dermatology, p.cardiology, inactive])
    Payer.objects.filter(pk=p.opieka.pk).update(removed_on_osoz_at=timezone.now())
    assert published_payers(published_clinic.schedule) == [
        interface.PayerOffer(payer_id="800101", service_group_ids=[str(p.dermatology.pk)])
    ]
    # The payer's last override in the chosen groups taken back: nothing left to offer it, so it is not sent.
    payer_service_override_undo(payer_service=p.wisla_dermatology)
    assert published_payers(published_clinic.schedule) == []


def test_an_nfz_or_offline_schedule_sends_no_payers(published_clinic, price_lists):
    schedule = published_clinic.schedule
    offer(schedule, [price_lists.wisla], [price_lists.dermatology])
    assert published_payers(schedule)
    for change in ({"is_nfz": True}, {"is_nfz": False, "osoz_online": False}):
        type(schedule).objects.filter(pk=schedule.pk).update(**change)
        assert published_payers(schedule) == []


def test_the_fingerprint_compares_the_payers_in_any_order(published_clinic, price_lists):
    both = ServiceGroupFactory()
    PayerServiceFactory(payer=price_lists.wisla, service=ServiceFactory(group=both))
    offer(published_clinic.schedule, [price_lists.wisla, price_lists.opieka], [price_lists.dermatology, both])
    PayerServiceFactory(payer=price_lists.opieka, service=ServiceFactory(group=both))
    document = publication.schedule_document(published_clinic.schedule.pk, 1).payload
    shuffled = replace(
        document,
        version=7,
        payers=[
            replace(payer, service_group_ids=list(reversed(payer.service_group_ids)))
            for payer in reversed(document.payers)
        ],
    )
    assert interface.resource_fingerprint(shuffled) == interface.resource_fingerprint(document)
    assert interface.resource_fingerprint(replace(document, payers=[])) != interface.resource_fingerprint(document)
    fewer = replace(document, payers=document.payers[:1])
    assert interface.resource_fingerprint(fewer) != interface.resource_fingerprint(document)


# --- Republication ----------------------------------------------------------------------------------------------------


def test_changing_only_the_payers_republishes_the_schedule_with_them(client_for, alice, published_clinic, price_lists):
    switched_on()
    schedule = published_clinic.schedule
    data = {
        "cell": published_clinic.cell.pk,
        "valid_from": "2026-01-01",
        "osoz_online": "on",
        "blocks-TOTAL_FORMS": 5,
        "blocks-INITIAL_FORMS": 5,
        "blocks-MIN_NUM_FORMS": 0,
        "blocks-MAX_NUM_FORMS": 1000,
        "offer-payers": [price_lists.wisla.pk],
        "offer-groups": [price_lists.dermatology.pk],
    }
    for index in range(5):
        data |= {
            f"blocks-{index}-weekday": index,
            f"blocks-{index}-start_time": "08:00",
            f"blocks-{index}-end_time": "12:00",
            f"blocks-{index}-visit_minutes": 20,
        }
    response = client_for(alice).post(reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk}), data)
    assert response.status_code == 302
    # The row is written with the save; the document is built when the row is sent, after the commit, so it carries
    # the payers saved with the schedule.
    message = outbox_pending().get(key=f"schedule:{schedule.pk}")
    assert publication.schedule_document(schedule.pk, message.version).payload.payers == [
        interface.PayerOffer(payer_id="800101", service_group_ids=[str(price_lists.dermatology.pk)])
    ]


def test_a_change_of_the_payers_lists_republishes_the_schedules_offering_them(published_clinic, price_lists):
    switched_on()
    schedule = published_clinic.schedule
    offer(schedule, [price_lists.wisla], [price_lists.dermatology, price_lists.cardiology])
    assert not outbox_pending().exists()
    payer_service_override(payer=price_lists.wisla, service=ServiceFactory(group=price_lists.cardiology))
    assert outbox_pending().filter(key=f"schedule:{schedule.pk}").exists()
    assert published_payers(schedule)[0].service_group_ids == sorted(
        [str(price_lists.dermatology.pk), str(price_lists.cardiology.pk)]
    )


def test_a_payer_osoz_no_longer_lists_is_kept_for_the_schedules_and_left_out_of_them(published_clinic, price_lists):
    switched_on()
    schedule = published_clinic.schedule
    price_lists.opieka_cardiology.delete()  # nothing but the schedule's settings names it
    offer(schedule, [price_lists.wisla, price_lists.opieka], [price_lists.dermatology])
    result = payers_osoz_apply(payers=[OsozPayer(osoz_id="800101", name="Wisła Ubezpieczenia")])
    assert (result.removed, result.kept) == (0, 1)
    price_lists.opieka.refresh_from_db()
    assert price_lists.opieka.removed_on_osoz_at is not None
    assert outbox_pending().filter(key=f"schedule:{schedule.pk}").exists()
    assert [payer.payer_id for payer in published_payers(schedule)] == ["800101"]
    # Listed by OSOZ again, it is offered again as the schedule was set.
    payers_osoz_apply(payers=[OsozPayer(osoz_id="800101", name="Wisła"), OsozPayer(osoz_id="800102", name="O24")])
    assert [payer.payer_id for payer in published_payers(schedule)] == ["800101"]  # its list has no group chosen
    assert set(ScheduleOffer.objects.get(schedule=schedule).payers.all()) == {price_lists.wisla, price_lists.opieka}


# --- Against a live sandbox -------------------------------------------------------------------------------------------


class Section:
    """Fixed payer settings saved with the schedule, as the edit page's section saves them."""

    def __init__(self, payers, groups):
        self.payers, self.groups = payers, groups

    def save(self, *, schedule):
        return schedule_offer_save(
            schedule=schedule,
            payer_ids=[payer.pk for payer in self.payers],
            group_ids=[group.pk for group in self.groups],
        )


def test_osoz_holds_the_payers_sent_and_reconciliation_finds_them_equal(
    published_clinic, price_lists, sandbox_server, client_for, alice
):
    connect(client_for(alice), sandbox_server)
    drain()
    schedule = published_clinic.schedule
    p = price_lists
    section = Section([p.opieka, p.wisla], [p.cardiology, p.dermatology])
    schedule_save(schedule=schedule, blocks=WEEKDAYS, actor=alice, sections=[section])
    drain()
    held = Sandbox(sandbox_server).get(f"/schedules/{schedule.pk}")
    assert held["payers"] == [
        {"payer_id": "800101", "service_group_ids": [str(p.dermatology.pk)]},
        {"payer_id": "800102", "service_group_ids": [str(p.cardiology.pk)]},
    ]
    run = reconcile.reconciliation_run()
    assert (run.found, run.error) == (0, ""), run.differences
    # OSOZ's copy altered behind the product's back: the payers differ, and the schedule is sent again.
    altered = {key: value for key, value in held.items() if key not in ("schedule_id", "updated_at")}
    altered |= {"version": held["version"] + 1, "payers": []}
    assert Sandbox(sandbox_server).http.put(f"/api/v1/schedules/{schedule.pk}", json=altered).json()["applied"]
    run = reconcile.reconciliation_run()
    assert (run.found, run.repaired) == (1, 1), run.differences
    assert outbox_pending().filter(key=f"schedule:{schedule.pk}").exists()

"""payers_osoz_apply: the payers imported from OSOZ made to match OSOZ's list (OSZ-9, manual §11.1), as the OSOZ
integration's worker calls it."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from core.models import AuditCategory, AuditEvent
from core.time import WARSAW
from payers.interface import OsozPayer
from payers.models import Payer, PayerService
from payers.services import PayersImported, payers_osoz_apply
from payers.tests.factories import PayerFactory, PayerServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=WARSAW)
WISLA = OsozPayer(osoz_id="800100", name="Wisła Ubezpieczenia Zdrowotne S.A.", nip="5271003450")
MEDIKOR = OsozPayer(osoz_id="800200", name="Medikor Towarzystwo Ubezpieczeń S.A.", nip="951-200-87-65")


def messages():
    return list(AuditEvent.objects.order_by("pk").values_list("message", flat=True))


def imported():
    return sorted(
        Payer.objects.values_list("osoz_id", "name", "nip", "imported_from_osoz", "removed_on_osoz_at"),
        key=lambda row: row[0],
    )


def test_new_payers_are_added_as_imported_and_the_audit_reads_as_in_the_manual():
    result = payers_osoz_apply(payers=[WISLA, MEDIKOR], now=NOW)
    assert result == PayersImported(added=2, updated=0, removed=0, kept=0)
    assert imported() == [
        ("800100", "Wisła Ubezpieczenia Zdrowotne S.A.", "5271003450", True, None),
        ("800200", "Medikor Towarzystwo Ubezpieczeń S.A.", "9512008765", True, None),
    ]
    event = AuditEvent.objects.get()
    assert event.message == "Zaimportowano 2 płatników z OSOZ: dodano 2, zaktualizowano 0, usunięto 0."
    assert (event.category, event.actor_label) == (AuditCategory.INTEGRATION, "OSOZ")


def test_known_payers_take_osozs_data_and_only_real_changes_count():
    PayerFactory(osoz_id="800100", name="Wisła Ubezpieczenia Zdrowotne S.A.", nip="5271003450")
    PayerFactory(osoz_id="800200", name="Medikor S.A.", nip="")
    result = payers_osoz_apply(payers=[WISLA, MEDIKOR], now=NOW)
    assert result == PayersImported(added=0, updated=1, removed=0, kept=0)
    assert Payer.objects.get(osoz_id="800200").name == "Medikor Towarzystwo Ubezpieczeń S.A."
    assert messages() == ["Zaimportowano 2 płatników z OSOZ: dodano 0, zaktualizowano 1, usunięto 0."]


def test_a_payer_gone_from_osoz_is_removed_unless_its_list_names_it_then_kept_and_marked():
    PayerFactory(osoz_id="800100", name=WISLA.name, nip=WISLA.nip)
    PayerFactory(osoz_id="800300", name="Zdrowie Plus TUW")
    kept = PayerFactory(osoz_id="800400", name="Opieka24 Ubezpieczenia sp. z o.o.")
    PayerServiceFactory(payer=kept)
    manual = PayerFactory(osoz_id="", imported_from_osoz=False, name="Zakład pracy")

    result = payers_osoz_apply(payers=[WISLA], now=NOW)

    assert result == PayersImported(added=0, updated=0, removed=1, kept=1)
    assert imported() == [
        ("", "Zakład pracy", "", False, None),
        ("800100", WISLA.name, WISLA.nip, True, None),
        ("800400", "Opieka24 Ubezpieczenia sp. z o.o.", "", True, NOW),
    ]
    assert Payer.objects.get(pk=manual.pk) and PayerService.objects.filter(payer=kept).exists()
    assert messages() == [
        "Zaimportowano 1 płatników z OSOZ: dodano 0, zaktualizowano 0, usunięto 1.",
        "Płatnika „Opieka24 Ubezpieczenia sp. z o.o.” nie ma już w OSOZ, ale jego cennik lub wizyty są w systemie: "
        "zachowano go i oznaczono jako usuniętego z OSOZ.",
    ]


def test_a_kept_payer_is_marked_once_and_unmarked_when_osoz_lists_it_again():
    kept = PayerFactory(osoz_id="800400", name="Opieka24")
    PayerServiceFactory(payer=kept)
    payers_osoz_apply(payers=[], now=NOW)
    again = payers_osoz_apply(payers=[], now=NOW.replace(hour=11))
    assert again == PayersImported(added=0, updated=0, removed=0, kept=1)
    kept.refresh_from_db()
    assert kept.removed_on_osoz_at == NOW
    assert len(messages()) == 3  # two imports, one „zachowano”

    back = payers_osoz_apply(payers=[OsozPayer(osoz_id="800400", name="Opieka24")], now=NOW)
    assert back == PayersImported(added=0, updated=1, removed=0, kept=0)
    kept.refresh_from_db()
    assert kept.removed_on_osoz_at is None


def test_a_kept_payer_whose_list_was_emptied_goes_with_the_next_import():
    kept = PayerFactory(osoz_id="800400", removed_on_osoz_at=NOW)
    assert payers_osoz_apply(payers=[], now=NOW) == PayersImported(added=0, updated=0, removed=1, kept=0)
    assert not Payer.objects.filter(pk=kept.pk).exists()


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (OsozPayer(osoz_id="", name="Bez identyfikatora"), "brak identyfikatora"),
        (OsozPayer(osoz_id="800500", name="   "), "brak nazwy"),
        (OsozPayer(osoz_id="800500", name="Nazwa\x00z NUL"), "niedozwolone znaki sterujące"),
        (OsozPayer(osoz_id="800500", name="Ubezpieczyciel", nip="1234567890"), "NIP to 10 cyfr"),
        (OsozPayer(osoz_id="800100", name="Drugi raz to samo id"), "powtarza się"),
    ],
)
def test_an_entry_that_cannot_be_taken_changes_nothing(entry, reason):
    existing = PayerFactory(osoz_id="800900", name="Ktoś, kogo OSOZ już nie wymienia")
    before = imported()
    with pytest.raises(DomainError) as refused:
        payers_osoz_apply(payers=[WISLA, entry], now=NOW)
    assert reason in str(refused.value.message) and "Niczego nie zmieniono." in str(refused.value.message)
    assert imported() == before and Payer.objects.filter(pk=existing.pk).exists()
    assert not AuditEvent.objects.exists()


def test_the_import_costs_the_same_queries_for_two_payers_as_for_forty(django_assert_num_queries):
    def listing(count, start):
        return [OsozPayer(osoz_id=f"{start + i}", name=f"Ubezpieczyciel {start + i}") for i in range(count)]

    def scene(start):
        """Payers known from before (one renamed, one gone, one gone but kept), and new ones."""
        known = [PayerFactory(osoz_id=f"{start + i}", name=f"Ubezpieczyciel {start + i}") for i in range(3)]
        Payer.objects.filter(pk=known[0].pk).update(name="Stara nazwa")
        PayerServiceFactory(payer=PayerFactory(osoz_id=f"{start}-kept"))
        PayerFactory(osoz_id=f"{start}-gone")

    scene(1000)
    with CaptureQueriesContext(connection) as two:
        payers_osoz_apply(payers=listing(5, 1000), now=NOW)
    PayerService.objects.all().delete()
    Payer.objects.all().delete()
    scene(2000)
    with django_assert_num_queries(len(two)):
        result = payers_osoz_apply(payers=listing(40, 2000), now=NOW)
    assert result == PayersImported(added=37, updated=1, removed=1, kept=1)

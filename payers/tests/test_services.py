"""The rules of payers.services: Cennik ogólny's groups and services, the flow of every change of a general-list
service into its copies in the payers' lists (same transaction, constant queries), „Nadpisz” and its undo, and the
payers typed in by hand."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from core.models import AuditEvent
from core.time import WARSAW
from payers import services
from payers.models import Payer, PayerService, Service, ServiceGroup
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 11, 30, 12, 0, tzinfo=WARSAW)


def edit(service, **changes):
    fields = {"group": service.group, "name": service.name, "price": service.price, "active": service.active}
    return services.service_edit(service=service, **(fields | changes))


def copies(service):
    return sorted(set(PayerService.objects.filter(service=service).values_list("name", "price", "active")))


def audit(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk").values_list("message", flat=True))


def state():
    """Everything the services write, to assert that a refusal changed nothing."""
    return (
        list(ServiceGroup.objects.values_list("pk", "name", "position").order_by("pk")),
        list(Service.objects.values_list("pk", "group_id", "name", "price", "active").order_by("pk")),
        list(Payer.objects.values_list("pk", "name", "nip", "removed_on_osoz_at", "list_changed_at").order_by("pk")),
        list(PayerService.objects.values_list("pk", "name", "price", "active").order_by("pk")),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def listed():
    """A general-list service overridden into three payers' lists, all three sent to OSOZ yesterday."""
    service = ServiceFactory(name="Konsultacja kardiologiczna", price=Decimal("250.00"))
    for payer in PayerFactory.create_batch(3, list_sent_at=SENT, list_changed_at=SENT):
        PayerServiceFactory(payer=payer, service=service)
    return service


# --- The flow into the copies --------------------------------------------------------------------------------------


def test_a_price_change_reaches_every_copy_and_marks_every_list(listed):
    bystander = PayerFactory(list_sent_at=SENT, list_changed_at=SENT)
    edit(listed, price=Decimal("280.50"))
    assert copies(listed) == [("Konsultacja kardiologiczna", Decimal("280.50"), True)]
    lists = Payer.objects.filter(services__service=listed)
    assert len(lists) == 3 and all(payer.list_changed_since_sent for payer in lists)
    bystander.refresh_from_db()
    assert not bystander.list_changed_since_sent
    assert audit("service_changed") == [
        "Zmieniono usługę „Konsultacja kardiologiczna” w cenniku ogólnym: „Cena brutto”: 250,00\xa0zł → "
        "280,50\xa0zł; zmiana objęła usługi nadpisane w cennikach płatników: 3."
    ]


def test_a_new_name_and_deactivation_reach_the_copies(listed):
    edit(listed, name="Konsultacja kardiologiczna z EKG", active=False)
    assert copies(listed) == [("Konsultacja kardiologiczna z EKG", Decimal("250.00"), False)]
    edit(Service.objects.get(pk=listed.pk), active=True)
    assert copies(listed) == [("Konsultacja kardiologiczna z EKG", Decimal("250.00"), True)]


def test_moving_to_another_group_marks_the_lists_and_leaves_the_copies(listed):
    other = ServiceGroupFactory(name="Pakiety")
    edit(listed, group=other)
    assert copies(listed) == [("Konsultacja kardiologiczna", Decimal("250.00"), True)]
    assert all(payer.list_changed_since_sent for payer in Payer.objects.all())


def test_saving_without_a_change_neither_marks_nor_audits(listed):
    edit(listed)
    assert not any(payer.list_changed_since_sent for payer in Payer.objects.all())
    assert audit("service_changed") == []


def test_the_copies_change_in_the_same_transaction_as_their_base(listed):
    with pytest.raises(RuntimeError), transaction.atomic():
        edit(listed, price=Decimal("300.00"))
        assert copies(listed) == [("Konsultacja kardiologiczna", Decimal("300.00"), True)]
        raise RuntimeError("the request failed after the change")
    assert Service.objects.get(pk=listed.pk).price == Decimal("250.00")
    assert copies(listed) == [("Konsultacja kardiologiczna", Decimal("250.00"), True)]
    assert not any(payer.list_changed_since_sent for payer in Payer.objects.all())


def test_a_change_costs_the_same_queries_for_one_copy_as_for_thirty(django_assert_num_queries):
    few = ServiceFactory()
    PayerServiceFactory(service=few)
    many = ServiceFactory(group=few.group)
    for payer in PayerFactory.create_batch(30):
        PayerServiceFactory(payer=payer, service=many)
    with CaptureQueriesContext(connection) as one:
        edit(few, price=Decimal("199.99"), name="Nowa nazwa")
    with django_assert_num_queries(len(one)):
        edit(many, price=Decimal("199.99"), name="Nowa nazwa 2")
    assert copies(many) == [("Nowa nazwa 2", Decimal("199.99"), True)]


def test_a_refused_change_changes_nothing(listed):
    ServiceFactory(group=listed.group, name="Konsultacja neurologiczna")
    before = state()
    with pytest.raises(ValidationError) as refused:
        edit(listed, name="Konsultacja neurologiczna", price=Decimal("1.00"))
    assert "W tej grupie cennika jest już usługa o tej nazwie." in refused.value.messages
    for price in (Decimal("1.005"), Decimal("-1.00")):
        with pytest.raises(ValidationError):
            edit(listed, price=price)
    assert state() == before


def test_a_move_into_a_group_that_has_the_name_is_refused(listed):
    """The group and the name are checked together: a move alone, with the name kept, can take a name."""
    other = ServiceGroupFactory(name="Pakiety")
    ServiceFactory(group=other, name=listed.name)
    before = state()
    with pytest.raises(ValidationError) as refused:
        edit(listed, group=other, price=Decimal("1.00"))
    assert "W tej grupie cennika jest już usługa o tej nazwie." in refused.value.messages
    assert state() == before


# --- Many prices at once --------------------------------------------------------------------------------------------


def test_many_prices_flow_into_their_copies_with_constant_queries(django_assert_num_queries):
    group = ServiceGroupFactory()
    payers = PayerFactory.create_batch(3)
    few, many = ServiceFactory.create_batch(2, group=group), ServiceFactory.create_batch(25, group=group)
    for service in few + many:
        for payer in payers:
            PayerServiceFactory(payer=payer, service=service)
    with CaptureQueriesContext(connection) as two:
        services.services_prices_set(prices={service.pk: Decimal("10.10") for service in few})
    with django_assert_num_queries(len(two)):
        changed = services.services_prices_set(prices={service.pk: Decimal("99.99") for service in many})
    assert len(changed) == 25
    assert set(PayerService.objects.filter(service__in=many).values_list("price", flat=True)) == {Decimal("99.99")}
    assert set(PayerService.objects.filter(service__in=few).values_list("price", flat=True)) == {Decimal("10.10")}
    assert all(payer.list_changed_since_sent for payer in Payer.objects.all())
    message = audit("service_prices_changed")[-1]
    assert message.startswith("Zmieniono ceny brutto usług cennika ogólnego (25): „")
    assert message.endswith("oraz 5 innych; zmiana objęła usługi nadpisane w cennikach płatników: 3.")


@pytest.mark.parametrize("bad", [Decimal("10.005"), Decimal("-0.01"), Decimal("NaN")])
def test_one_bad_price_among_many_changes_nothing(listed, bad):
    other = ServiceFactory(group=listed.group)
    before = state()
    with pytest.raises(ValidationError):
        services.services_prices_set(prices={other.pk: Decimal("1.00"), listed.pk: bad})
    assert state() == before


def test_prices_of_a_service_removed_meanwhile_are_refused(listed):
    before = state()
    with pytest.raises(DomainError):
        services.services_prices_set(prices={listed.pk: Decimal("1.00"), 987654: Decimal("1.00")})
    assert state() == before


# --- Removal --------------------------------------------------------------------------------------------------------


def test_removing_a_service_removes_its_copies_and_marks_the_lists(listed):
    assert services.service_remove(service=listed) is True
    assert not Service.objects.exists() and not PayerService.objects.exists()
    assert all(payer.list_changed_since_sent for payer in Payer.objects.all())
    assert audit("service_removed") == [
        "Usunięto usługę „Konsultacja kardiologiczna” z cennika ogólnego i z cenników płatników: 3."
    ]


@pytest.fixture
def referenced(monkeypatch):
    """Something outside the price list (a visit, a payer's booking) names what is being deleted, with PROTECT."""

    def protected(self, objs, *args, **kwargs):
        raise ProtectedError("Wizyta wskazuje tę usługę.", set())

    monkeypatch.setattr(Collector, "collect", protected)


def test_a_service_in_use_is_deactivated_instead_here_and_in_the_copies(listed, referenced):
    assert services.service_remove(service=listed) is False
    assert Service.objects.get(pk=listed.pk).active is False
    assert copies(listed) == [("Konsultacja kardiologiczna", Decimal("250.00"), False)]
    assert PayerService.objects.count() == 3
    assert all(payer.list_changed_since_sent for payer in Payer.objects.all())
    assert audit("service_deactivated") == [
        "Usługa „Konsultacja kardiologiczna” jest używana, więc zamiast ją usunąć, oznaczono ją jako nieaktywną w "
        "cenniku ogólnym i w cennikach płatników: 3."
    ]


def test_an_inactive_service_in_use_is_refused_and_nothing_changes(referenced):
    service = ServiceFactory(active=False)
    before = state()
    with pytest.raises(DomainError, match="pozostaje nieaktywna"):
        services.service_remove(service=service)
    assert state() == before


def test_a_group_with_services_is_not_removed_and_an_empty_one_is(listed):
    before = state()
    with pytest.raises(DomainError, match="zawiera usługi"):
        services.group_remove(group=listed.group)
    assert state() == before
    empty = services.group_add(name="Szczepienia", position=70)
    services.group_remove(group=empty)
    assert not ServiceGroup.objects.filter(name="Szczepienia").exists()
    assert audit("service_group_removed") == ["Usunięto grupę cennika „Szczepienia”."]


def test_group_edit_is_audited_with_what_changed():
    group = services.group_add(name="USG", position=10)
    services.group_edit(group=group, name="Diagnostyka obrazowa – USG", position=20)
    assert audit("service_group_changed") == [
        "Zmieniono grupę cennika „USG”: „Nazwa grupy”: USG → Diagnostyka obrazowa – USG; „Kolejność”: 10 → 20."
    ]


def test_a_service_is_added_with_its_price_and_audited():
    group = ServiceGroupFactory(name="Badania laboratoryjne")
    service = services.service_add(group=group, name="  Morfologia krwi  ", price=Decimal("1234.50"))
    assert (service.name, service.price, service.active) == ("Morfologia krwi", Decimal("1234.50"), True)
    assert audit("service_added") == [
        "Dodano usługę „Morfologia krwi” do grupy „Badania laboratoryjne” cennika ogólnego: cena brutto "
        "1\xa0234,50\xa0zł, aktywna."
    ]


def test_a_name_with_control_characters_is_refused():
    with pytest.raises(ValidationError):
        services.service_add(group=ServiceGroupFactory(), name="Konsultacja\x00", price=Decimal("1"))
    assert not Service.objects.exists()


# --- „Nadpisz” and its undo -----------------------------------------------------------------------------------------


def test_override_copies_the_service_and_marks_the_list():
    service = ServiceFactory(name="USG tarczycy", price=Decimal("180.00"))
    payer = PayerFactory(name="Medikor", list_sent_at=SENT, list_changed_at=SENT)
    copy = services.payer_service_override(payer=payer, service=service)
    assert (copy.name, copy.price, copy.active, copy.service_id) == (
        "USG tarczycy",
        Decimal("180.00"),
        True,
        service.pk,
    )
    payer.refresh_from_db()
    assert payer.list_changed_since_sent
    assert audit("payer_service_overridden") == [
        "Nadpisano usługę „USG tarczycy” (cena brutto 180,00\xa0zł) do cennika płatnika „Medikor”."
    ]
    assert services.payer_service_override(payer=payer, service=service) == copy
    assert PayerService.objects.count() == 1 and len(audit("payer_service_overridden")) == 1


def test_an_inactive_service_or_a_payer_gone_from_osoz_cannot_be_overridden():
    inactive = ServiceFactory(active=False)
    gone = PayerFactory(removed_on_osoz_at=SENT)
    before = state()
    with pytest.raises(DomainError, match="nieaktywna"):
        services.payer_service_override(payer=PayerFactory(), service=inactive)
    with pytest.raises(DomainError, match="usunięto z OSOZ"):
        services.payer_service_override(payer=gone, service=ServiceFactory())
    assert state()[3:] == before[3:]


def test_undo_takes_the_service_back_and_marks_the_list(listed):
    copy = PayerService.objects.filter(service=listed).first()
    services.payer_service_override_undo(payer_service=copy)
    assert PayerService.objects.filter(service=listed).count() == 2
    assert Payer.objects.get(pk=copy.payer_id).list_changed_since_sent
    assert audit("payer_service_override_undone") == [
        f"Cofnięto nadpisanie usługi „Konsultacja kardiologiczna” w cenniku płatnika „{copy.payer.name}”."
    ]


def test_undo_of_a_copy_in_use_is_refused(listed, referenced):
    before = state()
    with pytest.raises(DomainError, match="jest używana"):
        services.payer_service_override_undo(payer_service=PayerService.objects.first())
    assert state() == before


# --- Payers typed in by hand ----------------------------------------------------------------------------------------


def test_a_payer_is_added_edited_and_removed_with_its_list():
    payer = services.payer_add(name=" Zakład Pracy „Stomil” ", nip="526-025-02-74")
    assert (payer.name, payer.nip, payer.imported_from_osoz, payer.nip_display) == (
        "Zakład Pracy „Stomil”",
        "5260250274",
        False,
        "526-025-02-74",
    )
    services.payer_edit(payer=payer, name="Stomil S.A.", nip="")
    PayerServiceFactory(payer=payer)
    services.payer_remove(payer=payer)
    assert not Payer.objects.exists() and not PayerService.objects.exists()
    assert audit("payer_changed") == [
        "Zmieniono płatnika „Zakład Pracy „Stomil””: „Nazwa płatnika”: Zakład Pracy „Stomil” → Stomil S.A.; "
        "„NIP”: 5260250274 → (puste)."
    ]
    assert audit("payer_removed") == ["Usunięto płatnika „Stomil S.A.” wraz z jego cennikiem (usług nadpisanych: 1)."]


def test_a_bad_nip_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.payer_add(name="Firma", nip="526-025-02-75")
    assert "NIP to 10 cyfr z poprawną cyfrą kontrolną, np. 526-025-02-74." in refused.value.messages
    assert not Payer.objects.exists()


def test_an_imported_payer_is_neither_edited_nor_removed_by_hand_until_osoz_drops_it():
    payer = PayerFactory(name="Wisła")
    before = state()
    with pytest.raises(DomainError, match="pochodzą z OSOZ"):
        services.payer_edit(payer=payer, name="Inna nazwa")
    with pytest.raises(DomainError, match="pobrano z OSOZ"):
        services.payer_remove(payer=payer)
    assert state() == before
    Payer.objects.filter(pk=payer.pk).update(removed_on_osoz_at=SENT)
    services.payer_remove(payer=payer)
    assert not Payer.objects.exists()


def test_a_payer_in_use_is_not_removed(referenced):
    payer = PayerFactory(imported_from_osoz=False, osoz_id="")
    before = state()
    with pytest.raises(DomainError, match="jest używany"):
        services.payer_remove(payer=payer)
    assert state() == before


@pytest.mark.parametrize(
    ("changed", "sent", "reminder"),
    [(None, None, False), (SENT, None, True), (SENT, SENT, False), (SENT.replace(hour=13), SENT, True)],
)
def test_the_reminder_shows_a_list_changed_since_it_was_last_sent(changed, sent, reminder):
    assert Payer(list_changed_at=changed, list_sent_at=sent).list_changed_since_sent is reminder

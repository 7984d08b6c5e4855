import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditCategory, AuditEvent, AuditOutcome
from core.services import audit_record

pytestmark = pytest.mark.django_db


def record(message="Zalogowano do systemu.", **kwargs):
    return audit_record(
        category=kwargs.pop("category", AuditCategory.SECURITY), action="login", message=message, **kwargs
    )


def test_audit_record_keeps_who_what_which_object_and_outcome(alice, bob):
    event = record(actor=alice, target=bob, outcome=AuditOutcome.FAILURE)
    assert event.actor_label == "Alicja Administratorska (alice)"
    assert (event.object_type, event.object_id, event.object_repr) == ("accounts.user", str(bob.pk), "bob")
    assert event.outcome == "failure" and event.occurred_at is not None


def test_audit_without_actor_is_the_system():
    assert record().actor_label == "System"


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(alice):
    record(actor=alice)
    with pytest.raises(TypeError):
        AuditEvent.objects.update(message="inne")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_updates(alice):
    event = record(actor=alice)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET message = 'inne' WHERE id = %s", [event.pk])
    event.message = "inne"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row DELETE is refused on PostgreSQL only")
def test_postgresql_refuses_deletes(alice):
    event = record(actor=alice)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])


def test_audit_list_is_for_administrators_only(client_for, bob, carol, dave):
    url = reverse("core:audit_list")
    for user in (bob, carol, dave):
        response = client_for(user).get(url)
        assert response.status_code == 403, user
        assert "Brak dostępu" in response.text


def test_audit_list_shows_and_filters_events(client_for, alice, bob):
    record(actor=bob, message="Zalogowano do systemu.")
    record(actor=alice, message="Nieudane logowanie.", outcome=AuditOutcome.FAILURE)
    record(message="Wysłano harmonogram do OSOZ.", category=AuditCategory.INTEGRATION)
    client = client_for(alice)
    url = reverse("core:audit_list")

    page = client.get(url).text
    assert "Dane" in page and "Audyty" in page
    assert all(text in page for text in ("Zalogowano", "Nieudane logowanie", "Wysłano harmonogram"))

    assert "Zalogowano" not in client.get(url, {"outcome": "failure"}).text
    only_osoz = client.get(url, {"category": "integration"}).text
    assert "Wysłano harmonogram" in only_osoz and "Nieudane" not in only_osoz
    by_actor = client.get(url, {"actor": "Bogdan"}).text
    assert "Zalogowano" in by_actor and "Nieudane" not in by_actor
    assert "Nieudane" in client.get(url, {"text": "nieudane"}).text


def test_audit_list_htmx_returns_rows_only(client_for, alice):
    record(actor=alice)
    response = client_for(alice).get(reverse("core:audit_list"), HTTP_HX_REQUEST="true")
    assert "<table" in response.text and "<header" not in response.text


def test_audit_list_rejects_bad_filters_in_polish(client_for, alice):
    response = client_for(alice).get(reverse("core:audit_list"), {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert "nie może być późniejsza" in response.text


def test_audit_list_has_no_way_to_change_entries(client_for, alice):
    assert client_for(alice).post(reverse("core:audit_list")).status_code == 405


def test_audit_list_query_count_does_not_grow(client_for, alice):
    client = client_for(alice)

    def queries_with(events):
        while AuditEvent.objects.count() < events:
            record(actor=alice)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("core:audit_list"))
        return len(queries)

    assert queries_with(2) == queries_with(40)


def test_audit_api_for_administrators(client_for, alice, carol):
    record(actor=alice, message="Zalogowano do systemu.")
    url = "/api/v1/audit-events/"
    response = client_for(alice).get(url, {"actor": "Alicja"})
    assert response.status_code == 200
    assert response.json()["results"][0]["message"] == "Zalogowano do systemu."
    assert client_for(alice).get(url, {"date_from": "nie-data"}).status_code == 400
    assert client_for(alice).delete(f"{url}{AuditEvent.objects.get().pk}/").status_code == 405
    assert AuditEvent.objects.count() == 1


def test_audit_api_refuses_other_roles_and_anonymous(client, client_for, carol):
    url = "/api/v1/audit-events/"
    assert client.get(url).status_code == 403
    assert client_for(carol).get(url).status_code == 403

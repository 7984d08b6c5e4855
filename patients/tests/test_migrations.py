import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("patients", "0002_sort_name")]
AFTER = [("patients", "0005_english_values_constraints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest():
    """Whatever happens in the test, the database ends at the latest migrations, as the next tests expect."""
    yield
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_stored_polish_values_become_english_and_back(back_to_the_latest):
    old = migrate(BEFORE)
    patient = old.get_model("patients", "Patient").objects.create(
        first_name="Jan",
        last_name="Bezpesela",
        document_type="paszport",
        document_number="AB123",
        birth_date="1980-01-01",
        sex="M",
    )
    old.get_model("patients", "OsozCard").objects.create(
        patient_id=patient.pk, number="1" * 18, status="aktywna", source="recznie"
    )
    new = migrate(AFTER)
    assert new.get_model("patients", "Patient").objects.get(pk=patient.pk).document_type == "passport"
    card = new.get_model("patients", "OsozCard").objects.get(patient_id=patient.pk)
    assert (card.status, card.source) == ("active", "manual")
    back = migrate(BEFORE)
    assert back.get_model("patients", "OsozCard").objects.get(patient_id=patient.pk).status == "aktywna"

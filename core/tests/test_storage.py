"""Where the data lives, guarded: the embedded SQLite database is its owner's alone and its audit trail refuses
deletes; on PostgreSQL the application's role can neither truncate the trail nor disable its trigger; production
refuses SQLite."""

import uuid
from secrets import token_urlsafe

import pytest
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from core.db import app_role_grant
from core.models import AuditEvent
from core.services import audit_record
from core.tests.test_settings import PRODUCTION_ENV, run

DELETES = """
import django
django.setup()
from django.db import DatabaseError, connection
from core.models import AuditEvent
from core.services import audit_record
event = audit_record(category="security", action="probe", message="Próba.")
attempts = {
    "instance": lambda: AuditEvent.delete(event),
    "base manager": lambda: AuditEvent._base_manager.all().delete(),
    "raw SQL": lambda: connection.cursor().execute("DELETE FROM core_auditevent"),
}
for name, attempt in attempts.items():
    try:
        attempt()
        print(name, "deleted")
    except DatabaseError as error:
        print(name, "refused:", error)
print("left", AuditEvent.objects.count())
"""


def test_the_embedded_database_is_private_and_keeps_its_audit_trail(tmp_path):
    migrated = run(["manage.py", "migrate", "--no-input", "--verbosity", "0"], tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "poradnia.sqlite3").stat().st_mode & 0o077 == 0
    result = run(DELETES, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all("refused: core_auditevent is append-only (DELETE refused)" in line for line in lines[:3]), lines
    assert lines[3] == "left 1"
    assert not [path for path in tmp_path.glob("poradnia.sqlite3*") if path.stat().st_mode & 0o077]
    # flush, which empties every table (tests, `manage.py flush`), still can.
    flushed = run(["manage.py", "flush", "--no-input"], tmp_path)
    assert flushed.returncode == 0, flushed.stderr


def test_production_refuses_sqlite(tmp_path):
    secrets = {"SECRET_KEY": token_urlsafe(60), "SECRETS_ENCRYPTION_KEYS": token_urlsafe(32)}
    environment = PRODUCTION_ENV | secrets | {"DATABASE_URL": "sqlite:///x.sqlite3"}
    result = run(["manage.py", "check"], tmp_path, **environment)
    assert result.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database when DJANGO_ENV=production." in result.stderr


@pytest.fixture
def app_role(db, settings):
    """A role like production's poradnia_app, granted by the post-migrate step, for this test alone."""
    if connection.vendor != "postgresql":
        pytest.skip("the application role is PostgreSQL's")
    role = f"poradnia_app_{uuid.uuid4().hex[:8]}"
    settings.DATABASE_APP_ROLE = role
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    app_role_grant()
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(sql.SQL("DROP OWNED BY {0}; DROP ROLE {0}").format(sql.Identifier(role)))


def as_role(role, statement):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        cursor.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE core_auditevent",
        "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
        "DELETE FROM core_auditevent",
        "UPDATE core_auditevent SET message = ''",
        "DROP TABLE core_auditevent",
    ],
)
def test_the_application_role_cannot_undo_the_audit_trail(app_role, statement):
    audit_record(category="security", action="probe", message="Próba.")
    with pytest.raises(DatabaseError):
        as_role(app_role, statement)
    assert AuditEvent.objects.count() == 1


def test_the_application_role_reads_writes_and_appends(app_role):
    as_role(app_role, "SELECT count(*) FROM core_auditevent")
    as_role(
        app_role,
        "INSERT INTO core_auditevent (occurred_at, actor_label, category, action, message, object_type, object_id,"
        " object_repr, outcome) VALUES (now(), 'System', 'security', 'probe', 'Próba.', '', '', '', 'success')",
    )
    as_role(app_role, "UPDATE django_session SET expire_date = expire_date")
    assert AuditEvent.objects.count() == 1

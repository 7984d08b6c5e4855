"""Database expressions shared by the apps, transaction locks, and the PostgreSQL application role's rights."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, connections, models
from psycopg import sql

# The application may read and write rows; the audit trail it may only read and append to. TRUNCATE, ALTER (and so
# disabling the append-only trigger) and DROP stay with the owner that runs the migrations.
APP_ROLE_GRANTS = """
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON core_auditevent FROM {role};
"""


def app_role_grant(*, using: str = "default", **_signal) -> None:
    """Give DATABASE_APP_ROLE, the role the product connects as in production, the rights it needs and no more.
    Runs after `migrate` (as the owner); a no-op without the setting or off PostgreSQL."""
    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(APP_ROLE_GRANTS).format(role=sql.Identifier(role)))


class EpochSeconds(models.Func):
    """A timestamp as whole seconds since 1970 (UTC), computed by the database: reading integers is several times
    cheaper than building timezone-aware datetimes row by row, which matters on hot paths such as the slot engine."""

    output_field = models.BigIntegerField()

    @property
    def convert_value(self):
        # Both databases already return an integer here; skipping the per-row int() is most of the saving.
        return self._convert_value_noop

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)")

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps SQLite datetimes as UTC text, which strftime reads directly. The percent sign is doubled twice:
        # once for this template, once for the backend's placeholder conversion.
        return self.as_sql(compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS integer)")


def transaction_locks(namespace: int, ids: Iterable[int]) -> None:
    """Lock (namespace, id) for each id until the transaction ends, in ascending order, so that transactions taking
    several always take them in one order and cannot deadlock on them. PostgreSQL advisory locks; SQLite needs none,
    as its transactions write one at a time (BEGIN IMMEDIATE)."""
    ids = sorted(set(ids))
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, ids.id) FROM (SELECT unnest(%s::integer[]) AS id ORDER BY 1) AS ids",
            [namespace, ids],
        )

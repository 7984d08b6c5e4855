"""Database expressions shared by the apps."""

from django.db import models


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

"""The changes the clinic's structure records for the layers above it (see core.changes)."""

from dataclasses import dataclass

from core.changes import Change


@dataclass(frozen=True)
class LocationChanged(Change):
    """A location, or one of its cells, changed."""

    location_id: int


@dataclass(frozen=True)
class EmployeeChanged(Change):
    """An employee's data, specialisations or cells changed."""

    employee_id: int

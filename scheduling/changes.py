"""The changes schedules and appointments record for the layers above them (see core.changes)."""

from dataclasses import dataclass
from datetime import date, datetime

from core.changes import Change
from core.time import WARSAW


@dataclass(frozen=True)
class ScheduleChanged(Change):
    """A schedule's settings or weekly layout changed."""

    schedule_id: int


@dataclass(frozen=True)
class SlotsChanged(Change):
    """A doctor's free slots changed: a booking, a cancellation, a move, a removed or restored slot."""

    employee_id: int


@dataclass(frozen=True)
class CalendarChanged(Change):
    """What a doctor's calendar shows on a day (Warsaw) changed."""

    employee_id: int
    day: date

    @classmethod
    def at(cls, *, employee_id: int, moment: datetime) -> "CalendarChanged":
        return cls(employee_id=employee_id, day=moment.astimezone(WARSAW).date())


@dataclass(frozen=True)
class AppointmentMoved(Change):
    appointment_id: int


@dataclass(frozen=True)
class AppointmentCancelled(Change):
    """`source` is the channel that cancelled (AppointmentSource): OSOZ's own cancellations need not be told back."""

    appointment_id: int
    source: str

"""The slot engine: free slots of any set of doctors over a date window, from weekly schedule blocks minus busy
intervals (appointments that occupy time, removed slots). Pure computation on plain data, so the calendar, the API,
the OSOZ publication and the portal all share it through `scheduling.selectors.free_slots`.

Times are handled as absolute instants (epoch seconds). A block's wall-clock bounds are placed on the Europe/Warsaw
timeline day by day, and slots are cut in absolute time inside them, so DST change days come out right: on the
spring-forward Sunday a 01:00–04:00 block is two real hours long, on the autumn Sunday it is four.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class WeeklyBlock:
    """One row of a schedule's weekly layout, with the schedule's validity."""

    schedule_id: int
    employee_id: int
    valid_from: date
    valid_to: date | None
    weekday: int  # Monday is 0
    start: time
    end: time
    minutes: int


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    start: int  # epoch seconds
    end: int
    employee_id: int
    schedule_id: int

    @property
    def starts_at(self) -> datetime:
        return EPOCH + timedelta(seconds=self.start)

    @property
    def ends_at(self) -> datetime:
        return EPOCH + timedelta(seconds=self.end)

    @property
    def local_date(self) -> date:
        return self.starts_at.astimezone(WARSAW).date()


def instant(day: date, at: time) -> int:
    """Epoch seconds of a Warsaw wall-clock time. A time that does not exist (the hour skipped in spring) resolves
    forward, as zoneinfo does for fold=0; an ambiguous one (the hour repeated in autumn) takes its first occurrence."""
    return int(datetime.combine(day, at, tzinfo=WARSAW).timestamp())


def to_epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _merged(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _days(date_from: date, date_to: date) -> Iterator[date]:
    day = date_from
    while day <= date_to:
        yield day
        day += timedelta(days=1)


def block_slots(block: WeeklyBlock, day: date) -> Iterator[tuple[int, int]]:
    """The slots one block cuts on one day, whether free or not."""
    start, end = instant(day, block.start), instant(day, block.end)
    step = block.minutes * 60
    for slot_start in range(start, end - step + 1, step):
        yield slot_start, slot_start + step


def slots_compute(
    *,
    blocks: Iterable[WeeklyBlock],
    busy: Iterable[tuple[int, int, int]],
    date_from: date,
    date_to: date,
    not_before: int | None = None,
) -> dict[int, list[Slot]]:
    """Free slots per employee, sorted by start. `busy` holds (employee_id, start, end) intervals in epoch seconds;
    a slot is free when no busy interval overlaps it. Slots starting before `not_before` are left out."""
    by_weekday: dict[int, list[WeeklyBlock]] = defaultdict(list)
    for block in blocks:
        by_weekday[block.weekday].append(block)

    candidates: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for day in _days(date_from, date_to):
        for block in by_weekday.get(day.weekday(), ()):
            if day < block.valid_from or (block.valid_to is not None and day > block.valid_to):
                continue
            employee_candidates = candidates[block.employee_id]
            for start, end in block_slots(block, day):
                employee_candidates.append((start, end, block.schedule_id))

    busy_by_employee: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for employee_id, start, end in busy:
        busy_by_employee[employee_id].append((start, end))

    free: dict[int, list[Slot]] = {}
    for employee_id, employee_candidates in candidates.items():
        employee_candidates.sort()
        intervals = _merged(busy_by_employee.get(employee_id, ()))
        result, j, n = [], 0, len(intervals)
        for start, end, schedule_id in employee_candidates:
            if not_before is not None and start < not_before:
                continue
            while j < n and intervals[j][1] <= start:
                j += 1
            if j < n and intervals[j][0] < end:
                continue
            result.append(Slot(start, end, employee_id, schedule_id))
        free[employee_id] = result
    return free


def first_free_per_day(slots: Iterable[Slot], *, schedule_ids: set[int]) -> list[Slot]:
    """'Wybieraj pierwszy wolny termin' (SCH-3): for the given schedules only the first free slot of each day is
    offered; once it is booked the next free one becomes the first. Other schedules' slots pass through."""
    seen: set[tuple[int, date]] = set()
    offered = []
    for slot in sorted(slots):
        if slot.schedule_id in schedule_ids:
            key = (slot.schedule_id, slot.local_date)
            if key in seen:
                continue
            seen.add(key)
        offered.append(slot)
    return offered

"""The slot engine: free slots of any set of doctors over a date window, from weekly schedule blocks minus busy
intervals (appointments that occupy time, removed slots). Pure computation on plain data, so the calendar, the API,
the OSOZ publication and the portal all share it through `scheduling.selectors.free_slots`.

Times are handled as absolute instants (epoch seconds). A block's wall-clock bounds are placed on the Europe/Warsaw
timeline day by day, and slots are cut in absolute time inside them, so DST change days come out right: on the
spring-forward Sunday a 01:00–04:00 block is two real hours long, on the autumn Sunday it is four.

The slots cut here are the only times that may be booked: a visit starts a whole number of visit lengths after its
block's start and lasts one visit. A start off this grid is refused by every channel alike
(`scheduling.services.bookings_check`), so no visit can straddle two slots and block both.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from core.time import WARSAW

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


class Slot(NamedTuple):
    """A tuple, not a dataclass, because tuples are the cheapest objects to build; slots order by start, then end,
    employee and schedule."""

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


# Building the tuples directly skips NamedTuple's generated __new__: the engine makes ~100k slots per 8-week window.
_slot = tuple.__new__


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


def block_slots(day: date, *, start: time, end: time, minutes: int) -> Iterator[tuple[int, int]]:
    """The slots a block from `start` to `end` in visits of `minutes` cuts on one day, whether free or not: the grid
    `slots_compute` cuts free slots from, and the only times that may be booked."""
    first, last = instant(day, start), instant(day, end)
    step = minutes * 60
    for slot_start in range(first, last - step + 1, step):
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
    a slot is free when no busy interval overlaps it. Slots starting before `not_before` are left out.

    One pass per employee: days in order and, within a day, blocks by start time come in increasing order, so a
    single pointer walks the merged busy intervals alongside them, and the free runs between them are cut at once."""
    weekly: dict[int, dict[int, list[WeeklyBlock]]] = defaultdict(lambda: defaultdict(list))
    for block in blocks:
        weekly[block.employee_id][block.weekday].append(block)
    busy_by_employee: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for employee_id, start, end in busy:
        busy_by_employee[employee_id].append((start, end))
    days = list(_days(date_from, date_to))
    floor = not_before if not_before is not None else -(2**62)
    instants: dict[tuple[date, time], int] = {}

    def at(day: date, moment: time) -> int:
        key = (day, moment)
        if key not in instants:
            instants[key] = instant(day, moment)
        return instants[key]

    free: dict[int, list[Slot]] = {}
    for employee_id, by_weekday in weekly.items():
        for day_blocks in by_weekday.values():
            day_blocks.sort(key=lambda block: block.start)
        intervals = _merged(busy_by_employee.get(employee_id, ()))
        ends = [end for _start, end in intervals]
        n, j, previous_end = len(intervals), 0, None
        result: list[Slot] = []
        for day in days:
            for block in by_weekday.get(day.weekday(), ()):
                if day < block.valid_from or (block.valid_to is not None and day > block.valid_to):
                    continue
                step, schedule_id = block.minutes * 60, block.schedule_id
                first, block_end = at(day, block.start), at(day, block.end)
                if previous_end is not None and first < previous_end:
                    j = bisect_right(ends, first)  # overlapping layouts (refused on save) would run backwards
                previous_end = block_end
                if floor > first:
                    first += -(-(floor - first) // step) * step  # the block's first slot at or after not_before
                while j < n and ends[j] <= first:
                    j += 1
                # Walk the gaps between busy intervals: each gap yields a run of whole slots of the block's grid.
                position = j
                while first + step <= block_end:
                    stop = block_end
                    if position < n and intervals[position][0] < block_end:
                        stop = intervals[position][0]
                    if stop - step >= first:
                        result.extend(
                            [
                                _slot(Slot, (start, start + step, employee_id, schedule_id))
                                for start in range(first, stop - step + 1, step)
                            ]
                        )
                    if stop == block_end:
                        break
                    busy_end = intervals[position][1]
                    if busy_end > first:
                        first += -(-(busy_end - first) // step) * step
                    position += 1
        free[employee_id] = result
    return free

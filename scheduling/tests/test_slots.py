from datetime import date, datetime, time

import pytest

from core.time import WARSAW
from scheduling.slots import Slot, WeeklyBlock, block_slots, instant, slots_compute, to_epoch

# The change days of 2026 and of a later year: the last Sundays of March (02:00 CET -> 03:00 CEST) and of October
# (03:00 CEST -> 02:00 CET).
SPRING_FORWARD = [date(2026, 3, 29), date(2027, 3, 28)]
FALL_BACK = [date(2026, 10, 25), date(2027, 10, 31)]
MONDAY = date(2026, 11, 23)


def block(weekday, start, end, minutes=30, *, employee=1, schedule=10, valid_from=date(2026, 1, 1), valid_to=None):
    return WeeklyBlock(schedule, employee, valid_from, valid_to, weekday, time(*start), time(*end), minutes)


def local(slot: Slot) -> str:
    return slot.starts_at.astimezone(WARSAW).strftime("%H:%M%z")


def compute(blocks, busy=(), date_from=MONDAY, date_to=None, **kwargs):
    return slots_compute(blocks=blocks, busy=busy, date_from=date_from, date_to=date_to or date_from, **kwargs)


def test_a_block_is_cut_into_whole_visits():
    slots = compute([block(0, (8, 0), (10, 10), minutes=30)])[1]
    assert [local(s) for s in slots] == ["08:00+0100", "08:30+0100", "09:00+0100", "09:30+0100"]
    assert all(s.end - s.start == 1800 for s in slots)


def test_only_the_blocks_weekday_and_validity_count():
    blocks = [block(0, (8, 0), (9, 0), valid_from=date(2026, 11, 24)), block(1, (8, 0), (9, 0), schedule=11)]
    slots = compute(blocks, date_from=MONDAY, date_to=date(2026, 12, 7))[1]
    assert {s.local_date for s in slots} == {
        date(2026, 11, 24),
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 7),
    }
    ended = block(0, (8, 0), (9, 0), valid_to=date(2026, 11, 29))
    assert {s.local_date for s in compute([ended], date_to=date(2026, 12, 7))[1]} == {MONDAY}


@pytest.mark.parametrize("day", SPRING_FORWARD)
def test_spring_forward_night_block_has_two_real_hours(day):
    slots = compute([block(6, (1, 0), (4, 0), minutes=60)], date_from=day)[1]
    assert [local(s) for s in slots] == ["01:00+0100", "03:00+0200"]


@pytest.mark.parametrize("day", FALL_BACK)
def test_fall_back_night_block_has_four_real_hours(day):
    slots = compute([block(6, (1, 0), (4, 0), minutes=60)], date_from=day)[1]
    assert [local(s) for s in slots] == ["01:00+0200", "02:00+0200", "02:00+0100", "03:00+0100"]


@pytest.mark.parametrize(
    ("day", "offset"), [*((day, "+0200") for day in SPRING_FORWARD), *((day, "+0100") for day in FALL_BACK)]
)
def test_day_blocks_on_dst_days_keep_their_wall_clock_times(day, offset):
    slots = compute([block(6, (8, 0), (9, 0), minutes=20)], date_from=day)[1]
    assert [local(s) for s in slots] == [f"08:00{offset}", f"08:20{offset}", f"08:40{offset}"]


def test_busy_intervals_remove_every_slot_they_touch():
    start = instant(MONDAY, time(8, 0))
    busy = [
        (1, start + 600, start + 1200),  # 08:10-08:20 falls inside the 08:00 slot
        (1, start + 3600, start + 5400),  # 09:00-09:30 exactly one slot
        (2, start, start + 7200),  # another doctor: no effect
    ]
    slots = compute([block(0, (8, 0), (10, 0))], busy=busy)[1]
    assert [local(s) for s in slots] == ["08:30+0100", "09:30+0100"]


def test_overlapping_and_unsorted_busy_intervals():
    start = instant(MONDAY, time(8, 0))
    busy = [(1, start + 3600, start + 3700), (1, start, start + 5000), (1, start + 100, start + 200)]
    slots = compute([block(0, (8, 0), (10, 0))], busy=busy)[1]
    assert [local(s) for s in slots] == ["09:30+0100"]


def test_past_slots_are_not_offered():
    now = to_epoch(datetime(2026, 11, 23, 9, 10, tzinfo=WARSAW))
    slots = compute([block(0, (8, 0), (10, 0))], not_before=now)[1]
    assert [local(s) for s in slots] == ["09:30+0100"]


def test_several_doctors_at_once():
    free = compute([block(0, (8, 0), (9, 0), employee=1), block(0, (12, 0), (13, 0), employee=2, schedule=20)])
    assert {employee: len(slots) for employee, slots in free.items()} == {1: 2, 2: 2}


@pytest.mark.parametrize("day", [MONDAY, *SPRING_FORWARD, *FALL_BACK])
def test_free_slots_are_cut_from_the_blocks_grid_whatever_is_busy(day):
    night = block(day.weekday(), (1, 0), (5, 0), minutes=45)
    grid = list(block_slots(day, start=night.start, end=night.end, minutes=night.minutes))
    stray = (1, grid[1][0] + 600, grid[1][0] + 900)  # busy inside the second slot, off the grid
    free = compute([night], busy=[stray], date_from=day)[1]
    assert [(slot.start, slot.end) for slot in free] == [grid[0], *grid[2:]]

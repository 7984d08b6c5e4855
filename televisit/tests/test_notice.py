from datetime import UTC, datetime

import pytest
from django.utils import translation

from core.time import WARSAW
from scheduling.models import Appointment
from televisit.selectors import televisit_notice


def notice(starts_at, now):
    return televisit_notice(appointment=Appointment(starts_at=starts_at), now=now)


def test_the_manuals_example():
    assert notice(datetime(2020, 4, 10, 9, tzinfo=WARSAW), datetime(2020, 4, 8, 16, tzinfo=WARSAW)) == (
        "Konsultacja zaplanowana jest za 2 dni, na 10 kwietnia 2020, o godzinie 9:00"
    )


@pytest.mark.parametrize(
    ("day", "words"),
    [(2, "1 dzień"), (3, "2 dni"), (6, "5 dni"), (23, "22 dni"), (26, "25 dni")],
)
def test_days_take_their_polish_plural(day, words):
    text = notice(datetime(2027, 3, day, 14, 30, tzinfo=WARSAW), datetime(2027, 3, 1, 23, 59, tzinfo=WARSAW))
    assert text.startswith(f"Konsultacja zaplanowana jest za {words}, na {day} marca 2027, o godzinie 14:30")


def test_days_are_counted_in_warsaw_dates():
    # 23:30 UTC on 1 March is already 2 March in Warsaw: a visit on the 3rd is tomorrow there, not in two days.
    now = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)
    assert "za 1 dzień" in notice(datetime(2027, 3, 3, 10, tzinfo=WARSAW), now)


def test_a_visit_today_or_past_has_no_notice():
    now = datetime(2027, 3, 1, 8, tzinfo=WARSAW)
    assert notice(datetime(2027, 3, 1, 23, tzinfo=WARSAW), now) == ""
    assert notice(datetime(2027, 2, 27, 9, tzinfo=WARSAW), now) == ""


def test_english():
    with translation.override("en"):
        text = notice(datetime(2020, 4, 10, 9, tzinfo=WARSAW), datetime(2020, 4, 9, 9, tzinfo=WARSAW))
    assert text == "The consultation is scheduled in 1 day, on 10 April 2020, at 9:00"

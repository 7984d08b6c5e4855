from dataclasses import dataclass

import pytest
from django.db import connection, transaction

from core.changes import Change, changes_collect, changes_record

pytestmark = pytest.mark.django_db

heard: list[tuple[str, list[Change], bool]] = []


@dataclass(frozen=True)
class Booked(Change):
    employee_id: int


def first(changes):
    heard.append(("first", changes, connection.in_atomic_block))


def second(changes):
    heard.append(("second", changes, connection.in_atomic_block))


@pytest.fixture(autouse=True)
def listeners(settings):
    settings.CHANGE_LISTENERS = [f"{__name__}.first", f"{__name__}.second"]
    heard.clear()


def test_a_record_outside_a_block_is_heard_at_once_by_every_listener_in_order():
    with transaction.atomic():
        changes_record(Booked(1))
        assert heard == [("first", [Booked(1)], True), ("second", [Booked(1)], True)]


def test_a_block_is_heard_once_when_it_ends_with_each_change_once_in_order():
    with transaction.atomic(), changes_collect():
        changes_record(Booked(2), Booked(1))
        with changes_collect():
            changes_record(Booked(2), Booked(3))
        assert heard == []
    assert [changes for _name, changes, _atomic in heard] == [[Booked(2), Booked(1), Booked(3)]] * 2


def test_a_block_that_raises_is_not_heard():
    with pytest.raises(ZeroDivisionError), changes_collect():
        changes_record(Booked(1))
        1 / 0  # noqa: B018
    assert heard == []
    changes_record(Booked(4))
    assert heard[0][1] == [Booked(4)], "the failed block left nothing behind for the next one"

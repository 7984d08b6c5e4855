from datetime import date, time

import pytest

from clinic.models import EmployeeCell
from core.errors import DomainError
from core.models import AuditEvent
from scheduling.models import Schedule
from scheduling.services import BlockSpec, schedule_osoz_unavailable_reason, schedule_save
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db

TUESDAY = [BlockSpec(1, time(8), time(12), 15)]


def new_schedule(existing, **kwargs):
    values = {"employee": existing.employee, "cell": existing.cell, "valid_from": date(2027, 1, 1), "is_nfz": False}
    return Schedule(**(values | kwargs))


@pytest.fixture
def existing():
    return ScheduleFactory(blocks=[(0, time(8), time(12), 20)])


def test_a_schedule_is_saved_with_its_blocks_and_audited(existing, alice):
    schedule = schedule_save(
        schedule=new_schedule(existing), blocks=[BlockSpec(1, time(14), time(18), 30)], actor=alice
    )
    assert list(schedule.blocks.values_list("weekday", "visit_minutes")) == [(1, 30)]
    assert AuditEvent.objects.filter(action="schedule_created", actor=alice).exists()


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([], "co najmniej jeden blok"),
        ([BlockSpec(1, time(12), time(8), 15)], "przez północ"),
        ([BlockSpec(1, time(8), time(9), 90)], "Długość wizyty"),
        ([BlockSpec(1, time(8), time(10), 15), BlockSpec(1, time(9), time(11), 15)], "nakładają się na siebie"),
        ([BlockSpec(0, time(11), time(13), 15)], "inny harmonogram"),
    ],
)
def test_bad_layouts_are_refused_and_nothing_changes(existing, alice, blocks, message):
    with pytest.raises(DomainError, match=message):
        schedule_save(schedule=new_schedule(existing), blocks=blocks, actor=alice)
    assert Schedule.objects.count() == 1


def test_a_later_schedule_may_reuse_the_same_hours(existing, alice):
    existing.valid_to = date(2026, 12, 31)
    existing.save()
    same_hours = [BlockSpec(0, time(8), time(12), 15)]
    assert schedule_save(schedule=new_schedule(existing), blocks=same_hours, actor=alice).pk


def test_osoz_settings_need_an_osoz_employee_and_a_published_cell(existing, alice):
    employee = existing.employee
    employee.osoz_enabled = False
    employee.save()
    assert "Rejestracja online w systemie OSOZ" in schedule_osoz_unavailable_reason(
        employee=employee, cell=existing.cell
    )
    with pytest.raises(DomainError, match="Ustawienia OSOZ są niedostępne"):
        schedule_save(schedule=new_schedule(existing, osoz_online=True), blocks=TUESDAY, actor=alice)

    employee.osoz_enabled = True
    employee.save()
    assert "Komórki przekazywane do OSOZ" in schedule_osoz_unavailable_reason(employee=employee, cell=existing.cell)
    EmployeeCell.objects.filter(employee=employee).update(osoz_published=True)
    assert schedule_osoz_unavailable_reason(employee=employee, cell=existing.cell) is None
    assert schedule_save(schedule=new_schedule(existing, osoz_online=True), blocks=TUESDAY, actor=alice).pk


def test_televisit_options_need_osoz_and_exclude_each_other(existing, alice):
    EmployeeCell.objects.filter(employee=existing.employee).update(osoz_published=True)
    existing.employee.osoz_enabled = True
    existing.employee.save()
    with pytest.raises(DomainError, match="wymagają zaznaczenia"):
        schedule_save(schedule=new_schedule(existing, televisit_possible=True), blocks=TUESDAY, actor=alice)
    both = new_schedule(existing, osoz_online=True, televisit_possible=True, televisit_only=True)
    with pytest.raises(DomainError, match="nie obie naraz"):
        schedule_save(schedule=both, blocks=TUESDAY, actor=alice)

import re
from datetime import time

import pytest
from django.urls import reverse

from clinic.models import EmployeeCell
from clinic.tests.factories import CellFactory, EmployeeFactory
from core.models import AuditEvent
from scheduling.models import Schedule
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cell():
    return CellFactory(name="Poradnia Kardiologiczna")


@pytest.fixture
def doctor(cell):
    return EmployeeFactory(first_name="Magdalena", last_name="Kowalczyk", osoz_cells=[cell])


def new_url(employee):
    return reverse("scheduling:schedule_edit", kwargs={"employee_pk": employee.pk})


def form_data(cell, blocks, initial=0, **extra):
    data = {
        "cell": cell.pk,
        "valid_from": "2027-01-01",
        "valid_to": "",
        "blocks-TOTAL_FORMS": len(blocks),
        "blocks-INITIAL_FORMS": initial,
        "blocks-MIN_NUM_FORMS": 0,
        "blocks-MAX_NUM_FORMS": 1000,
    }
    for index, (weekday, start, end, minutes) in enumerate(blocks):
        data |= {
            f"blocks-{index}-weekday": weekday,
            f"blocks-{index}-start_time": start,
            f"blocks-{index}-end_time": end,
            f"blocks-{index}-visit_minutes": minutes,
        }
    return data | extra


def input_tag(page: str, attribute: str) -> str:
    """The <input> element carrying the attribute, e.g. 'value="televisit_only"', as rendered."""
    return re.search(rf"<input[^>]*{re.escape(attribute)}[^>]*>", page).group(0)


def test_the_list_shows_every_doctors_schedules_to_reception_and_administrators_and_a_doctor_his_own(
    client_for, alice, bob, carol_schedule, dave, doctor
):
    schedule = ScheduleFactory(employee=doctor, cell=doctor.cells.first())
    url = reverse("scheduling:schedule_list", kwargs={"employee_pk": doctor.pk})
    for user in (alice, bob):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert "Poradnia Kardiologiczna" in response.content.decode()
    carol = client_for(carol_schedule.employee.user)
    own = carol.get(reverse("scheduling:schedule_list", kwargs={"employee_pk": carol_schedule.employee_id}))
    assert own.status_code == 200 and carol_schedule.cell.name in own.content.decode()
    # Another doctor's schedules are not found, by the page as by the API.
    assert carol.get(url).status_code == 404
    assert carol.get(reverse("schedule-detail", kwargs={"pk": schedule.pk})).status_code == 404
    assert client_for(dave).get(url).status_code == 403


def test_the_employee_list_links_a_doctor_to_his_own_schedules_only(client_for, bob, carol_schedule, doctor):
    mine = reverse("scheduling:schedule_list", kwargs={"employee_pk": carol_schedule.employee_id})
    theirs = reverse("scheduling:schedule_list", kwargs={"employee_pk": doctor.pk})
    page = client_for(carol_schedule.employee.user).get(reverse("clinic:employee_list")).content.decode()
    assert mine in page and theirs not in page
    page = client_for(bob).get(reverse("clinic:employee_list")).content.decode()
    assert mine in page and theirs in page


def test_only_an_administrator_adds_or_changes_schedules(client_for, bob, carol, dave, doctor):
    schedule = ScheduleFactory(employee=doctor, cell=doctor.cells.first())
    edit = reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk})
    for user in (bob, carol, dave):
        client = client_for(user)
        assert client.get(new_url(doctor)).status_code == 403
        assert client.post(edit, {}).status_code == 403
        assert client.get(reverse("scheduling:schedule_edit_block")).status_code == 403


def test_an_administrator_adds_a_schedule_with_two_blocks(client_for, alice, doctor, cell):
    data = form_data(cell, [(0, "08:00", "12:00", 20), (2, "14:00", "18:00", 30)], is_nfz="on")
    response = client_for(alice).post(new_url(doctor), data)
    assert response.status_code == 302
    schedule = Schedule.objects.get(employee=doctor)
    assert schedule.is_nfz and not schedule.osoz_online
    assert list(schedule.blocks.values_list("weekday", "start_time", "visit_minutes")) == [
        (0, time(8), 20),
        (2, time(14), 30),
    ]
    assert AuditEvent.objects.filter(action="schedule_created", actor=alice).exists()


def test_editing_replaces_the_layout_and_drops_rows_marked_for_deletion(client_for, alice, doctor, cell):
    layout = [(0, time(8), time(12), 20), (1, time(8), time(12), 20)]
    schedule = ScheduleFactory(employee=doctor, cell=cell, blocks=layout)
    rows = [(0, "08:00", "12:00", 20), (1, "08:00", "12:00", 20), ("", "", "", "")]
    data = form_data(cell, rows, initial=2, **{"blocks-1-DELETE": "on"})
    response = client_for(alice).post(reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk}), data)
    assert response.status_code == 302
    assert list(schedule.blocks.values_list("weekday", flat=True)) == [0]


def test_an_overlapping_schedule_is_refused_with_a_clear_error_and_nothing_saved(client_for, alice, doctor, cell):
    ScheduleFactory(employee=doctor, cell=cell, blocks=[(0, time(8), time(12), 20)])
    data = form_data(cell, [(0, "11:00", "14:00", 20)])
    response = client_for(alice).post(new_url(doctor), data)
    assert response.status_code == 200
    assert "Bloki nakładają się na inny harmonogram tego pracownika" in response.content.decode()
    assert Schedule.objects.filter(employee=doctor).count() == 1


def test_blocks_of_one_form_overlapping_each_other_are_refused(client_for, alice, doctor, cell):
    data = form_data(cell, [(3, "08:00", "12:00", 20), (3, "09:00", "10:00", 20)])
    response = client_for(alice).post(new_url(doctor), data)
    assert "Bloki rozkładu tygodniowego nakładają się na siebie." in response.content.decode()
    assert not Schedule.objects.exists()


def test_osoz_settings_are_disabled_with_the_reason_when_the_employee_is_not_in_osoz(client_for, alice, cell):
    employee = EmployeeFactory(osoz_enabled=False, cells=[cell])
    page = client_for(alice).get(new_url(employee)).content.decode()
    assert "nie zaznaczono opcji „Rejestracja online w systemie OSOZ”" in page
    assert " disabled" in input_tag(page, 'name="osoz_online"')


def test_osoz_settings_follow_the_chosen_cell(client_for, alice, doctor, cell):
    """The section is re-rendered through htmx when the cell changes: a cell not passed to OSOZ disables it."""
    private_cell = CellFactory(name="Gabinet Zabiegowy")
    EmployeeCell.objects.create(employee=doctor, cell=private_cell, osoz_published=False)
    url = reverse("scheduling:schedule_edit_osoz", kwargs={"employee_pk": doctor.pk})
    client = client_for(alice)
    closed = client.get(url, {"cell": private_cell.pk}).content.decode()
    assert "komórka „Gabinet Zabiegowy” nie jest zaznaczona" in closed
    opened = client.get(url, {"cell": cell.pk}).content.decode()
    assert "nie jest zaznaczona" not in opened
    assert " disabled" not in input_tag(opened, 'name="osoz_online"')


def test_saving_with_osoz_unavailable_switches_the_osoz_settings_off(client_for, alice, doctor, cell):
    private_cell = CellFactory()
    EmployeeCell.objects.create(employee=doctor, cell=private_cell, osoz_published=False)
    data = form_data(private_cell, [(0, "08:00", "12:00", 20)], osoz_online="on", attributes=["first_free_only"])
    assert client_for(alice).post(new_url(doctor), data).status_code == 302
    schedule = Schedule.objects.get(employee=doctor)
    assert not schedule.osoz_online and not schedule.first_free_only


def test_televisit_attributes_are_offered_only_with_online_registration(client_for, alice, doctor, cell):
    url = reverse("scheduling:schedule_edit_osoz", kwargs={"employee_pk": doctor.pk})
    client = client_for(alice)
    without = client.get(url, {"cell": cell.pk}).content.decode()
    assert " disabled" in input_tag(without, 'value="televisit_possible"')
    assert " disabled" in input_tag(without, 'value="televisit_only"')
    assert " disabled" not in input_tag(without, 'value="first_free_only"')
    exclusive = client.get(url, {"cell": cell.pk, "osoz_online": "on", "attributes": "televisit_only"}).content.decode()
    assert " disabled" in input_tag(exclusive, 'value="televisit_possible"')
    assert " disabled" not in input_tag(exclusive, 'value="televisit_only"')


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"osoz_online": "on", "attributes": ["televisit_possible", "televisit_only"]}, "nie obie naraz"),
        ({"attributes": ["televisit_possible"]}, "wymagają zaznaczenia „Rejestracja on-line (OSOZ)”"),
    ],
)
def test_televisit_rules_are_refused_by_the_form(client_for, alice, doctor, cell, extra, message):
    data = form_data(cell, [(0, "08:00", "12:00", 20)], **extra)
    response = client_for(alice).post(new_url(doctor), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Schedule.objects.exists()


def test_a_televisit_schedule_is_saved_with_online_registration(client_for, alice, doctor, cell):
    data = form_data(
        cell,
        [(4, "12:00", "14:00", 30)],
        osoz_online="on",
        osoz_requirement="Prosimy o wyniki badań.",
        attributes=["televisit_only", "first_free_only"],
    )
    assert client_for(alice).post(new_url(doctor), data).status_code == 302
    schedule = Schedule.objects.get(employee=doctor)
    assert schedule.osoz_online and schedule.televisit_only and schedule.first_free_only
    assert not schedule.televisit_possible and schedule.osoz_requirement == "Prosimy o wyniki badań."


def test_add_block_returns_the_next_row_and_the_new_total(client_for, alice):
    response = client_for(alice).get(reverse("scheduling:schedule_edit_block"), {"blocks-TOTAL_FORMS": "2"})
    page = response.content.decode()
    assert 'name="blocks-2-weekday"' in page
    assert 'name="blocks-TOTAL_FORMS" value="3"' in page and 'hx-swap-oob="true"' in page


def test_the_employee_page_links_to_the_schedules(client_for, alice, doctor):
    page = client_for(alice).get(reverse("clinic:employee_edit", kwargs={"pk": doctor.pk})).content.decode()
    assert reverse("scheduling:schedule_list", kwargs={"employee_pk": doctor.pk}) in page


def test_a_televisit_schedule_is_taken_off_line_in_one_save(client_for, alice, doctor, cell):
    schedule = ScheduleFactory(employee=doctor, cell=cell, osoz_online=True, televisit_possible=True)
    data = form_data(cell, [(0, "08:00", "12:00", 20)], initial=1)
    response = client_for(alice).post(reverse("scheduling:schedule_edit", kwargs={"pk": schedule.pk}), data)
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert not schedule.osoz_online and not schedule.televisit_possible

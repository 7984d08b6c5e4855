from datetime import date, datetime, time, timedelta

import factory

from clinic.models import EmployeeCell
from clinic.tests.factories import CellFactory, EmployeeFactory
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling.models import Appointment, AppointmentSource, Schedule, ScheduleBlock


class ScheduleFactory(factory.django.DjangoModelFactory):
    """A weekday schedule, 08:00–12:00 in 20-minute visits, from 2026-01-01 on, in a cell the doctor works in. With
    osoz_online=True it is offered online (SCH-2): the cell is passed to OSOZ too."""

    class Meta:
        model = Schedule
        skip_postgeneration_save = True

    employee = factory.SubFactory(EmployeeFactory)
    cell = factory.SubFactory(CellFactory)
    valid_from = date(2026, 1, 1)
    valid_to = None
    is_nfz = True

    @factory.post_generation
    def works_in_cell(self, create, extracted, **kwargs):
        if create:
            EmployeeCell.objects.get_or_create(
                employee=self.employee, cell=self.cell, defaults={"osoz_published": bool(extracted) or self.osoz_online}
            )

    @factory.post_generation
    def blocks(self, create, extracted, **kwargs):
        if not create:
            return
        layout = extracted if extracted is not None else [(weekday, time(8), time(12), 20) for weekday in range(5)]
        ScheduleBlock.objects.bulk_create(
            ScheduleBlock(schedule=self, weekday=w, start_time=s, end_time=e, visit_minutes=m) for w, s, e, m in layout
        )


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A booked appointment inserted directly (not through appointment_book), 20 minutes, each one after the
    previous from Monday 2027-01-04 08:00 Warsaw on, so that none of them overlap."""

    class Meta:
        model = Appointment

    schedule = factory.SubFactory(ScheduleFactory)
    employee = factory.SelfAttribute("schedule.employee")
    cell = factory.SelfAttribute("schedule.cell")
    patient = factory.SubFactory(PatientFactory)
    starts_at = factory.Sequence(lambda n: datetime(2027, 1, 4, 8, tzinfo=WARSAW) + timedelta(minutes=20 * n))
    ends_at = factory.LazyAttribute(lambda appointment: appointment.starts_at + timedelta(minutes=20))
    source = AppointmentSource.CALENDAR
    is_nfz = factory.SelfAttribute("schedule.is_nfz")
    booked_by_label = "Bogdan Rejestrator (bob)"

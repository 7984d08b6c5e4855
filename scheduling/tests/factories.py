from datetime import date, time

import factory

from clinic.models import EmployeeCell
from clinic.tests.factories import CellFactory, EmployeeFactory
from scheduling.models import Schedule, ScheduleBlock


class ScheduleFactory(factory.django.DjangoModelFactory):
    """A weekday schedule, 08:00–12:00 in 20-minute visits, from 2026-01-01 on, in a cell the doctor works in."""

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
                employee=self.employee, cell=self.cell, defaults={"osoz_published": bool(extracted)}
            )

    @factory.post_generation
    def blocks(self, create, extracted, **kwargs):
        if not create:
            return
        layout = extracted if extracted is not None else [(weekday, time(8), time(12), 20) for weekday in range(5)]
        ScheduleBlock.objects.bulk_create(
            ScheduleBlock(schedule=self, weekday=w, start_time=s, end_time=e, visit_minutes=m) for w, s, e, m in layout
        )

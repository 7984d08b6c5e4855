"""Reads of the clinic structure for Struktura > Lokalizacja and Struktura > Pracownicy."""

from django.db.models import Count, Prefetch, Q, QuerySet

from clinic.models import Cell, Clinic, Employee, EmployeeCell, Location


def clinic_get() -> Clinic:
    """The clinic's single row; made on first use so that a fresh or flushed database needs no fixture."""
    clinic, _ = Clinic.objects.get_or_create(pk=Clinic.SINGLETON_ID)
    return clinic


def location_list() -> QuerySet[Location]:
    return Location.objects.prefetch_related("cells").annotate(
        visible_doctor_count=Count(
            "cells__employee_cells__employee",
            filter=Q(cells__employee_cells__osoz_published=True, cells__employee_cells__employee__osoz_enabled=True),
            distinct=True,
        )
    )


def location_visible_doctors(*, location: Location) -> QuerySet[Employee]:
    """Employees OSOZ shows in this location: OSOZ-enabled, in one of its cells that is passed to OSOZ (STR-5)."""
    return Employee.objects.filter(
        osoz_enabled=True, employee_cells__cell__location=location, employee_cells__osoz_published=True
    ).distinct()


def cell_choices() -> QuerySet[Cell]:
    return Cell.objects.select_related("location")


def employee_list(*, text: str = "") -> QuerySet[Employee]:
    """Employees whose name, title or specialisations (own or OSOZ) contain the text."""
    employees = Employee.objects.all()
    for word in text.split():
        employees = employees.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(title__icontains=word)
            | Q(specialisations_text__icontains=word)
            | Q(osoz_specialisations__name__icontains=word)
        )
    return employees.distinct().prefetch_related(
        "osoz_specialisations",
        Prefetch("employee_cells", queryset=EmployeeCell.objects.select_related("cell__location")),
    )

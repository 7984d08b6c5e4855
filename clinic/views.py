"""Struktura > Lokalizacja and Struktura > Pracownicy: thin views over clinic.services and clinic.selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clinic import selectors, services
from clinic.forms import CellForm, EmployeeForm, LocationForm
from clinic.models import Address, Cell, Employee, Location
from core.forms import errors_to_form
from core.permissions import any_permission_required


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _save(form, write) -> bool:
    """Run a service on a valid form; the service's validation errors are shown on the form, nothing is saved."""
    if not form.is_valid():
        return False
    try:
        write()
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    return True


@permission_required("clinic.view_location", raise_exception=True)
@require_GET
def location_list(request):
    return render(
        request, "clinic/location_list.html", {"locations": selectors.location_list(), "clinic": selectors.clinic_get()}
    )


@any_permission_required("clinic.add_location", "clinic.change_location")
@require_http_methods(["GET", "POST"])
def location_edit(request, pk=None):
    _require(request.user, "clinic.change_location" if pk else "clinic.add_location")
    location = get_object_or_404(Location, pk=pk) if pk else Location()
    clinic = selectors.clinic_get()
    form = LocationForm(request.POST or None, instance=location, clinic=clinic)
    had_key = bool(location.public_key_pem)
    saved = {}

    def write():
        if location.pk:
            saved["location"] = services.location_update(
                location=location, data=form.cleaned_data, actor=request.user, request=request
            )
        else:
            saved["location"] = services.location_create(data=form.cleaned_data, actor=request.user, request=request)
        saved["new_key"] = not had_key and bool(saved["location"].public_key_pem)

    if request.method == "POST" and _save(form, write):
        messages.success(request, _("Zapisano lokalizację „%(name)s”.") % {"name": saved["location"].name})
        if saved["new_key"]:
            messages.success(request, _("Wygenerowano klucz publiczny lokalizacji."))
        return redirect("clinic:location_edit", pk=saved["location"].pk)
    # After a refused save the page shows the stored location's key and cells, not the rejected input's.
    stored = Location.objects.filter(pk=location.pk).first() if location.pk else None
    context = {"form": form, "location": stored, "clinic": clinic}
    return render(request, "clinic/location_edit.html", context)


@permission_required("clinic.change_location", raise_exception=True)
@require_GET
def location_address(request, pk):
    """htmx: the address fields filled from the cell picked in "Adres z komórki"; what the cell lacks is kept."""
    location = get_object_or_404(Location, pk=pk)
    typed = {name: request.GET.get(name, "") for name in Address.ADDRESS_FIELDS}
    cell_id = request.GET.get("address_cell", "")
    cell = location.cells.filter(pk=cell_id).first() if cell_id.isdigit() else None
    if cell is not None:
        typed.update({name: getattr(cell, name) for name in Address.ADDRESS_FIELDS if getattr(cell, name)})
    form = LocationForm(instance=location, initial=typed, clinic=selectors.clinic_get())
    context = {"form": form, "cell": cell}
    return render(request, "clinic/location_edit_address.html", context)


@any_permission_required("clinic.add_cell", "clinic.change_cell")
@require_http_methods(["GET", "POST"])
def cell_edit(request, pk=None, location_pk=None):
    _require(request.user, "clinic.change_cell" if pk else "clinic.add_cell")
    cell = get_object_or_404(Cell.objects.select_related("location"), pk=pk) if pk else None
    location = cell.location if cell else get_object_or_404(Location, pk=location_pk)
    form = CellForm(request.POST or None, instance=cell or Cell(location=location))

    def write():
        if cell:
            services.cell_update(cell=cell, data=form.cleaned_data, actor=request.user, request=request)
        else:
            services.cell_create(location=location, data=form.cleaned_data, actor=request.user, request=request)

    if request.method == "POST" and _save(form, write):
        messages.success(request, _("Zapisano komórkę „%(name)s”.") % {"name": form.cleaned_data["name"]})
        return redirect("clinic:location_edit", pk=location.pk)
    return render(request, "clinic/cell_edit.html", {"form": form, "cell": cell, "location": location})


@permission_required("clinic.view_employee", raise_exception=True)
@require_GET
def employee_list(request):
    text = request.GET.get("q", "").strip()[:100]
    context = {"employees": selectors.employee_list(text=text), "q": text}
    template = "clinic/employee_list_rows.html" if request.htmx else "clinic/employee_list.html"
    return render(request, template, context)


@any_permission_required("clinic.add_employee", "clinic.change_employee")
@require_http_methods(["GET", "POST"])
def employee_edit(request, pk=None):
    _require(request.user, "clinic.change_employee" if pk else "clinic.add_employee")
    employee = get_object_or_404(Employee, pk=pk) if pk else None
    form = EmployeeForm(request.POST or None, instance=employee)
    saved = {}

    def write():
        data = form.cleaned_data
        relations = {
            "specialisations": data["osoz_specialisations"],
            "cells": data["cells"],
            "osoz_cells": data["osoz_cells"],
        }
        if employee:
            saved["employee"] = services.employee_update(
                employee=employee, data=data, actor=request.user, request=request, **relations
            )
        else:
            saved["employee"] = services.employee_create(data=data, actor=request.user, request=request, **relations)

    if request.method == "POST" and _save(form, write):
        messages.success(request, _("Zapisano pracownika „%(name)s”.") % {"name": saved["employee"]})
        return redirect("clinic:employee_edit", pk=saved["employee"].pk)
    return render(request, "clinic/employee_edit.html", {"form": form, "employee": employee})

"""Writes of the clinic structure: locations with their OSOZ key pairs, cells, employees and the visibility rules
of STR-5. Every configuration change is audited in plain Polish; no key material ever reaches the audit log."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.changes import EmployeeChanged, LocationChanged
from clinic.models import Address, Cell, Clinic, Employee, EmployeeCell, Location, Specialisation
from clinic.selectors import clinic_get, location_visible_doctors
from core.changes import changes_record
from core.crypto import CryptoError, keypair_generate, secret_decrypt, secret_encrypt, unseal
from core.models import AuditCategory
from core.services import audit_record
from core.text import join_lazy

LOCATION_FIELDS = ("name", "osoz_location_id", "osoz_enabled", "osoz_unit_name", *Address.ADDRESS_FIELDS)
CELL_FIELDS = ("name", *Address.ADDRESS_FIELDS)
EMPLOYEE_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "is_medical",
    "specialisations_text",
    "user",
    "osoz_enabled",
    "osoz_access",
    "osoz_description",
    "osoz_callcenter_description",
)
# Free-text fields whose old and new values would only clutter an audit line: the change alone is named.
LONG_FIELDS = {"osoz_description", "osoz_callcenter_description"}


# --- Audit wording ------------------------------------------------------------------------------------------------

# Audit texts are lazy: the audit helper renders them in the clinic's language, whatever the request's.
CHANGED = _("„{label}”: {old} → {new}")


def _snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _describe(value: Any) -> Any:
    """A value as an audit phrase shows it (formatted when the phrase is rendered)."""
    return _("(puste)") if value in (None, "") else value


def _changes(
    instance: models.Model, before: dict[str, Any], special: dict[str, tuple[Promise, Promise]]
) -> list[Promise]:
    """Lazy phrases for the fields that changed; `special` words the switches ("włączono …", "wyłączono …")."""
    phrases = []
    for name, old in before.items():
        new = getattr(instance, name)
        if old == new:
            continue
        if name in special:
            phrases.append(special[name][0] if new else special[name][1])
            continue
        field = instance._meta.get_field(name)
        label = field.verbose_name
        if field.choices:
            old, new = dict(field.flatchoices).get(old, old), dict(field.flatchoices).get(new, new)
        if name in LONG_FIELDS:
            phrases.append(format_lazy(_("zmieniono „{label}”"), label=label))
        elif isinstance(new, bool):
            phrases.append(format_lazy(_("zaznaczono „{label}”") if new else _("odznaczono „{label}”"), label=label))
        else:
            phrases.append(format_lazy(CHANGED, label=label, old=_describe(old), new=_describe(new)))
    return phrases


def _apply(instance: models.Model, data: dict[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])


def _save_validated(instance: models.Model) -> None:
    """Validate and save; a unique value taken by a concurrent save is reported like any other duplicate."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.full_clean()
        raise


# --- Clinic and locations -----------------------------------------------------------------------------------------

LOCATION_ENABLED = _("włączono rejestrację on-line w OSOZ")
LOCATION_KEYS_GENERATED = _("wygenerowano parę kluczy lokalizacji")
LOCATION_SWITCHES = {
    "osoz_enabled": (LOCATION_ENABLED, _("wyłączono rejestrację on-line w OSOZ (lokalizacja ukryta w OSOZ)"))
}


def _locked_clinic() -> Clinic:
    # Locking the clinic row serialises structural changes that number locations or copy the entity id.
    return Clinic.objects.select_for_update().get(pk=clinic_get().pk)


def _copy_entity_id(location: Location, clinic: Clinic) -> None:
    """A clinic with one location uses the entity id as that location's OSOZ id (manual §5.1)."""
    if location.osoz_location_id or not clinic.osoz_entity_id:
        return
    if not Location.objects.exclude(pk=location.pk).exists():
        location.osoz_location_id = clinic.osoz_entity_id


@transaction.atomic
def clinic_entity_id_set(*, entity_id: str, actor=None, request: HttpRequest | None = None) -> Clinic:
    """Store the Identyfikator podmiotu OSOZ issued to the clinic (by the configuration wizard)."""
    clinic = _locked_clinic()
    before = clinic.osoz_entity_id
    clinic.osoz_entity_id = entity_id
    _save_validated(clinic)
    sole_locations = list(Location.objects.select_for_update()[:2])
    if len(sole_locations) == 1 and not sole_locations[0].osoz_location_id:
        location = sole_locations[0]
        _copy_entity_id(location, clinic)
        _save_validated(location)
    if before != entity_id:
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="clinic_entity_id_set",
            message=format_lazy(
                _("Zapisano identyfikator podmiotu w systemie OSOZ: {entity_id}."), entity_id=entity_id
            ),
            actor=actor,
            request=request,
            target=clinic,
        )
    return clinic


def location_hiding_check(*, location: Location) -> None:
    """STR-5, the one place that decides it: a location may leave OSOZ only when no doctor is visible in it."""
    doctors = list(location_visible_doctors(location=location))
    if doctors:
        names = ", ".join(str(doctor) for doctor in doctors)
        raise ValidationError(
            {
                "osoz_enabled": ValidationError(
                    _(
                        "Nie można ukryć lokalizacji „%(location)s” w OSOZ, dopóki pracują w niej lekarze widoczni "
                        "w OSOZ: %(doctors)s. Najpierw odznacz „Rejestracja online w systemie OSOZ” u tych "
                        "pracowników albo ich komórki w kolumnie „Komórki przekazywane do OSOZ”."
                    ),
                    code="visible_doctors",
                    params={"location": location.name, "doctors": names},
                )
            }
        )


def _location_keys_generate(location: Location) -> None:
    private_pem, public_pem = keypair_generate()
    location.private_key_encrypted = secret_encrypt(private_pem)
    location.public_key_pem = public_pem


def _location_save(location: Location, *, was_enabled: bool) -> bool:
    """Validate, apply STR-5 and STR-2, save; True when a key pair was generated."""
    location.full_clean()
    if was_enabled and not location.osoz_enabled:
        location_hiding_check(location=location)
    generated = location.osoz_enabled and not location.public_key_pem
    if generated:
        _location_keys_generate(location)
    _save_validated(location)
    return generated


@transaction.atomic
def location_create(*, data: dict[str, Any], actor=None, request: HttpRequest | None = None) -> Location:
    """A new location takes the next OSOZ unit number (the first is the main location, 1)."""
    clinic = _locked_clinic()
    last = Location.objects.aggregate(last=Max("osoz_unit_number"))["last"] or 0
    location = Location(osoz_unit_number=last + 1)
    _apply(location, data, LOCATION_FIELDS)
    _copy_entity_id(location, clinic)
    generated = _location_save(location, was_enabled=False)
    changes_record(LocationChanged(location_id=location.pk))
    details = [format_lazy(_("numer jednostki w systemie OSOZ {number}"), number=location.osoz_unit_number)]
    if location.osoz_enabled:
        details.append(LOCATION_ENABLED)
    if generated:
        details.append(LOCATION_KEYS_GENERATED)
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="location_created",
        message=format_lazy(
            _("Dodano lokalizację „{name}”: {details}."), name=location.name, details=join_lazy("; ", details)
        ),
        actor=actor,
        request=request,
        target=location,
    )
    return location


@transaction.atomic
def location_update(
    *, location: Location, data: dict[str, Any], actor=None, request: HttpRequest | None = None
) -> Location:
    """Change a location; the instance passed in may be a form's, so the stored row is re-read and locked."""
    clinic = _locked_clinic()
    current = Location.objects.select_for_update().get(pk=location.pk)
    before = _snapshot(current, LOCATION_FIELDS)
    _apply(current, data, LOCATION_FIELDS)
    _copy_entity_id(current, clinic)
    generated = _location_save(current, was_enabled=before["osoz_enabled"])
    changes_record(LocationChanged(location_id=current.pk))
    phrases = _changes(current, before, LOCATION_SWITCHES)
    if generated:
        phrases.append(LOCATION_KEYS_GENERATED)
    if phrases:
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="location_changed",
            message=format_lazy(
                _("Zmieniono lokalizację „{name}”: {changes}."), name=before["name"], changes=join_lazy("; ", phrases)
            ),
            actor=actor,
            request=request,
            target=current,
        )
    return current


def location_payload_decrypt(*, location: Location, envelope: str) -> bytes:
    """Decrypt data OSOZ sealed to this location's public key (OSZ-6); raises CryptoError, changes nothing."""
    if not location.private_key_encrypted:
        raise CryptoError(format_lazy(_("Lokalizacja „{name}” nie ma jeszcze pary kluczy."), name=location.name))
    return unseal(private_pem=secret_decrypt(location.private_key_encrypted), envelope=envelope)


# --- Cells --------------------------------------------------------------------------------------------------------


@transaction.atomic
def cell_create(*, location: Location, data: dict[str, Any], actor=None, request: HttpRequest | None = None) -> Cell:
    cell = Cell(location=location)
    _apply(cell, data, CELL_FIELDS)
    _save_validated(cell)
    changes_record(LocationChanged(location_id=location.pk))
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="cell_created",
        message=format_lazy(
            _("Dodano komórkę „{name}” w lokalizacji „{location}”."), name=cell.name, location=location.name
        ),
        actor=actor,
        request=request,
        target=cell,
    )
    return cell


@transaction.atomic
def cell_update(*, cell: Cell, data: dict[str, Any], actor=None, request: HttpRequest | None = None) -> Cell:
    current = Cell.objects.select_for_update().select_related("location").get(pk=cell.pk)
    before = _snapshot(current, CELL_FIELDS)
    _apply(current, data, CELL_FIELDS)
    _save_validated(current)
    changes_record(LocationChanged(location_id=current.location_id))
    phrases = _changes(current, before, {})
    if phrases:
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="cell_changed",
            message=format_lazy(
                _("Zmieniono komórkę „{name}” w lokalizacji „{location}”: {changes}."),
                name=before["name"],
                location=current.location.name,
                changes=join_lazy("; ", phrases),
            ),
            actor=actor,
            request=request,
            target=current,
        )
    return current


# --- Employees ----------------------------------------------------------------------------------------------------

EMPLOYEE_ENABLED = _("włączono rejestrację online w OSOZ")
EMPLOYEE_SWITCHES = {
    "osoz_enabled": (
        EMPLOYEE_ENABLED,
        _("wyłączono rejestrację online w OSOZ (lekarz i jego harmonogramy ukryte w OSOZ)"),
    )
}
# The phrases for the cells whose links changed, by what happened to them.
CELLS_ADDED = _("dodano komórki: {cells}")
CELLS_REMOVED = _("usunięto komórki: {cells}")
CELLS_PUBLISHED = _("komórki przekazywane do OSOZ: {cells}")
CELLS_WITHDRAWN = _("komórki wycofane z OSOZ: {cells}")


def _names(items: Iterable[models.Model]) -> str | Promise:
    return ", ".join(sorted(str(item) for item in items)) or _("(brak)")


def _employee_relations_save(
    employee: Employee, *, specialisations: Iterable[Specialisation], cells: Iterable[Cell], osoz_cells: Iterable[Cell]
) -> list[Promise]:
    """Validate and store the OSOZ specialisations and cells; returns the audit phrases for what changed."""
    specialisations, cells, osoz_cells = set(specialisations), set(cells), set(osoz_cells)
    errors = {}
    if employee.osoz_enabled and not specialisations:
        errors["osoz_specialisations"] = _(
            "Wybierz co najmniej jedną specjalizację ze słownika OSOZ: po niej pacjenci wyszukują lekarza."
        )
    if osoz_cells - cells:
        errors["osoz_cells"] = ValidationError(
            _("Do OSOZ można przekazać tylko komórki, w których pracownik pracuje: %(cells)s."),
            params={"cells": _names(osoz_cells - cells)},
        )
    if errors:
        raise ValidationError(errors)

    phrases = []
    old_specialisations = set(employee.osoz_specialisations.all())
    if old_specialisations != specialisations:
        employee.osoz_specialisations.set(specialisations)
        label = Employee._meta.get_field("osoz_specialisations").verbose_name
        if old_specialisations:
            phrases.append(
                format_lazy(CHANGED, label=label, old=_names(old_specialisations), new=_names(specialisations))
            )
        else:
            phrases.append(format_lazy(_("„{label}”: {value}"), label=label, value=_names(specialisations)))

    links = {link.cell: link for link in employee.employee_cells.select_related("cell")}
    removed = set(links) - cells
    added = cells - set(links)
    published = {cell for cell in cells & set(links) if cell in osoz_cells and not links[cell].osoz_published}
    withdrawn = {cell for cell in cells & set(links) if cell not in osoz_cells and links[cell].osoz_published}
    EmployeeCell.objects.filter(employee=employee, cell__in=removed).delete()
    EmployeeCell.objects.bulk_create(
        EmployeeCell(employee=employee, cell=cell, osoz_published=cell in osoz_cells) for cell in added
    )
    EmployeeCell.objects.filter(employee=employee, cell__in=published).update(osoz_published=True)
    EmployeeCell.objects.filter(employee=employee, cell__in=withdrawn).update(osoz_published=False)
    for cells_changed, wording in (
        (added, CELLS_ADDED),
        (removed, CELLS_REMOVED),
        (published | (added & osoz_cells), CELLS_PUBLISHED),
        (withdrawn, CELLS_WITHDRAWN),
    ):
        if cells_changed:
            phrases.append(format_lazy(wording, cells=_names(cells_changed)))
    return phrases


@transaction.atomic
def employee_create(
    *,
    data: dict[str, Any],
    specialisations: Iterable[Specialisation] = (),
    cells: Iterable[Cell] = (),
    osoz_cells: Iterable[Cell] = (),
    actor=None,
    request: HttpRequest | None = None,
) -> Employee:
    employee = Employee()
    _apply(employee, data, EMPLOYEE_FIELDS)
    _save_validated(employee)
    phrases = _employee_relations_save(employee, specialisations=specialisations, cells=cells, osoz_cells=osoz_cells)
    changes_record(EmployeeChanged(employee_id=employee.pk))
    if employee.osoz_enabled:
        phrases.insert(0, EMPLOYEE_ENABLED)
    if phrases:
        message = format_lazy(
            _("Dodano pracownika „{name}”: {details}."), name=str(employee), details=join_lazy("; ", phrases)
        )
    else:
        message = format_lazy(_("Dodano pracownika „{name}”."), name=str(employee))
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="employee_created",
        message=message,
        actor=actor,
        request=request,
        target=employee,
    )
    return employee


@transaction.atomic
def employee_update(
    *,
    employee: Employee,
    data: dict[str, Any],
    specialisations: Iterable[Specialisation],
    cells: Iterable[Cell],
    osoz_cells: Iterable[Cell],
    actor=None,
    request: HttpRequest | None = None,
) -> Employee:
    """Change an employee. Hiding him in OSOZ is always allowed (STR-5): it hides his schedules with him."""
    current = Employee.objects.select_for_update().get(pk=employee.pk)
    before = _snapshot(current, EMPLOYEE_FIELDS)
    name_before = str(current)
    _apply(current, data, EMPLOYEE_FIELDS)
    _save_validated(current)
    phrases = _changes(current, before, EMPLOYEE_SWITCHES)
    phrases += _employee_relations_save(current, specialisations=specialisations, cells=cells, osoz_cells=osoz_cells)
    changes_record(EmployeeChanged(employee_id=current.pk))
    if phrases:
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="employee_changed",
            message=format_lazy(
                _("Zmieniono pracownika „{name}”: {changes}."), name=name_before, changes=join_lazy("; ", phrases)
            ),
            actor=actor,
            request=request,
            target=current,
        )
    return current

"""Forms of the scheduling screens: Harmonogramy, Kalendarz > Umówienia, Ustawienia, the waiting queue and the visit.
The rules themselves live in scheduling.services; the forms mirror them so the user sees a refusal before saving."""

from datetime import UTC, datetime
from typing import Protocol

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from clinic.models import Cell, Employee, Location
from core.time import WARSAW
from core.validators import validate_multiline_text, validate_text
from patients.forms import PatientCreateForm, PatientSearchField
from patients.models import Patient
from scheduling import selectors
from scheduling.models import (
    NOTES_MAX_LENGTH,
    Appointment,
    AppointmentKind,
    BookingSettings,
    Schedule,
    WaitingCategory,
    Weekday,
)
from scheduling.services import BlockSpec, schedule_osoz_unavailable_reason

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

ATTRIBUTE_FIELDS = ("first_free_only", "children_sick", "children_healthy", "televisit_possible", "televisit_only")
TELEVISIT_FIELDS = ("televisit_possible", "televisit_only")
OSOZ_FIELDS = ("osoz_online", "osoz_requirement", "attributes")


class AttributesWidget(forms.CheckboxSelectMultiple):
    """Checkboxes of which some options can be switched off, so the form shows which attributes the rules allow."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values: set[str] = set()

    def __deepcopy__(self, memo):
        # Each form gets a copy of its fields' widgets; the set must be the copy's own, not the declared widget's.
        copy = super().__deepcopy__(memo)
        copy.disabled_values = set(self.disabled_values)
        return copy

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class ScheduleForm(forms.ModelForm):
    """A schedule's own fields and its OSOZ settings (SCH-1, SCH-2); the weekly layout is BlockFormSet."""

    attributes = forms.MultipleChoiceField(
        label=_("Dodatkowe atrybuty"),
        required=False,
        choices=[(name, Schedule._meta.get_field(name).verbose_name) for name in ATTRIBUTE_FIELDS],
        widget=AttributesWidget,
        help_text=_(
            "„Możliwa telewizyta” i „Tylko telewizyta” wymagają zaznaczenia „Rejestracja on-line (OSOZ)” "
            "i wykluczają się wzajemnie."
        ),
    )

    class Meta:
        model = Schedule
        fields = ["cell", "valid_from", "valid_to", "is_nfz", "osoz_online", "osoz_requirement"]
        widgets = {
            "valid_from": DATE_INPUT,
            "valid_to": DATE_INPUT,
            "osoz_requirement": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, employee: Employee, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.employee = employee
        cells = Cell.objects.filter(employee_cells__employee=employee).select_related("location")
        cell_field = self.fields["cell"]
        cell_field.queryset = cells
        cell_field.empty_label = _("— wybierz komórkę —")
        cell_field.help_text = _("Komórki, w których pracuje pracownik.")
        if self.instance.pk:
            self.initial["attributes"] = [name for name in ATTRIBUTE_FIELDS if getattr(self.instance, name)]
        elif len(cells) == 1:
            self.initial["cell"] = cells[0].pk
        # Changing the cell or a switch re-renders the OSOZ section: which settings are available depends on them.
        refresh = {
            "hx-get": reverse("scheduling:schedule_edit_osoz", args=[employee.pk]),
            "hx-target": "#schedule-osoz",
            "hx-swap": "outerHTML",
            "hx-include": "closest form",
        }
        self.refresh_attrs = refresh  # for the sections other apps add to the OSOZ part (schedule_sections)
        cell_field.widget.attrs.update(refresh)
        for name in ("is_nfz", "osoz_online", "attributes"):
            self.fields[name].widget.attrs.update(refresh)

        cell = self._chosen_cell(cells)
        if cell is None and employee.osoz_enabled:
            self.osoz_unavailable = _("Wybierz komórkę, aby ustawić opcje OSOZ.")
        else:
            self.osoz_unavailable = schedule_osoz_unavailable_reason(employee=employee, cell=cell)
        if self.osoz_unavailable:
            for name in OSOZ_FIELDS:
                self.fields[name].disabled = True
        else:
            self._limit_televisit()

    def _chosen_cell(self, cells) -> Cell | None:
        value = self["cell"].value()
        if value in (None, ""):
            return None
        return next((cell for cell in cells if str(cell.pk) == str(value)), None)

    def _limit_televisit(self) -> None:
        """Offer the televisit attributes only with Rejestracja on-line (OSOZ), and only one of them at a time."""
        disabled = self.fields["attributes"].widget.disabled_values
        if not self["osoz_online"].value():
            disabled.update(TELEVISIT_FIELDS)
            return
        chosen = set(self["attributes"].value() or ())
        for name, other in (TELEVISIT_FIELDS, TELEVISIT_FIELDS[::-1]):
            if name in chosen and other not in chosen:
                disabled.add(other)

    @property
    def had_osoz_settings(self) -> bool:
        """The stored schedule has OSOZ settings that saving it now, with OSOZ unavailable, will switch off."""
        instance = self.instance
        return bool(instance.pk and (instance.osoz_online or instance.osoz_requirement or self.initial["attributes"]))

    def clean(self):
        data = super().clean()
        if self.osoz_unavailable:
            data.update(osoz_online=False, osoz_requirement="", attributes=[])
        attributes = set(data.get("attributes") or ())
        if attributes.issuperset(TELEVISIT_FIELDS):
            self.add_error("attributes", _("Wybierz „Możliwa telewizyta” albo „Tylko telewizyta” – nie obie naraz."))
        elif attributes.intersection(TELEVISIT_FIELDS) and not data.get("osoz_online"):
            self.add_error(
                "attributes",
                _("„Możliwa telewizyta” i „Tylko telewizyta” wymagają zaznaczenia „Rejestracja on-line (OSOZ)”."),
            )
        else:
            # The attributes are no model fields of the form, so the model's own checks that follow would still
            # see the stored ones.
            for name in ATTRIBUTE_FIELDS:
                setattr(self.instance, name, name in attributes)
        return data

    def schedule(self) -> Schedule:
        """The schedule with the form's values, not yet saved: schedule_save validates and saves it."""
        schedule = self.instance
        for name in self.Meta.fields:
            setattr(schedule, name, self.cleaned_data[name])
        return schedule


class ScheduleSection(Protocol):
    """A part of the schedule's edit page that an app above scheduling adds (settings.SCHEDULE_SECTIONS), so that
    scheduling never imports it: made from the request's data and the ScheduleForm (whose `instance` is the schedule),
    drawn inside the OSOZ part with `{% include section.template_name %}` (so it is drawn again, through
    `schedule_edit_osoz`, when the cell or a switch changes), checked after the ScheduleForm, and saved by
    `schedule_save` in its transaction: a DomainError from `save` refuses the schedule too, so nothing is half-saved.
    `save` returns the phrase the schedule's audit entry adds for what it changed, or None."""

    template_name: str

    def __init__(self, data, *, form: ScheduleForm) -> None: ...

    def is_valid(self) -> bool: ...

    def save(self, *, schedule: Schedule) -> Promise | None: ...


def schedule_sections(data, *, form: ScheduleForm) -> list[ScheduleSection]:
    """The sections of settings.SCHEDULE_SECTIONS, in their order, for this form (bound when `data` is not None)."""
    return [import_string(path)(data, form=form) for path in settings.SCHEDULE_SECTIONS]


class BlockForm(forms.Form):
    """One row of Rozkład tygodniowy."""

    weekday = forms.TypedChoiceField(
        label=_("Dzień tygodnia"), choices=[("", "—"), *Weekday.choices], coerce=int, empty_value=None
    )
    start_time = forms.TimeField(label=_("Od"), widget=TIME_INPUT)
    end_time = forms.TimeField(label=_("Do"), widget=TIME_INPUT)
    visit_minutes = forms.IntegerField(label=_("Długość wizyty (min)"), min_value=5, max_value=480)

    def spec(self) -> BlockSpec:
        data = self.cleaned_data
        return BlockSpec(data["weekday"], data["start_time"], data["end_time"], data["visit_minutes"])


BLOCKS_PREFIX = "blocks"


class BaseBlockFormSet(forms.BaseFormSet):
    def specs(self) -> list[BlockSpec]:
        """The blocks kept: filled rows not marked Usuń."""
        # An extra row left empty is not cleaned, so its cleaned_data stays empty.
        return [form.spec() for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]

    def new_row(self, index: int) -> BlockForm:
        """An empty row with the given number, for "Dodaj blok"."""
        form = self.form(prefix=self.add_prefix(index), empty_permitted=True, use_required_attribute=False)
        self.add_fields(form, index)
        return form


BlockFormSet = forms.formset_factory(BlockForm, formset=BaseBlockFormSet, extra=1, can_delete=True)


class AppointmentFilterForm(forms.Form):
    """The filters of Kalendarz > Umówienia; `actor` is Pracownik umawiający, or Pracownik odwołujący on the tab
    Umówienia odwołane."""

    date_from = forms.DateField(label=_("Od"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("Do"), required=False, widget=DATE_INPUT)
    employee = forms.ModelChoiceField(label=_("Lekarz"), queryset=Employee.objects.none(), required=False)
    cell = forms.ModelChoiceField(label=_("Komórka"), queryset=Cell.objects.none(), required=False)
    actor = forms.CharField(label=_("Pracownik umawiający"), required=False, max_length=150)

    def __init__(self, *args, employees, cancelled: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = employees
        self.fields["employee"].empty_label = _("Wszyscy")
        self.fields["cell"].queryset = Cell.objects.select_related("location")
        self.fields["cell"].empty_label = _("Wszystkie")
        actor = self.fields["actor"]
        actor.widget.attrs.update({"list": "appointment-actors", "autocomplete": "off"})
        if cancelled:
            actor.label = _("Pracownik odwołujący")
        actor.help_text = _("Wpisz lub wybierz z listy; „OSOZ” znajduje umówienia i odwołania on-line.")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("Data „Od” nie może być późniejsza niż data „Do”."))
        return data


class GeneralSettingsForm(forms.ModelForm):
    """Ustawienia > Ogólne, section Podstawowe ustawienia (SET-1)."""

    class Meta:
        model = BookingSettings
        fields = ["nfz_first_time_online", "televisit_recordings_attached", "portal_cancel_hours"]
        help_texts = {
            "portal_cancel_hours": _(
                "Pacjent odwoła wizytę w Portalu Pacjenta najpóźniej tyle godzin przed jej początkiem; później "
                "zobaczy prośbę o telefon do placówki."
            ),
            "televisit_recordings_attached": _(
                "Nagranie telewizyty zawsze zapisuje się w przeglądarce pracownika medycznego jako plik. Zaznaczone: "
                "w trakcie rozmowy jest ono także przesyłane do systemu i po zakończeniu telewizyty widać je w "
                "dokumentach wizyty."
            ),
            "nfz_first_time_online": _(
                "Zaznaczone: pacjent pierwszorazowy, który umówi się on-line na wizytę NFZ, zostanie wpisany do "
                "kolejki STABILNEJ (na pierwszy wolny termin). Odznaczone: takie umówienie nie będzie możliwe – "
                "pacjent zobaczy komunikat „Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ "
                "samodzielnie. Prosimy o kontakt z placówką”."
            ),
        }


class CalendarSettingsForm(forms.ModelForm):
    """Ustawienia > Kalendarz, section OSOZ (SET-2)."""

    class Meta:
        model = BookingSettings
        fields = ["osoz_cards_enabled"]
        help_texts = {
            "osoz_cards_enabled": _(
                "W oknie umawiania pacjenta można wyszukać po numerze karty OSOZ (wpisanym lub zeskanowanym), "
                "a przy znalezionym pacjencie widać numer jego aktywnej karty."
            )
        }


class QueueFilterForm(forms.Form):
    """The queue's filters; `q`, a patient search as on the patient list, is only ever POSTed (queue_search)."""

    cell = forms.ModelChoiceField(label=_("Komórka"), queryset=Cell.objects.none(), required=False)
    category = forms.ChoiceField(
        label=_("Kategoria"), required=False, choices=[("", _("Wszystkie")), *WaitingCategory.choices]
    )
    q = PatientSearchField(label=_("Pacjent"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].queryset = Cell.objects.select_related("location")
        self.fields["cell"].empty_label = _("Wszystkie")


class QueueAddForm(forms.Form):
    """Entering a patient in the queue by hand. The patient is not a widget of its own: he is picked from the results
    of the patient search (queue_patients.html), whose radio buttons carry this field's name."""

    cell = forms.ModelChoiceField(label=_("Komórka"), queryset=Cell.objects.none())
    category = forms.ChoiceField(label=_("Kategoria"), choices=WaitingCategory.choices, initial=WaitingCategory.STABLE)
    patient = forms.ModelChoiceField(
        label=_("Pacjent"),
        queryset=Patient.objects.all(),
        error_messages={"required": _("Wyszukaj pacjenta i wybierz go z listy.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].queryset = Cell.objects.select_related("location")
        self.fields["cell"].empty_label = _("— wybierz komórkę —")


class VisitNotesForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 6})}


# --- Kalendarz: filters, the booking window and the appointment panel (CAL-1, CAL-2) ------------------------------

CALENDAR_DAY, CALENDAR_WEEK = "day", "week"
# Earliest and latest instants a slot in a request may name; outside them the parameter is nonsense.
EPOCH_BOUNDS = (0, 4_102_444_800)


class CalendarFilterForm(forms.Form):
    date = forms.DateField(label=_("Data"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    view = forms.ChoiceField(
        label=_("Widok"),
        choices=[(CALENDAR_DAY, _("Dzień")), (CALENDAR_WEEK, _("Tydzień"))],
        required=False,
    )
    location = forms.ModelChoiceField(
        label=_("Lokalizacja"), queryset=Location.objects.all(), required=False, empty_label="—"
    )
    cell = forms.ModelChoiceField(
        label=_("Komórka"), queryset=Cell.objects.select_related("location"), required=False, empty_label="—"
    )
    doctor = forms.ModelChoiceField(label=_("Lekarz"), queryset=None, required=False, empty_label="—")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = selectors.calendar_employees_for_user(user)


class SlotForm(forms.Form):
    """A slot named by its doctor and its start in epoch seconds, as the grid's blocks carry them."""

    doctor = forms.IntegerField(min_value=1)
    start = forms.IntegerField(min_value=EPOCH_BOUNDS[0], max_value=EPOCH_BOUNDS[1])


class PanelForm(forms.Form):
    """A form of the calendar's side panel, which is loaded into the calendar page: its element ids carry the form's
    own prefix (`panel_id`), so none repeats an id of the page's filter form (both have a "Data")."""

    panel_id = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id=f"{self.panel_id}_%s", **kwargs)


class BookingForm(PanelForm):
    panel_id = "booking"
    patient = forms.IntegerField(required=False, min_value=1, widget=forms.RadioSelect)
    kind = forms.ChoiceField(label=_("Rodzaj wizyty"), choices=AppointmentKind.choices)
    notes = forms.CharField(
        label=_("Notatki związane z wizytą"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea,
        validators=[validate_multiline_text],
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, AppointmentKind(kind).label) for kind in kinds]
        self.fields["kind"].initial = kinds[0]


class NewPatientForm(PatientCreateForm):
    """Nowy pacjent in the booking window: the record's essentials, and the OSOZ card only with "Obsługa kart OSOZ"."""

    class Meta(PatientCreateForm.Meta):
        fields = ["last_name", "first_name", "pesel", "birth_date", "sex", "document_type", "document_number", "phone"]

    def __init__(self, *args, cards_enabled, **kwargs):
        super().__init__(*args, prefix="nowy", **kwargs)
        if not cards_enabled:
            del self.fields["osoz_card_number"]

    def is_filled(self) -> bool:
        return any(self.data.get(self.add_prefix(name), "").strip() for name in ("last_name", "first_name", "pesel"))


class SlotRemoveForm(PanelForm, SlotForm):
    panel_id = "remove"
    reason = forms.CharField(label=_("Powód"), required=False, max_length=300, validators=[validate_text])


class CancelForm(PanelForm):
    panel_id = "cancel"
    reason = forms.CharField(label=_("Powód odwołania"), max_length=300, validators=[validate_text])


class MoveForm(PanelForm):
    """The new time: one of the doctor's free slots (start), or a date and time typed in."""

    panel_id = "move"
    start = forms.IntegerField(required=False, min_value=EPOCH_BOUNDS[0], max_value=EPOCH_BOUNDS[1])
    date = forms.DateField(label=_("Data"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Godzina"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") is not None:
            cleaned["starts_at"] = datetime.fromtimestamp(cleaned["start"], UTC)
        elif cleaned.get("date") and cleaned.get("time"):
            cleaned["starts_at"] = datetime.combine(cleaned["date"], cleaned["time"], tzinfo=WARSAW)
        else:
            raise ValidationError(_("Wybierz wolny termin z listy albo podaj datę i godzinę."))
        return cleaned

"""The forms of booking in the portal: the timetable's filters (POR-2, POR-3), the referral question and the chosen
slot."""

from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.booking import Referral, portal_filters, referral_choices
from scheduling.models import AppointmentKind

# "Wybór rodzaju wizyty" in the seed text's words.
KIND_CHOICES = [
    (AppointmentKind.VISIT.value, _("Wizyta w placówce")),
    (AppointmentKind.TELEVISIT.value, _("Videokonsultacja")),
]


def _id(value) -> int | None:
    try:
        return int(value) or None
    except (TypeError, ValueError):
        return None


class TimetableForm(forms.Form):
    """The timetable's filters, read from the query string (a GET form that works without JavaScript), chosen by id
    from the portal's offer (portal_filters), each list narrowed by the choices before it: the poradnie of the
    placówka, the doctors of the poradnia, all of them offering the kind of visit. Under NFZ the poradnia (`cell`)
    and its placówka are chosen before and fixed."""

    location = forms.TypedChoiceField(label=_("Wybór placówki"), coerce=int, required=False, empty_value=None)
    cell = forms.TypedChoiceField(label=_("Wybór poradni"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Wybór rodzaju wizyty"), choices=KIND_CHOICES, required=False)
    doctor = forms.TypedChoiceField(label=_("Wybór lekarza"), coerce=int, required=False, empty_value=None)
    od = forms.DateField(required=False, widget=forms.HiddenInput)

    EMPTY_LABELS = {"location": _("Wszystkie placówki"), "cell": _("Wszystkie"), "doctor": _("Wszyscy lekarze")}

    def __init__(self, data, *, nfz: bool, cell=None):
        data = data or {}
        super().__init__(data)  # bound even when empty: a fixed field then reads its initial value
        kind = data.get("kind") if data.get("kind") in AppointmentKind.values else AppointmentKind.VISIT
        location_id, cell_id = _id(data.get("location")), _id(data.get("cell"))
        if cell is not None:
            location_id, cell_id = cell.location_id, cell.pk
            for name, value in (("location", location_id), ("cell", cell_id)):
                self.fields[name].disabled = True
                self.fields[name].initial = value
        for name, choices in portal_filters(nfz=nfz, kind=kind, location_id=location_id, cell_id=cell_id).items():
            self.fields[name].choices = [("", self.EMPTY_LABELS[name]), *choices]

    def filters(self) -> dict:
        """The chosen filters (ids), each on its own: one no longer on offer (a doctor of another poradnia after the
        poradnia changed, a tampered address) counts as not chosen."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "location": data.get("location"),
            "cell": data.get("cell"),
            "kind": data.get("kind") or AppointmentKind.VISIT,
            "doctor": data.get("doctor"),
            "od": data.get("od"),
        }


class ReferralForm(forms.Form):
    """The referral question of an NFZ booking: the answers that fit this poradnia."""

    skierowanie = forms.ChoiceField(label=_("Skierowanie"), widget=forms.RadioSelect, choices=Referral.choices)

    def __init__(self, *args, portal_cell, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skierowanie"].choices = referral_choices(portal_cell)


class SlotForm(forms.Form):
    """The slot chosen in the timetable: "<doctor id>:<start in epoch seconds>", and the kind of visit."""

    slot = forms.RegexField(regex=r"^\d{1,9}:\d{1,12}$")
    kind = forms.ChoiceField(choices=KIND_CHOICES)

    def clean(self):
        data = super().clean()
        if "slot" in data:
            employee_id, start = data["slot"].split(":")
            data["employee_id"] = int(employee_id)
            try:
                data["starts_at"] = datetime.fromtimestamp(int(start), UTC)
            except (OverflowError, OSError, ValueError):
                self.add_error("slot", _("Wybierz termin z terminarza."))
        return data

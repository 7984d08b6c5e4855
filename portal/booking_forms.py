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


class TimetableForm(forms.Form):
    """The timetable's filters, read from the query string (a GET form that works without JavaScript), chosen by id
    from the portal's offer (portal_filters). Under NFZ the poradnia and its placówka are chosen before."""

    location = forms.TypedChoiceField(label=_("Wybór placówki"), coerce=int, required=False, empty_value=None)
    cell = forms.TypedChoiceField(label=_("Wybór poradni"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Wybór rodzaju wizyty"), choices=KIND_CHOICES, required=False)
    doctor = forms.TypedChoiceField(label=_("Wybór lekarza"), coerce=int, required=False, empty_value=None)
    od = forms.DateField(required=False, widget=forms.HiddenInput)

    EMPTY_LABELS = {"location": _("Wszystkie placówki"), "cell": _("Wszystkie"), "doctor": _("Wszyscy lekarze")}

    def __init__(self, *args, nfz: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in portal_filters(nfz=nfz).items():
            self.fields[name].choices = [("", self.EMPTY_LABELS[name]), *choices]

    def filters(self) -> dict:
        """The chosen filters (ids); invalid values (a tampered address) count as not chosen."""
        data = self.cleaned_data if self.is_valid() else {}
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

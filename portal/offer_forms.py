"""The form of Ustawienia > Portal Pacjenta: a switch per poradnia and flag, and per doctor of a poradnia."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import PortalCell
from portal.offer import CELL_FLAGS, OfferCell


def cell_field(cell_id: int, flag: str) -> str:
    return f"cell-{cell_id}-{flag}"


def doctor_field(cell_id: int, employee_id: int) -> str:
    return f"doctor-{cell_id}-{employee_id}"


class PortalOfferForm(forms.Form):
    def __init__(self, *args, offer: list[OfferCell], **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        for row in offer:
            for flag in CELL_FLAGS:
                label = f"{row.cell.name}: {PortalCell._meta.get_field(flag).verbose_name}"
                self.fields[cell_field(row.cell.pk, flag)] = forms.BooleanField(
                    label=label, required=False, initial=row.flags[flag]
                )
            for doctor in row.doctors:
                self.fields[doctor_field(row.cell.pk, doctor.employee_id)] = forms.BooleanField(
                    label=f"{row.cell.name}: {doctor.name}", required=False, initial=doctor.videoconsultation
                )

    def clean(self):
        data = super().clean()
        for row in self.offer:
            video = data.get(cell_field(row.cell.pk, "videoconsultation"))
            ticked = [d for d in row.doctors if data.get(doctor_field(row.cell.pk, d.employee_id))]
            if ticked and not video:
                self.add_error(
                    cell_field(row.cell.pk, "videoconsultation"),
                    _("Poradnia „%(cell)s”: zaznacz „Videokonsultacje”, aby jej lekarze mogli je prowadzić.")
                    % {"cell": row.cell.name},
                )
            if data.get(cell_field(row.cell.pk, "referral_required")) and not data.get(cell_field(row.cell.pk, "nfz")):
                self.add_error(
                    cell_field(row.cell.pk, "referral_required"),
                    _("Poradnia „%(cell)s”: skierowanie dotyczy wizyt NFZ — zaznacz je albo odznacz skierowanie.")
                    % {"cell": row.cell.name},
                )
        return data

    def cells(self) -> dict[int, dict[str, bool]]:
        return {
            row.cell.pk: {flag: bool(self.cleaned_data[cell_field(row.cell.pk, flag)]) for flag in CELL_FLAGS}
            for row in self.offer
        }

    def doctors(self) -> dict[tuple[int, int], bool]:
        return {
            (row.cell.pk, doctor.employee_id): bool(self.cleaned_data[doctor_field(row.cell.pk, doctor.employee_id)])
            for row in self.offer
            for doctor in row.doctors
        }

    def rows(self):
        """The page's table: each poradnia with its bound fields, and each doctor's."""
        for row in self.offer:
            yield {
                "offer": row,
                "flags": [self[cell_field(row.cell.pk, flag)] for flag in CELL_FLAGS],
                "doctors": [(doctor, self[doctor_field(row.cell.pk, doctor.employee_id)]) for doctor in row.doctors],
            }


class PortalTermsForm(forms.Form):
    text = forms.CharField(
        label=_("Treść regulaminu"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_("Zwykły tekst; pusta linia rozdziela akapity. Każda zmiana to nowa wersja regulaminu."),
    )

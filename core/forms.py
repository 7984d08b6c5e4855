from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import AuditCategory, AuditOutcome


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Od"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Do"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label=_("Kto"), required=False, max_length=150)
    category = forms.ChoiceField(
        label=_("Kategoria"), required=False, choices=[("", _("Wszystkie")), *AuditCategory.choices]
    )
    outcome = forms.ChoiceField(label=_("Wynik"), required=False, choices=[("", _("Wszystkie")), *AuditOutcome.choices])
    text = forms.CharField(label=_("Szukaj w opisie"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("Data „Od” nie może być późniejsza niż data „Do”."))
        return data


def errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)

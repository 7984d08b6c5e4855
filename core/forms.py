from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import AuditCategory, AuditOutcome
from core.money import money_input, money_parse


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


class MoneyField(forms.CharField):
    """A złoty amount typed the Polish way ("1 234,50", "149,99 zł") into a Decimal, refused with the Polish messages
    of core.money: not a number, negative, more than two decimal places, too large."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        return money_parse(value)

    def prepare_value(self, value):
        return money_input(value) if isinstance(value, Decimal) else value

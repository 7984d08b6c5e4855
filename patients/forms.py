"""Forms of the patient screens; the record's own checks (PESEL, document, card number) live in the models."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import validate_multiline_text
from patients.models import OsozCardStatus, Patient, osoz_card_number_normalise, validate_osoz_card_number


class PatientSearchField(forms.CharField):
    """The text of a patient search (selectors.patients_search), with the hint of what it matches; the patient list and
    Kolejka oczekujących search the same way."""

    def __init__(self, **kwargs):
        hint = _("Nazwisko, PESEL, telefon lub numer karty OSOZ")
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "search", "placeholder": hint}))
        super().__init__(required=False, max_length=100, **kwargs)


class PatientSearchForm(forms.Form):
    q = PatientSearchField(label=_("Szukaj"))


class PeselField(forms.CharField):
    """PESEL as typed, perhaps with spaces or dashes between digit groups."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = 20
        super().__init__(**kwargs)

    def to_python(self, value):
        return "".join(super().to_python(value).replace("-", " ").split())


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "last_name",
            "first_name",
            "pesel",
            "birth_date",
            "sex",
            "document_type",
            "document_number",
            "phone",
            "email",
            "street",
            "postal_code",
            "city",
        ]
        field_classes = {"pesel": PeselField}
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "pesel": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "postal_code": forms.TextInput(attrs={"placeholder": "00-000"}),
        }
        help_texts = {
            "pesel": _("Datę urodzenia i płeć można pominąć: zostaną odczytane z numeru PESEL."),
            "document_type": _("Wymagany, gdy pacjent nie ma numeru PESEL."),
        }


class OsozCardNumberField(forms.CharField):
    """A card number typed or scanned with spaces: normalised before it is checked."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, **kwargs)

    def clean(self, value):
        number = osoz_card_number_normalise(super().clean(value))
        if number:
            validate_osoz_card_number(number)
        return number


class PatientCreateForm(PatientForm):
    osoz_card_number = OsozCardNumberField(
        label=_("Numer karty OSOZ"),
        required=False,
        help_text=_("18 znaków z rewersu karty, pod kodem kreskowym; karta zostanie zapisana jako Aktywna."),
    )


class OsozCardAddForm(forms.Form):
    number = OsozCardNumberField(
        label=_("Numer karty OSOZ"), help_text=_("18 znaków z rewersu karty, pod kodem kreskowym.")
    )
    status = forms.ChoiceField(label=_("Status"), choices=OsozCardStatus.choices, initial=OsozCardStatus.INACTIVE)


class OsozCardStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=OsozCardStatus.choices)


class EmergencyAccessForm(forms.Form):
    reason = forms.CharField(
        label=_("Podaj powód dostępu"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_multiline_text],
        help_text=_("Powód zostanie zapisany w audycie razem z Twoim imieniem i nazwiskiem oraz czasem dostępu."),
    )

"""Forms of the Provider Service pages (Tabela 4 settings, widgets) and the patient search."""

import re

from django import forms

from osoz_sandbox.models import Doctor, Entity, Widget

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class SettingsForm(forms.ModelForm):
    """Rejestracja on-line > Ustawienia (manual §3.1, Tabela 4)."""

    class Meta:
        model = Entity
        fields = list(Entity.SETTINGS)
        help_texts = {
            "online_registration": "Opcja musi być włączona (usługa musi być aktywna).",
            "single_booking_per_specialist": (
                "Dla pacjentów bez Karty Zdrowia Pacjenta działa tylko z zaznaczonym PESEL."
            ),
            "group_by_clinic": "Opcja musi być włączona.",
            "waiting_lists": "Udostępnia pacjentom terminy w ramach kontraktu NFZ.",
            "booking_without_card": "Zalecane jest włączenie opcji.",
            "phone_required": "Imię i nazwisko oraz adres e-mail są wymagane zawsze; telefon jest opcjonalny.",
            "pesel_required": "Opcja PESEL musi być zaznaczona.",
            "multi_step_registration": (
                "Pacjent potwierdza rezerwację linkiem z e-maila. Opcja „Nie” musi być zaznaczona."
            ),
            "reply_email": "Adres powiadomień o rejestracji pacjenta bez Karty Zdrowia Pacjenta. Musi być uzupełniony.",
        }


class DomainsForm(forms.ModelForm):
    class Meta:
        model = Entity
        fields = ["widget_domains"]
        widgets = {"widget_domains": forms.Textarea(attrs={"rows": 4})}

    def clean_widget_domains(self):
        domains = [line.strip().lower() for line in self.cleaned_data["widget_domains"].splitlines() if line.strip()]
        invalid = [domain for domain in domains if not DOMAIN.match(domain)]
        if invalid:
            raise forms.ValidationError("Nieprawidłowe domeny: " + ", ".join(invalid) + ". Podaj np. przychodnia.pl.")
        if not domains:
            raise forms.ValidationError("Podaj co najmniej jedną domenę – widgety wyświetlają się tylko w podanych.")
        return "\n".join(dict.fromkeys(domains))


class WidgetForm(forms.ModelForm):
    class Meta:
        model = Widget
        fields = ["kind", "doctor_id", "days"]

    def __init__(self, *args, entity: Entity, **kwargs):
        super().__init__(*args, **kwargs)
        doctors = Doctor.objects.filter(entity=entity, deleted=False)
        self.fields["doctor_id"] = forms.ChoiceField(
            label="Lekarz",
            required=False,
            choices=[("", "— wybierz lekarza —"), *((d.doctor_id, str(d)) for d in doctors)],
        )
        self.fields["days"].min_value = 1
        self.fields["days"].widget.attrs.update({"min": 1, "max": 31})

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and kind != "all_doctors" and not cleaned.get("doctor_id"):
            self.add_error("doctor_id", "Ten typ widgetu dotyczy wybranego lekarza – wybierz go.")
        if cleaned.get("days") and not 1 <= cleaned["days"] <= 31:
            self.add_error("days", "Podaj od 1 do 31 dni.")
        return cleaned


class ConnectForm(forms.Form):
    confirm_data = forms.BooleanField(label="Potwierdzam poprawność danych")
    accept_terms = forms.BooleanField(
        label=(
            "Świadczeniodawca akceptuje treść Regulaminu Świadczeniodawcy OSOZ i zobowiązuje się do jego przestrzegania"
        )
    )


class SearchForm(forms.Form):
    specjalizacja = forms.ChoiceField(label="Specjalizacja", required=False)
    miejscowosc = forms.ChoiceField(label="Miejscowość", required=False)
    lekarz = forms.CharField(label="Lekarz (imię lub nazwisko)", required=False, max_length=100)

    def __init__(self, *args, specialisations, cities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specjalizacja"].choices = [("", "Wszystkie specjalizacje"), *specialisations]
        self.fields["miejscowosc"].choices = [("", "Wszystkie miejscowości"), *((c, c) for c in cities)]

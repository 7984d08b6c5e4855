"""Forms of the Provider Service pages (Tabela 4 settings, widgets, the insurers of §10), the patient site (search,
booking, cancellation), the insurer's call centre (§12) and the fault simulation page."""

import datetime
import re

from django import forms
from django.utils import timezone
from stdnum.pl import pesel as stdnum_pesel

from osoz_sandbox import bookings, faults, insurers, televisits
from osoz_sandbox.models import (
    BookingChannel,
    BookingKind,
    Doctor,
    Entity,
    FaultSettings,
    Insurer,
    PriceListEntry,
    TelevisitTerms,
    Widget,
)
from osoz_sandbox.selectors import TELEVISIT, OfferedSlot

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
            "insurers_online_registration": (
                "Dotyczy placówek, które nawiązały współpracę z ubezpieczycielami (płatnikami OSOZ). Wymaga "
                "akceptacji regulaminu usługi „Ubezpieczenia”."
            ),
            "insurers_auto_enable": (
                "Aktywacja współpracy z kolejnym ubezpieczycielem od razu włącza dla niego rejestrację on-line."
            ),
            "televisit": (
                "Umożliwia aktywację usługi telewizyty. Wymaga uruchomienia usługi i zarejestrowania danych placówki "
                "(Telewizyta > Informacje); lekarzy, z którymi pacjenci mogą umówić telewizytę, wskazujesz w "
                "Rejestracja on-line > Terminarz."
            ),
        }

    def clean(self):
        """Stan usługi dla Ubezpieczycieli (manual §10.2): only after the regulations of „Ubezpieczenia”; switching
        it on switches on "Automatyczne włączanie" too, and without it that option means nothing."""
        cleaned = super().clean()
        switching_on = cleaned.get("insurers_online_registration") and not self.instance.insurers_online_registration
        if switching_on and not self.instance.insurance_active:
            self.add_error("insurers_online_registration", insurers.TERMS_FIRST)
        elif switching_on:
            cleaned["insurers_auto_enable"] = True
        if not cleaned.get("insurers_online_registration"):
            cleaned["insurers_auto_enable"] = False
        if cleaned.get("televisit") and not self.instance.televisit:
            refusal = televisits.televisit_setting_refusal(self.instance)
            if refusal:
                self.add_error("televisit", refusal)
        return cleaned


class TelevisitOrderForm(forms.Form):
    """Telewizyta > Informacje, „Kup”: the order of 12 months of paid access."""

    confirm_order = forms.BooleanField(
        label="Zamawiam płatny dostęp do telewizyty na 12 miesięcy zgodnie z obowiązującym cennikiem usług OSOZ",
        error_messages={"required": "Aby wykupić usługę, potwierdź zamówienie."},
    )


class TelevisitTermsForm(forms.ModelForm):
    """„Zarejestruj dane placówki” (manual §14.1 step 3B): the entity running the clinic, for the televisit terms."""

    authorised = forms.BooleanField(
        label=(
            "Oświadczam, że jestem upoważniony(-a) do wypełnienia formularza w imieniu podmiotu prowadzącego placówkę"
        ),
        error_messages={"required": "Zaznacz oświadczenie o upoważnieniu do wypełnienia formularza."},
    )

    nip = forms.CharField(label="NIP", max_length=13, help_text="10 cyfr, z kreskami lub bez.")

    class Meta:
        model = TelevisitTerms
        fields = ["operator_name", "address", "nip", "regon", "register_number", "email", "phone", "authorised_person"]

    def clean_nip(self):
        nip = re.sub(r"[\s-]", "", self.cleaned_data["nip"])
        if not re.fullmatch(r"[0-9]{10}", nip):
            raise forms.ValidationError("NIP ma 10 cyfr.")
        return nip

    def clean_regon(self):
        regon = re.sub(r"\s", "", self.cleaned_data["regon"])
        if not re.fullmatch(r"[0-9]{9}|[0-9]{14}", regon):
            raise forms.ValidationError("REGON ma 9 albo 14 cyfr.")
        return regon


class DoctorsTelevisitForm(forms.Form):
    """Rejestracja on-line > Terminarz: „Umożliwia telewizytę” at each medical employee (manual §14.1 step 4)."""

    televisit = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, doctors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["televisit"].choices = [(doctor.doctor_id, str(doctor)) for doctor in doctors]
        self.fields["televisit"].initial = [doctor.doctor_id for doctor in doctors if doctor.televisit_enabled]


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


class InsuranceDataForm(forms.Form):
    """Ubezpieczenia > Regulamin, step 1: the clinic's data checked."""

    confirm_data = forms.BooleanField(
        label="Potwierdzam poprawność danych",
        error_messages={
            "required": "Zaznacz „Potwierdzam poprawność danych”, jeśli dane świadczeniodawcy są poprawne."
        },
    )


class InsuranceTermsForm(forms.Form):
    """Ubezpieczenia > Regulamin, step 2: the regulations of the service „Ubezpieczenia”."""

    accept_terms = forms.BooleanField(
        label="Akceptuję regulamin",
        error_messages={"required": "Aby aktywować usługę „Ubezpieczenia”, zaznacz „Akceptuję regulamin”."},
    )


class CooperationForm(forms.Form):
    """„Nawiąż współpracę” / „Przystąp”: the insurer's regulations accepted."""

    accept_terms = forms.BooleanField(
        label="Rozumiem i zgadzam się z treścią regulaminu",
        error_messages={"required": "Aby nawiązać współpracę, zaznacz „Rozumiem i zgadzam się z treścią regulaminu”."},
    )


LOCATION_CODE = re.compile(r"^[0-9A-Z-]{1,40}$")


def _location_code(raw: str) -> str:
    if any(character.isspace() for character in raw.strip()):
        raise forms.ValidationError("Wprowadź kod bez spacji – dokładnie tak, jak przekazał go ubezpieczyciel.")
    code = insurers.code_normalise(raw)
    if code and not LOCATION_CODE.match(code):
        raise forms.ValidationError("Kod może zawierać tylko litery, cyfry i „-” (najwyżej 40 znaków).")
    return code


class LocationCodesForm(forms.Form):
    """Identyfikatory lokalizacji: one code field per location of the clinic, labelled „kod <ubezpieczyciel>”."""

    def __init__(self, *args, rows, insurer, **kwargs):
        super().__init__(*args, **kwargs)
        for row in rows:
            self.fields[f"code_{row.location.unit_number}"] = forms.CharField(
                label=f"kod {insurer.short_name}",
                required=False,
                max_length=60,
                initial=row.clinic_code,
            )
        self.rows = rows

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if name in cleaned:
                try:
                    cleaned[name] = _location_code(cleaned[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned

    def codes(self) -> dict[int, str]:
        return {row.location.unit_number: self.cleaned_data[f"code_{row.location.unit_number}"] for row in self.rows}


class OperatorCodeForm(forms.Form):
    """The OSOZ operator's side of a location identifier (a sandbox tool, not a page of the Provider Service)."""

    entity_id = forms.CharField(widget=forms.HiddenInput)
    insurer = forms.CharField(widget=forms.HiddenInput)
    unit_number = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    code = forms.CharField(label="Kod operatora", required=False, max_length=60)

    def clean_code(self):
        return _location_code(self.cleaned_data["code"])


class SearchForm(forms.Form):
    specjalizacja = forms.ChoiceField(label="Specjalizacja", required=False)
    miejscowosc = forms.ChoiceField(label="Miejscowość", required=False)
    lekarz = forms.CharField(label="Lekarz (imię lub nazwisko)", required=False, max_length=100)

    def __init__(self, *args, specialisations, cities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specjalizacja"].choices = [("", "Wszystkie specjalizacje"), *specialisations]
        self.fields["miejscowosc"].choices = [("", "Wszystkie miejscowości"), *((c, c) for c in cities)]


class BookingForm(forms.Form):
    """The patient's data for one offered slot, with the fields the Provider Service settings ask for (Tabela 4): name
    and e-mail always, phone and PESEL as set, the OSOZ card required only without "Rejestracja bez karty pacjenta",
    the schedule's condition where it has one and the visit kind where the schedule allows a choice."""

    requirement_accepted = forms.BooleanField(
        label="Zgadzam się na powyższe warunki wizyt",
        error_messages={"required": "Aby umówić wizytę, zaakceptuj warunki wizyt podane przez placówkę."},
    )
    kind = forms.ChoiceField(
        label="Rodzaj wizyty",
        widget=forms.RadioSelect,
        error_messages={"required": "Wybierz rodzaj wizyty."},
    )
    first_name = forms.CharField(label="Imię", max_length=bookings.MAX_NAME, error_messages={"required": "Podaj imię."})
    last_name = forms.CharField(
        label="Nazwisko", max_length=bookings.MAX_NAME, error_messages={"required": "Podaj nazwisko."}
    )
    email = forms.EmailField(
        label="Adres e-mail",
        max_length=254,
        error_messages={"required": "Podaj adres e-mail.", "invalid": "Podaj poprawny adres e-mail."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Numer telefonu",
        max_length=40,
        error_messages={"required": "Podaj numer telefonu."},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    pesel = forms.CharField(
        label="PESEL",
        max_length=11,
        error_messages={"required": "Podaj numer PESEL."},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    birth_date = forms.DateField(
        label="Data urodzenia",
        required=False,
        help_text="Ułatwi placówce założenie Twojej kartoteki.",
        error_messages={"invalid": "Podaj datę w formacie RRRR-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    osoz_card_number = forms.CharField(
        label="Numer karty OSOZ",
        max_length=30,
        error_messages={"required": "Ta placówka przyjmuje rezerwacje on-line tylko z numerem karty OSOZ."},
    )
    televisit_terms_accepted = forms.BooleanField(label="Akceptuję regulamin telewizyty", required=False)
    note_wanted = forms.BooleanField(label="Chcę przesłać lekarzowi dodatkową informację", required=False)
    patient_note = forms.CharField(
        label="Dodatkowa informacja dla lekarza",
        required=False,
        max_length=bookings.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, entity: Entity, offered: OfferedSlot, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.offered = offered
        if not offered.schedule.requirement:
            del self.fields["requirement_accepted"]
        if len(offered.kinds) > 1:
            self.fields["kind"].choices = [
                (BookingKind.VISIT, "Wizyta w placówce"),
                (BookingKind.TELEVISIT, "Telewizyta (wizyta on-line)"),
            ]
            self.initial.setdefault("kind", BookingKind.VISIT)
        else:
            del self.fields["kind"]
        if TELEVISIT not in offered.kinds:
            del self.fields["televisit_terms_accepted"]
        self.fields["phone"].required = entity.phone_required
        if not entity.phone_required:
            self.fields["phone"].help_text = "Wyślemy na niego także SMS o wizycie."
        if entity.pesel_required:
            del self.fields["birth_date"]
        else:
            del self.fields["pesel"]
        card = self.fields["osoz_card_number"]
        card.required = not entity.booking_without_card
        card.help_text = (
            "18 znaków z Karty Zdrowia Pacjenta."
            if card.required
            else "Jeśli masz Kartę Zdrowia Pacjenta (kartę OSOZ), podaj jej 18-znakowy numer."
        )

    @property
    def fixed_kind(self) -> str | None:
        """The only kind of visit the slot offers, shown instead of a choice."""
        if "kind" in self.fields:
            return None
        return BookingKind.TELEVISIT if self.offered.kinds == (TELEVISIT,) else BookingKind.VISIT

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and (not bookings.PHONE_PATTERN.match(phone) or sum(c.isdigit() for c in phone) < 9):
            raise forms.ValidationError("Podaj numer telefonu: co najmniej 9 cyfr, np. 601 234 567.")
        return phone

    def clean_pesel(self):
        pesel = self.cleaned_data["pesel"].strip()
        if not bookings.pesel_valid(pesel):
            raise forms.ValidationError("Numer PESEL jest nieprawidłowy – sprawdź 11 cyfr.")
        return pesel

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date and birth_date > timezone.localdate():
            raise forms.ValidationError("Data urodzenia nie może być z przyszłości.")
        return birth_date

    def clean_osoz_card_number(self):
        card = bookings.card_normalise(self.cleaned_data["osoz_card_number"])
        if card and not bookings.CARD_PATTERN.match(card):
            raise forms.ValidationError("Numer karty OSOZ ma 18 znaków: cyfry i wielkie litery (spacje pomijamy).")
        return card

    def clean(self):
        cleaned = super().clean()
        # "Aby umówić się na telewizytę, pacjent będzie zobligowany do akceptacji treści tego regulaminu" (§14.1).
        televisit = (cleaned.get("kind") or self.fixed_kind) == BookingKind.TELEVISIT
        if televisit and not cleaned.get("televisit_terms_accepted"):
            self.add_error("televisit_terms_accepted", "Aby umówić telewizytę, zaakceptuj regulamin telewizyty.")
        note = cleaned.get("patient_note", "").strip()
        if cleaned.get("note_wanted") and not note:
            self.add_error("patient_note", "Wpisz informację dla lekarza albo odznacz tę opcję.")
        cleaned["patient_note"] = note if cleaned.get("note_wanted") or note else ""
        return cleaned

    def booking_request(self, *, channel: str) -> bookings.BookingRequest:
        data = self.cleaned_data
        return bookings.BookingRequest(
            entity=self.entity,
            doctor_id=self.offered.schedule.doctor_id,
            schedule_id=self.offered.schedule.schedule_id,
            starts_at=self.offered.starts_at,
            kind=data.get("kind") or self.fixed_kind,
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"],
            phone=data.get("phone", ""),
            pesel=data.get("pesel", ""),
            birth_date=data.get("birth_date"),
            osoz_card_number=data.get("osoz_card_number", ""),
            patient_note=data["patient_note"],
            requirement_accepted=bool(data.get("requirement_accepted")),
            channel=channel,
        )


REFERRAL_DAYS = 30


def _service_choices(services: list[PriceListEntry]) -> list[tuple[str, str]]:
    return [("", "— wybierz usługę —")] + [
        (entry.service_id, f"{entry.name} – {entry.price} zł ({entry.group_name})") for entry in services
    ]


class CallCentreBookingForm(forms.Form):
    """Infolinia ubezpieczyciela: the insured patient's data for one offered slot, the service ordered from the
    insurer's price list with the discount it covers (manual §12.1), and optionally a referral issued with the booking
    (§12.2). The platform checks it all again when booking (bookings.booking_create)."""

    requirement_accepted = forms.BooleanField(
        label="Pacjent zgadza się na warunki wizyt",
        error_messages={"required": "Pacjent musi zaakceptować warunki wizyt podane przez placówkę."},
    )
    kind = forms.ChoiceField(
        label="Rodzaj wizyty",
        widget=forms.RadioSelect,
        choices=[(BookingKind.VISIT, "Wizyta w placówce"), (BookingKind.TELEVISIT, "Telewizyta (wizyta on-line)")],
        initial=BookingKind.VISIT,
        error_messages={"required": "Wybierz rodzaj wizyty."},
    )
    first_name = forms.CharField(label="Imię", max_length=bookings.MAX_NAME, error_messages={"required": "Podaj imię."})
    last_name = forms.CharField(
        label="Nazwisko", max_length=bookings.MAX_NAME, error_messages={"required": "Podaj nazwisko."}
    )
    pesel = forms.CharField(
        label="PESEL",
        max_length=11,
        error_messages={"required": "Podaj numer PESEL ubezpieczonego."},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    email = forms.EmailField(
        label="Adres e-mail",
        max_length=254,
        error_messages={"required": "Podaj adres e-mail pacjenta.", "invalid": "Podaj poprawny adres e-mail."},
    )
    phone = forms.CharField(
        label="Numer telefonu",
        max_length=40,
        error_messages={"required": "Podaj numer telefonu pacjenta."},
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    service_id = forms.ChoiceField(
        label="Usługa",
        help_text="Z cennika ubezpieczyciela obowiązującego w placówce, z grup udostępnionych w tym harmonogramie.",
        error_messages={
            "required": "Wybierz usługę z cennika ubezpieczyciela.",
            "invalid_choice": "Wybierz usługę z cennika ubezpieczyciela.",
        },
    )
    discount_percent = forms.IntegerField(
        label="Zniżka (%)",
        min_value=0,
        max_value=100,
        help_text="Część ceny usługi, którą pokrywa ubezpieczyciel: 100 – całość, 0 – płaci pacjent.",
        error_messages={
            "required": "Podaj zniżkę (0–100%).",
            "invalid": "Zniżka musi być liczbą całkowitą.",
            # Formatted with the validator's params, so the per cent sign is doubled.
            "min_value": "Zniżka musi mieścić się w zakresie 0–100%%.",
            "max_value": "Zniżka musi mieścić się w zakresie 0–100%%.",
        },
    )
    note = forms.CharField(
        label="Uwagi dla placówki",
        required=False,
        max_length=bookings.MAX_INSURER_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    referral_wanted = forms.BooleanField(label="Wystaw skierowanie", required=False)
    referral_issued_on = forms.DateField(
        label="Data wystawienia",
        required=False,
        error_messages={"invalid": "Podaj datę w formacie RRRR-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    referral_valid_until = forms.DateField(
        label="Data ważności",
        required=False,
        error_messages={"invalid": "Podaj datę w formacie RRRR-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    referral_service_id = forms.ChoiceField(
        label="Usługa skierowania",
        required=False,
        error_messages={"invalid_choice": "Wybierz usługę skierowania z cennika ubezpieczyciela."},
    )
    referral_note = forms.CharField(
        label="Uwagi do skierowania",
        required=False,
        max_length=bookings.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, offered: OfferedSlot, services: list, referral_services: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.offered = offered
        if not offered.schedule.requirement:
            del self.fields["requirement_accepted"]
        if len(offered.kinds) < 2:
            del self.fields["kind"]
        self.fields["service_id"].choices = _service_choices(services)
        self.fields["referral_service_id"].choices = _service_choices(referral_services)
        today = timezone.localdate()
        self.initial.setdefault("referral_issued_on", today)
        self.initial.setdefault("referral_valid_until", today + datetime.timedelta(days=REFERRAL_DAYS))

    @property
    def fixed_kind(self) -> str:
        return BookingKind.TELEVISIT if self.offered.kinds == (TELEVISIT,) else BookingKind.VISIT

    def clean_pesel(self):
        pesel = self.cleaned_data["pesel"].strip()
        if not bookings.pesel_valid(pesel):
            raise forms.ValidationError("Numer PESEL jest nieprawidłowy – sprawdź 11 cyfr.")
        return pesel

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not bookings.PHONE_PATTERN.match(phone) or sum(c.isdigit() for c in phone) < 9:
            raise forms.ValidationError("Podaj numer telefonu: co najmniej 9 cyfr, np. 601 234 567.")
        return phone

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("referral_wanted"):
            return cleaned
        issued_on, valid_until = cleaned.get("referral_issued_on"), cleaned.get("referral_valid_until")
        required = {
            "referral_issued_on": "Podaj datę wystawienia skierowania.",
            "referral_valid_until": "Podaj datę ważności skierowania.",
            "referral_service_id": "Wybierz usługę skierowania z cennika ubezpieczyciela.",
        }
        for name, message in required.items():
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        if issued_on and issued_on > timezone.localdate():
            self.add_error("referral_issued_on", "Data wystawienia skierowania nie może być z przyszłości.")
        if issued_on and valid_until and valid_until < issued_on:
            self.add_error("referral_valid_until", "Data ważności nie może być wcześniejsza niż data wystawienia.")
        return cleaned

    def booking_request(self, *, insurer: Insurer) -> bookings.BookingRequest:
        data = self.cleaned_data
        referral = None
        if data["referral_wanted"]:
            referral = bookings.ReferralRequest(
                issued_on=data["referral_issued_on"],
                valid_until=data["referral_valid_until"],
                service_id=data["referral_service_id"],
                note=data["referral_note"].strip(),
            )
        schedule = self.offered.schedule
        return bookings.BookingRequest(
            entity=schedule.entity,
            doctor_id=schedule.doctor_id,
            schedule_id=schedule.schedule_id,
            starts_at=self.offered.starts_at,
            kind=data.get("kind") or self.fixed_kind,
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"],
            phone=data["phone"],
            pesel=data["pesel"],
            birth_date=stdnum_pesel.get_birth_date(data["pesel"]),
            requirement_accepted=bool(data.get("requirement_accepted")),
            channel=BookingChannel.INSURER,
            payer_order=bookings.PayerOrderRequest(
                payer_id=insurer.osoz_id,
                service_id=data["service_id"],
                discount_percent=data["discount_percent"],
                note=data["note"].strip(),
                referral=referral,
            ),
        )


class CancelForm(forms.Form):
    """The patient's cancellation; the reason is required when the clinic asks for one (Tabela 4)."""

    reason = forms.CharField(
        label="Powód odwołania",
        max_length=bookings.MAX_REASON,
        error_messages={"required": "Podaj powód odwołania wizyty – placówka prosi o niego."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class FaultSettingsForm(forms.ModelForm):
    """Symulacja awarii (SBX-8)."""

    class Meta:
        model = FaultSettings
        fields = ["down", "delay_ms", "error_rate", "duplicate_deliveries", "reorder_events"]
        help_texts = {
            "down": "API odpowiada 503 z nagłówkiem Retry-After; webhooki czekają i zostaną wysłane po przywróceniu.",
            "delay_ms": "Każda odpowiedź API przychodzi o tyle później.",
            "error_rate": "Tyle procent zapytań API dostaje odpowiedź 500, zanim cokolwiek zostanie zmienione.",
            "duplicate_deliveries": "Każde zdarzenie strony kanału zdarzeń i każdy webhook są dostarczane dwukrotnie.",
            "reorder_events": "Zdarzenia na stronie kanału zdarzeń przychodzą w odwrotnej kolejności.",
        }

    def clean_delay_ms(self):
        delay = self.cleaned_data["delay_ms"]
        if delay > faults.MAX_DELAY_MS:
            raise forms.ValidationError(f"Opóźnienie może wynosić najwyżej {faults.MAX_DELAY_MS} ms.")
        return delay

    def clean_error_rate(self):
        rate = self.cleaned_data["error_rate"]
        if rate > 100:
            raise forms.ValidationError("Odsetek błędów musi mieścić się w zakresie 0–100%.")
        return rate

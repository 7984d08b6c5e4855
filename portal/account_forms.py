"""Forms of the patient's account pages: what a stranger types is checked here, before any service sees it."""

import re

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from patients.forms import PeselField
from patients.models import phone_normalise
from patients.pesel import pesel_decode
from portal.accounts import activation_code_normalise
from portal.models import CodePurpose, PatientAccount

# A name is letters, with single spaces, hyphens, apostrophes or dots between them ("Anna-Maria", "O'Neil"): no
# digits, no control characters, nothing a spreadsheet reads as a formula (=, +, -, @ first).
NAME = re.compile(r"[^\W\d_]+(?:[ '’.-]{1,2}[^\W\d_]+)*\.?")


def validate_name(value: str) -> None:
    if not NAME.fullmatch(value):
        raise ValidationError(
            _("Wpisz literami; między częściami może być spacja, łącznik lub apostrof."), code="name_characters"
        )


class NameField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=100, validators=[validate_name], **kwargs)


class NewPasswordForm(forms.Form):
    """Hasło and Powtórz hasło, checked with the project's AUTH_PASSWORD_VALIDATORS against the account's data."""

    password = forms.CharField(
        label=_("Hasło"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Co najmniej 12 znaków; nie same cyfry i nie podobne do e-maila ani nazwiska."),
    )
    password_again = forms.CharField(
        label=_("Powtórz hasło"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, account: PatientAccount | None = None, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def password_owner(self) -> PatientAccount | None:
        """Whose data the password must not resemble."""
        return self.account

    def clean(self):
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("Hasła nie są takie same."))
        elif password:
            try:
                password_validation.validate_password(password, user=self.password_owner())
            except ValidationError as error:
                self.add_error("password", error)
        return data


class RegisterForm(NewPasswordForm):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    pesel = PeselField(label=_("PESEL"), widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    first_name = NameField(label=_("Imię"), widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = NameField(label=_("Nazwisko"), widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    phone = forms.CharField(
        label=_("Telefon"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    consent = forms.BooleanField(
        label=_("Akceptuję regulamin Portalu Pacjenta"),
        error_messages={"required": _("Zaznacz akceptację regulaminu Portalu Pacjenta.")},
    )

    field_order = ["email", "password", "password_again", "pesel", "first_name", "last_name", "phone", "consent"]

    def clean_pesel(self):
        pesel = self.cleaned_data["pesel"]
        pesel_decode(pesel)
        return pesel

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        return phone_normalise(phone) if phone else ""

    def password_owner(self) -> PatientAccount:
        data = self.cleaned_data
        return PatientAccount(
            email=data.get("email", ""), first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
        )


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Hasło"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class LinkChannelForm(forms.Form):
    """Where the code goes: the record's e-mail or its phone, whichever it has (shown masked)."""

    channel = forms.ChoiceField(label=_("Wyślij kod"), widget=forms.RadioSelect)

    def __init__(self, *args, email: str, phone: str, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if email:
            choices.append((CodePurpose.LINK_EMAIL, _("e-mailem na adres %(email)s") % {"email": email}))
        if phone:
            choices.append((CodePurpose.LINK_PHONE, _("SMS-em na numer %(phone)s") % {"phone": phone}))
        self.fields["channel"].choices = choices
        self.fields["channel"].initial = choices[0][0] if choices else None


class LinkCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Kod z wiadomości"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Kod to 6 cyfr.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}),
    )


class ActivationCodeForm(forms.Form):
    activation_code = forms.CharField(
        label=_("Kod aktywacyjny"),
        max_length=20,
        help_text=_("12 znaków z kartki z rejestracji, np. ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_activation_code(self):
        code = activation_code_normalise(self.cleaned_data["activation_code"])
        if not re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code):
            raise ValidationError(_("Kod aktywacyjny ma 12 znaków: trzy grupy po cztery, np. ABCD-EFGH-JKMN."))
        return code

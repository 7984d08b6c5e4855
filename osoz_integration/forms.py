"""The connection settings of Ustawienia > OSOZ/LBK with its Konfiguracja dostępu do telewizyty, and the certificate of
„Wyślij cenniki do OSOZ” (PAY-6)."""

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _

from osoz_integration.models import Connection

KEEP_SECRET = _("Pozostaw puste, aby zachować zapisany sekret. Kreator konfiguracji wpisuje go sam.")


class ConnectionForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("Adres platformy OSOZ"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("Adres platformy OSOZ bez /api/v1, np. http://127.0.0.1:8001."),
    )
    client_secret = forms.CharField(
        label=_("Sekret klienta (client_secret)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=KEEP_SECRET,
    )
    webhook_secret = forms.CharField(
        label=_("Sekret podpisu powiadomień OSOZ"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=KEEP_SECRET,
    )

    outage_alert_minutes = forms.IntegerField(
        label=_("Powiadom administratorów po (minutach) braku połączenia"),
        required=False,
        min_value=1,
        max_value=1440,
        help_text=_(
            "Gdy OSOZ nie odpowiada dłużej, administratorzy dostają e-mail i widzą komunikat na każdej stronie; "
            "drugi e-mail przychodzi, gdy połączenie wróci."
        ),
    )

    class Meta:
        model = Connection
        fields = ["base_url", "client_id", "outage_alert_minutes"]

    def clean_outage_alert_minutes(self) -> int:
        """Left out of a request (or emptied), the stored value stays."""
        minutes = self.cleaned_data["outage_alert_minutes"]
        return self.instance.outage_alert_minutes if minutes is None else minutes


class TelevisitAccessForm(forms.Form):
    """Konfiguracja dostępu do telewizyty (manual §14.2): the Provider Service password, sent to OSOZ once and never
    stored."""

    password = forms.CharField(
        label=_("Hasło do Serwisu Świadczeniodawcy OSOZ"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Hasło, którym logujesz się do Serwisu Świadczeniodawcy OSOZ. Wprowadzenie hasła jest czynnością "
            "jednorazową i jest wymagane do aktywacji dostępu do usługi telewizyty; wprowadzone hasło nie jest "
            "przechowywane w systemie."
        ),
        error_messages={"required": _("Wprowadź hasło do Serwisu Świadczeniodawcy OSOZ.")},
    )


# A PKCS#12 file with a key, its certificate and a chain of two is a few kilobytes; real ones stay well below this.
CERTIFICATE_MAX_BYTES = 64 * 1024


class PriceListsCertificateForm(forms.Form):
    """„Wyślij cenniki do OSOZ”, the step Certyfikat (manual §11.3): the qualified certificate's PKCS#12 file and its
    password, used for one signature and never stored."""

    certificate = forms.FileField(
        label=_("Certyfikat (plik .p12 lub .pfx)"),
        help_text=_("Plik certyfikatu kwalifikowanego z kluczem prywatnym, np. wyeksportowany z czytnika karty."),
        widget=forms.ClearableFileInput(attrs={"accept": ".p12,.pfx,application/x-pkcs12"}),
    )
    password = forms.CharField(
        label=_("Hasło do pliku certyfikatu"),
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def clean_certificate(self) -> bytes:
        upload = self.cleaned_data["certificate"]
        if upload.size > CERTIFICATE_MAX_BYTES:
            raise forms.ValidationError(
                _("Plik certyfikatu może mieć najwyżej %(size)s kB.") % {"size": CERTIFICATE_MAX_BYTES // 1024}
            )
        return upload.read()


class PriceListsConfirmForm(forms.Form):
    """The confirmation of the signature: the same file and password come back from the page that showed the
    certificate's subject (nothing is kept on the server between the steps), with the subject confirmed."""

    certificate = forms.CharField(widget=forms.HiddenInput, max_length=CERTIFICATE_MAX_BYTES * 2)
    password = forms.CharField(widget=forms.HiddenInput, required=False, strip=False, max_length=200)
    subject = forms.CharField(widget=forms.HiddenInput, max_length=2000)

    def clean_certificate(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["certificate"], validate=True)
        except binascii.Error:
            raise forms.ValidationError(_("Wybierz plik certyfikatu ponownie.")) from None

"""The connection settings of Ustawienia > OSOZ/LBK."""

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

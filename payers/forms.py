"""Forms of Usługi prywatne. Prices are typed the Polish way (core.forms.MoneyField); the rules live in the models and
payers.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField
from payers.models import Payer, Service, ServiceGroup, nip_normalise

PRICE_HELP = _("Cena brutto w złotych, np. 150 albo 149,99.")


class ServiceGroupForm(forms.ModelForm):
    class Meta:
        model = ServiceGroup
        fields = ["name", "position"]


class ServiceForm(forms.ModelForm):
    price = MoneyField(label=_("Cena brutto"), help_text=PRICE_HELP)

    class Meta:
        model = Service
        fields = ["group", "name", "price", "active"]
        help_texts = {
            "active": _("Usługa nieaktywna pozostaje w cenniku, ale nie można jej nadpisać do cennika płatnika."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].empty_label = None


class GroupPricesForm(forms.Form):
    """Zmień ceny: the price of every service of one group, saved at once."""

    def __init__(self, *args, services: list[Service], **kwargs):
        super().__init__(*args, **kwargs)
        self.services = services
        for service in services:
            self.fields[self.field_name(service)] = MoneyField(label=service.name, initial=service.price)

    @staticmethod
    def field_name(service: Service) -> str:
        return f"price_{service.pk}"

    def rows(self) -> list[tuple[Service, forms.BoundField]]:
        return [(service, self[self.field_name(service)]) for service in self.services]

    def prices(self) -> dict[int, object]:
        return {service.pk: self.cleaned_data[self.field_name(service)] for service in self.services}


class PayerForm(forms.ModelForm):
    # Typed with dashes or spaces as often as not; kept as ten digits.
    nip = forms.CharField(label=_("NIP"), max_length=20, required=False, help_text=_("np. 526-025-02-74"))

    class Meta:
        model = Payer
        fields = ["name", "nip"]

    def clean_nip(self):
        nip = self.cleaned_data["nip"]
        return nip_normalise(nip) if nip else ""

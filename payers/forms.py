"""Forms of Usługi prywatne. Prices are typed the Polish way (core.forms.MoneyField); the rules live in the models and
payers.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MoneyField
from core.money import money_pl
from payers.models import Payer, PayerService, Service, ServiceGroup, nip_normalise

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


# --- The visit's sections (PAY-8, PAY-9) ---------------------------------------------------------------------------

SHARE_HELP = _("Jaką część kosztu usługi pokrywa płatnik: 0 – całość płaci pacjent, 100 – całość płaci płatnik.")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GroupedServiceChoiceField(forms.ModelChoiceField):
    """Cennik ogólny's active services, listed under their groups."""

    def __init__(self, **kwargs):
        queryset = (
            Service.objects.filter(active=True)
            .select_related("group")
            .order_by("group__position", "group__name", "name")
        )
        super().__init__(queryset=queryset, **kwargs)

    def label_from_instance(self, service: Service) -> str:
        return f"{service.name} – {money_pl(service.price)}"

    def _choices_grouped(self):
        groups: dict[str, list] = {}
        for service in self.queryset:
            groups.setdefault(service.group.name, []).append((service.pk, self.label_from_instance(service)))
        return [("", "---------"), *groups.items()]


class VisitServiceAddForm(forms.Form):
    service = GroupedServiceChoiceField(label=_("Usługa"))
    quantity = forms.IntegerField(label=_("Ilość"), min_value=1, max_value=99, initial=1)
    payer_share = forms.IntegerField(
        label=_("Udział płatnika (%)"), min_value=0, max_value=100, initial=0, help_text=SHARE_HELP
    )

    def __init__(self, *args, has_payer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = self.fields["service"]._choices_grouped()
        if not has_payer:
            del self.fields["payer_share"]


class VisitServiceEditForm(forms.Form):
    quantity = forms.IntegerField(label=_("Ilość"), min_value=1, max_value=99)
    payer_share = forms.IntegerField(label=_("Udział płatnika (%)"), min_value=0, max_value=100, help_text=SHARE_HELP)


class ReferralSentForm(forms.Form):
    """Skierowanie wysyłane (§12.2.1): dates and one service of the payer's list."""

    issued_on = forms.DateField(label=_("Data wystawienia"), widget=DATE_INPUT)
    valid_until = forms.DateField(label=_("Data ważności"), widget=DATE_INPUT)
    payer_service = forms.ModelChoiceField(label=_("Usługa"), queryset=PayerService.objects.none())

    def __init__(self, *args, services: list[PayerService], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer_service"].queryset = PayerService.objects.filter(pk__in=[service.pk for service in services])
        self.fields["payer_service"].choices = [("", "---------")] + [
            (service.pk, f"{service.name} – {money_pl(service.price)}") for service in services
        ]

    def clean(self):
        cleaned = super().clean()
        issued_on, valid_until = cleaned.get("issued_on"), cleaned.get("valid_until")
        if issued_on and valid_until and valid_until < issued_on:
            self.add_error("valid_until", _("Data ważności nie może być wcześniejsza niż data wystawienia."))
        return cleaned

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clinic.models import Address, Cell, Clinic, Employee, Location
from clinic.selectors import cell_choices
from clinic.services import EMPLOYEE_FIELDS

ADDRESS_WIDGETS = {
    "postcode": forms.TextInput(attrs={"placeholder": "00-000", "inputmode": "numeric", "size": 6}),
    "phone": forms.TextInput(attrs={"type": "tel"}),
}


class LocationForm(forms.ModelForm):
    # Not stored: picking a cell only fills the address fields below through htmx (manual §5.1).
    address_cell = forms.ModelChoiceField(
        label=_("Adres z komórki"),
        queryset=Cell.objects.none(),
        required=False,
        empty_label=_("— wybierz komórkę —"),
        help_text=_("Wybrana komórka uzupełni adres; pola nadal można poprawić, brakujące dane wpisz ręcznie."),
    )

    class Meta:
        model = Location
        fields = ["name", "osoz_location_id", "osoz_enabled", "osoz_unit_name", "address_cell", *Address.ADDRESS_FIELDS]
        widgets = ADDRESS_WIDGETS
        help_texts = {
            "osoz_location_id": _(
                "Przy jednej lokalizacji taki sam jak identyfikator podmiotu; przy kilku każda lokalizacja ma "
                "własny identyfikator, otrzymany z Centrum Wsparcia."
            ),
            "osoz_enabled": _("Zaznaczenie pokazuje lokalizację w OSOZ, odznaczenie ją ukrywa."),
            "osoz_unit_name": _("Nazwa, pod którą pacjenci znajdą lokalizację w serwisie LekarzeBezKolejki.pl."),
        }

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        location = self.instance
        if location.pk:
            field = self.fields["address_cell"]
            field.queryset = location.cells.all()
            field.widget.attrs.update(
                {
                    "hx-get": reverse("clinic:location_address", args=[location.pk]),
                    "hx-target": "#location-address",
                    "hx-swap": "outerHTML",
                    "hx-include": "#location-address",
                }
            )
        else:
            # A new location has no cells yet; its address is typed by hand.
            del self.fields["address_cell"]
        only_location = not Location.objects.exclude(pk=location.pk).exists()
        if not location.osoz_location_id and clinic.osoz_entity_id and only_location:
            self.initial["osoz_location_id"] = clinic.osoz_entity_id

    @property
    def address_fields(self):
        return [self[name] for name in Address.ADDRESS_FIELDS]


class CellForm(forms.ModelForm):
    class Meta:
        model = Cell
        fields = ["name", *Address.ADDRESS_FIELDS]
        widgets = ADDRESS_WIDGETS


class StaffUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.audit_label


class EmployeeForm(forms.ModelForm):
    cells = forms.ModelMultipleChoiceField(label=_("Pracuje w komórce"), queryset=Cell.objects.none(), required=False)
    osoz_cells = forms.ModelMultipleChoiceField(
        label=_("Komórki przekazywane do OSOZ"), queryset=Cell.objects.none(), required=False
    )

    class Meta:
        model = Employee
        fields = [*EMPLOYEE_FIELDS, "osoz_specialisations"]
        field_classes = {"user": StaffUserChoiceField}
        widgets = {
            "osoz_access": forms.RadioSelect,
            "osoz_description": forms.Textarea(attrs={"rows": 4}),
            "osoz_callcenter_description": forms.Textarea(attrs={"rows": 3}),
            "osoz_specialisations": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "osoz_enabled": _(
                "Zaznaczenie pokazuje lekarza w OSOZ; odznaczenie ukrywa go razem z jego harmonogramami."
            ),
            "osoz_specialisations": _("Jedna lub kilka ze słownika OSOZ; po nich pacjenci wyszukują lekarza."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cells = cell_choices()
        self.fields["cells"].queryset = cells
        self.fields["osoz_cells"].queryset = cells
        self.fields["user"].queryset = User.objects.filter(is_active=True).filter(
            Q(employee__isnull=True) | Q(employee__pk=self.instance.pk)
        )
        self.fields["user"].empty_label = _("— bez konta —")
        if self.instance.pk:
            links = list(self.instance.employee_cells.all())
            self.initial["cells"] = [link.cell_id for link in links]
            self.initial["osoz_cells"] = [link.cell_id for link in links if link.osoz_published]

    def cell_rows(self) -> list[dict]:
        """The rows of the cells table: each cell with whether its two checkboxes are ticked."""
        works = {str(value) for value in self["cells"].value() or []}
        published = {str(value) for value in self["osoz_cells"].value() or []}
        return [
            {"cell": cell, "works": str(cell.pk) in works, "published": str(cell.pk) in published}
            for cell in self.fields["cells"].queryset
        ]

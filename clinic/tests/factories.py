import factory

from clinic.models import Cell, Employee, EmployeeCell, Location, Specialisation
from core.text import polish_sort_key


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Przychodnia {n}")
    osoz_unit_number = factory.Sequence(lambda n: n + 1)
    street = "ul. Święty Marcin 45"
    city = "Poznań"
    postcode = "61-806"
    phone = "61 852 40 10"
    commune = "Poznań"
    osoz_unit_name = factory.LazyAttribute(lambda location: f"{location.name} – rejestracja")


class CellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cell

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Poradnia {n}")
    street = "ul. Ratajczaka 12"
    city = "Poznań"
    postcode = "61-815"
    phone = "61 852 40 17"
    commune = "Poznań"


class EmployeeFactory(factory.django.DjangoModelFactory):
    """A doctor visible in OSOZ; pass cells=[…] to place him, osoz_cells=[…] to pass those cells to OSOZ."""

    class Meta:
        model = Employee
        skip_postgeneration_save = True

    title = "lek."
    first_name = factory.Faker("first_name", locale="pl_PL")
    last_name = factory.Faker("last_name", locale="pl_PL")
    sort_name = factory.LazyAttribute(lambda employee: polish_sort_key(employee.last_name, employee.first_name))
    is_medical = True
    osoz_enabled = True
    osoz_description = "Internista."

    @factory.post_generation
    def osoz_specialisations(self, create, extracted, **kwargs):
        if create:
            self.osoz_specialisations.set(extracted or [Specialisation.objects.get(name="Choroby wewnętrzne")])

    @factory.post_generation
    def osoz_cells(self, create, extracted, **kwargs):
        for cell in extracted or ():
            EmployeeCell.objects.create(employee=self, cell=cell, osoz_published=True)

    @factory.post_generation
    def cells(self, create, extracted, **kwargs):
        for cell in extracted or ():
            EmployeeCell.objects.get_or_create(employee=self, cell=cell)

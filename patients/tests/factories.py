import factory

from patients.models import OsozCard, OsozCardSource, OsozCardStatus, Patient, Sex
from patients.pesel import pesel_make


class PatientFactory(factory.django.DjangoModelFactory):
    """A valid patient: the PESEL is made from the birth date and sex, so it passes every check of the record."""

    class Meta:
        model = Patient

    sex = factory.Iterator([Sex.FEMALE, Sex.MALE])
    first_name = factory.Maybe(
        factory.LazyAttribute(lambda p: p.sex == Sex.FEMALE),
        yes_declaration=factory.Faker("first_name_female", locale="pl_PL"),
        no_declaration=factory.Faker("first_name_male", locale="pl_PL"),
    )
    last_name = factory.Faker("last_name", locale="pl_PL")
    birth_date = factory.Faker("date_of_birth", minimum_age=0, maximum_age=95)
    pesel = factory.LazyAttributeSequence(lambda p, n: pesel_make(birth_date=p.birth_date, sex=p.sex, serial=n))
    phone = factory.Sequence(lambda n: f"6{n:08d}")
    street = factory.Faker("street_address", locale="pl_PL")
    postal_code = factory.Faker("postcode", locale="pl_PL")
    city = factory.Faker("city", locale="pl_PL")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the record's own checks, which also fill the folded search keys.
        patient = model_class(*args, **kwargs)
        patient.full_clean()
        patient.save()
        return patient


class OsozCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OsozCard

    patient = factory.SubFactory(PatientFactory)
    number = factory.Sequence(lambda n: f"{n:018d}")
    status = OsozCardStatus.INACTIVE
    source = OsozCardSource.MANUAL

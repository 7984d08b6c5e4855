from decimal import Decimal

import factory

from payers.models import Payer, PayerService, Service, ServiceGroup


class ServiceGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceGroup

    name = factory.Sequence(lambda n: f"Konsultacje specjalistyczne {n}")
    position = factory.Sequence(lambda n: n)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    group = factory.SubFactory(ServiceGroupFactory)
    name = factory.Sequence(lambda n: f"Konsultacja kardiologiczna {n}")
    price = Decimal("250.00")


class PayerFactory(factory.django.DjangoModelFactory):
    """A payer imported from OSOZ; pass imported_from_osoz=False, osoz_id="" for one typed in by hand."""

    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Wisła Ubezpieczenia Zdrowotne {n} S.A.")
    osoz_id = factory.Sequence(lambda n: f"{800100 + n}")
    imported_from_osoz = True


class PayerServiceFactory(factory.django.DjangoModelFactory):
    """An overridden copy, equal to its base service as the services keep it."""

    class Meta:
        model = PayerService

    payer = factory.SubFactory(PayerFactory)
    service = factory.SubFactory(ServiceFactory)
    name = factory.LazyAttribute(lambda copy: copy.service.name)
    price = factory.LazyAttribute(lambda copy: copy.service.price)
    active = factory.LazyAttribute(lambda copy: copy.service.active)

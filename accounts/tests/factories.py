import base64

import factory
from django.contrib.auth.models import Group

from accounts.models import TOTPDevice, User

PASSWORD = "Haslo-testowe-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pracownik{n}")
    first_name = factory.Faker("first_name", locale="pl_PL")
    last_name = factory.Faker("last_name", locale="pl_PL")
    email = factory.LazyAttribute(lambda u: f"{u.username}@poradnia.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Aplikacja uwierzytelniająca"
    confirmed = True


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()

"""Factories of providers and their staff (valid ИНН/ОГРН check digits)."""

import factory

from pfdo.accounts.tests.factories import UserFactory, grant
from pfdo.common.choices import LegalForm
from pfdo.providers.models import Provider, ProviderStaff
from pfdo.territory.tests.factories import MunicipalityFactory

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def make_inn10(n: int) -> str:
    body = f"{1101000000 + n:010d}"[:9]
    check = sum(int(d) * w for d, w in zip(body, _INN10, strict=False)) % 11 % 10
    return body + str(check)


def make_ogrn13(n: int) -> str:
    body = f"{102110000000 + n:012d}"
    return body + str(int(body) % 11 % 10)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    municipality = factory.SubFactory(MunicipalityFactory)
    full_name = factory.Sequence(
        lambda n: f"Муниципальное учреждение дополнительного образования № {n}"
    )
    short_name = factory.Sequence(lambda n: f"МУДО № {n}")
    legal_form = LegalForm.MUNICIPAL
    inn = factory.Sequence(make_inn10)
    ogrn = factory.Sequence(make_ogrn13)
    licence_number = factory.Sequence(lambda n: f"Л035-01{n:05d}")
    legal_address = "169900, Республика Коми, г. Воркута, ул. Ленина, д. 1"
    actual_address = "169900, Республика Коми, г. Воркута, ул. Ленина, д. 1"
    phone = "+7 82151 00000"
    email = factory.Sequence(lambda n: f"provider{n}@example.org")
    status = Provider.Status.ACTIVE


def add_staff(provider, *, is_admin=True, user=None) -> ProviderStaff:
    """A staff user of `provider` with the provider_staff membership."""
    user = user or UserFactory()
    grant(user, "provider_staff", municipality=provider.municipality, is_provider_admin=is_admin)
    return ProviderStaff.objects.create(provider=provider, user=user, is_admin=is_admin)

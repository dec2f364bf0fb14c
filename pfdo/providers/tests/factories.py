"""Factories of providers and their staff (valid ИНН/ОГРН check digits)."""

import factory

from pfdo.accounts.models import Membership
from pfdo.accounts.tests.factories import UserFactory, grant
from pfdo.common.choices import LegalForm
from pfdo.providers.models import Provider, ProviderStaff, forget_staffed_provider_ids
from pfdo.territory.tests.factories import MunicipalityFactory

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def make_inn10(n: int) -> str:
    body = f"{110100000 + n % 900_000:09d}"  # nine digits, distinct for each n
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
    existing = Membership.objects.filter(
        user=user, role="provider_staff", municipality=provider.municipality
    ).first()
    if existing is None:
        grant(
            user, "provider_staff", municipality=provider.municipality, is_provider_admin=is_admin
        )
    elif is_admin and not existing.is_provider_admin:
        existing.is_provider_admin = True
        existing.save(update_fields=["is_provider_admin"])
        user.__dict__.pop("active_memberships", None)
    row = ProviderStaff.objects.create(provider=provider, user=user, is_admin=is_admin)
    forget_staffed_provider_ids(user)  # as the services do after a staff change
    return row


_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def make_inn12(n: int) -> str:
    """A valid 12-digit ИНН of an individual entrepreneur."""
    body = f"{1103000000 + n:010d}"[:10]
    first = sum(int(d) * w for d, w in zip(body, _INN12_1, strict=False)) % 11 % 10
    body += str(first)
    return body + str(sum(int(d) * w for d, w in zip(body, _INN12_2, strict=False)) % 11 % 10)


def make_ogrnip15(n: int) -> str:
    body = f"{31611030000000 + n:014d}"
    return body + str(int(body) % 13 % 10)


# A БИК and a settlement account whose control key matches it.
VALID_BIK = "048702640"
VALID_ACCOUNT = "40702810932800009876"

# Complete bank details of two banks (every key matches its БИК): where a provider is paid
# now, and where a request would move its payments.
KOMI_BANK = {
    "bank_name": "Коми отделение № 8617 ПАО Сбербанк",
    "bik": VALID_BIK,
    "settlement_account": VALID_ACCOUNT,
    "correspondent_account": "30101810400000000640",
}
OTHER_BANK = {
    "bank_name": "ПАО Сбербанк, г. Москва",
    "bik": "044525225",
    "settlement_account": "40702810938000012345",
    "correspondent_account": "30101810400000000225",
}

_SEQ = iter(range(500, 10_000_000))


def org_profile(**overrides) -> dict:
    """A complete, valid card of an organisation (fresh ИНН/ОГРН each call)."""
    n = next(_SEQ)
    card = {
        "full_name": f"Автономная некоммерческая организация «Центр {n}»",
        "short_name": f"АНО «Центр {n}»",
        "legal_form": LegalForm.NGO,
        "inn": make_inn10(n),
        "kpp": "110301001",
        "ogrn": make_ogrn13(n),
        "licence_number": f"Л035-01253-11/{n:08d}",
        "legal_address": "169900, Республика Коми, г. Воркута, ул. Ленина, д. 2",
        "actual_address": "169900, Республика Коми, г. Воркута, ул. Ленина, д. 2",
        "phone": "+7 82151 11111",
        "email": f"centre{n}@example.org",
        "bank_name": "Коми отделение № 8617 ПАО Сбербанк",
        "bik": VALID_BIK,
        "settlement_account": VALID_ACCOUNT,
    }
    card.update(overrides)
    return card


def ip_profile(**overrides) -> dict:
    """A valid card of an ИП teaching alone (no licence)."""
    n = next(_SEQ)
    card = {
        "full_name": f"Индивидуальный предприниматель Кузьмина Ольга {n}",
        "short_name": f"ИП Кузьмина О. {n}",
        "legal_form": LegalForm.IP,
        "inn": make_inn12(n),
        "ogrn": make_ogrnip15(n),
        "licence_exempt": True,
        "legal_address": "169900, Республика Коми, г. Воркута, ул. Пушкина, д. 7",
        "actual_address": "169900, Республика Коми, г. Воркута, ул. Пушкина, д. 7",
        "phone": "+7 912 555 66 77",
        "email": f"ip{n}@example.org",
    }
    card.update(overrides)
    return card


def new_staff(**overrides):
    from pfdo.providers.services import NewStaff

    n = next(_SEQ)
    values = {
        "login": f"staff{n}",
        "password": "Sever-Siyanie-2026",
        "last_name": "Смирнова",
        "first_name": "Ольга",
        "email": f"staff{n}@example.org",
    }
    values.update(overrides)
    return NewStaff(**values)

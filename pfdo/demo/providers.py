"""Demo providers of Vorkuta (valid ИНН/ОГРН and bank keys), created through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from pfdo.demo import identifiers, literals
from pfdo.demo.accounts import DEMO_PASSWORD
from pfdo.providers import services
from pfdo.providers.models import BankDetailsChange, Provider, ProviderStaff

DEMO_STAFF_PASSWORD = "vorkuta-demo-2026"
_DATA = literals.load("providers")
_BANK: dict[str, str] = _DATA["bank"]

# (admin login, card). Numbers are made up but pass every check-digit test.
DEMO_PROVIDERS: list[tuple[str, dict]] = [
    (row["login"], {**row["card"], **_BANK}) for row in _DATA["demo"]
]


@transaction.atomic
def seed_providers(*, municipality, actor=None) -> list[Provider]:
    """The Vorkuta demo providers, applied and included. A re-run creates nothing."""
    out = []
    for index, (login, card) in enumerate(DEMO_PROVIDERS, start=1):
        provider = Provider.objects.filter(municipality=municipality, inn=card["inn"]).first()
        if provider is None:
            director = card["director_name"].split()
            provider = services.apply_provider(
                actor=actor,
                municipality=municipality,
                profile=card,
                first_staff=services.NewStaff(
                    login=login,
                    password=DEMO_STAFF_PASSWORD,
                    last_name=director[0],
                    first_name=director[1],
                    patronymic=director[2] if len(director) > 2 else "",
                    email=f"admin{index}@demo.pfdo.local",
                    position="Руководитель",
                ),
            )
        if provider.status == Provider.Status.UNDER_REVIEW:
            services.include(actor=actor, provider=provider, reason="Документы проверены.")
        out.append(provider)
    return out


def seed_bank_change(*, providers: list[Provider]) -> BankDetailsChange | None:
    """A request to change bank details waiting in the operator's queue (the House of
    children's creativity moves to another bank). A re-run creates nothing."""
    spec = _DATA["bank_change"]
    row = (
        ProviderStaff.objects.filter(
            user__username=spec["login"], is_admin=True, provider__in=providers
        )
        .select_related("user", "provider")
        .first()
    )
    if row is None or BankDetailsChange.objects.filter(provider=row.provider).exists():
        return None
    return services.request_bank_change(
        actor=row.user, provider=row.provider, details=spec["details"], comment=spec["comment"]
    )


def attach_demo_staff(*, user, provider: Provider) -> ProviderStaff:
    """Make an existing user (the demo login «provider») an admin of `provider`. Idempotent."""
    return services.attach_existing_user(actor=None, provider=provider, user=user, is_admin=True)


# ---------------------------------------------------------------- generated providers
#
# On top of the six hand-written providers: the rest of a believable Vorkuta registry (houses
# of children's creativity, sports, music and art schools, a library, colleges, NGOs, private
# studios and ИП tutors). Names are hand-picked; identifiers, contacts and bank details are
# derived from the position in the list, so every run produces the same cards.


@dataclass(frozen=True)
class GeneratedProvider:
    login: str
    legal_form: str
    full_name: str
    short_name: str
    director: str
    kind: str  # what it teaches: the catalogue picks programme titles by it
    district: str
    address: str  # street and house, without the city
    description: str
    weight: int  # relative size of its catalogue
    # An ИП's registered (home) address, street to flat, without the city: its legal address,
    # which the public never sees; `address` is where it teaches.
    home: str = ""


_M, _S, _IP = "municipal", "state", "ip"

GENERATED_PROVIDERS: list[GeneratedProvider] = [
    GeneratedProvider(**row) for row in _DATA["generated"]
]
_POSTCODES: dict[str, str] = _DATA["postcodes"]
_ORG_ACCOUNT_PREFIX: dict[str, str] = _DATA["account_prefix"]


def _generated_inn(index: int, legal_form: str) -> str:
    """Vorkuta's tax office is 1103; the numbers stay clear of the hand-written ones."""
    if legal_form == _IP:
        return identifiers.inn_of(f"1103{600_000 + index * 7_919:06d}")
    return identifiers.inn_of(f"1103{20_000 + index * 137:05d}")


def _generated_ogrn(index: int, legal_form: str) -> str:
    year = 2 + index * 7 % 21  # registered between 2002 and 2022
    if legal_form == _IP:
        return identifiers.ogrn_of(f"3{year:02d}1103{10_000 + index * 313:07d}")
    return identifiers.ogrn_of(f"1{year:02d}1103{10_000 + index * 271:05d}")


def _generated_account(index: int, legal_form: str) -> str:
    """A settlement account whose control key agrees with the demo bank's БИК."""
    return identifiers.account_of(
        _ORG_ACCOUNT_PREFIX[legal_form], f"8728{1_000_000 + index * 40_483:07d}", bik=_BANK["bik"]
    )


def generated_card(index: int, spec: GeneratedProvider) -> dict:
    """The application card of the `index`-th generated provider (deterministic)."""
    is_ip = spec.legal_form == _IP
    postcode = _POSTCODES[spec.district]
    address = f"{postcode}, Республика Коми, г. Воркута, {spec.address}"
    card = {
        "full_name": spec.full_name,
        "short_name": spec.short_name,
        "legal_form": spec.legal_form,
        "inn": _generated_inn(index, spec.legal_form),
        "ogrn": _generated_ogrn(index, spec.legal_form),
        "director_name": spec.director,
        "legal_address": f"{postcode}, Республика Коми, г. Воркута, {spec.home}"
        if spec.home
        else address,
        "actual_address": address,
        "description": spec.description,
        "settlement_account": _generated_account(index, spec.legal_form),
        **_BANK,
    }
    if is_ip:
        card["licence_exempt"] = True
        card["phone"] = (
            f"+7 912 {100 + index * 37 % 900:03d}-{index * 13 % 90 + 10:02d}-{index * 29 % 90 + 10:02d}"
        )
        card["email"] = f"{spec.login}@example.ru"
    else:
        card["kpp"] = "110301001"
        card["licence_number"] = f"Л035-01253-11/00{300_000 + index * 1_337:06d}"
        card["licence_issued_on"] = dt.date(
            2012 + index % 12, 1 + index * 5 % 12, 1 + index * 3 % 28
        )
        if spec.legal_form in (_M, _S):
            card["phone"] = (
                f"+7 82151 {2 + index % 7}-{index * 17 % 90 + 10:02d}-{index * 41 % 90 + 10:02d}"
            )
            card["email"] = f"{spec.login}@vorkuta-edu.example.ru"
        else:
            card["phone"] = (
                f"+7 912 {200 + index * 53 % 700:03d}-{index * 19 % 90 + 10:02d}-{index * 31 % 90 + 10:02d}"
            )
            card["email"] = f"info@{spec.login}.example.ru"
            card["website"] = f"https://{spec.login}.example.ru"
    return card


def generated_kinds() -> dict[str, GeneratedProvider]:
    """ИНН → spec of every generated provider: the catalogue reads what each one teaches."""
    return {
        _generated_inn(index, spec.legal_form): spec
        for index, spec in enumerate(GENERATED_PROVIDERS)
    }


@transaction.atomic
def seed_generated_providers(*, municipality, count: int = 34, actor=None) -> list[Provider]:
    """`count` more Vorkuta providers of every legal form, applied and included through the
    services, each with an admin login (the demo password). A re-run creates nothing."""
    if count > len(GENERATED_PROVIDERS):
        raise ValueError(f"at most {len(GENERATED_PROVIDERS)} generated providers")
    specs = GENERATED_PROVIDERS[:count]
    cards = [generated_card(index, spec) for index, spec in enumerate(specs)]
    existing = {
        p.inn: p
        for p in Provider.objects.filter(
            municipality=municipality, inn__in=[card["inn"] for card in cards]
        )
    }
    out = []
    for spec, card in zip(specs, cards, strict=True):
        provider = existing.get(card["inn"])
        if provider is None:
            last, first, *rest = spec.director.split()
            provider = services.apply_provider(
                actor=actor,
                municipality=municipality,
                profile=card,
                first_staff=services.NewStaff(
                    login=spec.login,
                    password=DEMO_PASSWORD,
                    last_name=last,
                    first_name=first,
                    patronymic=rest[0] if rest else "",
                    email=f"admin-{spec.login}@demo.pfdo.local",
                    position="Руководитель" if spec.legal_form != _IP else "",
                ),
            )
        if provider.status == Provider.Status.UNDER_REVIEW:
            services.include(actor=actor, provider=provider, reason="Документы проверены.")
        out.append(provider)
    return out

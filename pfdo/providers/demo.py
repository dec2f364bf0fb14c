"""Demo providers of Vorkuta (valid ИНН/ОГРН and bank keys), created through the services."""

from __future__ import annotations

from django.db import transaction

from pfdo.providers import services
from pfdo.providers.models import Provider, ProviderStaff

DEMO_STAFF_PASSWORD = "vorkuta-demo-2026"
_BANK = {
    "bank_name": "Коми отделение № 8617 ПАО Сбербанк",
    "bik": "048702640",
    "correspondent_account": "30101810400000000640",
}

# (admin login, card). Numbers are made up but pass every check-digit test.
DEMO_PROVIDERS: list[tuple[str, dict]] = [
    (
        "ddt-vorkuta",
        {
            "full_name": "Муниципальное бюджетное учреждение дополнительного образования "
            "«Дом детского творчества» г. Воркуты",
            "short_name": "МБУДО «Дом детского творчества»",
            "legal_form": "municipal",
            "inn": "1103004513",
            "kpp": "110301001",
            "ogrn": "1021103004515",
            "licence_number": "Л035-01253-11/00238847",
            "director_name": "Иванова Светлана Николаевна",
            "legal_address": "169900, Республика Коми, г. Воркута, ул. Ленина, д. 32",
            "actual_address": "169900, Республика Коми, г. Воркута, ул. Ленина, д. 32",
            "phone": "+7 82151 3-45-67",
            "email": "ddt@vorkuta-edu.example.ru",
            "description": "Кружки технического и художественного творчества с 1957 года.",
            "settlement_account": "40701810884000000012",
            **_BANK,
        },
    ),
    (
        "dussh1-vorkuta",
        {
            "full_name": "Муниципальное бюджетное учреждение дополнительного образования "
            "«Детско-юношеская спортивная школа № 1» г. Воркуты",
            "short_name": "МБУДО «Детско-юношеская спортивная школа № 1»",
            "legal_form": "municipal",
            "inn": "1103005122",
            "kpp": "110301001",
            "ogrn": "1021103005120",
            "licence_number": "Л035-01253-11/00239012",
            "director_name": "Петров Андрей Викторович",
            "legal_address": "169906, Республика Коми, г. Воркута, ул. Тиманская, д. 4",
            "actual_address": "169906, Республика Коми, г. Воркута, ул. Тиманская, д. 4",
            "phone": "+7 82151 6-12-30",
            "email": "dussh1@vorkuta-edu.example.ru",
            "description": "Лыжные гонки, хоккей, плавание, самбо.",
            "settlement_account": "40701810832800001111",
            **_BANK,
        },
    ),
    (
        "dshi-vorkuta",
        {
            "full_name": "Муниципальное бюджетное учреждение дополнительного образования "
            "«Детская школа искусств» г. Воркуты",
            "short_name": "МБУДО «Детская школа искусств»",
            "legal_form": "municipal",
            "inn": "1103006239",
            "kpp": "110301001",
            "ogrn": "1021103006231",
            "licence_number": "Л035-01253-11/00240155",
            "director_name": "Сидорова Елена Павловна",
            "legal_address": "169900, Республика Коми, г. Воркута, ул. Гоголя, д. 11",
            "actual_address": "169900, Республика Коми, г. Воркута, ул. Гоголя, д. 11",
            "phone": "+7 82151 3-22-10",
            "email": "dshi@vorkuta-edu.example.ru",
            "description": "Музыка, хореография, изобразительное искусство.",
            "settlement_account": "40703810004000000777",
            **_BANK,
        },
    ),
    (
        "polar-code",
        {
            "full_name": "Автономная некоммерческая организация "
            "«Центр робототехники «Полярный код»",
            "short_name": "АНО «Центр робототехники «Полярный код»",
            "legal_form": "ngo",
            "inn": "1103047348",
            "kpp": "110301001",
            "ogrn": "1111103007344",
            "licence_number": "Л035-01253-11/00512377",
            "director_name": "Морозов Дмитрий Сергеевич",
            "legal_address": "169908, Республика Коми, г. Воркута, ул. Димитрова, д. 8",
            "actual_address": "169908, Республика Коми, г. Воркута, ул. Димитрова, д. 8, оф. 2",
            "phone": "+7 912 950-11-22",
            "email": "hello@polar-code.example.ru",
            "website": "https://polar-code.example.ru",
            "description": "Робототехника, программирование и 3D-моделирование для 7–17 лет.",
            "settlement_account": "40703810562800004321",
            **_BANK,
        },
    ),
    (
        "severnoe-siyanie",
        {
            "full_name": "Общество с ограниченной ответственностью «Северное сияние»",
            "short_name": "ООО «Северное сияние»",
            "legal_form": "company",
            "inn": "1103058452",
            "kpp": "110301001",
            "ogrn": "1151103008451",
            "licence_number": "Л035-01253-11/00601944",
            "director_name": "Лебедева Анна Игоревна",
            "legal_address": "169900, Республика Коми, г. Воркута, ул. Мира, д. 5",
            "actual_address": "169900, Республика Коми, г. Воркута, ул. Мира, д. 5",
            "phone": "+7 912 173-44-55",
            "email": "studio@siyanie.example.ru",
            "description": "Студия современного танца и вокала.",
            "settlement_account": "40702810932800009876",
            **_BANK,
        },
    ),
    (
        "kuzmina-ov",
        {
            "full_name": "Индивидуальный предприниматель Кузьмина Ольга Владимировна",
            "short_name": "ИП Кузьмина О. В.",
            "legal_form": "ip",
            "inn": "110301234562",
            "ogrn": "316110300012348",
            "licence_exempt": True,
            "director_name": "Кузьмина Ольга Владимировна",
            "legal_address": "169900, Республика Коми, г. Воркута, ул. Пушкина, д. 7, кв. 12",
            "actual_address": "169900, Республика Коми, г. Воркута, ул. Ленина, д. 50, каб. 3",
            "phone": "+7 912 555-66-77",
            "email": "kuzmina.ov@example.ru",
            "description": "Английский язык для школьников в мини-группах.",
            "settlement_account": "40802810872800005678",
            **_BANK,
        },
    ),
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


def attach_demo_staff(*, user, provider: Provider) -> ProviderStaff:
    """Make an existing user (the demo login «provider») an admin of `provider`. Idempotent."""
    return services.attach_existing_user(actor=None, provider=provider, user=user, is_admin=True)

"""Demo providers of Vorkuta (valid ИНН/ОГРН and bank keys), created through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from pfdo.demo.accounts import DEMO_PASSWORD
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


_M, _S, _N, _C, _IP = "municipal", "state", "ngo", "company", "ip"
_MBUDO = "Муниципальное бюджетное учреждение дополнительного образования"

GENERATED_PROVIDERS: list[GeneratedProvider] = [
    GeneratedProvider(
        "cdt-vorgashor",
        _M,
        f"{_MBUDO} «Центр детского творчества» пос. Воргашор",
        "МБУДО «ЦДТ» пос. Воргашор",
        "Ковалёва Ирина Анатольевна",
        "house",
        "Воргашор",
        "пос. Воргашор, ул. Энтузиастов, д. 3",
        "Кружки для детей Воргашора: от робототехники до вокала.",
        12,
    ),
    GeneratedProvider(
        "ddt-severny",
        _M,
        f"{_MBUDO} «Дом детского творчества» пос. Северный",
        "МБУДО «ДДТ» пос. Северный",
        "Фёдорова Галина Михайловна",
        "house",
        "Северный",
        "пос. Северный, ул. Крупской, д. 12",
        "Творческие объединения посёлка Северный.",
        12,
    ),
    GeneratedProvider(
        "syut-vorkuta",
        _M,
        f"{_MBUDO} «Станция юных техников» г. Воркуты",
        "МБУДО «Станция юных техников»",
        "Голубев Виктор Степанович",
        "technical",
        "Центральный",
        "ул. Гагарина, д. 14",
        "Техническое творчество: моделирование, электроника, программирование.",
        9,
    ),
    GeneratedProvider(
        "ebc-vorkuta",
        _M,
        f"{_MBUDO} «Эколого-биологический центр» г. Воркуты",
        "МБУДО «Эколого-биологический центр»",
        "Зайцева Людмила Петровна",
        "nature",
        "Центральный",
        "ул. Яновского, д. 6",
        "Живой уголок, зимний сад и лаборатория для юных натуралистов.",
        8,
    ),
    GeneratedProvider(
        "ctk-vorkuta",
        _M,
        f"{_MBUDO} «Центр туризма и краеведения» г. Воркуты",
        "МБУДО «Центр туризма и краеведения»",
        "Киселёв Олег Николаевич",
        "tourism",
        "Центральный",
        "ул. Дончука, д. 9",
        "Походы, ориентирование и краеведение Заполярья.",
        7,
    ),
    GeneratedProvider(
        "dussh2-vorkuta",
        _M,
        f"{_MBUDO} «Детско-юношеская спортивная школа № 2» г. Воркуты",
        "МБУДО «ДЮСШ № 2»",
        "Семёнов Игорь Валентинович",
        "sports",
        "Тиманский",
        "ул. Тиманская, д. 21",
        "Плавание, лыжные гонки, волейбол и лёгкая атлетика.",
        9,
    ),
    GeneratedProvider(
        "dussh3-vorkuta",
        _M,
        f"{_MBUDO} «Детско-юношеская спортивная школа № 3» г. Воркуты",
        "МБУДО «ДЮСШ № 3»",
        "Лаптев Сергей Анатольевич",
        "sports",
        "Центральный",
        "бульвар Пищевиков, д. 13",
        "Игровые виды спорта, единоборства и гимнастика.",
        9,
    ),
    GeneratedProvider(
        "dussh-zapolyarye",
        _M,
        f"{_MBUDO} «Детско-юношеская спортивная школа «Заполярье»",
        "МБУДО «ДЮСШ «Заполярье»",
        "Осипов Николай Григорьевич",
        "sports",
        "Заполярный",
        "пос. Заполярный, ул. Шахтёрская, д. 2",
        "Спортивная школа посёлков Заполярного кольца.",
        8,
    ),
    GeneratedProvider(
        "dmsh1-vorkuta",
        _M,
        f"{_MBUDO} «Детская музыкальная школа № 1» г. Воркуты",
        "МБУДО «ДМШ № 1»",
        "Романова Татьяна Ефимовна",
        "music",
        "Центральный",
        "ул. Ленина, д. 44",
        "Фортепиано, струнные, народные и духовые инструменты, хор.",
        8,
    ),
    GeneratedProvider(
        "dmsh2-timan",
        _M,
        f"{_MBUDO} «Детская музыкальная школа № 2» г. Воркуты",
        "МБУДО «ДМШ № 2»",
        "Виноградова Ольга Борисовна",
        "music",
        "Тиманский",
        "ул. Суворова, д. 7",
        "Музыкальное образование в Тиманском районе.",
        7,
    ),
    GeneratedProvider(
        "dhsh-vorkuta",
        _M,
        f"{_MBUDO} «Детская художественная школа» г. Воркуты",
        "МБУДО «Детская художественная школа»",
        "Крылова Вера Александровна",
        "art",
        "Центральный",
        "ул. Мира, д. 17",
        "Рисунок, живопись, композиция, скульптура и дизайн.",
        7,
    ),
    GeneratedProvider(
        "dshi-vorgashor",
        _M,
        f"{_MBUDO} «Детская школа искусств» пос. Воргашор",
        "МБУДО «ДШИ» пос. Воргашор",
        "Белоусова Наталья Юрьевна",
        "arts_school",
        "Воргашор",
        "пос. Воргашор, ул. Катаева, д. 11",
        "Музыка, хореография и изобразительное искусство в Воргашоре.",
        8,
    ),
    GeneratedProvider(
        "cbs-vorkuta",
        _M,
        "Муниципальное бюджетное учреждение культуры "
        "«Воркутинская централизованная библиотечная система»",
        "МБУК «Воркутинская ЦБС»",
        "Полякова Елена Валерьевна",
        "library",
        "Центральный",
        "ул. Гагарина, д. 28",
        "Центральная детская библиотека: клубы чтения, краеведение, медиастудия.",
        6,
    ),
    GeneratedProvider(
        "mvc-vorkuta",
        _M,
        "Муниципальное бюджетное учреждение культуры «Воркутинский музейно-выставочный центр»",
        "МБУК «Музейно-выставочный центр»",
        "Гусев Артём Валерьевич",
        "museum",
        "Центральный",
        "ул. Ленина, д. 62",
        "Музейные занятия и экскурсии по истории Воркуты.",
        4,
    ),
    GeneratedProvider(
        "vgek-vorkuta",
        _S,
        "Государственное профессиональное образовательное учреждение "
        "«Воркутинский горно-экономический колледж»",
        "ГПОУ «Воркутинский горно-экономический колледж»",
        "Тарасов Геннадий Иванович",
        "college_tech",
        "Центральный",
        "ул. Яновского, д. 18",
        "Кружки для школьников в мастерских и лабораториях колледжа.",
        4,
    ),
    GeneratedProvider(
        "vpk-vorkuta",
        _S,
        "Государственное профессиональное образовательное учреждение "
        "«Воркутинский педагогический колледж»",
        "ГПОУ «Воркутинский педагогический колледж»",
        "Андреева Марина Викторовна",
        "college_ped",
        "Центральный",
        "ул. Ленина, д. 25",
        "Вожатые, медиаволонтёры и юные педагоги.",
        3,
    ),
    GeneratedProvider(
        "vmk-vorkuta",
        _S,
        "Государственное профессиональное образовательное учреждение "
        "«Воркутинский медицинский колледж»",
        "ГПОУ «Воркутинский медицинский колледж»",
        "Никифорова Алла Сергеевна",
        "college_med",
        "Центральный",
        "ул. Мира, д. 31",
        "Первая помощь и основы медицины для старшеклассников.",
        3,
    ),
    GeneratedProvider(
        "sshor-olimp",
        _S,
        "Государственное автономное учреждение Республики Коми "
        "«Спортивная школа олимпийского резерва «Олимп»",
        "ГАУ РК «СШОР «Олимп»",
        "Макаров Юрий Петрович",
        "sports_state",
        "Тиманский",
        "бульвар Шерстнёва, д. 5",
        "Хоккей, лыжные гонки и биатлон: от начальной подготовки.",
        5,
    ),
    GeneratedProvider(
        "umka-vorkuta",
        _N,
        "Автономная некоммерческая организация дополнительного образования «Школа развития «Умка»",
        "АНО ДО «Школа развития «Умка»",
        "Егорова Светлана Дмитриевна",
        "preschool",
        "Центральный",
        "ул. Гагарина, д. 9, пом. 1",
        "Занятия для дошкольников и младших школьников.",
        5,
    ),
    GeneratedProvider(
        "ladya-chess",
        _N,
        "Автономная некоммерческая организация «Шахматный клуб «Ладья»",
        "АНО «Шахматный клуб «Ладья»",
        "Воробьёв Константин Ильич",
        "chess",
        "Центральный",
        "ул. Дончука, д. 3, пом. 4",
        "Шахматы и шашки: от первых ходов до разрядов.",
        3,
    ),
    GeneratedProvider(
        "ski-federation",
        _N,
        "Воркутинская городская общественная организация «Федерация лыжных гонок»",
        "ВГОО «Федерация лыжных гонок»",
        "Щербаков Михаил Юрьевич",
        "ski",
        "Тиманский",
        "ул. Тиманская, д. 8, лыжная база",
        "Лыжные гонки и зимние походы для детей.",
        3,
    ),
    GeneratedProvider(
        "it-kub",
        _N,
        "Автономная некоммерческая организация «Центр цифрового образования «Северный IT-куб»",
        "АНО «Северный IT-куб»",
        "Данилов Роман Евгеньевич",
        "itcube",
        "Центральный",
        "ул. Ленина, д. 53, оф. 10",
        "Программирование, кибербезопасность и VR.",
        6,
    ),
    GeneratedProvider(
        "zazerkalye",
        _N,
        "Автономная некоммерческая организация «Театр-студия «Зазеркалье»",
        "АНО «Театр-студия «Зазеркалье»",
        "Сорокина Юлия Аркадьевна",
        "theatre",
        "Центральный",
        "ул. Пушкина, д. 15",
        "Детский театр: актёрское мастерство, сценическая речь, спектакли.",
        4,
    ),
    GeneratedProvider(
        "tvori-dobro",
        _N,
        "Автономная некоммерческая организация «Центр молодёжных инициатив «Твори добро»",
        "АНО «Твори добро»",
        "Ершова Анастасия Олеговна",
        "volunteer",
        "Северный",
        "пос. Северный, ул. Юбилейная, д. 4",
        "Волонтёрские проекты и лидерские школы.",
        3,
    ),
    GeneratedProvider(
        "robo-arktika",
        _C,
        "Общество с ограниченной ответственностью «Робо-Арктика»",
        "ООО «Робо-Арктика»",
        "Титов Евгений Александрович",
        "robotics",
        "Центральный",
        "ул. Гагарина, д. 3, оф. 7",
        "Студия робототехники и инженерного творчества.",
        6,
    ),
    GeneratedProvider(
        "puls-dance",
        _C,
        "Общество с ограниченной ответственностью «Студия танца «Пульс»",
        "ООО «Студия танца «Пульс»",
        "Волкова Кристина Андреевна",
        "dance",
        "Центральный",
        "ул. Ленина, д. 60, 2 этаж",
        "Хип-хоп, современный и бальный танец.",
        6,
    ),
    GeneratedProvider(
        "lingva-nord",
        _C,
        "Общество с ограниченной ответственностью «Лингва Норд»",
        "ООО «Лингва Норд»",
        "Медведева Ксения Павловна",
        "language",
        "Центральный",
        "ул. Мира, д. 8, оф. 3",
        "Языковая школа: английский, немецкий, китайский.",
        6,
    ),
    GeneratedProvider(
        "sever-medved",
        _C,
        "Общество с ограниченной ответственностью «Клуб единоборств «Северный медведь»",
        "ООО «Клуб «Северный медведь»",
        "Жуков Денис Валерьевич",
        "martial",
        "Тиманский",
        "ул. Чернова, д. 10",
        "Дзюдо, самбо и рукопашный бой для детей.",
        4,
    ),
    GeneratedProvider(
        "palitra-art",
        _C,
        "Общество с ограниченной ответственностью «Арт-мастерская «Палитра»",
        "ООО «Арт-мастерская «Палитра»",
        "Белова Ангелина Игоревна",
        "artstudio",
        "Центральный",
        "бульвар Пищевиков, д. 4, пом. 2",
        "Живопись, скетчинг и декоративное творчество.",
        5,
    ),
    GeneratedProvider(
        "grigoreva-np",
        _IP,
        "Индивидуальный предприниматель Григорьева Наталья Петровна",
        "ИП Григорьева Н. П.",
        "Григорьева Наталья Петровна",
        "math",
        "Центральный",
        "ул. Гоголя, д. 5, каб. 2",
        "Занимательная математика и ментальная арифметика.",
        3,
    ),
    GeneratedProvider(
        "sokolov-ai",
        _IP,
        "Индивидуальный предприниматель Соколов Артём Игоревич",
        "ИП Соколов А. И.",
        "Соколов Артём Игоревич",
        "guitar",
        "Центральный",
        "ул. Ленина, д. 38, каб. 5",
        "Гитара и укулеле для начинающих.",
        2,
    ),
    GeneratedProvider(
        "akhmedov-tkd",
        _IP,
        "Индивидуальный предприниматель Ахмедов Руслан Тимурович",
        "ИП Ахмедов Р. Т.",
        "Ахмедов Руслан Тимурович",
        "taekwondo",
        "Тиманский",
        "ул. Суворова, д. 16",
        "Тхэквондо для детей с пяти лет.",
        2,
    ),
    GeneratedProvider(
        "nikitina-ds",
        _IP,
        "Индивидуальный предприниматель Никитина Дарья Сергеевна",
        "ИП Никитина Д. С.",
        "Никитина Дарья Сергеевна",
        "ceramics",
        "Воргашор",
        "пос. Воргашор, ул. Воргашорская, д. 7",
        "Керамическая мастерская: лепка и гончарный круг.",
        2,
    ),
    GeneratedProvider(
        "belova-ma",
        _IP,
        "Индивидуальный предприниматель Белова Марина Алексеевна",
        "ИП Белова М. А.",
        "Белова Марина Алексеевна",
        "tutor",
        "Северный",
        "пос. Северный, ул. Крупской, д. 20, кв. 1",
        "Подготовка к школе и развитие речи.",
        2,
    ),
]

_POSTCODES = {
    "Центральный": "169900",
    "Тиманский": "169908",
    "Воргашор": "169934",
    "Северный": "169925",
    "Заполярный": "169930",
}
_ORG_ACCOUNT_PREFIX = {
    _M: "40701810",
    _S: "40601810",
    _N: "40703810",
    _C: "40702810",
    _IP: "40802810",
}
_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_W = (7, 1, 3) * 8


def _weighted_digit(digits: str, weights) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def _generated_inn(index: int, legal_form: str) -> str:
    """Vorkuta's tax office is 1103; the numbers stay clear of the hand-written ones."""
    if legal_form == _IP:
        body = f"1103{600_000 + index * 7_919:06d}"
        first = _weighted_digit(body, _INN12_W1)
        return body + first + _weighted_digit(body + first, _INN12_W2)
    body = f"1103{20_000 + index * 137:05d}"
    return body + _weighted_digit(body, _INN10_W)


def _generated_ogrn(index: int, legal_form: str) -> str:
    year = 2 + index * 7 % 21  # registered between 2002 and 2022
    if legal_form == _IP:
        body = f"3{year:02d}1103{10_000 + index * 313:07d}"
        return body + str(int(body) % 13 % 10)
    body = f"1{year:02d}1103{10_000 + index * 271:05d}"
    return body + str(int(body) % 11 % 10)


def _generated_account(index: int, legal_form: str) -> str:
    """A settlement account whose control key agrees with the demo bank's БИК."""
    prefix = _ORG_ACCOUNT_PREFIX[legal_form]
    tail = f"8728{1_000_000 + index * 40_483:07d}"
    bik_tail = _BANK["bik"][-3:]
    for key in range(10):
        account = f"{prefix}{key}{tail}"
        digits = bik_tail + account
        if sum(int(d) * w for d, w in zip(digits, _ACCOUNT_W, strict=False)) % 10 == 0:
            return account
    raise AssertionError("unreachable: the key digit has weight 3, coprime with 10")


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
        "legal_address": address,
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

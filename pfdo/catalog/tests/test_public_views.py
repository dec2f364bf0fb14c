"""Public catalogue pages: what anonymous visitors see, htmx fragments, query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pfdo.catalog.models import Program
from pfdo.catalog.tests.factories import (
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
)
from pfdo.catalog.tests.test_filters import make_provider
from pfdo.common import clock
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.providers.models import Provider
from pfdo.providers.tests.factories import add_staff
from pfdo.territory.tests.factories import MunicipalityFactory

LIST = reverse("catalog:list")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


def full_programme(provider, *, name, price=1_800_000, normative=2_000_000, **fields):
    program = ProgramFactory(provider=provider, name=name, **fields)
    module = ModuleFactory(
        program=program, name="Первый год", price_kopecks=price, normative_cost_kopecks=normative
    )
    group = GroupFactory(
        module=module,
        name="Группа А",
        teacher_name="Петрова Анна Ивановна",
        address="г. Воркута, ул. Мира, д. 3",
        room="204",
        capacity=12,
        seats_taken=4,
    )
    ScheduleEntryFactory(group=group, weekday=2, starts_at=dt.time(16), ends_at=dt.time(17, 30))
    ScheduleEntryFactory(group=group, weekday=4, starts_at=dt.time(16), ends_at=dt.time(17, 30))
    return program


@pytest.fixture
def provider(vorkuta):
    return make_provider(vorkuta, short_name="ДДТ «Радуга»")


@pytest.fixture
def shown(provider):
    return full_programme(provider, name="Робототехника", medical_certificate_required=True)


def test_catalogue_lists_only_published_programmes(client, provider, shown, vorkuta):
    full_programme(provider, name="Черновик", is_published=False)
    full_programme(provider, name="В архиве", archived_at=clock.now())
    excluded = make_provider(vorkuta, status=Provider.Status.EXCLUDED)
    full_programme(excluded, name="Исключённый поставщик")
    response = client.get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Робототехника" in text
    for hidden in ("Черновик", "В архиве", "Исключённый поставщик"):
        assert hidden not in text
    assert "Найдено программ: 1" in text


def test_card_shows_what_a_parent_decides_by(client, provider, shown):
    full_programme(provider, name="Танцы", price=2_500_000, normative=2_000_000)
    text = client.get(LIST).content.decode()
    assert "ДДТ «Радуга»" in text
    assert "Техническая" in text
    assert "7–14 лет" in text
    assert "18\u00a0000,00\u00a0₽" in text
    assert "сертификат может оплатить всю цену, если на нём хватает остатка" in text
    assert "доплата от 5\u00a0000,00\u00a0₽" in text
    assert "Свободных мест: 8" in text
    assert "Занятия: вт, чт" in text
    assert reverse("catalog:program_detail", args=[shown.pk]) in text


def test_a_programme_dearer_than_the_nominal_is_never_said_to_be_covered(client, provider):
    # 40 550 ₽ within a 45 000 ₽ normative cost was "сертификат покрывает полностью", yet the
    # nominal is 24 171 ₽: the family met a co-payment at enrolment.
    today = clock.today()
    period = FinancingPeriodFactory(
        municipality=provider.municipality,
        starts_on=today.replace(month=1, day=1),
        ends_on=today.replace(month=12, day=31),
    )
    NominalCategoryFactory(period=period, nominal_kopecks=2_417_100)
    dear = full_programme(provider, name="Дорогая", price=4_055_000, normative=4_500_000)
    full_programme(provider, name="Недорогая", price=1_800_000, normative=2_000_000)
    card = client.get(LIST, {"q": "Дорогая"}).content.decode()
    card = card[card.index(">Дорогая<") :]
    card = card[: card.index("</article>")]
    assert "всю цену" not in card and "покрывает" not in card
    assert "доплата от 16\u00a0379,00\u00a0₽" in card
    covered = client.get(LIST, {"price": "covered"}).content.decode()
    assert "Недорогая" in covered and ">Дорогая<" not in covered
    assert ">Дорогая<" in client.get(LIST, {"price": "copay"}).content.decode()
    detail = client.get(reverse("catalog:program_detail", args=[dear.pk])).content.decode()
    assert "покрывает полностью" not in detail
    assert 'data-testid="module-certificate-max">24\u00a0171,00\u00a0₽' in detail
    assert "не меньше 16\u00a0379,00\u00a0₽" in detail


def test_first_visit_shows_the_served_municipality_and_all_is_a_choice(client, shown, settings):
    settings.PFDO_MUNICIPALITY = "vorkuta"
    elsewhere = MunicipalityFactory(code="inta", name="Инта", number=4)
    full_programme(make_provider(elsewhere), name="Программа в Инте")
    first = client.get(LIST).content.decode()
    assert "Программа в Инте" not in first
    assert '<option value="vorkuta" selected>' in first
    everywhere = client.get(LIST, {"municipality": ""}).content.decode()
    assert "Программа в Инте" in everywhere and "Робототехника" in everywhere


def test_filters_narrow_the_page(client, provider, shown):
    full_programme(provider, name="Хореография", direction="arts", age_from_months=60)
    text = client.get(LIST, {"direction": "arts", "age": "5"}).content.decode()
    assert "Хореография" in text and "Робототехника" not in text
    assert "Найдено программ: 1" in text


def test_empty_state(client, shown):
    text = client.get(LIST, {"q": "вышивание"}).content.decode()
    assert "Ничего не нашлось" in text
    assert "Найдено программ: 0" in text


def test_invalid_values_are_explained_next_to_the_form(client, shown):
    response = client.get(LIST, {"age": "abc", "weekday": "9", "direction": "xyz"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Проверьте фильтры" in text
    assert "Возраст ребёнка — целое число полных лет" in text
    assert "День недели — число от 1 (понедельник) до 7 (воскресенье)." in text
    assert "Неизвестное значение «xyz»" in text
    assert 'aria-invalid="true"' in text
    # The valid rest still applies: the programme is listed.
    assert "Робототехника" in text


def test_htmx_request_gets_only_the_results_fragment(client, shown):
    response = client.get(LIST, {"q": "робот", "age": "abc"}, **HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="results"')
    assert "Робототехника" in text
    assert "Проверьте фильтры" in text
    assert "<html" not in text and 'id="catalog-filters"' not in text
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, shown):
    response = client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_page_without_javascript_has_a_plain_get_form(client, shown):
    text = client.get(LIST).content.decode()
    assert 'method="get" action="/catalog/"' in text
    assert 'hx-get="/catalog/"' in text and 'hx-push-url="true"' in text


def test_pagination_keeps_the_filters(client, provider):
    for n in range(23):
        ProgramFactory(provider=provider, name=f"Кружок {n:02d}", direction="arts")
    first = client.get(LIST, {"direction": "arts"}).content.decode()
    assert "Страница 1 из 2" in first
    assert "direction=arts&amp;page=2" in first
    second = client.get(LIST, {"direction": "arts", "page": "2"}).content.decode()
    assert "Кружок 22" in second and "Кружок 00" not in second


def _catalogue(provider, count):
    for n in range(count):
        full_programme(provider, name=f"Программа {n:02d}", price=1_000_000 + n)


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_the_page(
    client, provider, django_assert_max_num_queries
):
    _catalogue(provider, 3)
    params = {"free_places": "true", "weekday": "2", "price": "covered", "q": "программа"}
    few = _queries(client, LIST, params)
    _catalogue(provider, 20)
    assert _queries(client, LIST, params) == few
    with django_assert_max_num_queries(6):
        client.get(LIST, params)


def test_detail_query_count_does_not_grow_with_modules(
    client, shown, django_assert_max_num_queries
):
    url = reverse("catalog:program_detail", args=[shown.pk])
    few = _queries(client, url)
    for n in range(5):
        module = ModuleFactory(program=shown, name=f"Модуль {n}", position=n + 2)
        for _ in range(3):
            ScheduleEntryFactory(group=GroupFactory(module=module))
    assert _queries(client, url) == few
    with django_assert_max_num_queries(6):
        client.get(url)


def test_programme_page_shows_modules_money_groups_and_schedule(client, provider, vorkuta):
    period = FinancingPeriodFactory(
        municipality=vorkuta, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 8, 31)
    )
    NominalCategoryFactory(period=period, nominal_kopecks=2_417_100)
    program = full_programme(
        provider,
        name="Робототехника",
        price=2_500_000,
        normative=2_000_000,
        medical_certificate_required=True,
        district="Центральный",
    )
    with clock.frozen(dt.date(2026, 10, 1)):
        response = client.get(reverse("catalog:program_detail", args=[program.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>Робототехника</h1>" in text
    assert "Первый год" in text
    assert "25\u00a0000,00\u00a0₽" in text  # price
    assert "20\u00a0000,00\u00a0₽" in text  # normative cost and what the certificate pays
    assert "5\u00a0000,00\u00a0₽" in text  # co-payment
    assert "24\u00a0171,00\u00a0₽" in text  # the period's nominal
    assert "Петрова Анна Ивановна" in text
    assert "ул. Мира, д. 3, каб. 204" in text
    assert "Вторник, 16:00–17:30" in text and "Четверг, 16:00–17:30" in text
    assert "свободных мест: 8 из 12" in text
    assert f'href="/providers/{provider.pk}/"' in text
    assert "Медицинская справка:</strong> нужна" in text
    assert "Оценок пока нет" in text
    assert "не опубликована" not in text


def test_programme_page_shows_the_rating_when_there_is_one(client, provider):
    program = full_programme(provider, name="Шахматы", rating_avg="4.67", rating_count=12)
    text = client.get(reverse("catalog:program_detail", args=[program.pk])).content.decode()
    assert "<strong>4,7</strong> из 5 · 12 оценок" in text


def test_programme_page_shows_the_count_alone_below_three_ratings(client, provider):
    program = full_programme(provider, name="Шахматы", rating_avg=None, rating_count=2)
    text = client.get(reverse("catalog:program_detail", args=[program.pk])).content.decode()
    assert "2 оценки — средний балл покажем с трёх оценок" in text
    assert "из 5" not in text


@pytest.mark.parametrize(
    "change",
    [
        {"is_published": False},
        {"archived_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"provider_status": Provider.Status.EXCLUDED},
    ],
)
def test_hidden_programmes_are_404_for_anonymous(client, shown, change):
    if "provider_status" in change:
        Provider.objects.filter(pk=shown.provider_id).update(status=change["provider_status"])
    else:
        Program.objects.filter(pk=shown.pk).update(**change)
    response = client.get(reverse("catalog:program_detail", args=[shown.pk]))
    assert response.status_code == 404
    assert client.get(LIST).content.decode().count("Робототехника") == 0


def test_staff_preview_their_unpublished_programme(client, provider, shown):
    Program.objects.filter(pk=shown.pk).update(is_published=False)
    staff = add_staff(provider).user
    client.force_login(staff)
    response = client.get(reverse("catalog:program_detail", args=[shown.pk]))
    assert response.status_code == 200
    assert "не опубликована в каталоге" in response.content.decode()
    # The catalogue list itself stays the public one.
    assert "Робототехника" not in client.get(LIST).content.decode()


def test_unknown_programme_is_404(client, db):
    assert client.get(reverse("catalog:program_detail", args=[999_999])).status_code == 404


def test_bulk_region_catalogue_is_complete_valid_and_seeded_once(client, region, vorkuta):
    from pfdo.catalog.models import Group, Module, ScheduleEntry
    from pfdo.catalog.selectors import catalog_programs
    from pfdo.demo.catalog_bulk import seed_region_catalog
    from pfdo.financing.models import FinancingPeriod
    from pfdo.providers.validators import inn_is_valid, ogrn_is_valid

    MunicipalityFactory(region=region, code="syktyvkar", name="Сыктывкар", number=1)
    MunicipalityFactory(region=region, code="inta", name="Инта", number=4)
    sizes = {"providers": 12, "programs": 40, "modules": 70, "groups": 55, "schedule_entries": 150}
    report = seed_region_catalog(region=region, **sizes)
    assert not report.skipped
    assert (report.providers, report.programs, report.modules) == (12, 40, 70)
    assert (report.groups, report.schedule_entries) == (55, 150)
    assert Provider.objects.count() == 12
    assert Program.objects.count() == 40 and Module.objects.count() == 70
    assert Group.objects.count() == 55 and ScheduleEntry.objects.count() == 150
    for provider in Provider.objects.all():
        assert inn_is_valid(provider.inn) and ogrn_is_valid(provider.ogrn), provider.inn
        assert provider.full_clean() is None
    # Every municipality has an approved period, a provider and programmes.
    assert FinancingPeriod.objects.filter(status="approved").count() == 3
    assert set(Program.objects.values_list("municipality__code", flat=True)) == {
        "syktyvkar",
        "vorkuta",
        "inta",
    }
    # Every programme is published, complete and public; some modules need a co-payment.
    assert catalog_programs(None).count() == 40
    assert not Program.objects.filter(modules__isnull=True).exists()
    assert not Program.objects.exclude(modules__groups__isnull=False).exists()
    assert not Group.objects.filter(schedule__isnull=True).exists()
    assert Module.objects.filter(price_kopecks__gt=F("normative_cost_kopecks")).exists()
    assert Module.objects.filter(price_kopecks__lte=F("normative_cost_kopecks")).exists()
    assert (
        client.get(LIST, {"municipality": ""}).content.decode().count('class="program-card"') == 20
    )
    # A second run writes nothing.
    again = seed_region_catalog(region=region, **sizes)
    assert again.skipped
    assert Program.objects.count() == 40 and Provider.objects.count() == 12


def test_form_keeps_the_chosen_filters(client, shown):
    text = client.get(
        LIST, {"direction": "technical", "free_places": "1", "age": "9", "q": "робот"}
    ).content.decode()
    assert '<option value="technical" selected>' in text
    assert 'name="free_places" value="true" role="switch" checked' in text
    assert 'name="age" min="0" max="21" inputmode="numeric" value="9"' in text
    assert 'value="робот"' in text
    assert "<details open>" in text

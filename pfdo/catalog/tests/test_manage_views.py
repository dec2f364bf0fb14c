"""Pages of catalogue management: provider's programmes with what is missing, field messages
in Russian, htmx schedule editing, expert and operator pages, and scoping (404/403)."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import pytest
from django.urls import reverse

from pfdo.audit.models import ActionLog
from pfdo.catalog.models import Assessment, Module, Program, ScheduleEntry
from pfdo.catalog.tests.factories import (
    DraftProgramFactory,
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
    complete_program,
)
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    expert,
    other_provider,
    other_staff,
    period,
    provider,
    staff,
)


def url(name, *args):
    return reverse(f"catalog_manage:{name}", args=args)


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_my_programs_lists_own_with_status_and_missing(as_user, staff, provider, other_provider):
    DraftProgramFactory(provider=provider, name="Юный эколог Заполярья", address="")
    ProgramFactory(provider=other_provider, name="Чужая программа")
    page = as_user(staff).get(url("my_programs"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Юный эколог Заполярья" in text and "черновик" in text
    assert "Укажите адрес проведения занятий." in text
    assert "Чужая программа" not in text


def test_my_programs_needs_login_and_the_role(client, make_user, vorkuta):
    assert client.get(url("my_programs")).status_code == 302
    client.force_login(make_user("parent", municipality=vorkuta))
    assert client.get(url("my_programs")).status_code == 403


def test_create_program_with_age_in_years_and_months(as_user, staff, provider):
    response = as_user(staff).post(
        url("program_create"),
        {
            "provider": provider.pk,
            "name": "Школа юного художника",
            "direction": "arts",
            "kind": "general",
            "level": "starting",
            "form": "full_time",
            "age_from_years": "6",
            "age_from_extra": "6",
            "age_to_years": "14",
            "address": "ул. Ленина, 40",
        },
    )
    program = Program.objects.get()
    assert response.status_code == 302 and response.url == url("program_detail", program.pk)
    assert (program.age_from_months, program.age_to_months) == (78, 179)
    detail = as_user(staff).get(response.url).content.decode()
    assert "от 6 лет 6 мес. до 14 лет 11 мес." in detail
    assert "Добавьте хотя бы один модуль." in detail


def test_inverted_age_shows_a_field_message_and_saves_nothing(as_user, staff, provider):
    response = as_user(staff).post(
        url("program_create"),
        {
            "provider": provider.pk,
            "name": "Х",
            "direction": "arts",
            "kind": "general",
            "level": "starting",
            "form": "full_time",
            "age_from_years": "10",
            "age_to_years": "7",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["age_to_years"] == ["Верхняя граница возраста не может быть меньше нижней."]
    assert "Верхняя граница возраста не может быть меньше нижней." in response.content.decode()
    assert not Program.objects.exists()


def test_module_price_in_roubles_and_normative_breakdown_shown(as_user, staff, provider, period):
    program = DraftProgramFactory(provider=provider)
    client = as_user(staff)
    data = {
        "name": "Первый год",
        "duration_months": "9",
        "hours": "72",
        "min_children": "5",
        "max_children": "12",
        "teacher_qualification": "highest",
        "price": "30 000,50",
    }
    response = client.post(url("module_create", program.pk), data)
    assert response.status_code == 302
    module = Module.objects.get()
    assert module.price_kopecks == 3_000_050
    text = client.get(url("program_detail", program.pk)).content.decode()
    assert "25\u00a0660,80\u00a0₽" in text  # the normative cost
    assert "районный коэффициент и северная надбавка" in text and "× 1.800" in text
    assert "150,00\u00a0₽" in text  # base per person-hour
    assert "4\u00a0339,70\u00a0₽" in text  # co-payment 30 000,50 − 25 660,80


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-5", "Цена не может быть отрицательной."),
        ("12,345", "Не больше двух знаков после запятой (копейки)."),
        ("дорого", "Введите сумму в рублях, например 24 171,00."),
    ],
)
def test_bad_prices_get_field_messages(as_user, staff, provider, price, message):
    program = DraftProgramFactory(provider=provider)
    response = as_user(staff).post(
        url("module_create", program.pk),
        {
            "name": "М",
            "duration_months": "9",
            "hours": "72",
            "min_children": "1",
            "max_children": "5",
            "teacher_qualification": "none",
            "price": price,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["price"] == [message]
    assert not Module.objects.exists()


def test_group_form_errors_are_field_level(as_user, staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    response = as_user(staff).post(
        url("group_create", module.pk),
        {
            "name": "Г",
            "address": "ул. Мира, 1",
            "capacity": "0",
            "starts_on": "2027-05-01",
            "ends_on": "2026-09-01",
        },
    )
    errors = response.context["form"].errors
    assert errors["capacity"] == ["В группе должно быть хотя бы одно место."]
    assert errors["ends_on"] == ["Окончание занятий должно быть позже начала."]


def test_htmx_adds_and_removes_lessons_and_shows_a_clash(as_user, staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    busy = GroupFactory(module=module, name="Хор-1", address="ул. Мира, 3", room="5")
    ScheduleEntryFactory(group=busy, weekday=1, starts_at="15:00", ends_at="16:00")
    group = GroupFactory(module=module, name="Хор-2", address="ул. Мира, 3", room="5")
    client = as_user(staff)
    htmx = {"HTTP_HX_REQUEST": "true"}
    clash = client.post(
        url("schedule_add", group.pk),
        {"weekday": "1", "starts_at": "15:30", "ends_at": "16:30", "parity": "every"},
        **htmx,
    )
    text = clash.content.decode()
    assert clash.status_code == 200 and "<html" not in text
    assert "«Хор-1»" in text
    assert not group.schedule.exists()
    added = client.post(
        url("schedule_add", group.pk),
        {"weekday": "2", "starts_at": "15:30", "ends_at": "16:30", "parity": "odd"},
        **htmx,
    )
    assert "вторник, 15:30–16:30 (по нечётным неделям)" in added.content.decode()
    entry = group.schedule.get()
    removed = client.post(url("schedule_delete", entry.pk), **htmx)
    assert "Расписания пока нет." in removed.content.decode()
    assert not ScheduleEntry.objects.filter(group=group).exists()


def test_another_provider_gets_404_on_drafts_and_403_on_published(as_user, other_staff, provider):
    draft = DraftProgramFactory(provider=provider)
    published = ProgramFactory(provider=provider, name="Хоккей")
    module = ModuleFactory(program=published)
    client = as_user(other_staff)
    assert client.get(url("program_detail", draft.pk)).status_code == 404
    assert client.get(url("program_edit", draft.pk)).status_code == 404
    assert client.get(url("program_edit", published.pk)).status_code == 403
    assert client.post(url("program_edit", published.pk), {"name": "Чужое"}).status_code == 403
    assert client.post(url("module_delete", module.pk)).status_code == 403
    assert client.post(url("program_action", published.pk, "unpublish")).status_code == 403
    published.refresh_from_db()
    assert published.name == "Хоккей" and published.is_published
    assert Module.objects.filter(pk=module.pk).exists()


def test_publish_button_refused_shows_why_then_publishes(as_user, staff, provider, operator):
    program = complete_program(provider=provider)
    client = as_user(staff)
    page = client.post(url("program_action", program.pk, "publish"), follow=True)
    text = page.content.decode()
    assert "Программу пока нельзя опубликовать" in text
    program.refresh_from_db()
    assert not program.is_published
    as_user(operator).post(url("registry", program.pk), {"budget_registry": "significant"})
    client = as_user(staff)
    page = client.post(url("program_action", program.pk, "publish"), follow=True)
    assert "Программа опубликована." in page.content.decode()
    program.refresh_from_db()
    assert program.is_published and program.budget_registry == "significant"


def test_expert_queue_and_assessment_form(as_user, staff, provider, expert):
    program = complete_program(provider=provider, name="Туристы-краеведы Воркуты")
    as_user(staff).post(url("program_action", program.pk, "submit"))
    client = as_user(expert)
    queue = client.get(url("expert_queue")).content.decode()
    assert "Туристы-краеведы Воркуты" in queue and "Оценить" in queue
    bad = client.post(url("assess", program.pk), {"conclusion": "not_recommended"})
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert "scores.relevance" in errors
    data = {f"scores.{code}": "4" for code in ("relevance", "goals", "content", "methods")}
    data |= {"scores.resources": "3", "scores.accessibility": "5", "conclusion": "not_recommended"}
    no_comment = client.post(url("assess", program.pk), data)
    assert no_comment.context["form"].errors["comment"] == [
        "Объясните, почему программа не рекомендована."
    ]
    data["conclusion"] = "recommended"
    assert client.post(url("assess", program.pk), data).status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.total_score == 24 and assessment.expert == expert
    assert "оценена вами" in client.get(url("expert_queue")).content.decode()


def test_operator_decides_and_a_foreign_operator_cannot(
    as_user, staff, provider, expert, operator, make_user
):
    program = complete_program(provider=provider)
    as_user(staff).post(url("program_action", program.pk, "submit"))
    listing = as_user(operator).get(url("operator_programs")).content.decode()
    assert program.name in listing
    no_reason = as_user(operator).post(url("decision", program.pk), {"decision": "reject"})
    assert no_reason.context["form"].errors["reason"] == ["Укажите причину отказа."]
    no_assessment = as_user(operator).post(url("decision", program.pk), {"decision": "certify"})
    assert "Нужна хотя бы одна экспертная оценка" in no_assessment.content.decode()
    foreign = make_user("operator", municipality=ProgramFactory().municipality)
    assert as_user(foreign).get(url("decision", program.pk)).status_code == 404
    rejected = as_user(operator).post(
        url("decision", program.pk), {"decision": "reject", "reason": "Нет учебного плана."}
    )
    assert rejected.status_code == 302
    program.refresh_from_db()
    assert program.certification_status == "rejected"
    assert ActionLog.objects.filter(action="catalog.certification_rejected").exists()


def test_operator_recomputes_normative_costs(as_user, operator, provider, period):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider), hours=10)
    as_user(operator).post(url("recompute"))
    module.refresh_from_db()
    assert module.normative_cost_kopecks == round(10 * 15000 * 1.1 * 1.8)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", "100000000000000000000000", "Убедитесь, что это значение меньше либо равно"),
        ("hours", "10001", "Число часов — не больше 10000."),
        ("duration_months", "121", "Продолжительность — не больше 120 месяцев."),
        ("max_children", "1001", "Не больше 1000 детей в группе."),
    ],
)
def test_module_numbers_above_the_limits_get_field_messages(
    as_user, staff, provider, field, value, message
):
    """Numbers no module has, or no database column holds, are refused on their field (no 500)."""
    program = DraftProgramFactory(provider=provider)
    data = {
        "name": "М",
        "duration_months": "9",
        "hours": "72",
        "min_children": "1",
        "max_children": "5",
        "teacher_qualification": "none",
        "price": "100",
    }
    data[field] = value
    response = as_user(staff).post(url("module_create", program.pk), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Module.objects.exists()


@pytest.mark.parametrize("capacity", ["1001", "100000000000000000000"])
def test_group_capacity_above_the_limit_is_a_field_message(as_user, staff, provider, capacity):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    response = as_user(staff).post(
        url("group_create", module.pk),
        {"name": "Г", "address": "ул. Мира, 1", "capacity": capacity},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["capacity"]
    assert not module.groups.exists()


def test_my_programmes_page_does_not_query_per_programme(
    as_user, staff, provider, django_assert_max_num_queries
):
    client = as_user(staff)
    for _ in range(3):
        DraftProgramFactory(provider=provider)
    client.get(url("my_programs"))  # warm the session and the user's memberships
    with django_assert_max_num_queries(15) as few:
        assert client.get(url("my_programs")).status_code == 200
    for _ in range(10):
        DraftProgramFactory(provider=provider)
    with django_assert_max_num_queries(15) as many:
        response = client.get(url("my_programs"))
    assert len(response.context["rows"]) == 13
    assert len(many.captured_queries) == len(few.captured_queries)


def test_operator_list_filters_by_certification_status(as_user, provider, operator):
    submitted = DraftProgramFactory(
        provider=provider, name="На сертификации", certification_status="submitted"
    )
    draft = DraftProgramFactory(provider=provider, name="Черновик программы")
    DraftProgramFactory(name="Чужой муниципалитет", certification_status="submitted")
    client = as_user(operator)

    def listed(query):
        response = client.get(url("operator_programs"), query)
        assert response.status_code == 200
        return {program.name for program in response.context["programs"]}

    assert listed({}) == {submitted.name}  # by default the decisions waiting
    assert listed({"status": "draft"}) == {draft.name}
    assert listed({"status": ""}) == {submitted.name, draft.name}
    assert listed({"status": "nonsense"}) == {submitted.name, draft.name}

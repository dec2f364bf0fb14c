"""Services of the provider registry: application, decisions, profile, staff, limits."""

import datetime as dt
import functools

import pytest

from pfdo.accounts.models import Membership, User
from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.providers import services
from pfdo.providers.models import ContractsOnExclusion, EnrolmentLimit, Provider, ProviderStaff
from pfdo.providers.services.validation import LOGIN_TAKEN
from pfdo.providers.tests.factories import (
    VALID_ACCOUNT,
    ProviderFactory,
    add_staff,
    ip_profile,
    make_inn10,
    make_ogrn13,
    new_staff,
    org_profile,
)

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`

Status = Provider.Status

# Exclusion also decides the running contracts (issue 12): these registry tests let them run
# to their end; the choice itself is tested in enrolment (test_exclusion.py) and below.
exclude = functools.partial(services.exclude, contracts=ContractsOnExclusion.RUN_TO_END)


def apply(municipality, profile=None, staff=None, actor=None):
    return services.apply_provider(
        actor=actor,
        municipality=municipality,
        profile=profile if profile is not None else org_profile(),
        first_staff=staff or new_staff(),
    )


def fields_of(excinfo) -> dict:
    return excinfo.value.fields


def nothing_saved():
    return (
        Provider.objects.count() == 0
        and User.objects.filter(username__startswith="staff").count() == 0
        and ActionLog.objects.filter(action="providers.applied").count() == 0
    )


# ---------------------------------------------------------------- application


def test_organisation_applies_and_its_first_staff_user_becomes_admin(vorkuta):
    staff = new_staff(login="ddt-admin", last_name="Иванова", first_name="Светлана")
    provider = apply(vorkuta, org_profile(inn=" 1103 004 513 ", ogrn="1021103004515"), staff)
    assert provider.status == Status.UNDER_REVIEW
    assert provider.inn == "1103004513"  # spaces people paste are dropped
    assert provider.included_at is None and provider.applied_at is not None
    row = ProviderStaff.objects.get(provider=provider)
    assert row.is_admin and row.is_active
    user = row.user
    assert user.username == "ddt-admin" and user.check_password("Sever-Siyanie-2026")
    assert not user.must_change_password  # they chose the password themselves
    membership = Membership.objects.get(user=user, role="provider_staff")
    assert membership.municipality == vorkuta and membership.is_provider_admin
    log = ActionLog.objects.get(action="providers.applied")
    assert log.object_id == str(provider.pk) and log.actor == user
    assert log.municipality == vorkuta


def test_ip_without_licence_applies(vorkuta):
    provider = apply(vorkuta, ip_profile())
    assert provider.legal_form == "ip" and provider.licence_exempt
    assert provider.licence_number == ""


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"inn": "1103004514"}, "inn", "Контрольные цифры ИНН"),
        ({"inn": "11030045"}, "inn", "10 цифр"),
        ({"inn": "11030045AB"}, "inn", "только из цифр"),
        ({"ogrn": "1021103004516"}, "ogrn", "Контрольная цифра ОГРН"),
        ({"ogrn": "316110300012348"}, "ogrn", "13 цифр"),  # a valid ОГРНИП, but not an ИП
        ({"licence_number": ""}, "licence_number", "номер лицензии"),
        ({"licence_exempt": True}, "licence_exempt", "только ИП"),
        ({"kpp": "12345"}, "kpp", "9 цифр"),
        ({"settlement_account": "40702810932800009877"}, "settlement_account", "не сходится"),
        ({"settlement_account": "4070281093"}, "settlement_account", "20 цифр"),
        ({"bik": ""}, "bik", "БИК"),
        ({"bik": "04870264"}, "bik", "9 цифр"),
        ({"bank_name": ""}, "bank_name", "банк"),
        ({"correspondent_account": "301018"}, "correspondent_account", "20 цифр"),
        ({"email": "not-an-email"}, "email", "почты"),
        ({"website": "not a url"}, "website", "сайта"),
        ({"full_name": ""}, "full_name", "наименование"),
        ({"legal_form": "llc"}, "legal_form", "из списка"),
        ({"licence_issued_on": dt.date(2999, 1, 1)}, "licence_issued_on", "в будущем"),
        ({"short_name": "Я" * 201}, "short_name", "200"),
    ],
)
def test_bad_card_gets_a_field_message_and_nothing_is_saved(vorkuta, overrides, field, fragment):
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, org_profile(**overrides))
    messages = fields_of(excinfo)[field]
    assert any(fragment.lower() in m.lower() for m in messages), messages
    assert nothing_saved()


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"inn": make_inn10(7)}, "inn", "12 цифр"),
        ({"ogrn": make_ogrn13(7)}, "ogrn", "15 цифр"),
        ({"licence_exempt": False}, "licence_number", "номер лицензии"),
        ({"kpp": "110301001"}, "kpp", "нет КПП"),
    ],
)
def test_ip_numbers_must_be_those_of_an_ip(vorkuta, overrides, field, fragment):
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, ip_profile(**overrides))
    assert any(fragment in m for m in fields_of(excinfo)[field])
    assert nothing_saved()


def test_every_problem_is_reported_at_once(vorkuta):
    card = org_profile(inn="1", ogrn="2", email="x", phone="")
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, card, new_staff(login="", password="123"))
    assert {"inn", "ogrn", "email", "phone", "staff_login", "staff_password"} <= set(
        fields_of(excinfo)
    )


def test_bank_details_are_optional_but_complete_when_given(vorkuta):
    card = org_profile(bank_name="", bik="", settlement_account="")
    assert apply(vorkuta, card).bik == ""
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, org_profile(bank_name="", bik="", settlement_account=VALID_ACCOUNT))
    assert {"bik", "bank_name"} <= set(fields_of(excinfo))


def test_duplicate_inn_in_the_municipality_is_filed_flagged_and_never_included(
    vorkuta, inta, operator
):
    first = apply(vorkuta)
    second = apply(vorkuta, org_profile(inn=first.inn))
    assert second.status == Provider.Status.UNDER_REVIEW
    assert f"ИНН {first.inn} уже у поставщика «{first.short_name}»" in second.duplicate_reason
    assert not Provider.objects.get(pk=first.pk).duplicate_reason
    with pytest.raises(Conflict) as refused:
        services.include(actor=operator, provider=second)
    assert refused.value.code == "duplicate_provider"
    # Another municipality keeps its own registry.
    elsewhere = apply(inta, org_profile(inn=first.inn))
    assert elsewhere.municipality == inta and not elsewhere.duplicate_reason


@pytest.mark.parametrize(
    ("staff", "field"),
    [
        ({"login": ""}, "staff_login"),
        ({"login": "with space"}, "staff_login"),
        ({"password": "123"}, "staff_password"),
        ({"password": None}, "staff_password"),
        ({"last_name": ""}, "staff_last_name"),
        ({"first_name": " "}, "staff_first_name"),
        ({"email": ""}, "staff_email"),
        ({"email": "nope"}, "staff_email"),
    ],
)
def test_bad_first_staff_user_gets_a_field_message(vorkuta, staff, field):
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, staff=new_staff(**staff))
    assert fields_of(excinfo)[field]
    assert nothing_saved()


def test_taken_login_is_refused_and_nothing_is_saved(vorkuta, make_user):
    make_user(username="taken")
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, staff=new_staff(login="TAKEN"))
    assert "занят" in fields_of(excinfo)["staff_login"][0]
    assert Provider.objects.count() == 0


def test_inactive_municipality_takes_no_applications(vorkuta):
    vorkuta.is_active = False
    vorkuta.save()
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta)
    assert "municipality" in fields_of(excinfo)


def test_unknown_profile_field_is_refused(vorkuta):
    with pytest.raises(ValidationFailed) as excinfo:
        apply(vorkuta, org_profile(status="active"))
    assert "status" in fields_of(excinfo)
    assert nothing_saved()


# ---------------------------------------------------------------- decisions


def test_include_sets_the_dates_and_is_audited(pending, operator):
    at = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(at):
        services.include(actor=operator, provider=pending, reason="Документы в порядке")
    pending.refresh_from_db()
    assert pending.status == Status.ACTIVE
    assert pending.included_at == at and pending.status_changed_at == at
    assert pending.status_reason == "Документы в порядке"
    log = ActionLog.objects.get(action="providers.included")
    assert log.actor == operator and log.object_id == str(pending.pk)
    assert log.details == {"from": "under_review", "to": "active", "reason": "Документы в порядке"}


@pytest.mark.parametrize(
    ("start", "service", "end", "action"),
    [
        (Status.UNDER_REVIEW, services.reject, Status.REJECTED, "providers.rejected"),
        (
            Status.ACTIVE,
            services.mark_needs_check,
            Status.NEEDS_CHECK,
            "providers.marked_needs_check",
        ),
        (Status.ACTIVE, exclude, Status.EXCLUDED, "providers.excluded"),
        (Status.NEEDS_CHECK, exclude, Status.EXCLUDED, "providers.excluded"),
        (Status.NEEDS_CHECK, services.reinstate, Status.ACTIVE, "providers.reinstated"),
    ],
)
def test_every_decision_moves_and_is_audited(vorkuta, operator, start, service, end, action):
    provider = ProviderFactory(municipality=vorkuta, status=start)
    service(actor=operator, provider=provider, reason="Жалоба родителей")
    provider.refresh_from_db()
    assert provider.status == end
    assert provider.status_reason == "Жалоба родителей"
    assert provider.status_changed_at is not None
    log = ActionLog.objects.get(action=action)
    assert log.details["from"] == start and log.details["to"] == end


@pytest.mark.parametrize("service", [services.reject, services.mark_needs_check, exclude])
def test_refusing_decisions_need_a_reason(vorkuta, operator, service):
    start = Status.UNDER_REVIEW if service is services.reject else Status.ACTIVE
    provider = ProviderFactory(municipality=vorkuta, status=start)
    with pytest.raises(ValidationFailed) as excinfo:
        service(actor=operator, provider=provider, reason="   ")
    assert "причину" in excinfo.value.fields["reason"][0]
    provider.refresh_from_db()
    assert provider.status == start
    assert not ActionLog.objects.filter(action__startswith="providers.").exists()


@pytest.mark.parametrize(
    ("start", "service"),
    [
        (Status.ACTIVE, services.include),
        (Status.REJECTED, services.include),
        (Status.ACTIVE, services.reject),
        (Status.UNDER_REVIEW, services.mark_needs_check),
        (Status.ACTIVE, services.reinstate),
        (Status.UNDER_REVIEW, exclude),
        (Status.EXCLUDED, services.reinstate),
        (Status.EXCLUDED, services.include),
    ],
)
def test_decisions_from_the_wrong_state_are_conflicts(vorkuta, operator, start, service):
    provider = ProviderFactory(municipality=vorkuta, status=start)
    with pytest.raises(Conflict) as excinfo:
        service(actor=operator, provider=provider, reason="причина")
    assert excinfo.value.code == "invalid_status"
    assert provider.get_status_display() in excinfo.value.message
    provider.refresh_from_db()
    assert provider.status == start


def test_a_stale_object_cannot_be_decided_twice(pending, operator):
    stale = Provider.objects.get(pk=pending.pk)
    services.include(actor=operator, provider=pending)
    with pytest.raises(Conflict):
        services.reject(actor=operator, provider=stale, reason="поздно")
    assert Provider.objects.get(pk=pending.pk).status == Status.ACTIVE


def test_regional_admin_decides_in_the_region(pending, regional_admin):
    services.include(actor=regional_admin, provider=pending)
    assert pending.status == Status.ACTIVE


@pytest.mark.parametrize("who", ["other_operator", "payer", "parent", "admin"])
def test_others_may_not_decide(request, pending, who):
    actor = request.getfixturevalue(who)
    if who == "admin":
        add_staff(pending, user=actor)
    with pytest.raises(AccessDenied):
        services.include(actor=actor, provider=pending)
    pending.refresh_from_db()
    assert pending.status == Status.UNDER_REVIEW


def test_ensure_accepts_enrolments(vorkuta):
    services.ensure_accepts_enrolments(ProviderFactory(municipality=vorkuta, status=Status.ACTIVE))
    for status in (Status.UNDER_REVIEW, Status.NEEDS_CHECK, Status.EXCLUDED, Status.REJECTED):
        provider = ProviderFactory(municipality=vorkuta, status=status)
        with pytest.raises(services.ProviderNotActive) as excinfo:
            services.ensure_accepts_enrolments(provider)
        assert excinfo.value.code == "provider_not_active"
        assert "не принимает новых зачислений" in excinfo.value.message
        assert provider.short_name in excinfo.value.message


def test_rejected_provider_resubmits_after_fixing(vorkuta, operator):
    provider = apply(vorkuta)
    admin = provider.staff.get().user
    services.reject(actor=operator, provider=provider, reason="Нет лицензии")
    services.update_profile(actor=admin, provider=provider, changes={"licence_number": "Л-1"})
    services.resubmit(actor=admin, provider=provider)
    provider.refresh_from_db()
    assert provider.status == Status.UNDER_REVIEW and provider.status_reason == ""
    assert ActionLog.objects.filter(action="providers.resubmitted").exists()
    with pytest.raises(Conflict):
        services.resubmit(actor=admin, provider=provider)


# ---------------------------------------------------------------- profile


def test_admin_updates_the_card_and_the_change_is_audited(provider, admin):
    services.update_profile(
        actor=admin, provider=provider, changes={"phone": "+7 900 000 00 00", "website": ""}
    )
    provider.refresh_from_db()
    assert provider.phone == "+7 900 000 00 00"
    log = ActionLog.objects.get(action="providers.profile_updated")
    assert log.details == {"fields": ["phone"]}


def test_nothing_changed_writes_nothing(provider, admin):
    services.update_profile(actor=admin, provider=provider, changes={"phone": provider.phone})
    assert not ActionLog.objects.filter(action="providers.profile_updated").exists()


def test_identity_is_locked_after_inclusion(vorkuta, operator):
    provider = apply(vorkuta)
    admin = provider.staff.get().user
    # Before inclusion the applicant may still correct the ИНН.
    services.update_profile(actor=admin, provider=provider, changes={"inn": make_inn10(4242)})
    services.include(actor=operator, provider=provider)
    with pytest.raises(Conflict) as excinfo:
        services.update_profile(
            actor=admin,
            provider=provider,
            changes={"inn": make_inn10(4343), "ogrn": make_ogrn13(4343), "phone": "1"},
        )
    assert (excinfo.value.status, excinfo.value.code) == (409, "identity_locked")
    assert set(excinfo.value.fields) == {"inn", "ogrn"}
    assert "После включения в реестр" in excinfo.value.fields["inn"][0]
    provider.refresh_from_db()
    assert provider.inn == make_inn10(4242) and provider.phone != "1"


def test_profile_update_is_validated_as_a_whole(provider, admin):
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_profile(actor=admin, provider=provider, changes={"licence_number": ""})
    assert "licence_number" in excinfo.value.fields
    # An included provider's bank details are locked whatever the value: the lock answers
    # first (409), before the card is checked as a whole.
    with pytest.raises(Conflict) as locked:
        services.update_profile(actor=admin, provider=provider, changes={"bik": "123"})
    assert (locked.value.code, set(locked.value.fields)) == ("bank_details_locked", {"bik"})
    provider.refresh_from_db()
    assert provider.licence_number


def test_profile_update_refuses_anothers_inn(vorkuta, pending):
    other = ProviderFactory(municipality=vorkuta, status=Status.UNDER_REVIEW)
    admin = add_staff(pending).user
    with pytest.raises(Conflict) as excinfo:
        services.update_profile(actor=admin, provider=pending, changes={"inn": other.inn})
    assert excinfo.value.code == "duplicate_inn"
    assert excinfo.value.fields == {"inn": [services.DUPLICATE_INN]}
    # With another field's error it is reported beside it, in one 400.
    with pytest.raises(ValidationFailed) as both:
        services.update_profile(
            actor=admin, provider=pending, changes={"inn": other.inn, "licence_number": ""}
        )
    assert set(both.value.fields) == {"inn", "licence_number"}


@pytest.mark.parametrize("who", ["member", "stranger_admin", "operator"])
def test_only_the_provider_admin_edits_the_card(request, provider, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(AccessDenied):
        services.update_profile(actor=actor, provider=provider, changes={"phone": "1"})


def test_excluded_provider_card_is_frozen(provider, admin, operator):
    exclude(actor=operator, provider=provider, reason="Нарушения")
    with pytest.raises(Conflict):
        services.update_profile(actor=admin, provider=provider, changes={"phone": "1"})


# ---------------------------------------------------------------- staff


def test_admin_adds_staff_with_a_one_time_password(provider, admin):
    row, issued = services.add_staff(
        actor=admin,
        provider=provider,
        staff=new_staff(login="teacher1", password="ignored-Password-1"),
    )
    assert issued and len(issued) >= 8
    user = row.user
    assert user.check_password(issued) and not user.check_password("ignored-Password-1")
    assert user.must_change_password
    assert row.provider == provider and row.is_active and not row.is_admin
    membership = Membership.objects.get(user=user, role="provider_staff")
    assert membership.municipality == provider.municipality and not membership.is_provider_admin
    log = ActionLog.objects.get(action="providers.staff_added")
    assert log.details["login"] == "teacher1" and "password" not in str(log.details)


def test_add_staff_validates_and_saves_nothing(provider, admin):
    with pytest.raises(ValidationFailed) as excinfo:
        services.add_staff(actor=admin, provider=provider, staff=new_staff(login="", last_name=""))
    assert {"login", "last_name"} <= set(excinfo.value.fields)
    assert provider.staff.count() == 1


def test_a_taken_login_alone_is_a_conflict_and_with_other_errors_a_field_error(provider, admin):
    with pytest.raises(Conflict) as taken:
        services.add_staff(actor=admin, provider=provider, staff=new_staff(login=admin.username))
    assert (taken.value.code, taken.value.fields) == ("login_taken", {"login": [LOGIN_TAKEN]})
    with pytest.raises(ValidationFailed) as both:
        services.add_staff(
            actor=admin, provider=provider, staff=new_staff(login=admin.username, last_name="")
        )
    assert both.value.fields["login"] == [LOGIN_TAKEN] and "last_name" in both.value.fields
    assert provider.staff.count() == 1


@pytest.mark.parametrize("who", ["member", "stranger_admin", "operator"])
def test_only_the_provider_admin_adds_staff(request, provider, who):
    with pytest.raises(AccessDenied):
        services.add_staff(actor=request.getfixturevalue(who), provider=provider, staff=new_staff())


def test_excluded_provider_adds_no_staff(provider, admin, operator):
    exclude(actor=operator, provider=provider, reason="Нарушения")
    with pytest.raises(Conflict):
        services.add_staff(actor=admin, provider=provider, staff=new_staff())


def test_deactivate_staff_revokes_the_role(provider, admin, member):
    row = ProviderStaff.objects.get(user=member)
    services.deactivate_staff(actor=admin, staff=row)
    row.refresh_from_db()
    assert not row.is_active
    member = User.objects.get(pk=member.pk)
    assert not member.has_role("provider_staff")
    assert ActionLog.objects.filter(action="providers.staff_deactivated").exists()
    assert ActionLog.objects.filter(action="accounts.role_revoked", object_id=str(member.pk))
    with pytest.raises(Conflict):
        services.deactivate_staff(actor=admin, staff=row)


def test_staff_of_two_providers_keeps_the_role_at_the_other(vorkuta, provider, admin, member):
    add_staff(ProviderFactory(municipality=vorkuta), user=member, is_admin=False)
    services.deactivate_staff(
        actor=admin, staff=ProviderStaff.objects.get(user=member, provider=provider)
    )
    assert User.objects.get(pk=member.pk).has_role("provider_staff")


def test_admin_cannot_deactivate_self_or_the_last_admin(provider, admin):
    own = ProviderStaff.objects.get(user=admin)
    with pytest.raises(Conflict) as excinfo:
        services.deactivate_staff(actor=admin, staff=own)
    assert "самого себя" in excinfo.value.message
    with pytest.raises(Conflict) as excinfo:
        services.deactivate_staff(actor=None, staff=own)
    assert "последнего администратора" in excinfo.value.message


def test_others_cannot_deactivate_staff(provider, member, stranger_admin):
    with pytest.raises(AccessDenied):
        services.deactivate_staff(
            actor=stranger_admin, staff=ProviderStaff.objects.get(user=member)
        )


def test_attach_existing_user_is_idempotent(provider, make_user, vorkuta):
    user = make_user()
    first = services.attach_existing_user(actor=None, provider=provider, user=user, is_admin=True)
    again = services.attach_existing_user(actor=None, provider=provider, user=user, is_admin=True)
    assert first.pk == again.pk and ProviderStaff.objects.filter(user=user).count() == 1
    assert User.objects.get(pk=user.pk).has_role("provider_staff")
    assert ActionLog.objects.filter(action="providers.staff_added").count() == 1


# ---------------------------------------------------------------- enrolment limits


def test_operator_sets_changes_and_removes_a_limit(provider, operator):
    period = FinancingPeriodFactory(municipality=provider.municipality)
    limit = services.set_enrolment_limit(
        actor=operator, provider=provider, period=period, max_children=120
    )
    assert limit.max_children == 120
    services.set_enrolment_limit(actor=operator, provider=provider, period=period, max_children=80)
    assert EnrolmentLimit.objects.get(provider=provider, period=period).max_children == 80
    assert (
        services.set_enrolment_limit(
            actor=operator, provider=provider, period=period, max_children=None
        )
        is None
    )
    assert not EnrolmentLimit.objects.exists()
    details = [
        log.details
        for log in ActionLog.objects.filter(action="providers.enrolment_limit_set").order_by("pk")
    ]
    assert [(d["previous"], d["max_children"]) for d in details] == [
        (None, 120),
        (120, 80),
        (80, None),
    ]


@pytest.mark.parametrize(
    ("period_kwargs", "value", "refusal", "field", "message"),
    [
        (
            {"status": FinancingPeriod.Status.DRAFT},
            10,
            Conflict,
            "period",
            "Лимит задаётся для утверждённой программы ПФ на период.",
        ),
        (
            {"other_municipality": True},
            10,
            ValidationFailed,
            "period",
            "Такого периода у муниципалитета поставщика нет.",
        ),
        ({}, -1, ValidationFailed, "max_children", "Лимит не может быть отрицательным."),
        ({}, 10_000_000, ValidationFailed, "max_children", "Не больше 1 000 000 детей."),
    ],
)
def test_bad_limits_are_refused(
    provider, operator, inta, period_kwargs, value, refusal, field, message
):
    municipality = inta if period_kwargs.pop("other_municipality", False) else provider.municipality
    period = FinancingPeriodFactory(municipality=municipality, **period_kwargs)
    with pytest.raises(refusal) as excinfo:
        services.set_enrolment_limit(
            actor=operator, provider=provider, period=period, max_children=value
        )
    assert excinfo.value.fields == {field: [message]}
    if refusal is Conflict:
        assert excinfo.value.code == "period_not_approved"
    assert not EnrolmentLimit.objects.exists()


@pytest.mark.parametrize("who", ["other_operator", "admin", "payer"])
def test_only_officials_set_limits(request, provider, who):
    period = FinancingPeriodFactory(municipality=provider.municipality)
    with pytest.raises(AccessDenied):
        services.set_enrolment_limit(
            actor=request.getfixturevalue(who), provider=provider, period=period, max_children=5
        )

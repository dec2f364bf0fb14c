"""Issue 12, the terms of a contract across the year: a contract starts no earlier than its
acceptance and ends no later than the certificate is valid; the terms are recomputed at
acceptance; next-period sign-up; a missing normative cost; the enrolment limit."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers.models import EnrolmentLimit
from pfdo.providers.tests.factories import ProviderFactory

NOMINAL = 2_417_100
PRICE = 1_800_000  # 18 000 ₽ for the group's nine months, September–May

pytestmark = pytest.mark.django_db


def rub(kopecks: int) -> str:
    roubles, rest = divmod(kopecks, 100)
    return f"{roubles:,}".replace(",", "\xa0") + f",{rest:02d}\xa0₽"


def offer(fam, group):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    return services.confirm(actor=staff_of(group.module.program.provider), application=application)


def months_of(contract) -> list[dt.date]:
    return list(
        ContractMonth.objects.filter(contract=contract)
        .order_by("month")
        .values_list("month", flat=True)
    )


def last_notice(fam):
    return fam.parent.notifications.order_by("-pk").first()


# ------------------------------------------------------------------ 3 · start at acceptance


def test_year_03_contract_starts_at_acceptance(vorkuta, operator):
    period = approved_period(vorkuta)
    with clock.frozen(dt.date(2026, 9, 30)):
        fam = family(vorkuta, operator)
        contract = offer(fam, ready_group(vorkuta, price=PRICE))
        assert contract.starts_on == dt.date(2026, 9, 30) and len(months_of(contract)) == 9
    with clock.frozen(dt.date(2026, 10, 2)):
        services.accept(actor=fam.parent, contract=contract)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    # September is not part of the contract: it did not exist then.
    assert contract.starts_on == dt.date(2026, 10, 2)
    assert months_of(contract) == [dt.date(2026, m, 1) for m in (10, 11, 12)] + [
        dt.date(2027, m, 1) for m in range(1, 6)
    ]
    assert contract.price_kopecks == contract.certificate_kopecks == PRICE * 8 // 9
    assert contract.copay_kopecks == 0
    money = certificate_selectors.balance(fam.certificate, period)
    assert money.reserved_kopecks == PRICE * 8 // 9
    reserved_months = ContractMonth.objects.filter(
        contract=contract, reservation_id__isnull=False
    ).count()
    assert reserved_months == 8
    assert "обучение с 02.10.2026 по 31.05.2027" in last_notice(fam).body
    assert verify_ledger() == []


def test_offer_accepted_after_its_period_closed_moves_into_the_next_period(vorkuta, operator):
    """Across the boundary: offered on 30 August in 2025/26, accepted on 1 September — the
    contract belongs to 2026/27 and reserves from that period's nominal only."""
    old = approved_period(
        vorkuta, name="ПФДО 2025/26", starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2026, 8, 31)
    )
    new = approved_period(vorkuta)
    with clock.frozen(dt.date(2026, 8, 30)):
        fam = family(vorkuta, operator)
        group = ready_group(vorkuta, price=PRICE, starts_on=dt.date(2026, 3, 1))
        contract = offer(fam, group)
        assert contract.period == old and contract.ends_on == dt.date(2026, 8, 31)
    with clock.frozen(dt.date(2026, 9, 1)):
        certificate_services.grant_period_nominals(actor=None, period=new)
        services.accept(actor=fam.parent, contract=contract)
    contract.refresh_from_db()
    assert contract.period == new
    assert contract.starts_on == dt.date(2026, 9, 1) and contract.ends_on == dt.date(2027, 5, 31)
    assert certificate_selectors.balance(fam.certificate, old).reserved_kopecks == 0
    assert (
        certificate_selectors.balance(fam.certificate, new).reserved_kopecks
        == contract.certificate_kopecks
        > 0
    )
    assert verify_ledger() == []


# ---------------------------------------------------------- 2 · end with the certificate


def test_year_02_terms_end_with_certificate_validity(vorkuta, operator):
    approved_period(vorkuta)
    with clock.frozen(dt.date(2026, 9, 1)):
        fam = family(vorkuta, operator, birth_date=dt.date(2008, 11, 15))
        assert fam.certificate.valid_until == dt.date(2026, 11, 14)
        group = ready_group(vorkuta, price=PRICE, age_to_months=18 * 12)
        terms = services.compute_terms(certificate=fam.certificate, group=group)
        assert terms.ends_on == fam.certificate.valid_until
        assert terms.months == (dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        assert terms.price_kopecks == PRICE * 3 // 9
        assert "15.11.2026 ребёнку исполняется 18 лет" in terms.end_note
        contract = offer(fam, group)
        services.accept(actor=fam.parent, contract=contract)
    contract.refresh_from_db()
    assert contract.ends_on == dt.date(2026, 11, 14)
    assert months_of(contract)[-1] == dt.date(2026, 11, 1)
    # A group that starts after the certificate ends cannot be taken at all.
    with clock.frozen(dt.date(2026, 9, 1)):
        later = ready_group(
            vorkuta, weekday=4, starts_on=dt.date(2026, 12, 1), age_to_months=19 * 12
        )
        with pytest.raises(Conflict) as err:
            services.apply(actor=fam.parent, certificate=fam.certificate, group=later)
    assert err.value.code == "certificate_ends"


def test_year_02_apply_page_says_the_contract_ends_with_the_certificate(client, vorkuta, operator):
    approved_period(vorkuta)
    with clock.frozen(dt.date(2026, 9, 1)):
        fam = family(vorkuta, operator, birth_date=dt.date(2008, 11, 15))
        group = ready_group(vorkuta, age_to_months=18 * 12)
        fam.parent.set_password("pass-12345-word")
        fam.parent.must_change_password = False
        fam.parent.save()
        client.force_login(fam.parent)
        page = client.get(f"/cabinet/parent/enrol/{group.pk}/?certificate={fam.certificate.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="terms-end-note"' in body
    assert "Договор — до 14.11.2026: 15.11.2026 ребёнку исполняется 18 лет" in body


# ------------------------------------------------------- 11 · second offer, recomputed


def test_year_11_second_offer_recomputed_at_acceptance(vorkuta, operator):
    period = approved_period(vorkuta)
    with clock.frozen(dt.date(2026, 9, 1)):
        fam = family(vorkuta, operator)
        first, second = (offer(fam, ready_group(vorkuta, weekday=d, price=PRICE)) for d in (1, 3))
        assert first.certificate_kopecks == second.certificate_kopecks == PRICE
        services.accept(actor=fam.parent, contract=first)
        left = NOMINAL - PRICE  # 6 171,00 ₽
        copay = PRICE - left
        # The family's share grows from 0: refused until the parent agrees to the new one.
        with pytest.raises(Conflict) as err:
            services.accept(actor=fam.parent, contract=second)
        assert err.value.code == "terms_changed"
        assert rub(left) in err.value.message and rub(copay) in err.value.message
        second.refresh_from_db()
        assert second.status == Contract.Status.OFFERED and second.copay_kopecks == 0
        shown = services.acceptance_terms(actor=fam.parent, contract=second)
        assert shown.copay_changed and shown.terms.copay_kopecks == copay
        with pytest.raises(Conflict):
            services.accept(actor=fam.parent, contract=second, copay_kopecks=copay - 1)
        services.accept(actor=fam.parent, contract=second, copay_kopecks=shown.terms.copay_kopecks)
    second.refresh_from_db()
    assert second.status == Contract.Status.ACTIVE
    assert (second.certificate_kopecks, second.copay_kopecks) == (left, copay)
    assert sum(m.copay_kopecks for m in second.months.all()) == copay
    money = certificate_selectors.balance(fam.certificate, period)
    assert money.reserved_kopecks == NOMINAL and money.available_kopecks == 0
    notice = last_notice(fam).body
    assert f"зарезервировано {rub(left)}" in notice and f"Доплата семьи — {rub(copay)}" in notice
    assert verify_ledger() == []


# -------------------------------------------------------- 12 · August sign-up, next period


def _two_years(vorkuta, *, next_status=FinancingPeriod.Status.APPROVED):
    old = approved_period(
        vorkuta, name="ПФДО 2025/26", starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2026, 8, 31)
    )
    new = approved_period(vorkuta, status=next_status)
    return old, new


def test_year_12_august_signup_for_next_period(vorkuta, operator):
    old, new = _two_years(vorkuta)
    with clock.frozen(dt.date(2026, 8, 20)):
        fam = family(vorkuta, operator)
        group = ready_group(vorkuta, price=PRICE)
        terms = services.compute_terms(certificate=fam.certificate, group=group)
        assert terms.period == new and terms.starts_on == dt.date(2026, 9, 1)
        # Next year's nominal is not granted yet; it is what the certificate will pay from.
        assert terms.available_kopecks == NOMINAL and terms.certificate_kopecks == PRICE
        application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
        assert application.status == Application.Status.NEW
        contract = services.confirm(
            actor=staff_of(group.module.program.provider), application=application
        )
    with clock.frozen(dt.date(2026, 8, 21)):
        services.accept(actor=fam.parent, contract=contract)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE and contract.period == new
    assert contract.starts_on == dt.date(2026, 9, 1) and months_of(contract)[0].month == 9
    assert certificate_selectors.balance(fam.certificate, old).reserved_kopecks == 0
    money = certificate_selectors.balance(fam.certificate, new)
    assert (money.granted_kopecks, money.reserved_kopecks) == (NOMINAL, PRICE)
    # The period's own grant on 1 September gives this certificate nothing twice.
    with clock.frozen(dt.date(2026, 9, 1)):
        certificate_services.grant_period_nominals(actor=None, period=new)
    assert certificate_selectors.balance(fam.certificate, new).granted_kopecks == NOMINAL
    assert verify_ledger() == []


def test_year_12_draft_next_period_refuses_with_its_own_reason(vorkuta, operator):
    _two_years(vorkuta, next_status=FinancingPeriod.Status.DRAFT)
    with clock.frozen(dt.date(2026, 8, 20)):
        fam = family(vorkuta, operator)
        group = ready_group(vorkuta)
        with pytest.raises(Conflict) as err:
            services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    assert err.value.code == "period_not_approved"
    assert "не утверждена" in err.value.message and "закончились" not in err.value.message
    assert not Application.objects.exists()


# ------------------------------------------------------------ 7 · no normative, no money


def test_year_07_missing_normative_refuses_enrolment(vorkuta, operator):
    approved_period(vorkuta)
    with clock.frozen(dt.date(2026, 9, 1)):
        fam = family(vorkuta, operator)
        bare = ready_group(vorkuta, normative=None)
        with pytest.raises(Conflict) as err:
            services.apply(actor=fam.parent, certificate=fam.certificate, group=bare)
        assert err.value.code == "normative_missing"
        assert "нормативной стоимости" in err.value.message
        # The normative disappears between the steps: the offer and the acceptance refuse too.
        applied = ready_group(vorkuta, weekday=3)
        application = services.apply(actor=fam.parent, certificate=fam.certificate, group=applied)
        applied.module.normative_cost_kopecks = None
        applied.module.save()
        with pytest.raises(Conflict) as err:
            services.confirm(
                actor=staff_of(applied.module.program.provider), application=application
            )
        assert err.value.code == "normative_missing"
        offered_group = ready_group(vorkuta, weekday=5)
        contract = offer(fam, offered_group)
        offered_group.module.normative_cost_kopecks = 0
        offered_group.module.save()
        with pytest.raises(Conflict) as err:
            services.accept(actor=fam.parent, contract=contract)
        assert err.value.code == "normative_missing"
        # A free (budget) programme needs no normative.
        free = ready_group(vorkuta, weekday=6, normative=None, budget_registry="significant")
        accounting = family(vorkuta, operator, wants_financing=False)
        services.apply(actor=accounting.parent, certificate=accounting.certificate, group=free)


# ------------------------------------------------------- 13 · the limit counts money


def test_year_13_enrolment_limit_counts_certificate_money(vorkuta, operator):
    period = approved_period(vorkuta)
    provider = ProviderFactory(municipality=vorkuta, legal_form="municipal")
    EnrolmentLimit.objects.create(provider=provider, period=period, max_children=1)
    with clock.frozen(dt.date(2026, 9, 1)):
        free = ready_group(vorkuta, provider=provider, weekday=1, budget_registry="significant")
        paid = ready_group(vorkuta, provider=provider, weekday=3)
        accounting = family(vorkuta, operator, wants_financing=False)
        services.apply(actor=accounting.parent, certificate=accounting.certificate, group=free)
        # The free place is not certificate money: a certificate child still gets in.
        first = family(vorkuta, operator)
        taken = services.apply(actor=first.parent, certificate=first.certificate, group=paid)
        assert taken.status == Application.Status.NEW
        # The one place the municipality pays for is taken now.
        second = family(vorkuta, operator)
        with pytest.raises(Conflict) as err:
            services.apply(actor=second.parent, certificate=second.certificate, group=paid)
        assert err.value.code == "enrolment_limit_reached"
        # Free places are not limited by it either.
        other = family(vorkuta, operator, wants_financing=False)
        services.apply(actor=other.parent, certificate=other.certificate, group=free)

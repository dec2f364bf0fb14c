"""`grant_period_nominals` and `expire_certificates`: the services from the command line."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pfdo.certificates import selectors, services
from pfdo.certificates.models import Certificate
from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def parent(vorkuta):
    return services.register_parent(
        actor=None, municipality=vorkuta, last_name="Иванова", first_name="Анна"
    )


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def next_period(municipality, **fields) -> FinancingPeriod:
    period = FinancingPeriodFactory(
        municipality=municipality,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
        certificate_quota=100,
        budget_kopecks=100 * 3_000_000,
        **fields,
    )
    NominalCategoryFactory(period=period, nominal_kopecks=3_000_000)
    return period


def test_current_period_already_granted_at_issue_prints_zero(vorkuta, operator, parent):
    approved_period(vorkuta)
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    out = run("grant_period_nominals", "--municipality", "vorkuta")
    assert "Воркута" in out and "ПФДО" in out
    assert "начислено номиналов: 0 — всем сертификатам уже начислено" in out


def test_next_period_granted_once_to_live_financing_certificates(vorkuta, operator, parent):
    approved_period(vorkuta)
    kept = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    suspended = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    cancelled = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    accounting = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    services.suspend_certificate(actor=operator, certificate=suspended, reason="Проверка")
    services.cancel_certificate(actor=operator, certificate=cancelled, reason="Переезд")
    nxt = next_period(vorkuta)

    out = run("grant_period_nominals", "--municipality", "vorkuta", "--period", str(nxt.pk))
    assert "ПФДО 2027/28" in out and "начислено номиналов: 2." in out
    for certificate, granted in ((kept, 3_000_000), (suspended, 3_000_000), (cancelled, 0)):
        assert selectors.balance(certificate, nxt).granted_kopecks == granted
    assert selectors.balance(accounting, nxt).granted_kopecks == 0

    again = run("grant_period_nominals", "--municipality", "vorkuta", "--period", str(nxt.pk))
    assert "начислено номиналов: 0 — всем сертификатам уже начислено" in again
    assert Transfer.objects.filter(kind="grant", credit_account__period=nxt).count() == 2
    assert verify_ledger() == []


def test_unknown_municipality_is_a_clear_error(vorkuta):
    with pytest.raises(CommandError, match="Муниципалитет с кодом «atlantis» не найден"):
        run("grant_period_nominals", "--municipality", "atlantis")


def test_no_approved_period_today_is_a_clear_error(vorkuta):
    # A draft period covering today does not count.
    FinancingPeriodFactory(
        municipality=vorkuta,
        status=FinancingPeriod.Status.DRAFT,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 8, 31),
    )
    with pytest.raises(CommandError, match=re.escape("нет утверждённого периода на 28.11.2026")):
        run("grant_period_nominals", "--municipality", "vorkuta")


def test_draft_or_foreign_period_is_refused(vorkuta, region):
    from pfdo.territory.tests.factories import MunicipalityFactory

    draft = next_period(vorkuta, status=FinancingPeriod.Status.DRAFT)
    with pytest.raises(CommandError, match="не утверждён"):
        run("grant_period_nominals", "--municipality", "vorkuta", "--period", str(draft.pk))
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    foreign = next_period(inta)
    with pytest.raises(CommandError, match=f"Период № {foreign.pk} муниципалитета «Воркута»"):
        run("grant_period_nominals", "--municipality", "vorkuta", "--period", str(foreign.pk))
    assert not Transfer.objects.exists()


def test_budget_too_small_funds_in_order_and_reports_the_rest(vorkuta, operator, parent):
    # Issue 12: a short budget no longer fails the whole run (test_year_quota.py).
    approved_period(vorkuta)
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    nxt = FinancingPeriodFactory(
        municipality=vorkuta,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
        budget_kopecks=3_000_000,  # one nominal for two certificates
    )
    NominalCategoryFactory(period=nxt, nominal_kopecks=3_000_000)
    out = run("grant_period_nominals", "--municipality", "vorkuta", "--period", str(nxt.pk))
    assert "начислено номиналов: 1." in out
    assert "Без места в квоте или бюджете периода: 1" in out
    assert Transfer.objects.filter(kind="grant", credit_account__period=nxt).count() == 1


def test_expire_by_date_once_and_money_returns(vorkuta, operator, parent):
    period = approved_period(vorkuta)
    older = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, birth_date=dt.date(2009, 1, 10)
    ).certificate
    younger = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate

    assert run("expire_certificates").strip() == "На 28.11.2026 истекло сертификатов: 0."
    assert (
        run("expire_certificates", "--date", "2027-01-09").strip()
        == "На 09.01.2027 истекло сертификатов: 0."
    )
    assert (
        run("expire_certificates", "--date", "2027-01-10").strip()
        == "На 10.01.2027 истекло сертификатов: 1."
    )
    assert "истекло сертификатов: 0." in run("expire_certificates", "--date", "2027-01-10")
    older.refresh_from_db()
    younger.refresh_from_db()
    assert older.status == Certificate.Status.EXPIRED
    assert younger.status == Certificate.Status.ACTIVE
    assert selectors.balance(older, period).available_kopecks == 0
    assert selectors.balance(older, period).returned_kopecks == NOMINAL
    assert verify_ledger() == []


def test_expire_with_a_bad_date_is_a_clear_error(db):
    with pytest.raises(
        CommandError, match=re.escape("Неверная дата «10.01.2027»: укажите её в формате")
    ):
        run("expire_certificates", "--date", "10.01.2027")


def test_daily_all_run_grants_each_running_period_once(vorkuta, region, operator, parent):
    from pfdo.territory.tests.factories import MunicipalityFactory

    approved_period(vorkuta)
    certificate = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    MunicipalityFactory(region=region, code="inta", name="Инта", number=3)  # no period: skipped
    with clock.frozen(dt.date(2027, 9, 1)):
        nxt = next_period(vorkuta)
        out = run("grant_period_nominals", "--all")
        assert "Воркута, период «ПФДО 2027/28»: начислено 1." in out
        assert "Инта" not in out
        assert "Всего начислено номиналов: 0." in run("grant_period_nominals", "--all")
    assert selectors.balance(certificate.certificate, nxt).granted_kopecks == 3_000_000
    with pytest.raises(CommandError):
        run("grant_period_nominals")

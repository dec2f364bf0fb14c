"""`manage.py bill_month` and `manage.py close_period`: output, options, errors."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pfdo.billing.models import AdvanceRequest, Invoice, PeriodClosing
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract
from pfdo.common import clock
from pfdo.common.money import NBSP
from pfdo.enrolment.models import Contract
from pfdo.financing.models import FinancingPeriod

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
INVOICE_DAY = dt.date(2026, 11, 2)


@pytest.fixture
def inta(region):
    from pfdo.territory.tests.factories import MunicipalityFactory

    return MunicipalityFactory(region=region, code="inta", name="Инта", number=3)


def contracts_in(municipality, operator, providers=1):
    approved_period(municipality)
    for _ in range(providers):
        signed_contract(municipality, operator, ready_group(municipality))


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_bill_month_builds_invoices_with_progress(vorkuta, operator):
    contracts_in(vorkuta, operator, providers=2)
    with clock.frozen(INVOICE_DAY):
        out, err = run("bill_month", "--municipality", "vorkuta", "--month", "2026-10")
    assert Invoice.objects.filter(month=OCT).count() == 2
    assert out.strip() == (
        "Воркута, 10.2026: поставщиков 2, сформировано счетов 2, заявок на аванс 0, "
        "дополнительных счетов 0, корректировок 0, строк 2, уже было 0."
    )
    # Not a terminal: one plain progress line per tenth, the last one full.
    progress = err.strip().splitlines()
    assert [line.split("]")[1].split(",")[0].strip() for line in progress] == [
        "1/2 поставщиков",
        "2/2 поставщиков",
    ]
    assert progress[-1].startswith("Воркута 10.2026 [" + "#" * 30 + "]")

    # Again: nothing new.
    with clock.frozen(INVOICE_DAY):
        out, _ = run("bill_month", "--municipality", "vorkuta", "--month", "2026-10")
    assert "сформировано счетов 0" in out and "уже было 2" in out
    assert Invoice.objects.count() == 2


def test_bill_month_all_municipalities_advances(vorkuta, inta, operator, make_user):
    contracts_in(vorkuta, operator)
    contracts_in(inta, make_user("operator", municipality=inta))
    with clock.frozen(dt.date(2026, 10, 5)):
        out, _ = run("bill_month", "--all", "--month", "2026-10")
    lines = out.strip().splitlines()
    # In code order: inta, then vorkuta.
    assert lines[0].startswith("Инта, 10.2026: поставщиков 1,")
    assert lines[1].startswith("Воркута, 10.2026: поставщиков 1,")
    assert all("заявок на аванс 1" in line for line in lines)
    assert sorted(AdvanceRequest.objects.values_list("municipality__code", flat=True)) == [
        "inta",
        "vorkuta",
    ]
    # 80 % of the October 200 000 of each contract.
    assert set(AdvanceRequest.objects.values_list("amount_kopecks", flat=True)) == {160_000}


def test_bill_month_all_skips_a_refused_municipality(vorkuta, inta, operator, make_user):
    contracts_in(vorkuta, operator)
    # Inta's period lets advances open only on the 10th working day (14 Oct).
    approved_period(inta, advance_from_working_day=10)
    with clock.frozen(dt.date(2026, 10, 5)):
        out, err = run("bill_month", "--all", "--month", "2026-10")
    assert "Инта: Документы за октябрь 2026 формируются с 14.10.2026." in err
    assert out.startswith("Воркута, 10.2026")
    # One municipality alone: the refusal fails the command.
    with clock.frozen(dt.date(2026, 10, 5)), pytest.raises(CommandError) as exc:
        run("bill_month", "--municipality", "inta", "--month", "2026-10")
    assert str(exc.value) == "Расчёт месяца не выполнен."


@pytest.mark.parametrize("month", ["2026-13", "10.2026", "октябрь"])
def test_bill_month_bad_month_text(vorkuta, month):
    with pytest.raises(CommandError) as exc:
        run("bill_month", "--municipality", "vorkuta", "--month", month)
    assert str(exc.value) == "Месяц указывается как ГГГГ-ММ, например 2026-10."
    assert not Invoice.objects.exists()


def test_bill_month_unknown_municipality_and_no_target(vorkuta):
    with pytest.raises(CommandError) as exc:
        run("bill_month", "--municipality", "nowhere", "--month", "2026-10")
    assert str(exc.value) == "Муниципалитет «nowhere» не найден."
    with pytest.raises(CommandError) as exc:
        run("bill_month", "--month", "2026-10")
    assert str(exc.value) == "Укажите --municipality <код> или --all."
    with pytest.raises(CommandError):
        run("bill_month", "--municipality", "vorkuta", "--all", "--month", "2026-10")


def test_close_period_command(vorkuta, operator):
    period = approved_period(vorkuta)
    # One contract Sep 2026 – May 2027, 1 800 000 reserved of the 2 417 100 nominal.
    _, contract = signed_contract(vorkuta, operator, ready_group(vorkuta))
    with clock.frozen(dt.date(2027, 8, 31)):
        # Not ended yet: no period is picked, and naming it is refused.
        with pytest.raises(CommandError) as exc:
            run("close_period", "--municipality", "vorkuta")
        assert str(exc.value) == "Период для закрытия не найден."
        with pytest.raises(CommandError) as exc:
            run("close_period", "--municipality", "vorkuta", "--period", str(period.pk))
        assert str(exc.value) == "Период можно закрыть после его окончания (31.08.2027)."
    assert not PeriodClosing.objects.exists()
    with pytest.raises(CommandError):
        run("close_period", "--municipality", "nowhere")

    with clock.frozen(dt.date(2027, 9, 2)):
        out, _ = run("close_period", "--municipality", "vorkuta")
    # 2 417 100 − 1 800 000 = 617 100 lapses; the contract ended in May already: the close
    # completes it (nobody ran the deadlines job).
    assert out.strip() == (
        "Период «ПФДО 2026/27» закрыт: продолжено договоров 0, завершено 1, "
        f"сгорело 6{NBSP}171,00{NBSP}₽ на 1 сертификатах."
    )
    period.refresh_from_db()
    assert period.status == FinancingPeriod.Status.CLOSED
    assert Contract.objects.get(pk=contract.pk).status == Contract.Status.COMPLETED
    # Closed: nothing left to pick; naming it again reports the same close.
    with clock.frozen(dt.date(2027, 9, 3)):
        with pytest.raises(CommandError):
            run("close_period", "--municipality", "vorkuta")
        again, _ = run("close_period", "--municipality", "vorkuta", "--period", str(period.pk))
    assert again == out
    assert PeriodClosing.objects.count() == 1

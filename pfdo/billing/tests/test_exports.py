"""The payment registry for the accountants: CSV and XLSX rows, amounts, filters, no
personal data of children, and who may download it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from pfdo.billing import exports, services
from pfdo.billing.selectors import RegistryRow
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.common import clock
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
TODAY = dt.date(2026, 11, 5)
CSV = reverse("billing:official_payments_csv")
XLSX = reverse("billing:official_payments_xlsx")
BIRTH = dt.date(2016, 5, 14)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


@pytest.fixture
def paid(vorkuta, operator, payer):
    """Two providers' October invoices accepted and paid in three payment orders."""
    approved_period(vorkuta)
    out = {}
    for name, last_name in (("first", "Петрова"), ("second", "Орлова")):
        group = ready_group(vorkuta)
        provider = group.module.program.provider
        fam, contract = signed_contract(
            vorkuta, operator, group, last_name=last_name, birth_date=BIRTH
        )
        staff = staff_of(provider)
        invoice = services.build_invoice(actor=staff, provider=provider, month=OCT)
        invoice = services.submit_invoice(actor=staff, invoice=invoice)
        invoice = services.accept_invoice(actor=payer, invoice=invoice)
        out[name] = (provider, fam, contract, invoice)
    first, second = out["first"][3], out["second"][3]
    payments = [
        services.record_payment(
            actor=payer,
            document=first,
            order_number="101",
            paid_on=dt.date(2026, 11, 2),
            amount_kopecks=123_456,
        ),
        services.record_payment(
            actor=payer,
            document=first,
            order_number="102",
            paid_on=dt.date(2026, 11, 4),
            amount_kopecks=76_544,
        ),
        services.record_payment(
            actor=payer,
            document=second,
            order_number="=SUM(A1)",
            paid_on=dt.date(2026, 11, 3),
            amount_kopecks=5,
        ),
    ]
    return out, payments


def personal_data(fam) -> list[str]:
    child = fam.child
    return [
        child.last_name,
        child.full_name,
        child.snils,
        child.snils_display,
        child.document_number,
        "14.05.2016",
        "2016-05-14",
    ]


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def xlsx_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def login(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------- unit


@pytest.mark.parametrize(
    ("kopecks", "shown"),
    [(123_456, "1234,56"), (5, "0,05"), (0, "0,00"), (100, "1,00"), (-250, "-2,50")],
)
def test_amounts_are_roubles_with_a_comma(kopecks, shown):
    assert exports.amount_text(kopecks) == shown


def test_csv_lines_quote_what_a_spreadsheet_would_run():
    row = RegistryRow(
        paid_on=dt.date(2026, 11, 2),
        order_number="=1+1",
        provider='ООО "Север"; филиал',
        inn="1101000011",
        document="Счёт № 7",
        month="октябрь 2026",
        amount_kopecks=100_000_00,
        account="40702810932800009876",
        bik="048702640",
    )
    lines = list(exports.registry_csv([row]))
    assert lines[0].startswith(exports.BOM + "Дата платежа;")
    assert lines[1] == (
        '02.11.2026;\'=1+1;"ООО ""Север""; филиал";1101000011;Счёт № 7;октябрь 2026;100000,00;'
        "40702810932800009876;048702640\r\n"
    )


# ------------------------------------------------------------------------- the pages


def test_csv_registry_rows_amounts_and_no_children(client, payer, paid):
    providers, _ = paid
    response = login(client, payer).get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="reestr-platezhey-vorkuta.csv"' in response["Content-Disposition"]
    body = csv_text(response)
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").split("\r\n")
    assert lines[0].split(";") == [title for title, _ in exports.COLUMNS]
    assert lines[-1] == ""
    rows = [line.split(";") for line in lines[1:-1]]
    first, _, _, invoice_one = providers["first"]
    second, _, _, invoice_two = providers["second"]
    assert rows == [
        [
            "02.11.2026",
            "101",
            first.short_name,
            first.inn,
            f"Счёт № {invoice_one.pk}",
            "октябрь 2026",
            "1234,56",
            "",
            "",
        ],
        [
            "03.11.2026",
            "'=SUM(A1)",
            second.short_name,
            second.inn,
            f"Счёт № {invoice_two.pk}",
            "октябрь 2026",
            "0,05",
            "",
            "",
        ],
        [
            "04.11.2026",
            "102",
            first.short_name,
            first.inn,
            f"Счёт № {invoice_one.pk}",
            "октябрь 2026",
            "765,44",
            "",
            "",
        ],
    ]
    for _, fam, contract, _ in providers.values():
        for secret in [*personal_data(fam), contract.number]:
            assert secret not in body, secret


def test_csv_registry_is_filtered_by_dates_and_provider(client, payer, paid):
    providers, _ = paid
    first = providers["first"][0]
    login(client, payer)
    body = csv_text(client.get(CSV, {"date_from": "2026-11-03", "date_to": "2026-11-04"}))
    orders = [line.split(";")[1] for line in body.split("\r\n")[1:-1]]
    assert orders == ["'=SUM(A1)", "102"]
    response = client.get(CSV, {"provider": first.pk, "date_to": "2026-11-03"})
    assert "2026-11-03" in response["Content-Disposition"]
    orders = [line.split(";")[1] for line in csv_text(response).split("\r\n")[1:-1]]
    assert orders == ["101"]


def test_xlsx_registry_rows_amounts_total_and_no_children(client, payer, paid):
    providers, _ = paid
    response = login(client, payer).get(XLSX, {"date_from": "2026-11-02"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = xlsx_rows(response)
    assert list(rows[0]) == [title for title, _ in exports.COLUMNS]
    body = rows[1:-1]
    first = providers["first"][0]
    second = providers["second"][0]
    assert [(r[0].date(), r[1], r[2], r[3]) for r in body] == [
        (dt.date(2026, 11, 2), "101", first.short_name, first.inn),
        (dt.date(2026, 11, 3), "'=SUM(A1)", second.short_name, second.inn),
        (dt.date(2026, 11, 4), "102", first.short_name, first.inn),
    ]
    # Amounts are numbers in roubles; the "=" order number was quoted (as in the CSV), so it
    # stays text even when the sheet is saved again as CSV.
    assert [Decimal(str(r[6])) for r in body] == [
        Decimal("1234.56"),
        Decimal("0.05"),
        Decimal("765.44"),
    ]
    total = rows[-1]
    assert total[0] == "Итого" and total[1] == "платежей: 3"
    assert Decimal(str(total[6])) == Decimal("2000.05")
    flat = " ".join(str(value) for row in rows for value in row if value is not None)
    for _, fam, contract, _ in providers.values():
        for secret in [*personal_data(fam), contract.number]:
            assert secret not in flat, secret


def test_xlsx_registry_filter_by_provider(client, payer, paid):
    providers, _ = paid
    second = providers["second"][0]
    rows = xlsx_rows(login(client, payer).get(XLSX, {"provider": second.pk}))
    assert [r[1] for r in rows[1:-1]] == ["'=SUM(A1)"]


def test_bad_filters_give_no_file_but_the_message(client, payer, paid):
    login(client, payer)
    for url in (CSV, XLSX):
        response = client.get(url, {"date_from": "2026-11-04", "date_to": "2026-11-01"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("billing:official_payments"))
        page = client.get(response["Location"])
        assert "Исправьте фильтры: реестр не сформирован." in page.content.decode()


def test_registry_is_for_officials_of_the_municipality(
    client, make_user, region, operator, payer, paid
):
    providers, _ = paid
    provider = providers["first"][0]
    parent = providers["first"][1].parent
    type(parent).objects.filter(pk=parent.pk).update(must_change_password=False)
    # The operator reads it too.
    assert "1234,56" in csv_text(login(client, operator).get(CSV))
    for user in (staff_of(provider), parent):
        login(client, user)
        assert client.get(CSV).status_code == 403
        assert client.get(XLSX).status_code == 403
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    stranger = make_user("payer", municipality=inta)
    login(client, stranger)
    assert client.get(CSV, {"municipality": "vorkuta"}).status_code == 404
    own = csv_text(client.get(CSV)).split("\r\n")
    assert own[1:] == [""]  # the header only: no Vorkuta payments


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_cell_of_both_files_is_neutralised(lead):
    """A provider named like a formula (its name is free text) and every other text column:
    the CSV and the XLSX both quote text a spreadsheet would run."""
    hostile = f"{lead}cmd|' /C calc'!A0"
    row = RegistryRow(
        paid_on=dt.date(2026, 11, 2),
        order_number=hostile,
        provider=hostile,
        inn=hostile,
        document=hostile,
        month=hostile,
        amount_kopecks=-250,
    )
    line = list(exports.registry_csv([row]))[1]
    cells = next(csv.reader([line], delimiter=";"))
    assert cells[1:6] == ["'" + hostile] * 5
    assert cells[6] == "-2,50"  # a number stays a number
    sheet = openpyxl.load_workbook(exports.registry_xlsx([row])).active
    # XML keeps no bare carriage return: openpyxl reads "\r" back as "\n".
    values = [cell.value.replace("\n", "\r") for cell in sheet[2][1:6]]
    assert values == ["'" + hostile] * 5
    assert all(cell.data_type != "f" for cells in sheet.iter_rows() for cell in cells)

"""`manage.py verify_ledger` passes on a clean ledger and fails on a tampered one."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from pfdo.ledger.models import Account
from pfdo.ledger.tests.factories import grant, make_book, reserve

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_clean_ledger_passes(vorkuta):
    book = make_book(vorkuta, budget_kopecks=100_000)
    grant(book, 5000)
    reserve(book, 1000, "r1")
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().strip() == "Проводок: 3, счетов: 6. Расхождений нет."


def test_tampered_total_fails(vorkuta):
    book = make_book(vorkuta, budget_kopecks=100_000)
    grant(book, 5000)
    Account.objects.filter(pk=book.cert.pk).update(
        credits_posted_kopecks=F("credits_posted_kopecks") + 1
    )
    out = StringIO()
    with pytest.raises(CommandError, match="Найдено расхождений: 2"):
        call_command("verify_ledger", stdout=out)
    assert book.cert.key in out.getvalue()
    assert "Расхождений нет" not in out.getvalue()

"""Check digits of ИНН, ОГРН, ОГРНИП and the settlement account key, on known numbers."""

import pytest
from django.core.exceptions import ValidationError

from pfdo.providers.tests.factories import make_inn10, make_inn12, make_ogrn13, make_ogrnip15
from pfdo.providers.validators import (
    account_is_valid,
    inn_is_valid,
    ogrn_is_valid,
    validate_bik,
    validate_inn,
    validate_ogrn,
)


@pytest.mark.parametrize(
    "inn",
    [
        "7707083893",  # ПАО Сбербанк
        "7736207543",  # ООО «Яндекс»
        "1103004513",  # demo: ДДТ Воркуты
        "500100732259",  # a widely published valid ИП number
        "110301234562",  # demo: ИП Кузьмина
    ],
)
def test_valid_inn(inn):
    assert inn_is_valid(inn)
    validate_inn(inn)


@pytest.mark.parametrize(
    "inn",
    ["7707083894", "500100732258", "500100732269", "770708389", "77070838931", "77070838AB", ""],
)
def test_invalid_inn(inn):
    assert not inn_is_valid(inn)
    with pytest.raises(ValidationError):
        validate_inn(inn)


@pytest.mark.parametrize(
    "ogrn",
    ["1027700132195", "1027700229193", "1021103004515", "304500116000157", "316110300012348"],
)
def test_valid_ogrn_and_ogrnip(ogrn):
    assert ogrn_is_valid(ogrn)
    validate_ogrn(ogrn)


@pytest.mark.parametrize(
    "ogrn", ["1027700132196", "304500116000158", "102770013219", "10277001321950", "1O27700132195"]
)
def test_invalid_ogrn(ogrn):
    assert not ogrn_is_valid(ogrn)
    with pytest.raises(ValidationError):
        validate_ogrn(ogrn)


def test_settlement_account_key_against_the_bik():
    assert account_is_valid("40702810932800009876", "048702640")
    assert not account_is_valid("40702810932800009877", "048702640")  # one digit off
    assert not account_is_valid("40702810932800009876", "044525225")  # another bank
    assert not account_is_valid("4070281093280000987", "048702640")  # 19 digits
    assert not account_is_valid("40702810932800009876", "04870264")


def test_bik_format():
    validate_bik("048702640")
    for bad in ("04870264", "0487026400", "04870264X"):
        with pytest.raises(ValidationError):
            validate_bik(bad)


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 99, 510, 520, 123_456])
def test_factories_make_valid_distinct_numbers(n):
    assert inn_is_valid(make_inn10(n)) and inn_is_valid(make_inn12(n))
    assert ogrn_is_valid(make_ogrn13(n)) and ogrn_is_valid(make_ogrnip15(n))
    assert make_inn10(n) != make_inn10(n + 1)

"""Check digits of Russian registration numbers: ИНН, ОГРН, ОГРНИП, bank accounts with БИК."""

from __future__ import annotations

from django.core.exceptions import ValidationError

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT = (7, 1, 3) * 8


def _digit(digits: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    if not inn.isdigit():
        return False
    if len(inn) == 10:
        return _digit(inn, _INN10) == int(inn[9])
    if len(inn) == 12:
        return _digit(inn, _INN12_1) == int(inn[10]) and _digit(inn, _INN12_2) == int(inn[11])
    return False


def ogrn_is_valid(ogrn: str) -> bool:
    """ОГРН (13 digits, organisations) or ОГРНИП (15 digits, individual entrepreneurs)."""
    if not ogrn.isdigit():
        return False
    if len(ogrn) == 13:
        return int(ogrn[:12]) % 11 % 10 == int(ogrn[12])
    if len(ogrn) == 15:
        return int(ogrn[:14]) % 13 % 10 == int(ogrn[14])
    return False


def account_is_valid(account: str, bik: str) -> bool:
    """A settlement account (20 digits) checked against the bank's БИК (9 digits)."""
    if not (account.isdigit() and len(account) == 20 and bik.isdigit() and len(bik) == 9):
        return False
    digits = bik[-3:] + account
    return sum(int(d) * w for d, w in zip(digits, _ACCOUNT, strict=False)) % 10 == 0


def correspondent_account_is_valid(account: str, bik: str) -> bool:
    """A bank's correspondent account (20 digits, 301…) against its БИК: the same key as a
    settlement account, over «0» and the БИК's 5th–6th digits (the bank's RKC)."""
    if not (account.isdigit() and len(account) == 20 and bik.isdigit() and len(bik) == 9):
        return False
    digits = "0" + bik[4:6] + account
    return sum(int(d) * w for d, w in zip(digits, _ACCOUNT, strict=False)) % 10 == 0


def validate_inn(value: str) -> None:
    if not inn_is_valid(value):
        raise ValidationError(
            "ИНН должен состоять из 10 цифр (организация) или 12 цифр (ИП) с верными контрольными цифрами."
        )


def validate_ogrn(value: str) -> None:
    if not ogrn_is_valid(value):
        raise ValidationError("ОГРН — 13 цифр, ОГРНИП — 15 цифр; контрольная цифра не сходится.")


def validate_bik(value: str) -> None:
    if not (value.isdigit() and len(value) == 9):
        raise ValidationError("БИК — 9 цифр.")

"""The status of a certificate application, for the family that applied without an account.

The public form shows no number (issue 13: its page is the same for everyone); the number
comes by letter to the e-mail typed. With both, anyone learns the application's status and
what to do next — not the child, the dates, the reason of a refusal (that went by letter) nor
the certificate. A wrong number and a wrong e-mail get the same answer. Each attempt counts
against the client address and the number before anything is looked at, and is written to
the action history with its outcome (never the e-mail typed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pfdo.audit import services as audit
from pfdo.certificates.models import CertificateApplication
from pfdo.common import context, ratelimit
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.common.validators import WHITESPACE

ACTION = "certificates.application_status_checked"
MISS = "Заявление не найдено: проверьте номер из письма и адрес почты, указанный в заявлении."
NUMBER_MESSAGE = "Номер заявления — число из письма, например 1234."
EMAIL_MESSAGE = "Укажите адрес электронной почты, указанный в заявлении."
# What clean() takes, as the API states it: the number with spaces and № anywhere, an e-mail
# with an @ (whether it is the one of the application is the answer, not the shape).
NUMBER_PATTERN = rf"^[{WHITESPACE}№]*([0-9][{WHITESPACE}№]*){{1,12}}$"
EMAIL_PATTERN = r"^[^\u0000]*@[^\u0000]*$"
NUMBER = re.compile(r"^[0-9]{1,12}$")
Status = CertificateApplication.Status

NEXT_STEPS = {
    Status.APPLIED: "Заявление ждёт проверки оператором муниципалитета — обычно несколько "
    "рабочих дней. Ничего делать не нужно; оператор может попросить показать оригиналы "
    "документов. Решение придёт на вашу почту.",
    Status.VERIFIED: "Документы проверены, решение о выдаче сертификата будет принято в "
    "ближайшие дни и придёт на вашу почту.",
    Status.APPROVED: "Сертификат выдан: его номер и логин — в письме на вашу почту. Чтобы "
    "войти в личный кабинет, задайте пароль через «Забыли пароль?» на странице входа (или "
    "получите его у оператора) и выбирайте занятия в каталоге.",
    Status.REJECTED: "Заявление отклонено; причина — в письме на вашу почту. Исправьте "
    "ошибку и подайте заявление снова.",
}


class Outcome:
    MATCHED = "matched"
    WRONG_EMAIL = "wrong_email"
    UNKNOWN = "unknown"
    REFUSED = "refused"


@dataclass(frozen=True)
class ApplicationStatus:
    number: int
    status: str
    status_display: str
    next_step: str


def clean(*, number: str, email: str) -> tuple[int, str]:
    """(number, e-mail) or ValidationFailed naming each bad field; free (nothing counted)."""
    digits = "".join(str(number or "").replace("№", "").split())
    email = (email or "").strip()
    errors: dict[str, str] = {}
    if not NUMBER.match(digits):
        errors["number"] = NUMBER_MESSAGE
    if not email or "@" not in email or len(email) > 254 or "\x00" in email:
        errors["email"] = EMAIL_MESSAGE
    email = email.lower()
    if errors:
        raise ValidationFailed(fields=errors)
    return int(digits), email


def application_status(*, actor, number: str, email: str) -> ApplicationStatus:
    """The status and the next step, or `NotFound(MISS)` whatever did not match. Call it
    outside a transaction: a refused attempt's history row must survive."""
    pk, email = clean(number=number, email=email)
    try:
        _count_attempt(actor, pk)
    except ratelimit.RateLimited:
        _record(actor, Outcome.REFUSED, None)
        raise
    application = (
        CertificateApplication.objects.select_related("parent", "municipality")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        _record(actor, Outcome.UNKNOWN, None)
        raise NotFound(MISS)
    if (application.parent.email or "").strip().lower() != email:
        _record(actor, Outcome.WRONG_EMAIL, application)
        raise NotFound(MISS)
    _record(actor, Outcome.MATCHED, application)
    return ApplicationStatus(
        number=application.pk,
        status=application.status,
        status_display=application.get_status_display(),
        next_step=NEXT_STEPS[application.status],
    )


def _count_attempt(actor, pk: int) -> None:
    ip = context.current().ip
    if ip is None:
        return  # no client: a command acting for the system
    ratelimit.hit(
        ("application_status_ip", f"ip:{ip}"),
        ("application_status_number", f"number:{pk}"),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _record(actor, outcome: str, application: CertificateApplication | None) -> None:
    audit.record(
        actor=actor,
        action=ACTION,
        obj=application,
        municipality=application.municipality if application is not None else None,
        details={"outcome": outcome},
    )

"""The in-person confirmation code: sent to the family when staff file an application, typed by
staff when the parent names it on the spot, and void after too many wrong codes.

A six-digit code is guessable by whoever may type it, so every wrong code is counted on the
application (under its row lock, by a conditional UPDATE), in the action history and against
the staff member's rate limit (`confirm_code_staff`). After `PFDO_CONFIRM_CODE_ATTEMPTS` wrong
codes on the application, or `PFDO_CONFIRM_CODE_CERTIFICATE_ATTEMPTS` on all applications of
the child's certificate within a day, the code is void: the right code no longer works and the
parent confirms (or withdraws) the application in the cabinet. The family is told at the first
wrong code and when the code is void. There is no re-issue: a void code stays void.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db.models import F, Sum

from pfdo.audit import services as audit
from pfdo.certificates.models import Certificate
from pfdo.common import clock, ratelimit
from pfdo.common.errors import Conflict, DomainError, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.services import steps
from pfdo.enrolment.services._common import _lock_application, _notify_parent
from pfdo.enrolment.services.decisions import _ensure_staff
from pfdo.enrolment.services.offers import _accept_locked, _offer

CODE_DIGITS = 6
# The window of the per-certificate count of wrong codes.
CERTIFICATE_WINDOW = dt.timedelta(days=1)

WRONG = "Неверный код. Проверьте код из уведомления родителя. Осталось попыток: {left}."
MALFORMED = "Код — 6 цифр."
# What the API takes as a code: six digits, spaces or hyphens between them allowed (the
# service reads the digits only). The schema states it, so a client is told before it sends.
CODE_PATTERN = r"^[ -]*([0-9][ -]*){6}$"


def _hash_code(application_id: int, code: str) -> str:
    """The stored form of an in-person enrolment's one-time code."""
    return hashlib.sha256(f"{application_id}:{code}".encode()).hexdigest()


def attempts() -> int:
    """Wrong codes one application accepts before its code is void."""
    return max(1, int(settings.PFDO_CONFIRM_CODE_ATTEMPTS))


def certificate_attempts() -> int:
    """Wrong codes over all applications of one certificate within a day."""
    return max(1, int(settings.PFDO_CONFIRM_CODE_CERTIFICATE_ATTEMPTS))


def issue_code(application: Application, *, copay_kopecks: int) -> str:
    """A fresh code for an application just filed in person; only its hash is stored, with
    the co-payment its notice states. The caller sends the code, with those terms, to the
    family (never to the staff who filed it)."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    application.confirm_code_hash = _hash_code(application.pk, code)
    application.code_copay_kopecks = copay_kopecks
    application.save(update_fields=["confirm_code_hash", "code_copay_kopecks"])
    return code


def attempts_left(application: Application) -> int | None:
    """Wrong codes the application still accepts (at most: the child's certificate may run
    out of tries first); None when no code works for it (not waiting, void or none)."""
    if (
        application.status != Application.Status.AWAITING_PARENT
        or not application.confirm_code_hash
        or application.code_voided_at is not None
    ):
        return None
    return max(0, attempts() - application.code_failures)


def _certificate_failures(certificate: Certificate) -> int:
    """Wrong codes on the certificate's applications within the window (an application's
    earlier ones count while its last is inside it: an overcount, on the safe side)."""
    since = clock.now() - CERTIFICATE_WINDOW
    total = Application.objects.filter(
        certificate_id=certificate.pk, code_failed_at__gte=since
    ).aggregate(n=Sum("code_failures"))["n"]
    return total or 0


def _log(actor, application: Application, reason: str) -> None:
    """One failure in the action history (the actor and address come with the row); never
    the code typed."""
    audit.record(
        actor=actor,
        action="enrolment.code_failed",
        obj=application,
        municipality=application.municipality,
        details={"reason": reason, "failures": application.code_failures},
    )


def _count_failure(application: Application) -> bool:
    """One more wrong code; False if the application had none left. The conditional UPDATE
    holds the limit even where the row lock was forgotten."""
    now = clock.now()
    counted = Application.objects.filter(
        pk=application.pk, code_voided_at=None, code_failures__lt=attempts()
    ).update(code_failures=F("code_failures") + 1, code_failed_at=now)
    if counted:
        application.code_failures += 1
        application.code_failed_at = now
    return bool(counted)


def _void(actor, application: Application, certificate: Certificate, why: str) -> None:
    """The code no longer works; the family is told to confirm in the cabinet."""
    now = clock.now()
    Application.objects.filter(pk=application.pk).update(confirm_code_hash="", code_voided_at=now)
    application.confirm_code_hash, application.code_voided_at = "", now
    audit.record(
        actor=actor,
        action="enrolment.code_voided",
        obj=application,
        municipality=application.municipality,
        details={"why": why, "failures": application.code_failures},
    )
    _notify_parent(
        application,
        "Код подтверждения записи аннулирован",
        f"{certificate.child.short_name}: код подтверждения записи в группу "
        f"«{application.group.name}» («{application.provider.short_name}») введён неверно "
        "слишком много раз и больше не действует. Если ребёнка записываете вы, подтвердите "
        "запись в личном кабинете. Если вы не обращались к поставщику, отзовите заявку и "
        "сообщите оператору.",
    )


def _warn_first_failure(application: Application, certificate: Certificate) -> None:
    """At the first wrong code: a parent at the desk checks the code; a parent who is not
    there learns at once that someone is trying to enrol their child."""
    _notify_parent(
        application,
        "Введён неверный код подтверждения записи",
        f"{certificate.child.short_name}: сотрудник «{application.provider.short_name}» ввёл "
        f"неверный код подтверждения записи в группу «{application.group.name}». Если вы сейчас "
        "у поставщика, проверьте код в уведомлении о записи. Если вы не обращались к "
        "поставщику, никому не называйте код, отзовите заявку в личном кабинете и сообщите "
        "оператору.",
    )


def confirm_with_code(*, actor, application: Application, code: str) -> Contract:
    """On the spot: the parent tells staff the code sent to them — their consent to the
    contract they were shown, so it is offered and accepted at once.

    Counted against the staff member's rate limit first; a refusal of the code is committed
    (the count, the history, the family's notice) before it is raised, so a top-level call
    only — inside a caller's transaction the caller's rollback would undo the count.
    """
    ratelimit.hit(
        ("confirm_code_staff", f"user:{actor.pk}"),
        actor=actor,
        municipality=application.municipality,
    )
    contract, refusal = _check_code(actor=actor, application_id=application.pk, code=code)
    if refusal is not None:
        raise refusal
    return contract


@atomic_retry
def _check_code(
    *, actor, application_id: int, code: str
) -> tuple[Contract | None, DomainError | None]:
    """The contract, or the refusal to raise once what it recorded is committed."""
    certificate, locked = _lock_application(application_id)
    _ensure_staff(actor, locked)
    if refusal := steps.confirmation_refusal(locked):
        raise refusal  # nothing recorded: the application does not wait for a code
    if refusal := steps.code_refusal(locked):
        _log(actor, locked, refusal.code)
        return None, refusal
    given = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(given) != CODE_DIGITS:  # cannot be the code: no try spent
        _log(actor, locked, "malformed")
        return None, ValidationFailed(fields={"code": MALFORMED})
    if _certificate_failures(certificate) >= certificate_attempts():
        _void(actor, locked, certificate, "certificate")
        _log(actor, locked, steps.CODE_VOID)
        return None, steps.code_refusal(locked)
    if secrets.compare_digest(_hash_code(locked.pk, given), locked.confirm_code_hash):
        contract = _offer(actor, certificate, locked)
        try:
            # The code agrees to the co-payment its notice stated, not to today's figures.
            agreed = locked.code_copay_kopecks
            return _accept_locked(actor, certificate, contract, agreed_copay_kopecks=agreed), None
        except Conflict as exc:
            if exc.code != "terms_changed":
                raise
            raise Conflict(
                f"{exc.message} Код подтверждал прежние условия, поэтому договор не заключён. "
                "Родитель может принять договор на новых условиях в личном кабинете (или "
                "подайте заявку заново — семья получит новый код с новыми условиями).",
                code="terms_changed",
                fields=exc.fields,
            ) from exc
    counted = _count_failure(locked)  # False: out of tries already (the limit was lowered)
    _log(actor, locked, "wrong")
    if not counted or locked.code_failures >= attempts():
        _void(actor, locked, certificate, "attempts")
        return None, steps.code_refusal(locked)
    if _certificate_failures(certificate) >= certificate_attempts():
        _void(actor, locked, certificate, "certificate")
        return None, steps.code_refusal(locked)
    if locked.code_failures == 1:
        _warn_first_failure(locked, certificate)
    return None, ValidationFailed(
        fields={"code": WRONG.format(left=attempts() - locked.code_failures)}
    )

"""The public enrolment check of the ПФДО API v2 (`/enrollment-verification` and its steps),
on top of this system's check (pfdo.enrolment.services.check).

1. `start`: the check itself — `check_enrolment` counts the attempt (per address and per
   child's name), records it and answers; this adds a verification with a fresh random token
   (only its hash is kept) and numbers the enrolments shown 1..n. An unknown child and a
   child without contracts get the same answer here too: an empty list and a token.
2. `ask_confirmation`: the family names the shown enrolments it does not know of and leaves an
   e-mail; a letter with a second random token (kept hashed, mailed by a task, never written
   to the outbox in clear — as the password reset link) goes to it. Capped per address, per
   e-mail and per verification.
3. `confirm_email`: the letter's token proves the mailbox; the unknown enrolments become a
   notification to the operators of the contracts' municipality (programme, provider, dates,
   contract number and page, the verification's number — never the child's name). Once.
4. `statistics`: the region's confirmed verifications and those that reported an unknown
   enrolment — counts only.

Nothing here keeps the child's or the parent's name, the digits or the e-mail in clear, and no
action row names them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from pfdo.accounts import selectors as accounts_selectors
from pfdo.accounts import services as accounts_services
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock, context, ratelimit
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.compat.models import EnrolmentVerification
from pfdo.content.models import PortalSettings
from pfdo.enrolment import services as enrolment_services
from pfdo.enrolment.models import Contract
from pfdo.enrolment.services import check
from pfdo.territory.models import Municipality, Region

TTL = timedelta(hours=24)
ACTIONS = {
    "compat.enrolment_verification_started": "Проверка зачислений через API ПФДО",
    "compat.enrolment_verification_mailed": "Проверка зачислений: письмо для подтверждения почты",
    "compat.enrolment_verification_confirmed": "Проверка зачислений: почта подтверждена",
    "compat.enrolment_verification_statistics": "Проверка зачислений: запрошена статистика",
}
STARTED, MAILED, CONFIRMED, STATISTICS = ACTIONS
MAX_EMAIL = 254
DEFAULT_CONFIRM_URL = "{portal}/enrollments/confirm-email/{token}"

_State = EnrolmentVerification.State


class VerificationNotFound(NotFound):
    code = "verification_not_found"
    default_message = "Проверка не найдена или срок её действия истёк."


@dataclass(frozen=True)
class Mark:
    """One shown enrolment: its number in this verification (1..n) and what the check shows."""

    id: int
    enrolment: check.Enrolment


@dataclass(frozen=True)
class Started:
    verification: EnrolmentVerification
    token: str  # given out once, never stored
    marks: list[Mark]


@dataclass(frozen=True)
class Statistics:
    verified: int
    with_fakes: int


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(raw: str) -> str:
    # A 256-bit random token needs no key: its hash cannot be reversed or guessed.
    return hashlib.sha256(raw.encode()).hexdigest()


# ------------------------------------------------------------------------------- 1. the check


def start(*, actor, region: Region, surname: str, first_name: str, document_suffix: str) -> Started:
    """The check (counted and recorded by `check_enrolment`: ValidationFailed for bad fields,
    RateLimited over a limit), then its verification. Call outside a transaction."""
    result = enrolment_services.check_enrolment(
        actor=actor, surname=surname, first_name=first_name, document_suffix=document_suffix
    )
    marks = [Mark(id=n, enrolment=e) for n, e in enumerate(result.enrolments, start=1)]
    # The contracts behind what was shown, in its order: for the operators' report only.
    shown = [
        {"contract": e.contract_id, "municipality": e.municipality_id} for e in result.enrolments
    ]
    token = new_token()
    now = clock.now()
    with transaction.atomic():
        verification = EnrolmentVerification.objects.create(
            region=region,
            municipality_id=next((m["municipality"] for m in shown if m["municipality"]), None),
            token_hash=token_hash(token),
            marks=shown,
            created_at=now,
            expires_at=now + TTL,
        )
        audit.record(
            actor=actor,
            action=STARTED,
            obj=verification,
            municipality=_municipality(verification.municipality_id),
            details={"region": region.pk, "shown": len(marks)},
        )
    return Started(verification=verification, token=token, marks=marks)


# ------------------------------------------------------------------ 2. the letter to confirm


def clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        if len(email) > MAX_EMAIL:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            fields={"email": "Укажите адрес электронной почты, например ivanova@example.ru."}
        ) from None
    return email


def ask_confirmation(*, actor, token: str, email: str, fakes: list[int]) -> EnrolmentVerification:
    """Send the letter that confirms `email` and carries the report of `fakes` (ids of the
    shown enrolments the family does not know of). Counted per address, per e-mail and per
    verification before anything is looked up (RateLimited over a limit; the refusal is on
    the record). VerificationNotFound: no live verification with this token, or it is
    already confirmed."""
    email = clean_email(email)
    digest = token_hash(token or "")
    try:
        _count_letter(actor, email, digest)
    except ratelimit.RateLimited:
        audit.record(actor=actor, action=MAILED, details={"outcome": "refused"})
        raise
    raw = new_token()
    with transaction.atomic():
        verification = (
            EnrolmentVerification.objects.select_for_update()
            .live(clock.now())
            .filter(token_hash=digest)
            .exclude(state=_State.CONFIRMED)
            .first()
        )
        if verification is not None:
            fakes = _fakes(verification, fakes)
            verification.ask_confirmation(
                email_hash=pd_hash("enrolment_verification_email", email.casefold()),
                token_hash=token_hash(raw),
                fakes=fakes,
            )
            verification.save()
            audit.record(
                actor=actor,
                action=MAILED,
                obj=verification,
                municipality=_municipality(verification.municipality_id),
                details={"outcome": "sent", "fakes": len(fakes)},
            )
            subject, body = _letter(verification, raw)
            transaction.on_commit(
                partial(accounts_services.send_letter, subject=subject, body=body, to=email),
                robust=True,
            )
    if verification is None:
        # Outside the transaction: the refusal stays on the record.
        audit.record(actor=actor, action=MAILED, details={"outcome": "unknown"})
        raise VerificationNotFound()
    return verification


def _fakes(verification: EnrolmentVerification, fakes: list[int]) -> list[int]:
    """The reported ids, each one of the shown enrolments' (ValidationFailed otherwise)."""
    fakes = sorted(set(fakes))
    shown = len(verification.marks)
    unknown = [n for n in fakes if not 1 <= n <= shown]
    if unknown and not shown:
        raise ValidationFailed(fields={"record_marks": "Зачислений не найдено: отмечать нечего."})
    if unknown:
        listed = ", ".join(str(n) for n in unknown)
        raise ValidationFailed(
            fields={"record_marks": f"Нет зачисления с номером {listed}: номера — от 1 до {shown}."}
        )
    return fakes


def _count_letter(actor, email: str, digest: str) -> None:
    ip = context.current().ip
    if ip is None:
        return  # no client: a command acting for the system
    ratelimit.hit(
        ("enrolment_verify_ip", f"ip:{ip}"),
        ("enrolment_verify_email", f"email:{email.casefold()}"),
        ("enrolment_verify_check", f"check:{digest}"),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def confirm_link(verification: EnrolmentVerification, raw: str) -> str:
    """The portal's page that confirms the address (the portal calls confirm-email)."""
    portal = (
        PortalSettings.objects.filter(region_id=verification.region_id)
        .values_list("site_url", flat=True)
        .first()
    ) or settings.SITE_URL
    template = getattr(settings, "PFDO_COMPAT_CONFIRM_EMAIL_URL", "") or DEFAULT_CONFIRM_URL
    return template.format(portal=portal.rstrip("/"), token=raw)


def _letter(verification: EnrolmentVerification, raw: str) -> tuple[str, str]:
    expires = timezone.localtime(verification.expires_at).strftime("%d.%m.%Y %H:%M")
    if verification.reported_fakes:
        what = (
            f"Вы отметили незнакомых зачислений: {verification.reported_fakes}. После "
            "подтверждения сведения о них (программа, поставщик, даты) получит оператор "
            "персонифицированного финансирования вашего муниципалитета."
        )
    else:
        what = "Вы не отметили незнакомых зачислений."
    body = (
        "Здравствуйте!\n\n"
        f"На портале проверили зачисления ребёнка (проверка №{verification.pk}). {what}\n\n"
        f"Чтобы подтвердить адрес почты, откройте ссылку до {expires} (МСК):\n"
        f"{confirm_link(verification, raw)}\n\n"
        "Если вы ничего не проверяли, просто удалите это письмо: без подтверждения ничего "
        "не будет передано."
    )
    return "Подтвердите адрес почты: проверка зачислений", body


# ------------------------------------------------------------------------- 3. the confirmation


@transaction.atomic
def confirm_email(*, actor, token: str) -> EnrolmentVerification:
    """Confirm the address by the letter's token; the first time, the unknown enrolments go to
    the operators. A repeat changes nothing and answers the same."""
    verification = (
        EnrolmentVerification.objects.select_for_update()
        .live(clock.now())
        .filter(email_token_hash=token_hash(token or ""))
        .exclude(email_token_hash="")
        .first()
    )
    if verification is None:
        raise VerificationNotFound()
    if verification.state == _State.CONFIRMED:
        return verification
    verification.confirm()
    verification.save()
    operators = _report(verification)
    audit.record(
        actor=actor,
        action=CONFIRMED,
        obj=verification,
        municipality=_municipality(verification.municipality_id),
        details={"fakes": verification.reported_fakes, "operators": operators},
    )
    return verification


def _report(verification: EnrolmentVerification) -> int:
    """Notify the operators of each municipality of the reported contracts; returns how many
    operators were told."""
    by_contract = {}
    for n in verification.fakes:
        mark = verification.marks[n - 1]
        if mark.get("contract"):
            by_contract[mark["contract"]] = n
    if not by_contract:
        return 0
    contracts = (
        Contract.objects.filter(pk__in=by_contract)
        .select_related("group__module__program", "provider")
        .order_by("municipality_id", "-starts_on", "pk")
    )
    lines: dict[int, list[str]] = defaultdict(list)
    for contract in contracts:
        page = reverse("enrolment:operator_contract", args=[contract.pk])
        lines[contract.municipality_id].append(
            f"— «{contract.group.module.program.name}», {contract.provider.short_name}, "
            f"с {contract.starts_on:%d.%m.%Y} по {contract.ends_on:%d.%m.%Y}, "
            f"договор № {contract.number or contract.pk}: "
            f"{settings.SITE_URL.rstrip('/')}{page}"
        )
    notices = []
    subject = f"Семья не знает о зачислении: проверка №{verification.pk}"
    for municipality_id, rows in lines.items():
        body = (
            f"По публичной проверке зачислений №{verification.pk} семья подтвердила адрес "
            "почты и сообщила, что не знает о зачислениях ребёнка:\n"
            + "\n".join(rows)
            + "\n\nПроверьте договоры и основания зачисления у поставщика."
        )
        for user in accounts_selectors.members_of(municipality_id, Role.OPERATOR):
            notices.append(
                accounts_services.Notice(
                    user_id=user.pk, email=user.email, subject=subject, body=body
                )
            )
    accounts_services.notify_many(notices)
    return len(notices)


# ---------------------------------------------------------------------------- 4. statistics


def statistics(*, actor, token: str) -> Statistics:
    """Counts of the region of the verification with this token (VerificationNotFound)."""
    verification = (
        EnrolmentVerification.objects.live(clock.now())
        .filter(token_hash=token_hash(token or ""))
        .only("pk", "region_id")
        .first()
    )
    if verification is None:
        raise VerificationNotFound()
    counts = EnrolmentVerification.objects.filter(
        region_id=verification.region_id, state=_State.CONFIRMED
    ).aggregate(
        verified=Count("pk"),
        with_fakes=Count("pk", filter=Q(reported_fakes__gt=0)),
    )
    audit.record(
        actor=actor,
        action=STATISTICS,
        obj=verification,
        details={"region": verification.region_id},
    )
    return Statistics(verified=counts["verified"], with_fakes=counts["with_fakes"])


# -------------------------------------------------------------------------------- the sweep


def sweep(now=None) -> int:
    """Delete the checks that expired unconfirmed (their tokens die with them; a lookup never
    needs this: it asks `expires_at` itself) and forget the address hash of expired confirmed
    ones, which stay as reports and statistics. Returns how many were deleted."""
    now = now or clock.now()
    expired = EnrolmentVerification.objects.filter(expires_at__lte=now)
    deleted, _ = expired.exclude(state=_State.CONFIRMED).delete()
    expired.filter(state=_State.CONFIRMED).exclude(email_hash="").update(email_hash="")
    return deleted


def _municipality(pk):
    return None if pk is None else Municipality(pk=pk)

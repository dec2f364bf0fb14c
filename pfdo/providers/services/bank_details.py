"""Changes of a provider's bank details: its admin files a request, the operator of the
municipality approves or rejects it. Only an approval changes where the money goes; the
payer is told, and every step is in the action history with the old and the new details
(bank details are the organisation's, not a child's personal data)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pfdo.accounts import selectors as accounts_selectors
from pfdo.accounts import services as accounts
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.providers.models import BANK_FIELDS, BankDetailsChange, Provider, ProviderStaff
from pfdo.providers.services._common import authorize, lock
from pfdo.providers.services.validation import bank_errors, normalise_profile

ChangeStatus = BankDetailsChange.Status
MAX_COMMENT = 2000
MAX_REASON = 2000

# Where a direct edit of the card sends the admin (page and API say the same).
USE_A_REQUEST = (
    "Банковские реквизиты после включения в реестр меняются только заявкой, которую "
    "подтверждает оператор муниципалитета: «Моя организация» → «Сменить банковские "
    "реквизиты», в API — POST /api/v1/bank-details-changes/."
)


def masked(account: str) -> str:
    """«…6789»: enough to recognise an account in a message that may be forwarded."""
    return f"…{account[-4:]}" if account else "не указан"


def bank_request_refusal(provider: Provider) -> Conflict | None:
    """Why the provider cannot file a request now, or None."""
    if not provider.bank_details_locked:
        return Conflict(
            "До включения в реестр реквизиты указываются в карточке организации: "
            "измените их там, оператор проверит их при включении.",
            code="bank_details_editable",
        )
    pending = BankDetailsChange.objects.filter(provider=provider, status=ChangeStatus.PENDING)
    filed_at = pending.values_list("filed_at", flat=True).first()
    if filed_at is not None:
        return Conflict(
            f"Заявка на смену реквизитов от {timezone.localtime(filed_at):%d.%m.%Y} ещё ждёт "
            "решения оператора. Чтобы подать другую, сначала отзовите её.",
            code="bank_change_pending",
        )
    return None


def bank_decision_refusal(change: BankDetailsChange) -> Conflict | None:
    """Why the request can no longer be approved, rejected or withdrawn, or None."""
    if change.is_pending:
        return None
    when = timezone.localtime(change.decided_at) if change.decided_at else None
    return Conflict(
        f"Заявка уже {change.get_status_display()}"
        + (f" {when:%d.%m.%Y %H:%M}" if when else "")
        + ".",
        code="bank_change_decided",
    )


def _lock_change(change: BankDetailsChange) -> BankDetailsChange:
    return (
        BankDetailsChange.objects.select_for_update(of=("self",))
        .select_related("provider", "provider__municipality")
        .get(pk=change.pk)
    )


def _audit(actor, action: str, change: BankDetailsChange, provider: Provider, **more) -> None:
    # On the provider, so the operator's card of the provider shows it in its history.
    audit.record(
        actor=actor,
        action=action,
        obj=provider,
        municipality=provider.municipality,
        details={
            "change": change.pk,
            "old": change.old_details,
            "new": change.new_details,
            **more,
        },
    )


def _admins(provider: Provider):
    return [
        row.user
        for row in ProviderStaff.objects.filter(
            provider=provider, is_active=True, is_admin=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]


def _tell(users, subject: str, body: str, link: str) -> None:
    accounts.notify_many(
        [
            accounts.Notice(user_id=u.pk, email=u.email, subject=subject, body=body, link=link)
            for u in users
        ]
    )


@atomic_retry
def request_bank_change(
    *, actor, provider: Provider, details: Mapping[str, Any], comment: str = ""
) -> BankDetailsChange:
    """The provider admin asks for new bank details; the operators are told. Nothing about
    the provider changes yet."""
    authorize(
        actor,
        "providers.request_bank_change",
        provider,
        "Сменить реквизиты может администратор организации.",
    )
    provider = lock(provider)  # one pending request per provider: filings queue here
    refusal = bank_request_refusal(provider)
    if refusal is not None:
        raise refusal
    unknown = [name for name in details if name not in BANK_FIELDS]
    if unknown:
        raise ValidationFailed(fields={name: "Это поле нельзя задать здесь." for name in unknown})
    data = normalise_profile({name: details.get(name) or "" for name in BANK_FIELDS})
    comment = (comment or "").strip()
    errors: defaultdict[str, list[str]] = defaultdict(list)
    for name in BANK_FIELDS:
        limit = BankDetailsChange._meta.get_field(name).max_length
        if len(data[name]) > limit:
            errors[name].append(f"Не длиннее {limit} символов.")
    if len(comment) > MAX_COMMENT:
        errors["comment"].append(f"Не длиннее {MAX_COMMENT} символов.")
    bank_errors(data, errors, required=True)
    if errors:
        raise ValidationFailed(fields=dict(errors))
    if data == provider.bank_details:
        # Well-formed details that must differ from the current ones (409, not a form error).
        raise Conflict(
            "Новые реквизиты совпадают с действующими: менять нечего.",
            code="bank_details_unchanged",
            fields={"settlement_account": "Совпадает с действующими реквизитами."},
        )
    change = BankDetailsChange(provider=provider, filed_by=actor, comment=comment, **data)
    change.set_old(provider.bank_details)
    try:
        with transaction.atomic():
            change.save()
    except IntegrityError as exc:  # the lock makes this a backstop only
        raise Conflict(
            "Заявка на смену реквизитов уже подана.", code="bank_change_pending"
        ) from exc
    _audit(actor, "providers.bank_change_requested", change, provider, comment=comment)
    _tell(
        accounts_selectors.members_of(provider.municipality_id, Role.OPERATOR),
        f"Заявка на смену реквизитов: {provider.short_name}",
        f"Поставщик «{provider.short_name}» просит сменить банковские реквизиты "
        f"(р/с {masked(provider.settlement_account)} → {masked(change.settlement_account)}). "
        "Пока вы не подтвердите заявку, оплата идёт по прежним реквизитам.",
        reverse("providers:bank_change", args=[change.pk]),
    )
    return change


@atomic_retry
def approve_bank_change(*, actor, change: BankDetailsChange) -> BankDetailsChange:
    """The operator confirms: the provider's details become the requested ones, the payer and
    the provider's admins are told. Documents already issued keep their own snapshot."""
    authorize(
        actor,
        "providers.decide_bank_change",
        change,
        "Смену реквизитов подтверждает оператор муниципалитета поставщика.",
    )
    provider = lock(change.provider)  # provider, then request: the order every step takes
    change = _lock_change(change)
    refusal = bank_decision_refusal(change)
    if refusal is not None:
        raise refusal
    change.approve(by=actor, old=provider.bank_details)
    change.save(update_fields=["status", "decided_by", "decided_at", *_old_fields()])
    for name, value in change.new_details.items():
        setattr(provider, name, value)
    provider.save(update_fields=list(BANK_FIELDS))
    _audit(actor, "providers.bank_change_approved", change, provider)
    subject = f"Изменены банковские реквизиты: {provider.short_name}"
    body = (
        f"Оператор подтвердил смену банковских реквизитов поставщика «{provider.short_name}». "
        f"Новые: р/с {masked(change.settlement_account)}, {change.bank_name}, "
        f"БИК {change.bik} (прежний р/с {masked(change.old_settlement_account)}). "
        "Документы, поданные до смены, сохраняют реквизиты, с которыми поданы; "
        "новые документы выставляются на новые реквизиты."
    )
    _tell(
        accounts_selectors.members_of(provider.municipality_id, Role.PAYER),
        subject,
        body,
        reverse("providers:bank_change", args=[change.pk]),
    )
    _tell(_admins(provider), subject, body, reverse("providers:organisation_bank"))
    return change


@atomic_retry
def reject_bank_change(*, actor, change: BankDetailsChange, reason: str) -> BankDetailsChange:
    """The operator refuses with a reason; nothing changes, the provider's admins are told."""
    authorize(
        actor,
        "providers.decide_bank_change",
        change,
        "Отклонить смену реквизитов может оператор муниципалитета поставщика.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(fields={"reason": f"Не длиннее {MAX_REASON} символов."})
    provider = lock(change.provider)
    change = _lock_change(change)
    refusal = bank_decision_refusal(change)
    if refusal is not None:
        raise refusal
    change.reject(by=actor, reason=reason)
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    _audit(actor, "providers.bank_change_rejected", change, provider, reason=reason)
    _tell(
        _admins(provider),
        "Смена банковских реквизитов отклонена",
        f"Оператор отклонил заявку на смену реквизитов (р/с {masked(change.settlement_account)})."
        f" Причина: {reason} Оплата идёт по прежним реквизитам.",
        reverse("providers:organisation_bank"),
    )
    return change


@atomic_retry
def withdraw_bank_change(*, actor, change: BankDetailsChange) -> BankDetailsChange:
    """The provider admin takes a pending request back (to file a corrected one)."""
    authorize(
        actor,
        "providers.withdraw_bank_change",
        change,
        "Отозвать заявку может администратор организации.",
    )
    provider = lock(change.provider)
    change = _lock_change(change)
    refusal = bank_decision_refusal(change)
    if refusal is not None:
        raise refusal
    change.withdraw(by=actor)
    change.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(actor, "providers.bank_change_withdrawn", change, provider)
    return change


def _old_fields() -> list[str]:
    return [f"old_{name}" for name in BANK_FIELDS]

"""What ends with a certificate or with a provider's place in the registry: the pending
applications, the open offers and the contracts that hang on it (domain.md §4).

The certificate and the provider registry are below enrolment, so their services cannot call
these: they declare hooks (`certificates.services.certificate_ending`,
`providers.services.provider_excluded`) that enrolment connects in its AppConfig.ready(); each
handler runs inside the lower service's transaction, with the certificate or provider row
locked. An exclusion's later termination date is carried out by `run_deadlines`
(`terminate_excluded_contracts`).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, When

from pfdo.audit import services as audit
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.services._common import (
    _contract_link,
    _lock_application,
    _lock_contract,
    _notify_parent,
)
from pfdo.enrolment.services.contracts import _end_offer
from pfdo.enrolment.services.termination import _complete_locked, _terminate_locked
from pfdo.enrolment.services.waitlist import _end_application
from pfdo.providers.models import Provider

# Applications still waiting for a decision or a place.
PENDING = (
    Application.Status.NEW,
    Application.Status.AWAITING_PARENT,
    Application.Status.WAITLISTED,
)


def _end_pending(actor, applications, reason: str, text: str) -> int:
    """Pending applications end (`expired`, with the reason); their places go to the
    waitlist. `text` is what the family is told (after the child's name)."""
    ended = 0
    # The waitlisted first: a place the others free is then not offered to one of them.
    pending = applications.filter(status__in=PENDING).order_by(
        Case(When(status=Application.Status.WAITLISTED, then=0), default=1), "pk"
    )
    for pk in list(pending.values_list("pk", flat=True)):
        certificate, application = _lock_application(pk)
        if application.status not in PENDING:
            continue
        _end_application(actor, application, application.expire, reason, "enrolment.expired")
        _notify_parent(
            application,
            "Заявка закрыта",
            f"{certificate.child.short_name}: заявка закрыта — {text}",
        )
        ended += 1
    return ended


def _end_offers(actor, contracts, reason: str, text: str) -> int:
    """Open offers end unaccepted (nothing was reserved); their places go to the waitlist."""
    ended = 0
    offers = contracts.filter(status=Contract.Status.OFFERED).order_by("pk")
    for pk in list(offers.values_list("pk", flat=True)):
        certificate, contract = _lock_contract(pk)
        if contract.status != Contract.Status.OFFERED:
            continue
        _end_offer(
            actor,
            contract,
            contract.expire,
            contract.application.expire,
            "enrolment.offer_expired",
            reason=reason,
        )
        _notify_parent(
            contract.application,
            f"Предложение договора № {contract.number} отозвано",
            f"{certificate.child.short_name}: договор не может быть заключён — {text}",
            link=_contract_link(contract),
        )
        ended += 1
    return ended


# ------------------------------------------------------------------------- certificates


def end_certificate_contracts(
    *, actor, certificate: Certificate, on: dt.date, reason: str
) -> dict[str, int]:
    """A certificate ended (cancelled, or expired at 18) with `on` its last day: its pending
    applications and open offers end, its active contracts are terminated by the operator on
    `on` (the month of `on` stays reserved for billing up to that day, later months are
    released; a contract not begun releases all), the family and the provider's staff are told.

    A contract whose own end date came first completes instead. Handler of
    `certificates.services.certificate_ending`; a second call finds nothing left.
    """
    text = f"{reason}. Вы можете подать заявку снова, когда у ребёнка будет действующий сертификат."
    done = {
        "applications": _end_pending(
            actor, Application.objects.filter(certificate_id=certificate.pk), reason, text
        ),
        "offers": _end_offers(
            actor, Contract.objects.filter(certificate_id=certificate.pk), reason, text
        ),
        "terminated": 0,
        "completed": 0,
    }
    active = Contract.objects.filter(certificate_id=certificate.pk, status=Contract.Status.ACTIVE)
    for pk in active.order_by("pk").values_list("pk", flat=True):
        locked_certificate, contract = _lock_contract(pk)
        if contract.status != Contract.Status.ACTIVE:
            continue
        if contract.ends_on <= on:
            _complete_locked(locked_certificate, contract)
            done["completed"] += 1
            continue
        _terminate_locked(
            actor,
            locked_certificate,
            contract,
            by=Contract.TerminatedBy.OPERATOR,
            reason=reason,
            last_day=on,
            tell_provider=True,
        )
        done["terminated"] += 1
    return done


# ---------------------------------------------------------------------------- providers


def _exclusion_reason(provider: Provider) -> str:
    why = f"поставщик «{provider.short_name}» исключён из реестра"
    return f"{why}: {provider.status_reason}" if provider.status_reason else why


def end_provider_enrolments(*, actor, provider: Provider, reason: str = "") -> dict[str, int]:
    """A provider was excluded: its pending applications and open offers end at once (the
    families told, so they can apply elsewhere); its running contracts are terminated today
    if that is the operator's date, else each family is told whether the contract runs to its
    end or until which day (the daily job terminates it then).

    Handler of `providers.services.provider_excluded`.
    """
    why = _exclusion_reason(provider)
    text = f"{why}. Выберите другую программу в каталоге."
    done = {
        "applications": _end_pending(
            actor, Application.objects.filter(provider_id=provider.pk), why, text
        ),
        "offers": _end_offers(actor, Contract.objects.filter(provider_id=provider.pk), why, text),
        "terminated": 0,
        "told": 0,
    }
    last_day = provider.contracts_terminate_on
    if last_day is not None and last_day <= clock.today():
        done["terminated"] = terminate_excluded_contracts(
            today=clock.today(), provider_id=provider.pk, actor=actor
        )
    running = Contract.objects.filter(provider_id=provider.pk, status=Contract.Status.ACTIVE)
    for contract in running.select_related("application", "child").order_by("pk"):
        if last_day is None or contract.ends_on <= last_day:
            what = (
                f"договор № {contract.number} действует до своего окончания "
                f"{contract.ends_on:%d.%m.%Y}"
            )
        else:
            what = (
                f"договор № {contract.number} будет расторгнут: последний день занятий "
                f"{last_day:%d.%m.%Y}, месяцы после него не оплачиваются и резерв вернётся на "
                "сертификат"
            )
        _notify_parent(
            contract.application,
            f"Поставщик «{provider.short_name}» исключён из реестра",
            f"{contract.child.short_name}: {why}; {what}.",
            link=_contract_link(contract),
        )
        done["told"] += 1
    if not any(done.values()):
        return done
    audit.record(
        actor=actor,
        action="enrolment.exclusion_settled",
        obj=provider,
        municipality=provider.municipality,
        details=done,
    )
    return done


def terminate_excluded_contracts(
    *,
    today: dt.date | None = None,
    provider_id: int | None = None,
    municipality_id: int | None = None,
    actor=None,
) -> int:
    """Terminate the active contracts of excluded providers whose termination date (their
    last day) has come, on that date even when the job runs late. One contract per
    transaction; a re-run finds only what is left."""
    today = today or clock.today()
    providers = Provider.objects.filter(
        status=Provider.Status.EXCLUDED, contracts_terminate_on__lte=today
    )
    if provider_id is not None:
        providers = providers.filter(pk=provider_id)
    if municipality_id is not None:
        providers = providers.filter(municipality_id=municipality_id)
    due = Contract.objects.filter(provider__in=providers, status=Contract.Status.ACTIVE)
    return sum(
        _terminate_for_exclusion(pk, actor, today)
        for pk in list(due.order_by("pk").values_list("pk", flat=True))
    )


@atomic_retry
def _terminate_for_exclusion(pk: int, actor, today: dt.date) -> int:
    certificate, contract = _lock_contract(pk)
    provider = contract.provider
    last_day = provider.contracts_terminate_on
    if (
        contract.status != Contract.Status.ACTIVE
        or provider.status != Provider.Status.EXCLUDED
        or last_day is None
        or last_day > today
        # It ends on its own first: it completes (the usual job), not terminated.
        or contract.ends_on <= last_day
    ):
        return 0
    _terminate_locked(
        actor,
        certificate,
        contract,
        by=Contract.TerminatedBy.OPERATOR,
        reason=_exclusion_reason(provider),
        last_day=last_day,
        tell_provider=True,
    )
    return 1

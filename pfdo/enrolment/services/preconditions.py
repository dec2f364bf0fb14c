"""Whether a child may be enrolled in a group, and on what terms (dates and money).

The money split itself is pure (`pfdo.enrolment.terms`); this module reads what it needs —
the period, the certificate's balance, the child's other groups — and says why not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pfdo.catalog.models import Group, Program
from pfdo.catalog.schedule import lessons_overlap
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict, DomainError
from pfdo.common.money import format_kopecks
from pfdo.common.months import months_between, months_touched
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.services._common import EnrolmentRefused, _refuse
from pfdo.enrolment.services.earmark import continuation_earmark
from pfdo.enrolment.terms import Split, budget_split, prorate, split_contract
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period
from pfdo.providers import services as providers
from pfdo.providers.models import EnrolmentLimit


@dataclass(frozen=True)
class Terms:
    """What a contract for this certificate in this group would be, computed today."""

    period: FinancingPeriod
    funding: str
    starts_on: dt.date
    ends_on: dt.date
    months: tuple[dt.date, ...]
    price_kopecks: int
    normative_kopecks: int
    available_kopecks: int
    certificate_kopecks: int
    copay_kopecks: int
    certificate_months: tuple[int, ...]
    copay_months: tuple[int, ...]
    # The contract ends on the certificate's last day (the child turns 18) before the group
    # and the period do.
    ends_with_certificate: bool = False

    @property
    def remaining_kopecks(self) -> int:
        return self.available_kopecks - self.certificate_kopecks

    @property
    def end_note(self) -> str:
        """Why the contract ends before the group does, when the certificate decides it."""
        if not self.ends_with_certificate:
            return ""
        birthday = self.ends_on + dt.timedelta(days=1)
        return (
            f"Договор — до {self.ends_on:%d.%m.%Y}: {birthday:%d.%m.%Y} ребёнку исполняется "
            "18 лет, и сертификат перестаёт действовать."
        )


def _split(group: Group, months: int, *, budget: bool, available_kopecks: int) -> Split:
    """The money of `months` of the group: free on a budget programme; otherwise the
    module's price and normative cost for those months, the certificate paying up to
    `available_kopecks`."""
    if budget:
        return budget_split(months)
    whole = months_touched(group.starts_on, group.ends_on)
    module = group.module
    return split_contract(
        price_kopecks=prorate(module.price_kopecks, months, whole),
        normative_kopecks=prorate(module.normative_cost_kopecks, months, whole),
        available_kopecks=available_kopecks,
        months=months,
    )


def _period_of(certificate: Certificate, group: Group, today: dt.date) -> FinancingPeriod:
    """The approved period a contract starting now would belong to: the one covering the
    first day of lessons still ahead (a group that starts after the current period ends is
    enrolled into the next period, once that period is approved)."""
    day = max(group.starts_on, today)
    period = current_period(certificate.municipality, day, categories=False)
    if period is not None:
        return period
    if day > today:
        later = (
            FinancingPeriod.objects.filter(municipality=certificate.municipality)
            .covering(day)
            .first()
        )
        if later is not None and later.status == FinancingPeriod.Status.DRAFT:
            raise _refuse(
                "period_not_approved",
                f"Занятия группы начинаются {group.starts_on:%d.%m.%Y} — в периоде "
                f"«{later.name}», программа финансирования на который ещё не утверждена. "
                "Запись откроется, когда оператор её утвердит.",
            )
        # A group that begins before any period (in the summer) joins the first approved
        # period that begins while it runs.
        first = (
            FinancingPeriod.objects.filter(
                municipality=certificate.municipality,
                status=FinancingPeriod.Status.APPROVED,
                starts_on__gt=day,
                starts_on__lte=group.ends_on,
            )
            .order_by("starts_on")
            .first()
        )
        if first is not None:
            return first
        if current_period(certificate.municipality, today) is not None:
            raise _refuse(
                "no_period",
                f"Занятия группы начинаются {group.starts_on:%d.%m.%Y}, а программа "
                "персонифицированного финансирования на этот срок ещё не принята: записаться "
                "пока нельзя.",
            )
    raise _refuse(
        "no_period", "Сейчас нет действующей программы персонифицированного финансирования."
    )


def _available(certificate: Certificate, period: FinancingPeriod, today: dt.date) -> int:
    """What the certificate may pay in `period`. Before a period begins its nominal is not
    granted yet: the nominal due on its first day counts (acceptance grants it ahead)."""
    # The account's own counters say what is available (one query); the whole balance (what
    # was granted) is read only before the period begins, where it decides the nominal ahead.
    available = certificate_selectors.available_kopecks(certificate, period)
    if (
        period.starts_on > today
        and certificate.type == Certificate.Type.FINANCING
        and certificate.status in Certificate.LIVE
        and certificate.valid_until >= period.starts_on
        and certificate_selectors.balance(certificate, period).granted_kopecks == 0
    ):
        available += certificate_services.nominal_amount(
            period, certificate.child, period.starts_on
        )[0]
    return available


class TermsMemo:
    """What `compute_terms` reads for one certificate, read once per period: a page that shows
    the terms of every group of a programme (the programme page) asks for each group, and the
    periods and balances are the same for all of them."""

    def __init__(self) -> None:
        self._periods: dict[tuple, FinancingPeriod | EnrolmentRefused] = {}
        self._available: dict[tuple[int, int], int] = {}

    def period(self, certificate: Certificate, group: Group, today: dt.date) -> FinancingPeriod:
        key = (certificate.municipality_id, max(group.starts_on, today), group.ends_on)
        if key not in self._periods:
            try:
                self._periods[key] = _period_of(certificate, group, today)
            except EnrolmentRefused as exc:
                self._periods[key] = exc
        found = self._periods[key]
        if isinstance(found, EnrolmentRefused):
            raise found
        return found

    def available(self, certificate: Certificate, period: FinancingPeriod, today: dt.date) -> int:
        key = (certificate.pk, period.pk)
        if key not in self._available:
            available = _available(certificate, period, today)
            # Contracts continuing into this period take its nominal first (issue 12).
            self._available[key] = max(available - continuation_earmark(certificate, period), 0)
        return self._available[key]


def compute_terms(
    *,
    certificate: Certificate,
    group: Group,
    today: dt.date | None = None,
    memo: TermsMemo | None = None,
) -> Terms:
    """Dates clipped to the group, the period, the certificate's validity and today (a
    contract starts no earlier than it is accepted); price and normative cost for those
    months; certificate part = min(price, normative cost, available); the rest is the
    co-payment. `memo` keeps the periods and balances read between calls (one request)."""
    today = today or clock.today()
    memo = memo or TermsMemo()
    program = group.module.program
    if group.starts_on is None or group.ends_on is None:
        raise _refuse("group_incomplete", "У группы не указаны даты занятий.")
    period = memo.period(certificate, group, today)
    start = max(group.starts_on, period.starts_on, today)
    end = min(group.ends_on, period.ends_on)
    if end < start:
        raise _refuse("group_finished", "Занятия группы в этом периоде уже закончились.")
    ends_with_certificate = certificate.valid_until < end
    if ends_with_certificate:
        end = certificate.valid_until
        if end < start:
            raise _refuse(
                "certificate_ends",
                f"Сертификат № {certificate.number} действует до {end:%d.%m.%Y} (ребёнку "
                "исполняется 18 лет): договор на эти занятия заключить нельзя.",
            )
    months = months_between(start, end)
    if program.budget_registry != Program.BudgetRegistry.NONE:
        funding = Contract.Funding.BUDGET
        available = 0
    else:
        funding = Contract.Funding.CERTIFICATE
        if not group.module.normative_cost_kopecks:
            raise _refuse(
                "normative_missing",
                f"У модуля «{group.module.name}» ещё нет нормативной стоимости: сертификат не "
                "может оплатить обучение, пока она не рассчитана. Она рассчитывается, когда "
                "оператор утверждает программу персонифицированного финансирования; запишитесь "
                "после этого.",
            )
        available = memo.available(certificate, period, today)
    split = _split(
        group,
        len(months),
        budget=funding == Contract.Funding.BUDGET,
        available_kopecks=available,
    )
    return Terms(
        period=period,
        funding=funding,
        starts_on=start,
        ends_on=end,
        months=tuple(months),
        price_kopecks=split.price_kopecks,
        normative_kopecks=split.normative_kopecks,
        available_kopecks=available,
        certificate_kopecks=split.certificate_kopecks,
        copay_kopecks=split.copay_kopecks,
        certificate_months=split.certificate_months,
        copay_months=split.copay_months,
        ends_with_certificate=ends_with_certificate,
    )


def _refuse_if_frozen(period: FinancingPeriod, today: dt.date) -> None:
    """The closing freeze stops new contracts at every step: filing, offer, acceptance."""
    if period.is_frozen(today):
        raise _refuse(
            "period_frozen",
            f"Идёт закрытие периода «{period.name}»: новые договоры не заключаются до "
            "начала следующего.",
        )


def schedule_clash(
    certificate: Certificate, group: Group, other_groups: list[int] | None = None
) -> str | None:
    """A lesson of `group` at the same time as a lesson of another group of the child.
    `other_groups`: the ids of the child's other groups over the same dates whose places it
    holds, if the caller has read them (`_refuse_if_applied`); none — no query."""
    if other_groups is not None:
        if not other_groups:
            return None
        others = Group.objects.filter(pk__in=other_groups)
    else:
        others = Group.objects.filter(
            enrolment_applications__child_id=certificate.child_id,
            enrolment_applications__status__in=Application.HOLDING,
            starts_on__lte=group.ends_on,
            ends_on__gte=group.starts_on,
        ).exclude(pk=group.pk)
    others = others.prefetch_related("schedule", "module__program").distinct()
    mine = list(group.schedule.all())
    for other in others:
        for lesson in mine:
            for theirs in other.schedule.all():
                if lessons_overlap(lesson, theirs):
                    return (
                        f"Занятия пересекаются с группой «{other.name}» программы "
                        f"«{other.module.program.name}»: {theirs.get_weekday_display()} "
                        f"{theirs.starts_at:%H:%M}–{theirs.ends_at:%H:%M}."
                    )
    return None


def check_preconditions(
    *,
    certificate: Certificate,
    group: Group,
    copay_agreed: bool,
    today: dt.date | None = None,
    has_limits: bool | None = None,
    other_groups: list[int] | None = None,
) -> Terms:
    """Every precondition of domain.md §4 with its own message; returns the terms if all hold.
    `has_limits` False: the caller has just read that the provider has no enrolment limit
    (under its lock, `_lock_limited_provider`), so it is not read again. `other_groups`: see
    `schedule_clash`."""
    today = today or clock.today()
    program = group.module.program
    provider = program.provider
    if not (program.is_published and program.enrolment_open and group.enrolment_open):
        raise _refuse("enrolment_closed", "Запись в эту группу сейчас закрыта.")
    providers.ensure_accepts_enrolments(provider)
    if group.starts_on is None or group.ends_on is None or not group.schedule.exists():
        raise _refuse("group_incomplete", "У группы нет дат или расписания: запись невозможна.")
    if certificate.status != Certificate.Status.ACTIVE:
        raise _refuse(
            "certificate_not_active",
            f"Сертификат № {certificate.number} {certificate.get_status_display()}: "
            "записаться по нему нельзя.",
        )
    if certificate.municipality_id != provider.municipality_id:
        raise _refuse(
            "other_municipality",
            "Сертификат выдан в другом муниципалитете: запись к этому поставщику пока невозможна.",
        )
    child = certificate.child
    age = child.age_months(group.starts_on if group.starts_on > today else today)
    low, high = program.age_from_months, program.age_to_months
    if (low is not None and age < low) or (high is not None and age >= high):
        raise _refuse(
            "age_out_of_range",
            f"Программа для детей {program.age_display}; ребёнку на начало занятий "
            f"{age // 12} лет.",
        )
    in_budget = program.budget_registry != Program.BudgetRegistry.NONE
    if certificate.type == Certificate.Type.ACCOUNTING and not in_budget:
        raise _refuse(
            "certificate_type_mismatch",
            "Сертификат учёта даёт право только на бесплатные (бюджетные) программы; эта "
            "программа оплачивается сертификатом финансирования.",
        )
    if not in_budget and not program.is_certified:
        raise _refuse(
            "certificate_type_mismatch",
            "Программа не сертифицирована и не входит в бюджетный реестр: по сертификату на неё "
            "не записаться.",
        )
    terms = compute_terms(certificate=certificate, group=group, today=today)
    _refuse_if_frozen(terms.period, today)
    clash = schedule_clash(certificate, group, other_groups)
    if clash:
        raise _refuse("schedule_clash", clash)
    if certificate.type == Certificate.Type.ACCOUNTING and in_budget:
        limit = terms.period.accounting_program_limit
        used = (
            Application.objects.filter(certificate=certificate, status__in=Application.HOLDING)
            .exclude(group=group)
            .count()
        )
        if used >= limit:
            raise _refuse(
                "accounting_limit_reached",
                f"По сертификату учёта можно заниматься не более чем в {limit} бюджетных "
                "программах одновременно: все места использованы.",
            )
    limit = None
    if has_limits is not False:  # None: not known yet, read it
        limit = EnrolmentLimit.objects.filter(provider=provider, period=terms.period).first()
    if limit is not None and terms.funding == Contract.Funding.CERTIFICATE:
        # The municipality limits children it pays for: places taken with certificate money
        # (programmes outside the budget registries), not free budget places.
        children = (
            Application.objects.filter(
                provider=provider,
                status__in=Application.HOLDING,
                group__module__program__budget_registry=Program.BudgetRegistry.NONE,
            )
            .values("child_id")
            .distinct()
        )
        ids = set(children.values_list("child_id", flat=True))
        if child.pk not in ids and len(ids) >= limit.max_children:
            raise _refuse(
                "enrolment_limit_reached",
                f"У «{provider.short_name}» исчерпан лимит зачисления на период "
                f"({limit.max_children} детей).",
            )
    if terms.copay_kopecks > 0 and not copay_agreed:
        # The body is well-formed; the certificate's terms for this group ask for consent (409).
        raise Conflict(
            "Нужна доплата семьи.",
            code="copay_not_agreed",
            fields={
                "copay_agreed": (
                    f"Сертификат оплатит {format_kopecks(terms.certificate_kopecks)}, доплата "
                    f"семьи — {format_kopecks(terms.copay_kopecks)}. Подтвердите согласие на доплату."
                )
            },
        )
    return terms


def preview_terms(*, actor, certificate: Certificate, group: Group) -> Terms:
    """The terms a parent would be offered today for their child's certificate in `group`:
    the money shown before applying. Someone else's certificate is not found."""
    authorize(actor, "enrolment.accept", certificate, hide=True, message="Сертификат не найден.")
    return compute_terms(certificate=certificate, group=group)


def family_group_terms(*, program: Program, certificates: list[Certificate]) -> dict:
    """The programme page's answer to `catalog.selectors.family_group_terms`: `compute_terms`
    for each group of `program` and each of the family's certificates (their own: the page
    passes the parent's), the refusal's message where there can be no contract. Periods and
    balances are read once per period and certificate (`TermsMemo`), not once per group."""
    today = clock.today()
    answer: dict = {}
    memo = TermsMemo()
    for certificate in certificates:
        for module in program.modules.all():
            for group in module.groups.all():
                try:
                    terms = compute_terms(
                        certificate=certificate, group=group, today=today, memo=memo
                    )
                except DomainError as exc:
                    answer[(group.pk, certificate.pk)] = (None, exc.message)
                else:
                    answer[(group.pk, certificate.pk)] = (terms, "")
    return answer

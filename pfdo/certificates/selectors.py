"""Read use-cases of certificates: balances, quota usage, duplicates, plain-language views."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.db.models import Count, Q

from pfdo.certificates.models import Certificate, CertificateApplication, Child, SwitchRequest
from pfdo.certificates.validators import (
    normalize_document,
    normalize_snils,
    pd_hash,
    surname_key,
)
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period
from pfdo.ledger import selectors as ledger
from pfdo.ledger.selectors import CertificateBalance, balance_of, balances_of, movements


def financing_places(period: FinancingPeriod):
    """Certificates holding a financing place in `period`'s quota: live financing ones still
    valid when it starts. The period's grant turns those it cannot fund into accounting
    certificates, so from its start this is the number funded in the period (decisions.md,
    issue 12)."""
    return Certificate.objects.filter(
        municipality_id=period.municipality_id,
        type=Certificate.Type.FINANCING,
        status__in=Certificate.LIVE,
        valid_until__gte=period.starts_on,
    )


def financing_count(municipality, period: FinancingPeriod | None = None) -> int:
    """Financing places used in `period` (the running one by default; 0 without one)."""
    period = period or current_period(municipality)
    if period is None:
        return 0
    return financing_places(period).count()


def funded_count(period: FinancingPeriod) -> int:
    """Live financing certificates granted a nominal in `period` (the check: ≤ its quota)."""
    return financing_places(period).filter(pk__in=ledger.granted_holder_ids(period)).count()


def unfunded_count(period: FinancingPeriod) -> int:
    """Financing certificates the period's grant has not funded (before the period starts,
    those beyond its quota or budget; from its start they are accounting certificates)."""
    return financing_places(period).exclude(pk__in=ledger.granted_holder_ids(period)).count()


def waiting_switches(municipality):
    """Switch requests waiting for a financing place, oldest first (the queue)."""
    return SwitchRequest.objects.filter(
        municipality=municipality, status=SwitchRequest.Status.WAITING
    ).order_by("created_at", "pk")


def account_of(certificate: Certificate, period: FinancingPeriod | None):
    """The certificate's ledger account in `period` (None without a period or an account)."""
    return ledger.certificate_account_of(certificate.pk, period)


def balance(certificate: Certificate, period: FinancingPeriod | None = None) -> CertificateBalance:
    """Granted / reserved / spent / available of the certificate in `period` (current by default)."""
    period = period or current_period(certificate.municipality)
    return balance_of(account_of(certificate, period))


def available_kopecks(certificate: Certificate, period: FinancingPeriod | None) -> int:
    """What the certificate may still spend in `period`: its account's own counters, one
    query (`balance` adds what was granted and spent, two more)."""
    account = account_of(certificate, period)
    return account.available_kopecks if account is not None else 0


def balances(certificates, period: FinancingPeriod | None) -> dict[int, CertificateBalance]:
    """Balances of many certificates of one period, keyed by certificate id (constant queries)."""
    if period is None:
        return {}
    accounts = ledger.certificate_account_ids(period, [c.pk for c in certificates])
    by_account = balances_of(list(accounts))
    return {holder: by_account[pk] for pk, holder in accounts.items() if pk in by_account}


def current_balances(certificates, *, periods=None) -> dict[int, CertificateBalance]:
    """Certificate id → balance in its own municipality's current period.

    Queries per municipality on the page, not per certificate (a regional list mixes them);
    `periods` (municipality id → current period) spares look-ups the caller already made.
    """
    periods = dict(periods or {})
    by_municipality: dict[int, list[Certificate]] = {}
    for certificate in certificates:
        by_municipality.setdefault(certificate.municipality_id, []).append(certificate)
    out: dict[int, CertificateBalance] = {}
    for municipality_id, group in by_municipality.items():
        if municipality_id not in periods:
            periods[municipality_id] = current_period(group[0].municipality)
        out.update(balances(group, periods[municipality_id]))
    return out


def periods_by_account(certificate: Certificate) -> dict[int, FinancingPeriod]:
    """Account id → period of the certificate's accounts, to label its statement lines."""
    return {a.pk: a.period for a in ledger.certificate_accounts_of(certificate.pk)}


def statement(certificate: Certificate):
    """Every movement of the certificate's money in any period, newest first."""
    rows = []
    for account in ledger.certificate_accounts_of(certificate.pk):
        rows.extend(movements(account))
    rows.sort(key=lambda m: (m.created_at, m.pk), reverse=True)
    return rows


@dataclass(frozen=True)
class QuotaUsage:
    period: FinancingPeriod
    quota: int
    financing_issued: int
    accounting_issued: int
    waiting_switches: int
    budget_kopecks: int
    granted_kopecks: int
    returned_kopecks: int
    budget_available_kopecks: int

    @property
    def quota_free(self) -> int:
        return max(self.quota - self.financing_issued, 0)

    @property
    def quota_percent(self) -> int:
        return round(100 * self.financing_issued / self.quota) if self.quota else 0

    @property
    def budget_percent(self) -> int:
        if not self.budget_kopecks:
            return 0
        return round(100 * (self.granted_kopecks - self.returned_kopecks) / self.budget_kopecks)


def quota_usage(period: FinancingPeriod) -> QuotaUsage:
    counts = dict(
        Certificate.objects.filter(
            municipality_id=period.municipality_id, status__in=Certificate.LIVE
        )
        .values("type")
        .annotate(n=Count("pk"))
        .values_list("type", "n")
    )
    budget = ledger.budget_account_of(period)
    sums = ledger.totals_by_kind(budget) if budget is not None else {}
    granted = sums.get(ledger.TransferKind.GRANT, 0)
    returned = sum(sums.get(k, 0) for k in (ledger.TransferKind.REVOKE, ledger.TransferKind.LAPSE))
    return QuotaUsage(
        period=period,
        quota=period.certificate_quota,
        # The period's own places (issue 12): not every live financing certificate.
        financing_issued=financing_places(period).count(),
        accounting_issued=counts.get(Certificate.Type.ACCOUNTING, 0),
        waiting_switches=SwitchRequest.objects.filter(
            municipality_id=period.municipality_id, status=SwitchRequest.Status.WAITING
        ).count(),
        budget_kopecks=period.budget_kopecks,
        granted_kopecks=granted,
        returned_kopecks=returned,
        budget_available_kopecks=(
            budget.available_kopecks if budget is not None else period.budget_kopecks
        ),
    )


def duplicates_of(application: CertificateApplication) -> list[Child]:
    """Other children of the region with the same СНИЛС or document (keyed-hash match)."""
    child = application.child
    return list(
        Child.objects.filter(municipality__region_id=application.municipality.region_id)
        .filter(Q(snils_hash=child.snils_hash) | Q(document_hash=child.document_hash))
        .exclude(pk=child.pk)
        .prefetch_related("certificates", "applications")
    )


def duplicate_flags(applications) -> dict[int, int]:
    """Application id → how many other children of the region match it (one query per page)."""
    apps = list(applications)
    if not apps:
        return {}
    snils = {a.child.snils_hash for a in apps}
    docs = {a.child.document_hash for a in apps}
    region_ids = {a.municipality.region_id for a in apps}
    others = list(
        Child.objects.filter(municipality__region_id__in=region_ids)
        .filter(Q(snils_hash__in=snils) | Q(document_hash__in=docs))
        .values_list("pk", "snils_hash", "document_hash")
    )
    flags = {}
    for a in apps:
        flags[a.pk] = sum(
            1
            for pk, s, d in others
            if pk != a.child_id and (s == a.child.snils_hash or d == a.child.document_hash)
        )
    return flags


def find_children(region_id: int, *, snils: str = "", document_type: str = "", document: str = ""):
    """Children of a region by exact СНИЛС or document number (through the keyed hash)."""
    q = Q()
    if snils:
        q |= Q(snils_hash=pd_hash("snils", normalize_snils(snils)))
    if document:
        number, _ = normalize_document(document_type or "birth_certificate", document)
        q |= Q(document_hash=pd_hash("document", number))
    if not q:
        return Child.objects.none()
    return Child.objects.filter(q, municipality__region_id=region_id)


def explain(certificate: Certificate, money: CertificateBalance | None = None) -> list[str]:
    """What this certificate lets the child take, in plain words, for the parent's cabinet."""
    lines: list[str] = []
    if certificate.status == Certificate.Status.SUSPENDED:
        lines.append(
            "Сертификат приостановлен: новые записи невозможны, пока оператор его не возобновит."
        )
    elif not certificate.is_live:
        lines.append(f"Сертификат {certificate.get_status_display()}: записаться по нему нельзя.")
        return lines
    if certificate.is_financing:
        available = money.available_kopecks if money else 0
        lines.append(
            "Сертификат финансирования: оплачивает сертифицированные программы любой организации "
            "из реестра. Деньги списываются помесячно, пока ребёнок учится."
        )
        lines.append(
            f"Сейчас доступно {_rub(available)}. Если программа дороже остатка или нормативной "
            "стоимости, разницу оплачивает семья (доплата) — вы увидите её до записи."
        )
        lines.append(
            "Бесплатные (бюджетные) программы — значимые, предпрофессиональные и другие — "
            "доступны тоже."
        )
    else:
        lines.append(
            "Сертификат учёта: даёт право на бесплатные (бюджетные) программы — значимые, "
            "предпрофессиональные и другие. Денег на нём нет."
        )
        period = current_period(certificate.municipality)
        if period is not None and period.accounting_program_limit:
            lines.append(
                f"По нему можно одновременно заниматься не более чем в "
                f"{period.accounting_program_limit} бюджетных программах."
            )
        lines.append(
            "Чтобы оплачивать сертифицированные программы, запросите перевод в сертификат "
            "финансирования: он возможен, пока в квоте муниципалитета есть места."
        )
    lines.append(f"Действует до {certificate.valid_until:%d.%m.%Y} (до 18 лет ребёнка).")
    return lines


def _rub(kopecks: int) -> str:
    from pfdo.common.money import format_kopecks

    return format_kopecks(kopecks)


@dataclass(frozen=True)
class ProviderView:
    """All a provider learns from a certificate number (no СНИЛС, no documents)."""

    number: str
    child_name: str
    age_years: int
    type: str
    type_display: str
    is_active: bool
    certificate_id: int


def certificate_digits(number: str) -> str:
    """The 10 digits of a certificate number typed with spaces or hyphens; "" if it is not one."""
    text = (number or "").strip()
    if not set(text) <= set("0123456789 -"):
        return ""
    digits = text.replace(" ", "").replace("-", "")
    return digits if len(digits) == 10 else ""


def match_for_lookup(number: str, surname: str, *, certificates) -> tuple[Certificate | None, bool]:
    """(the certificate with exactly this number among `certificates`, or None; whether
    `surname` is its child's — validators.surname_key, compared in constant time).

    The same work whatever the answer — one query, one comparison — so the time taken does
    not tell a known number from an unknown one.
    """
    digits = certificate_digits(number)
    certificate = certificates.filter(number=digits).select_related("child").first()
    typed = surname_key(surname)
    actual = surname_key(certificate.child.last_name) if certificate is not None else ""
    same = hmac.compare_digest(typed.encode(), actual.encode())
    return certificate, certificate is not None and bool(typed) and same


def provider_view(certificate: Certificate) -> ProviderView:
    child = certificate.child
    return ProviderView(
        number=certificate.number,
        child_name=f"{child.last_name} {child.first_name} {child.patronymic}".strip(),
        age_years=child.age_years(),
        type=certificate.type,
        type_display=certificate.get_type_display(),
        is_active=certificate.status == Certificate.Status.ACTIVE,
        certificate_id=certificate.pk,
    )


@dataclass(frozen=True)
class Coverage:
    """What a certificate pays for a price: the certificate part and the family's co-payment."""

    price_kopecks: int
    normative_kopecks: int
    available_kopecks: int
    certificate_kopecks: int
    copay_kopecks: int
    remaining_kopecks: int


def coverage(*, price_kopecks: int, normative_kopecks: int, available_kopecks: int) -> Coverage:
    """certificate part = min(price, normative cost, available); the rest is the co-payment."""
    part = max(min(price_kopecks, normative_kopecks, available_kopecks), 0)
    return Coverage(
        price_kopecks=price_kopecks,
        normative_kopecks=normative_kopecks,
        available_kopecks=available_kopecks,
        certificate_kopecks=part,
        copay_kopecks=price_kopecks - part,
        remaining_kopecks=available_kopecks - part,
    )


def children_of_parent(user):
    """The parent's children with their certificates (newest first) for the cabinet."""
    return (
        Child.objects.of_parent(user)
        .prefetch_related("certificates", "applications")
        .order_by("birth_date", "pk")
    )


# ------------------------------------------------------ appended for the operator's pages


def period_balances(certificate: Certificate) -> list[tuple[FinancingPeriod, CertificateBalance]]:
    """The certificate's balance in every period it has an account in, newest period first.

    Three queries whatever the number of periods (accounts, then their balances).
    """
    accounts = list(ledger.certificate_accounts_of(certificate.pk))
    by_account = balances_of([a.pk for a in accounts])
    return [(a.period, by_account.get(a.pk, CertificateBalance())) for a in accounts]


# ------------------------------------------------------ appended for the parent's cabinet


@dataclass(frozen=True)
class FamilyCertificate:
    """A live certificate in the parent's cabinet with the current period's money."""

    certificate: Certificate
    period: FinancingPeriod | None
    money: CertificateBalance | None  # None for an accounting certificate: it has no money


@dataclass(frozen=True)
class FamilyChild:
    """One child of the parent: live certificates, past ones, and the latest application."""

    child: Child
    certificates: list[FamilyCertificate]
    past: list[Certificate]
    application: CertificateApplication | None


def family_overview(user) -> list[FamilyChild]:
    """The parent's own children with live certificates and current balances.

    Constant queries whatever the number of children: the children with their certificates
    and applications, then per municipality (one in practice) its current period and the
    balances of all its financing certificates at once.
    """
    children = list(children_of_parent(user))
    live = [c for child in children for c in child.certificates.all() if c.is_live]
    periods: dict[int, FinancingPeriod | None] = {}
    money: dict[int, CertificateBalance] = {}
    for municipality_id in sorted({c.municipality_id for c in live}):
        period = periods[municipality_id] = current_period(municipality_id)
        financing = [c for c in live if c.municipality_id == municipality_id and c.is_financing]
        money.update(balances(financing, period))
    rows = []
    for child in children:
        certificates = [c for c in child.certificates.all() if c.is_live]
        applications = list(child.applications.all())
        rows.append(
            FamilyChild(
                child=child,
                certificates=[
                    FamilyCertificate(
                        certificate=c,
                        period=periods.get(c.municipality_id),
                        money=money.get(c.pk, CertificateBalance()) if c.is_financing else None,
                    )
                    for c in certificates
                ],
                past=[c for c in child.certificates.all() if not c.is_live],
                application=applications[-1] if applications else None,
            )
        )
    return rows


def search_registry(certificates, query: str):
    """Certificates whose number starts with the digits typed, or whose child's name has
    every word typed. Never a СНИЛС or document: those go through `search_by_identifier`.

    The case variants help SQLite, whose LIKE ignores case only in ASCII.
    """
    query = " ".join((query or "").split())
    if not query:
        return certificates
    digits = query.replace(" ", "").replace("-", "")
    if digits.isdigit():
        return certificates.filter(number__startswith=digits)
    return _with_child_name(certificates, query)


def _with_child_name(queryset, query: str):
    """Rows whose child's name has every word of `query` (case variants for SQLite)."""
    for word in query.split():
        q = Q()
        for variant in {word, word.lower(), word.capitalize()}:
            q |= (
                Q(child__last_name__icontains=variant)
                | Q(child__first_name__icontains=variant)
                | Q(child__patronymic__icontains=variant)
            )
        queryset = queryset.filter(q)
    return queryset


def search_applications(applications, query: str):
    """Certificate applications by number (all digits: the application's number) or by the
    words of the child's name. Searches only `applications`, already scoped to the reader."""
    query = " ".join((query or "").split())
    if not query:
        return applications
    digits = query.lstrip("№ ").replace(" ", "")
    if digits.isdigit():
        return applications.filter(pk=int(digits)) if len(digits) <= 18 else applications.none()
    return _with_child_name(applications, query)


def search_by_identifier(
    certificates, *, region_ids, snils: str = "", document_type: str = "", document: str = ""
):
    """Certificates of the children with exactly this СНИЛС or document (keyed hash, no LIKE)."""
    q = Q()
    for region_id in region_ids:
        children = find_children(
            region_id, snils=snils, document_type=document_type, document=document
        )
        q |= Q(child__in=children.values("pk"))
    return certificates.filter(q) if q else certificates.none()

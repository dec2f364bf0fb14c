"""The family hears of every charge: when an invoice (or a supplementary invoice) is
accepted, each line's parent gets a cabinet notice and an e-mail with the month, the amount
and how it was computed; when a correction is accepted, with what returned."""

from __future__ import annotations

from django.urls import reverse

from pfdo.accounts import services as accounts
from pfdo.billing.models import Invoice, InvoiceKind
from pfdo.billing.services._common import LINE_CHUNK
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label

__all__ = ["tell_families"]


def _notice(invoice: Invoice, label: str, row) -> accounts.Notice:
    contract_id, number, parent_id, email, last, first, planned, billed, note = row
    child = f"{last} {first}"
    link = reverse("enrolment:parent_contract", args=[contract_id])
    if invoice.kind == InvoiceKind.CORRECTION:
        returned = planned - billed
        return accounts.Notice(
            user_id=parent_id,
            email=email or "",
            subject=f"Возврат на сертификат за {label}",
            body=(
                f"{child}: оплата за {label} по договору № {number} пересчитана — "
                f"{format_kopecks(billed)} вместо {format_kopecks(planned)} ({note}). "
                f"На сертификат возвращено {format_kopecks(returned)}."
            ),
            link=link,
        )
    return accounts.Notice(
        user_id=parent_id,
        email=email or "",
        subject=f"Списание с сертификата за {label}",
        body=(
            f"{child}: за {label} по договору № {number} с сертификата списано "
            f"{format_kopecks(billed)} из {format_kopecks(planned)} по договору ({note})."
        ),
        link=link,
    )


def tell_families(invoice: Invoice) -> int:
    """One notice per line of the accepted document, created in batches (an invoice of a big
    provider has thousands of lines); e-mails leave after the commit."""
    label = month_label(invoice.month)
    rows = (
        invoice.lines.order_by("pk")
        .values_list(
            "contract_id",
            "contract__number",
            "contract__parent_id",
            "contract__parent__email",
            "contract__child__last_name",
            "contract__child__first_name",
            "planned_kopecks",
            "billed_kopecks",
            "basis_note",
        )
        .iterator(chunk_size=LINE_CHUNK)
    )
    notices = [_notice(invoice, label, row) for row in rows]
    return accounts.notify_many(notices, chunk=LINE_CHUNK)

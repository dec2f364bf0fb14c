"""The two kinds of the provider's monthly documents as explicit tables of their steps, so
pages and the API pick a step by the kind, never by a name built at run time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pfdo.billing.models import AdvanceRequest, Invoice
from pfdo.billing.services import advances, invoices

__all__ = ["ADVANCE", "INVOICE", "DocumentKind"]


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document and its steps, each with the same signature for both kinds."""

    key: str
    model: type
    build: Callable[..., Any]  # (*, actor, provider, month) -> document
    refusal: Callable[..., Any]  # (*, provider, month, today=None) -> Conflict | None
    submit: Callable[[Any, Any], Any]  # (actor, document) -> document
    accept: Callable[[Any, Any], Any]  # (actor, document) -> document
    reject: Callable[[Any, Any, str], Any]  # (actor, document, reason) -> document


def _submit_advance(actor, document: AdvanceRequest) -> AdvanceRequest:
    return advances.submit_advance(actor=actor, advance=document)


def _accept_advance(actor, document: AdvanceRequest) -> AdvanceRequest:
    return advances.accept_advance(actor=actor, advance=document)


def _reject_advance(actor, document: AdvanceRequest, reason: str) -> AdvanceRequest:
    return advances.reject_advance(actor=actor, advance=document, reason=reason)


def _submit_invoice(actor, document: Invoice) -> Invoice:
    return invoices.submit_invoice(actor=actor, invoice=document)


def _accept_invoice(actor, document: Invoice) -> Invoice:
    return invoices.accept_invoice(actor=actor, invoice=document)


def _reject_invoice(actor, document: Invoice, reason: str) -> Invoice:
    return invoices.reject_invoice(actor=actor, invoice=document, reason=reason)


def _build_advance(*, actor, provider, month: dt.date) -> AdvanceRequest:
    return advances.build_advance(actor=actor, provider=provider, month=month)


def _build_invoice(*, actor, provider, month: dt.date) -> Invoice:
    return invoices.build_invoice(actor=actor, provider=provider, month=month)


ADVANCE = DocumentKind(
    key="advance",
    model=AdvanceRequest,
    build=_build_advance,
    refusal=advances.advance_refusal,
    submit=_submit_advance,
    accept=_accept_advance,
    reject=_reject_advance,
)
INVOICE = DocumentKind(
    key="invoice",
    model=Invoice,
    build=_build_invoice,
    refusal=invoices.invoice_refusal,
    submit=_submit_invoice,
    accept=_accept_invoice,
    reject=_reject_invoice,
)

"""Template filters of enrolment's pages: the contract's wording shared with its notices."""

from django import template

from pfdo.enrolment import selectors

register = template.Library()


@register.filter
def copay_payment(provider) -> str:
    """How the family pays its co-payment to `provider` (see selectors.copay_payment_text)."""
    return selectors.copay_payment_text(provider)

"""Template tags other apps' pages use to show ratings without importing this app: a
programme's published reviews, and the «Оценить» entry of a family's contract."""

from __future__ import annotations

from django import template

from pfdo.ratings import selectors
from pfdo.ratings.models import Rating

register = template.Library()

REVIEWS_SHOWN = 20


@register.inclusion_tag("ratings/_program_reviews.html")
def program_reviews(program):
    """{% program_reviews program %}: the programme's newest published reviews with replies."""
    return {"reviews": list(selectors.program_reviews(program.pk)[:REVIEWS_SHOWN])}


@register.inclusion_tag("ratings/_contract_entry.html")
def contract_rating(contract):
    """{% contract_rating contract %} on the family's contract page: the rating given, or
    «Оценить» once the contract qualifies."""
    rating = Rating.objects.filter(contract_id=contract.pk).first()
    allowed = selectors.eligibility(contract) if rating is None else None
    return {"contract": contract, "rating": rating, "eligibility": allowed}

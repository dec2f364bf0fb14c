"""The provider's parents' rating over all its programmes, written by the ratings app."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from pfdo.providers.models import Provider


def refresh_provider_rating(
    provider_id: int, aggregate: Callable[[], tuple[Decimal | None, int]]
) -> None:
    """Under the provider's row lock, store what `aggregate()` computes from the ratings
    (recomputed, never incremented). `rating_avg` None: too few ratings for an average."""
    with transaction.atomic():
        list(Provider.objects.select_for_update().filter(pk=provider_id).values_list("pk"))
        average, count = aggregate()
        Provider.objects.filter(pk=provider_id).update(rating_avg=average, rating_count=count)

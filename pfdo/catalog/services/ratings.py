"""The programme's parents' rating (average and count), written by the ratings app."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from pfdo.catalog.models import Program


def refresh_program_rating(
    program_id: int, aggregate: Callable[[], tuple[Decimal | None, int]]
) -> None:
    """Under the programme's row lock, store what `aggregate()` computes from the ratings.

    Recomputed from the ratings each time, never incremented, so the figures cannot drift;
    the lock orders concurrent ratings of one programme. `rating_avg` None: too few ratings
    to show an average (the caller's rule).
    """
    with transaction.atomic():
        list(Program.objects.select_for_update().filter(pk=program_id).values_list("pk"))
        average, count = aggregate()
        # update(): no history row and no `updated_at` for a figure the provider did not edit.
        Program.objects.filter(pk=program_id).update(rating_avg=average, rating_count=count)

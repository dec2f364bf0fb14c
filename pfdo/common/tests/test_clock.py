"""The clock can be frozen by tests and is aware."""

import datetime as dt

from django.utils import timezone

from pfdo.common import clock


def test_now_is_aware_and_current():
    before = timezone.now()
    now = clock.now()
    assert timezone.is_aware(now)
    assert before <= now <= timezone.now()


def test_frozen_moves_now_and_today_and_restores():
    moment = timezone.make_aware(dt.datetime(2026, 9, 1, 10, 30))
    with clock.frozen(moment):
        assert clock.now() == moment
        assert clock.today() == dt.date(2026, 9, 1)
        with clock.frozen(dt.date(2027, 1, 15)):
            assert clock.today() == dt.date(2027, 1, 15)
        assert clock.now() == moment
    assert clock.now() != moment

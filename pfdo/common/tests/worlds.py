"""A test module's world built once, every test in its own rolled-back transaction.

An access matrix asks hundreds of cells the same question of the same objects. Building its
world for each cell was most of its time; `world_once(build)` makes a module-scoped fixture
that builds it inside a transaction opened once for the module and rolled back after the
module's last test, and `copy_of(world)` gives each test its own copy of the Python objects.
Each test still takes `db`, so whatever it writes is a savepoint rolled back after it, and the
next test sees the world exactly as built.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from django.db import transaction


def world_once(build: Callable[[], object]):
    """A module-scoped fixture returning `build()`, run once inside a transaction that is
    rolled back when the module is done. Tests must not use it directly (the objects would
    carry one test's changes in memory into the next): take `copy_of` it with `db`."""

    @pytest.fixture(scope="module")
    def built(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            # As a TestCase's own blocks: a durable atomic() inside stays allowed in tests.
            atomic._from_testcase = True
            atomic.__enter__()
            try:
                world = build()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        try:
            yield world
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)

    return built


def copy_of(world):
    """The test's own copy of the world's objects: what one test changes in memory (a status
    set by a service, a cached relation) never reaches the next; the rows are the same."""
    return copy.deepcopy(world)


# What the root conftest's `region`, `vorkuta` and `make_user` fixtures make, for a world
# built outside a test (a module-scoped fixture cannot take function-scoped ones).


def komi_and_vorkuta():
    from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

    region = RegionFactory(code="komi", name="Республика Коми", okato="11")
    return region, MunicipalityFactory(region=region, code="vorkuta", name="Воркута", number=2)


def make_user(role=None, *, municipality=None, region=None, is_provider_admin=False, **fields):
    from pfdo.accounts.tests.factories import UserFactory, grant

    user = UserFactory(**fields)
    if role:
        grant(
            user,
            role,
            municipality=municipality,
            region=region,
            is_provider_admin=is_provider_admin,
        )
    return user

"""Builders for enrolment tests: a ready group, a family with a certificate, staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pfdo.catalog.tests.factories import (
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
)
from pfdo.certificates import services as certificate_services
from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.providers.tests.factories import ProviderFactory, add_staff

# September 2026 – May 2027: nine months of the 2026/27 period.
GROUP_STARTS = dt.date(2026, 9, 1)
GROUP_ENDS = dt.date(2027, 5, 31)


def ready_group(
    municipality,
    *,
    provider=None,
    price=1_800_000,
    normative=2_000_000,
    capacity=10,
    weekday=2,
    starts_at=dt.time(16, 0),
    ends_at=dt.time(17, 30),
    starts_on=GROUP_STARTS,
    ends_on=GROUP_ENDS,
    **program_fields,
):
    """A published, certified programme open for enrolment with one scheduled group."""
    provider = provider or ProviderFactory(municipality=municipality)
    program = ProgramFactory(provider=provider, municipality=municipality, **program_fields)
    module = ModuleFactory(program=program, price_kopecks=price, normative_cost_kopecks=normative)
    group = GroupFactory(module=module, capacity=capacity, starts_on=starts_on, ends_on=ends_on)
    ScheduleEntryFactory(group=group, weekday=weekday, starts_at=starts_at, ends_at=ends_at)
    return group


def staff_of(provider):
    return add_staff(provider).user


@dataclass
class Family:
    parent: object
    certificate: object

    @property
    def child(self):
        return self.certificate.child


def family(municipality, operator, *, wants_financing=True, email="", **child):
    """A parent with one child holding a certificate (financing by default)."""
    parent = certificate_services.register_parent(
        actor=None,
        municipality=municipality,
        last_name="Петрова",
        first_name="Ирина",
        email=email,
    )
    issued = issue_certificate(
        operator=operator,
        municipality=municipality,
        parent=parent,
        wants_financing=wants_financing,
        **child,
    )
    parent.refresh_from_db()
    return Family(parent=parent, certificate=issued.certificate)


__all__ = ["approved_period", "family", "ready_group", "staff_of"]

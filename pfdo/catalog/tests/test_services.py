"""Services of the catalogue as a whole: the demo catalogue and the audit names of every
action (the subjects are in test_services_*)."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

from pfdo.catalog import services
from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    expert,
    other_provider,
    other_staff,
    period,
    provider,
    staff,
)

# ---------------------------------------------------------------- demo


def test_demo_catalogue_is_complete_varied_and_idempotent(provider, other_provider, period, expert):
    from pfdo.demo.catalog import seed_catalog

    programs = seed_catalog(providers=[provider, other_provider], period=period)
    assert len(programs) == 10
    assert {p.direction for p in programs} == {
        "technical",
        "natural_science",
        "sports",
        "arts",
        "tourism",
        "social",
    }
    published = [p for p in programs if p.is_published]
    assert len(published) == 9
    assert all(services.publication_problems(p) == [] for p in published)
    drafts = [p for p in programs if not p.is_published]
    assert len(drafts) == 1 and services.publication_problems(drafts[0])
    assert sum(p.is_certified for p in programs) == 5
    assert sum(p.paid_only for p in programs) == 1
    modules = Module.objects.filter(program__in=programs, price_kopecks__isnull=False)
    assert any(m.copayment_kopecks > 0 for m in modules)
    assert all(m.normative_period == period for m in modules)
    counts = (Program.objects.count(), Group.objects.count(), ScheduleEntry.objects.count())
    assert seed_catalog(providers=[provider, other_provider], period=period) == programs
    assert (Program.objects.count(), Group.objects.count(), ScheduleEntry.objects.count()) == counts


def test_every_catalogue_action_has_a_russian_name():
    import re
    from pathlib import Path

    from pfdo.audit.labels import ACTION_LABELS

    package = Path(services.__file__).parent  # one module per use case
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py")))
    recorded = set(re.findall(r'(?<![\w.])record\(\s*\w+,\s*"(catalog\.[a-z_]+)"', source))
    recorded |= set(re.findall(r'"(catalog\.photo_(?:changed|removed))"', source))
    assert recorded, "no audited actions found"
    assert sorted(code for code in recorded if code not in ACTION_LABELS) == []

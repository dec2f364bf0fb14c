"""The demo seeder on an empty database: the hand-written part alone, the region's other
municipalities. (test_seed.py shares one small seed between its tests.)"""

from pfdo.catalog.models import Program
from pfdo.certificates.models import Certificate, Child, NumberSequence
from pfdo.common import clock
from pfdo.demo import catalog_bulk as demo_bulk
from pfdo.demo import seed as seed_module
from pfdo.demo.seed import seed
from pfdo.demo.tests.test_seed import counts
from pfdo.enrolment.models import Application, Contract
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers.models import Provider
from pfdo.territory.models import Municipality, Region


def test_without_the_generated_catalogue_only_the_hand_written_cards(db):
    report = seed("small", generated=False)
    assert report.counts == {"providers": 6, "programs": 10}
    assert Provider.objects.count() == 6
    assert Program.objects.count() == 10
    # The hand-written families only: the demo parent's two children and eight more.
    assert report.certificates.children == Child.objects.count() == 10
    assert Child.objects.filter(guardians__username="parent").count() == 2
    # A handful of hand-made contracts through the services, nothing generated.
    assert sorted(Contract.objects.values_list("status", "funding")) == [
        ("active", "budget"),
        ("active", "certificate"),
        ("active", "certificate"),
        ("offered", "budget"),
        ("terminated", "budget"),
    ]
    assert list(
        Application.objects.filter(status="new").values_list("child__first_name", flat=True)
    ) == ["Анна"]
    assert report.enrolment.active == 3 and report.enrolment.waitlisted == 0
    assert verify_ledger() == []


def test_region_children_in_the_other_municipalities(db, monkeypatch):
    seed("small", generated=False)
    region = Region.objects.get(code="komi")
    vorkuta = Municipality.objects.get(code="vorkuta")
    for municipality in region.municipalities.exclude(pk=vorkuta.pk):
        demo_bulk._ensure_period(municipality, clock.today())
    monkeypatch.setattr(seed_module, "REGION_OTHER_CHILDREN", 600)
    seed_module._seed_region_children(region=region, vorkuta=vorkuta)
    others = Municipality.objects.filter(region=region).exclude(pk=vorkuta.pk)
    for municipality in others:
        certificates = Certificate.objects.filter(municipality=municipality)
        assert certificates.filter(type="financing").exists(), municipality.code
        prefix = f"11{municipality.number:02d}"
        assert all(n.startswith(prefix) for n in certificates.values_list("number", flat=True))
        assert NumberSequence.objects.get(municipality=municipality).last_value == (
            certificates.count()
        )
    assert Child.objects.filter(municipality__in=others).count() >= 600
    assert verify_ledger() == []
    before = counts()
    seed_module._seed_region_children(region=region, vorkuta=vorkuta)
    assert counts() == before

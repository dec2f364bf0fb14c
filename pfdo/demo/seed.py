"""Seeding the demo installation, app by app, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass, field

from pfdo.accounts import demo as accounts_demo
from pfdo.accounts.models import User
from pfdo.catalog import demo as catalog_demo
from pfdo.catalog import demo_bulk
from pfdo.financing import demo as financing_demo
from pfdo.providers import demo as providers_demo
from pfdo.territory import demo as territory_demo

SCALES = ("small", "city", "region")

# The provider the demo login "provider" works for (the robotics centre: it has
# certified programmes with groups, drafts and co-payments to show).
DEMO_PROVIDER_INDEX = 3


@dataclass
class SeedReport:
    scale: str
    municipality: str
    logins: list[tuple[str, str, str, bool]] = field(default_factory=list)  # label, login, pw, new
    counts: dict[str, int] = field(default_factory=dict)


def seed(scale: str = "small", *, generated: bool = True) -> SeedReport:
    """Idempotent: a second run creates nothing already there and changes no passwords.

    small and city: the Vorkuta demo (territory, a login per role, a financing period, about
    40 providers and 200 programmes with 400 groups, all through the services). region adds a region-scale catalogue over all Komi
    municipalities for benchmarks. Children and contracts come with their issues.
    `generated=False` seeds only the hand-written providers and programmes (quick, for tests
    that need the logins and a small catalogue, not a believable one).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    region, vorkuta = territory_demo.seed_komi()
    report = SeedReport(scale=scale, municipality=vorkuta.name)
    for demo, user, created in accounts_demo.seed_demo_users(region=region, municipality=vorkuta):
        report.logins.append((demo.label, user.username, accounts_demo.DEMO_PASSWORD, created))
    period = financing_demo.seed_period(municipality=vorkuta)
    providers = providers_demo.seed_providers(municipality=vorkuta)
    providers_demo.attach_demo_staff(
        user=User.objects.get(username="provider"), provider=providers[DEMO_PROVIDER_INDEX]
    )
    programs = catalog_demo.seed_catalog(providers=providers, period=period)
    # The rest of a believable Vorkuta registry, generated on top of the hand-written cards
    # (which tests and the README rely on); region scale seeds its own bulk catalogue instead.
    if generated and scale in ("small", "city"):
        generated = providers_demo.seed_generated_providers(municipality=vorkuta)
        providers += generated
        programs += catalog_demo.seed_generated_catalog(providers=generated, period=period)
    report.counts = {"providers": len(providers), "programs": len(programs)}
    if scale == "region":
        demo_bulk.seed_region_catalog(region=region)
    return report

"""Seeding the demo installation, app by app, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass, field

from pfdo.accounts.models import User
from pfdo.common import clock
from pfdo.demo import accounts as accounts_demo
from pfdo.demo import billing as billing_demo
from pfdo.demo import catalog as catalog_demo
from pfdo.demo import catalog_bulk, enrolment_bulk
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import content as content_demo
from pfdo.demo import enrolment as enrolment_demo
from pfdo.demo import financing as financing_demo
from pfdo.demo import lookups as lookups_demo
from pfdo.demo import population as population_demo
from pfdo.demo import providers as providers_demo
from pfdo.demo import ratings as ratings_demo
from pfdo.demo import territory as territory_demo
from pfdo.financing.models import FinancingPeriod

SCALES = ("small", "city", "region")

# The provider the demo login "provider" works for (the robotics centre: it has
# certified programmes with groups, drafts and co-payments to show).
DEMO_PROVIDER_INDEX = 3

# Generated children of Vorkuta per scale (about 10,000 children of 5–18 live there,
# domain.md §8); region adds some in the other Komi municipalities.
CHILDREN_BY_SCALE = {"small": 3_000, "city": 10_000, "region": 10_000}
REGION_OTHER_CHILDREN = 5_000


@dataclass
class SeedReport:
    scale: str
    municipality: str
    logins: list[tuple[str, str, str, bool]] = field(default_factory=list)  # label, login, pw, new
    counts: dict[str, int] = field(default_factory=dict)
    certificates: certificates_demo.Summary | None = None
    enrolment: enrolment_demo.Summary | None = None
    billing: billing_demo.Summary | None = None
    lookups: int = 0  # provider look-ups of certificates in the operator's report
    ratings: int = 0  # parents' ratings of programmes (after the billed months)
    population: int = 0  # ages of the child population written (0 on a re-run)
    content: int = 0  # public content rows and cards created (0 on a re-run)


def seed(
    scale: str = "small", *, generated: bool = True, children: int | None = None
) -> SeedReport:
    """Idempotent: a second run creates nothing already there and changes no passwords.

    small and city: the Vorkuta demo (territory, a login per role, a financing period, about
    40 providers and 200 programmes with 400 groups, all through the services). region adds a region-scale catalogue over all Komi
    municipalities for benchmarks. Children and certificates: a few hand-written families
    through the services (the demo parent has two children, one certificate of each type) and
    `children` generated ones in bulk (by default 3,000 at small scale, 10,000 at city and
    region; region adds 5,000 over the other Komi municipalities, and there the families holding
    150,000 active contracts, for the billing benchmark). Enrolment: the hand-written
    families' applications and contracts through the services (the demo parent's children
    enrolled, an application «Полярный код» has to decide), and contracts, applications and
    waitlists of the generated Vorkuta children in bulk.
    `generated=False` seeds only the hand-written providers, programmes and families (quick, for
    tests that need the logins and a small catalogue, not a believable one); `children` still
    asks for that many generated children.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    if children is None:
        children = CHILDREN_BY_SCALE[scale] if generated else 0
    with_region_children = generated
    region, vorkuta = territory_demo.seed_komi()
    report = SeedReport(scale=scale, municipality=vorkuta.name)
    for demo, user, created in accounts_demo.seed_demo_users(region=region, municipality=vorkuta):
        report.logins.append((demo.label, user.username, accounts_demo.DEMO_PASSWORD, created))
    # The portal's public content (news, questions, instructions, the operator's card): at
    # every scale, so the pages and the ПФДО API v2 have something to show.
    report.content = content_demo.seed_content(
        region=region,
        municipality=vorkuta,
        admin=User.objects.get(username="region"),
        operator=User.objects.get(username="operator"),
        expert=User.objects.get(username="expert"),
    )
    period = financing_demo.seed_period(municipality=vorkuta)
    # The child population of every municipality for the years of the running period: the
    # dashboard's coverage against 25 % needs it.
    report.population = population_demo.seed_population(
        region=region,
        actor=User.objects.get(username="region"),
        years=range(period.starts_on.year, period.ends_on.year + 1),
    )
    providers = providers_demo.seed_providers(municipality=vorkuta)
    providers_demo.attach_demo_staff(
        user=User.objects.get(username="provider"), provider=providers[DEMO_PROVIDER_INDEX]
    )
    # A bank-details change waiting for the operator (its queue is in the navigation).
    providers_demo.seed_bank_change(providers=providers)
    programs = catalog_demo.seed_catalog(providers=providers, period=period)
    # The rest of a believable Vorkuta registry, generated on top of the hand-written cards
    # (which tests and the README rely on); region scale seeds its own bulk catalogue instead.
    if generated and scale in ("small", "city"):
        generated = providers_demo.seed_generated_providers(municipality=vorkuta)
        providers += generated
        programs += catalog_demo.seed_generated_catalog(providers=generated, period=period)
    report.counts = {"providers": len(providers), "programs": len(programs)}
    if scale == "region":
        catalog_bulk.seed_region_catalog(region=region)
        if with_region_children:
            # Before anything funds the other municipalities' periods: quota and budget lock
            # then, and the region's contracts need more than the catalogue's periods hold.
            enrolment_bulk.size_periods(region=region, skip=[vorkuta])
    report.certificates = certificates_demo.seed_certificates(
        municipality=vorkuta,
        period=period,
        operator=User.objects.get(username="operator"),
        parent=User.objects.get(username="parent"),
        children=children,
    )
    # Applications, waitlists and contracts of Vorkuta's children (the hand-written families
    # through the services, the generated children in bulk).
    report.enrolment = enrolment_demo.seed_enrolment(municipality=vorkuta, period=period)
    # A desk's look-up and a run of guesses, for the operator's report of look-ups.
    report.lookups = lookups_demo.seed_lookups(municipality=vorkuta)
    if scale in ("small", "city"):
        # Every ended month of the running period invoiced, accepted and paid; this one open.
        report.billing = billing_demo.seed_billing(
            municipality=vorkuta,
            period=period,
            payer=User.objects.get(username="payer"),
            demo_staff=User.objects.get(username="provider"),
            parent=User.objects.get(username="parent"),
        )
        # Parents rate programmes whose months were billed (the demo parent's left to try).
        report.ratings = ratings_demo.seed_ratings(
            municipality=vorkuta,
            operator=User.objects.get(username="operator"),
            demo_staff=User.objects.get(username="provider"),
            parent=User.objects.get(username="parent"),
        )
    if generated and scale in ("small", "city"):
        # Two neighbours running certificates too (periods, budgets, generated holders, no
        # catalogue of their own): the regional administrator has municipalities to compare.
        _seed_neighbours(region=region)
    if scale == "region" and with_region_children:
        _seed_region_children(region=region, vorkuta=vorkuta)
        # About 150,000 active contracts over the other municipalities (billing benchmark).
        enrolment_bulk.seed_region_contracts(region=region, skip=[vorkuta])
    return report


# Codes and generated children of the neighbours the small and city demos run certificates in
# (about a quarter of Ухта's and a fifth of Инта's children of 5–17, by the demo population).
NEIGHBOURS = {"ukhta": 2_400, "inta": 700}


def _seed_neighbours(*, region) -> None:
    for code, children in NEIGHBOURS.items():
        municipality = region.municipalities.filter(code=code).first()
        if municipality is None:
            continue
        period = financing_demo.seed_period(municipality=municipality)
        certificates_demo.fund_period(period)
        certificates_demo.seed_generated(
            municipality=municipality, period=period, operator=None, children=children
        )


def _seed_region_children(*, region, vorkuta) -> None:
    """Generated children in the other Komi municipalities, by their size."""
    municipalities = list(
        region.municipalities.filter(is_active=True).exclude(pk=vorkuta.pk).order_by("number")
    )
    weights = [catalog_bulk.MUNICIPALITY_WEIGHTS.get(m.code, 1) for m in municipalities]
    counts = [REGION_OTHER_CHILDREN * w // sum(weights) for w in weights]
    for municipality, count in zip(municipalities, counts, strict=True):
        period = (
            FinancingPeriod.objects.filter(
                municipality=municipality, status=FinancingPeriod.Status.APPROVED
            )
            .covering(clock.today())
            .first()
        )
        if period is not None:
            certificates_demo.fund_period(period)
        certificates_demo.seed_generated(
            municipality=municipality, period=period, operator=None, children=max(count, 12)
        )

"""Seeding the demo installation, app by app, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass, field

from pfdo.accounts import demo as accounts_demo
from pfdo.territory import demo as territory_demo

# Target sizes per scale; later issues' seeders read them (children, providers, contracts).
SCALES: dict[str, dict[str, int]] = {
    "small": {"children": 300, "providers": 6},
    "city": {"children": 10_000, "providers": 40},
    "region": {"children": 100_000, "providers": 360},
}


@dataclass
class SeedReport:
    scale: str
    municipality: str
    logins: list[tuple[str, str, str, bool]] = field(default_factory=list)  # label, login, pw, new


def seed(scale: str = "small") -> SeedReport:
    """Idempotent: a second run creates nothing already there and changes no passwords."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    region, vorkuta = territory_demo.seed_komi()
    report = SeedReport(scale=scale, municipality=vorkuta.name)
    for demo, user, created in accounts_demo.seed_demo_users(region=region, municipality=vorkuta):
        report.logins.append((demo.label, user.username, accounts_demo.DEMO_PASSWORD, created))
    return report

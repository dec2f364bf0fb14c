"""Normative cost against hand-computed examples."""

from decimal import Decimal
from types import SimpleNamespace

from pfdo.financing.normative import compute


def params(**overrides):
    base = {
        f"base_{d}_kopecks": 0
        for d in ("technical", "natural_science", "sports", "arts", "tourism", "social")
    }
    ks = {
        name: Decimal("1.000")
        for name in [
            "k_form_full_time",
            "k_form_mixed",
            "k_form_distance",
            "k_org_municipal",
            "k_org_state",
            "k_org_ngo",
            "k_org_company",
            "k_org_ip",
            "k_disability",
            "k_network",
            "k_qualification_highest",
            "k_qualification_first",
            "k_qualification_none",
            "k_north",
        ]
    }
    values = {**base, **ks, **overrides}
    ns = SimpleNamespace(**values)
    ns.base_cost_kopecks = lambda direction: values[f"base_{direction}_kopecks"]
    return ns


def test_hours_times_base_when_all_coefficients_are_one():
    cost = compute(
        params(base_arts_kopecks=15000),
        direction="arts",
        hours=72,
        form="full_time",
        legal_form="municipal",
        qualification="none",
    )
    assert cost.total_kopecks == 72 * 15000  # 10 800,00 ₽


def test_coefficients_multiply_and_round_once_half_up():
    # 36 h × 123,45 ₽ = 4 444,20 ₽; × 1.2 (highest) × 1.15 (ОВЗ) × 1.6 (north) = 9 812,7936 ₽ → 981 279 kop.
    p = params(
        base_technical_kopecks=12345,
        k_qualification_highest=Decimal("1.200"),
        k_disability=Decimal("1.150"),
        k_north=Decimal("1.600"),
    )
    cost = compute(
        p,
        direction="technical",
        hours=36,
        form="full_time",
        legal_form="company",
        qualification="highest",
        for_disabled=True,
    )
    assert cost.total_kopecks == 981279
    labels = [f.label for f in cost.factors]
    assert "адаптированная программа для детей с ОВЗ" in labels
    assert labels[-1] == "районный коэффициент и северная надбавка"
    assert cost.as_dict()["total_kopecks"] == 981279


def test_network_factor_only_when_network_form():
    p = params(base_social_kopecks=10000, k_network=Decimal("1.100"))
    plain = compute(
        p, direction="social", hours=10, form="mixed", legal_form="ngo", qualification="first"
    )
    network = compute(
        p,
        direction="social",
        hours=10,
        form="mixed",
        legal_form="ngo",
        qualification="first",
        network_form=True,
    )
    assert (plain.total_kopecks, network.total_kopecks) == (100000, 110000)


def test_rounding_is_half_up_not_bankers():
    # 1 h × 0,05 ₽ × 0.5 = 2.5 kop. → 3 kop. (banker's rounding would give 2)
    p = params(base_sports_kopecks=5, k_form_full_time=Decimal("0.500"))
    cost = compute(
        p, direction="sports", hours=1, form="full_time", legal_form="ip", qualification="none"
    )
    assert cost.total_kopecks == 3

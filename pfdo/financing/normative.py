"""Normative cost of a module (domain.md §5), with the breakdown shown to providers.

normative_cost = hours × base_per_person_hour[direction] × Π k_i, rounded half-up to a kopeck
once, at the end. Coefficients are the period's data, never constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pfdo.common.choices import Direction, LegalForm, StudyForm, TeacherQualification

_FORM_FIELD = {
    StudyForm.FULL_TIME: "k_form_full_time",
    StudyForm.MIXED: "k_form_mixed",
    StudyForm.DISTANCE: "k_form_distance",
}
_ORG_FIELD = {
    LegalForm.MUNICIPAL: "k_org_municipal",
    LegalForm.STATE: "k_org_state",
    LegalForm.NGO: "k_org_ngo",
    LegalForm.COMPANY: "k_org_company",
    LegalForm.IP: "k_org_ip",
}
_QUALIFICATION_FIELD = {
    TeacherQualification.HIGHEST: "k_qualification_highest",
    TeacherQualification.FIRST: "k_qualification_first",
    TeacherQualification.NONE: "k_qualification_none",
}


@dataclass(frozen=True)
class Factor:
    label: str
    value: Decimal


@dataclass(frozen=True)
class NormativeCost:
    hours: int
    base_kopecks: int
    factors: list[Factor] = field(default_factory=list)
    total_kopecks: int = 0

    def as_dict(self) -> dict:
        """JSON-safe breakdown (stored on the module, shown on its page and in the API)."""
        return {
            "hours": self.hours,
            "base_kopecks_per_person_hour": self.base_kopecks,
            "factors": [{"label": f.label, "value": str(f.value)} for f in self.factors],
            "total_kopecks": self.total_kopecks,
        }


def compute(
    period,
    *,
    direction: str,
    hours: int,
    form: str,
    legal_form: str,
    qualification: str,
    for_disabled: bool = False,
    network_form: bool = False,
) -> NormativeCost:
    """The normative cost of `hours` of a module under `period`'s parameters."""
    fields = [
        ("форма обучения: " + StudyForm(form).label, _FORM_FIELD[StudyForm(form)]),
        ("тип организации: " + LegalForm(legal_form).label, _ORG_FIELD[LegalForm(legal_form)]),
        (
            "квалификация педагога: " + TeacherQualification(qualification).label,
            _QUALIFICATION_FIELD[TeacherQualification(qualification)],
        ),
    ]
    if for_disabled:
        fields.append(("адаптированная программа для детей с ОВЗ", "k_disability"))
    if network_form:
        fields.append(("сетевая форма", "k_network"))
    fields.append(("районный коэффициент и северная надбавка", "k_north"))
    factors = [Factor(label, Decimal(getattr(period, name))) for label, name in fields]
    base = period.base_cost_kopecks(Direction(direction))
    product = Decimal(hours) * Decimal(base)
    for factor in factors:
        product *= factor.value
    total = int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return NormativeCost(hours=hours, base_kopecks=base, factors=factors, total_kopecks=total)

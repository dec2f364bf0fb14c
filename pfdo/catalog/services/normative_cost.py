"""The normative cost of modules: computed from the approved financing period's parameters
when a module is saved, and recomputed for a municipality when its period changes."""

from __future__ import annotations

import datetime as dt

from pfdo.audit import services as audit
from pfdo.catalog.models import Module, Program
from pfdo.catalog.services._common import authorize
from pfdo.common import clock
from pfdo.common.transactions import atomic_retry
from pfdo.financing import normative
from pfdo.financing.models import FinancingPeriod

NO_PERIOD_EXPLANATION = (
    "Нормативная стоимость не рассчитана: в муниципалитете нет утверждённой программы "
    "персонифицированного финансирования на текущий или следующий период. Она будет "
    "рассчитана, когда оператор утвердит период."
)


def normative_period_for(municipality, day: dt.date | None = None) -> FinancingPeriod | None:
    """The approved period covering `day` (today), else the nearest upcoming approved one."""
    day = day or clock.today()
    approved = FinancingPeriod.objects.filter(
        municipality=municipality, status=FinancingPeriod.Status.APPROVED
    )
    return (
        approved.covering(day).order_by("-starts_on").first()
        or approved.filter(starts_on__gt=day).order_by("starts_on").first()
    )


def preview_normative_cost(
    *, program: Program, hours: int, teacher_qualification: str, period=None
) -> normative.NormativeCost | None:
    """The normative cost a module of `hours` would get now (None without a period)."""
    period = period or normative_period_for(program.municipality)
    if period is None:
        return None
    return normative.compute(
        period,
        direction=program.direction,
        hours=hours,
        form=program.form,
        legal_form=program.provider.legal_form,
        qualification=teacher_qualification,
        for_disabled=program.for_disabled,
        network_form=program.network_form,
    )


def apply_normative(module: Module, program: Program, period) -> None:
    cost = (
        None
        if period is None
        else preview_normative_cost(
            program=program,
            hours=module.hours,
            teacher_qualification=module.teacher_qualification,
            period=period,
        )
    )
    if cost is None:
        module.normative_cost_kopecks = None
        module.normative_breakdown = {"missing": NO_PERIOD_EXPLANATION}
        module.normative_period = None
    else:
        module.normative_cost_kopecks = cost.total_kopecks
        module.normative_breakdown = {**cost.as_dict(), "period": period.name}
        module.normative_period = period


def recompute_program_modules(program: Program) -> int:
    period = normative_period_for(program.municipality)
    modules = list(program.modules.all())
    for module in modules:
        apply_normative(module, program, period)
    Module.objects.bulk_update(
        modules, ["normative_cost_kopecks", "normative_breakdown", "normative_period"]
    )
    return len(modules)


@atomic_retry
def recompute_normative_costs(*, actor=None, municipality) -> int:
    """Recompute the normative cost of every module of the municipality's live programmes
    (the operator's button, after a period's parameters change). Returns the number of
    modules."""
    authorize(actor, "catalog.recompute_normative", municipality)
    return _recompute(actor, municipality)


def recompute_after_approval(*, actor, period: FinancingPeriod) -> int:
    """A period was approved (by whoever may approve it): every module of its municipality
    gets its normative cost from the parameters now in force — a programme certified before
    any period had none, and enrolment with a certificate waits for it. Registered with
    financing.period_approved; runs in the approval's transaction."""
    return _recompute(actor, period.municipality)


def _recompute(actor, municipality) -> int:
    period = normative_period_for(municipality)
    modules = list(
        Module.objects.filter(program__municipality=municipality, program__archived_at=None)
        .select_related("program__provider")
        .order_by("pk")
    )
    for module in modules:
        apply_normative(module, module.program, period)
    Module.objects.bulk_update(
        modules,
        ["normative_cost_kopecks", "normative_breakdown", "normative_period"],
        batch_size=500,
    )
    audit.record(
        actor=actor,
        action="catalog.normative_recomputed",
        obj=period,
        municipality=municipality,
        details={"modules": len(modules), "period": period.pk if period else None},
    )
    return len(modules)

"""The operator's period page: quota, waiting switch requests, the period's grants."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View

from pfdo.certificates import selectors, services
from pfdo.certificates.models import SwitchRequest
from pfdo.certificates.views._common import (
    OPERATOR_TEMPLATES,
    OfficialMixin,
    flash_error,
    official_period,
)
from pfdo.common.errors import DomainError
from pfdo.financing.selectors import current_period


class PeriodView(OfficialMixin, View):
    def get(self, request, period_pk):
        period = official_period(request, period_pk)
        waiting = (
            SwitchRequest.objects.for_user(request.user)
            .filter(municipality_id=period.municipality_id, status=SwitchRequest.Status.WAITING)
            .select_related("certificate__child")
            .order_by("created_at", "pk")
        )
        current = current_period(period.municipality)
        ctx = {
            "period": period,
            "usage": selectors.quota_usage(period),
            "waiting": waiting[:200],
            "waiting_count": waiting.count(),
            "is_current": current is not None and current.pk == period.pk,
        }
        return render(request, OPERATOR_TEMPLATES + "period.html", ctx)


class FulfilSwitchesView(OfficialMixin, View):
    def post(self, request, period_pk):
        period = official_period(request, period_pk)
        try:
            done = services.fulfil_switch_requests(
                actor=request.user, municipality=period.municipality
            )
        except DomainError as exc:
            flash_error(request, exc)
        else:
            if done:
                messages.success(request, f"Выполнено запросов на перевод: {done}.")
            else:
                messages.info(
                    request, "Ни один запрос не выполнен: нет ожидающих запросов или мест в квоте."
                )
        return redirect("certificates:period", period_pk=period.pk)


class GrantNominalsView(OfficialMixin, View):
    def post(self, request, period_pk):
        period = official_period(request, period_pk)
        try:
            granted = services.grant_period_nominals(actor=request.user, period=period)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            if granted:
                messages.success(request, f"Начислено номиналов: {granted}.")
            else:
                messages.info(request, "Новых начислений нет: всем уже начислено.")
        return redirect("certificates:period", period_pk=period.pk)

"""Pages of ratings: the family's ratings and form, the operator's moderation queue, the
provider's ratings with its replies. Each write is one service call."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from pfdo.common.errors import DomainError
from pfdo.common.views import apply_domain_error
from pfdo.enrolment.models import Contract
from pfdo.ratings import selectors, services
from pfdo.ratings.forms import HideForm, RatingForm, ReplyForm
from pfdo.ratings.models import CRITERIA, Rating


class _Gate(LoginRequiredMixin, PermissionRequiredMixin):
    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            self.raise_exception = True
        return super().handle_no_permission()


def _flash(request, exc: DomainError) -> None:
    messages.error(request, exc.message)
    for msgs in exc.fields.values():
        for msg in msgs:
            messages.error(request, msg)


# --------------------------------------------------------------------------- the family


class FamilyRatingsView(_Gate, TemplateView):
    """/cabinet/parent/ratings/: the contracts of the family's children, each with «Оценить»
    when it qualifies, the rating given, its moderation and the provider's reply."""

    permission_required = "ratings.list_own"
    template_name = "ratings/family_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=selectors.family_rows(self.request.user), **kwargs)


def _own_contract(user, pk: int) -> Contract:
    contract = (
        Contract.objects.for_user(user)
        .filter(pk=pk, child__guardianships__user=user)
        .select_related("child", "group__module__program", "provider")
        .first()
    )
    if contract is None:
        raise Http404("Договор не найден.")
    return contract


class RateView(_Gate, View):
    """/cabinet/parent/ratings/contracts/<pk>/: rate the contract's programme, or change the
    rating within the edit window; afterwards the rating is shown, locked."""

    permission_required = "ratings.list_own"
    template_name = "ratings/rate.html"

    def _context(self, contract, form=None):
        rating = Rating.objects.filter(contract=contract).select_related("reply").first()
        allowed = selectors.eligibility(contract) if rating is None else None
        editable = rating is not None and rating.is_editable
        if form is None and ((rating is None and allowed.ok) or editable):
            initial = {}
            if rating is not None:
                initial = {name: str(getattr(rating, name)) for name, _label in CRITERIA}
                initial["text"] = rating.text
            form = RatingForm(initial=initial)
        return {
            "contract": contract,
            "program": contract.group.module.program,
            "rating": rating,
            "eligibility": allowed,
            "editable": editable,
            "form": form,
        }

    def get(self, request, pk):
        contract = _own_contract(request.user, pk)
        return render(request, self.template_name, self._context(contract))

    def post(self, request, pk):
        contract = _own_contract(request.user, pk)
        form = RatingForm(request.POST)
        if form.is_valid():
            rating = Rating.objects.filter(contract=contract).first()
            try:
                if rating is None:
                    services.rate(
                        actor=request.user,
                        contract=contract,
                        scores=form.scores(),
                        text=form.cleaned_data["text"],
                    )
                    messages.success(request, "Спасибо! Оценка сохранена.")
                else:
                    services.change(
                        actor=request.user,
                        rating=rating,
                        scores=form.scores(),
                        text=form.cleaned_data["text"],
                    )
                    messages.success(request, "Оценка изменена.")
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("ratings:rate", pk=contract.pk)
        return render(request, self.template_name, self._context(contract, form))


# --------------------------------------------------------------------------- the operator


class ModerationView(_Gate, TemplateView):
    """/cabinet/ratings/moderation/: texts of the official's municipalities; waiting first."""

    permission_required = "ratings.list_moderation"
    template_name = "ratings/moderation.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", Rating.TextStatus.PENDING)
        if status not in Rating.TextStatus.values or status == Rating.TextStatus.NONE:
            status = ""
        return super().get_context_data(
            **_page(self.request, selectors.moderation_queue(self.request.user, status=status)),
            status=status,
            statuses=[
                (value, label)
                for value, label in Rating.TextStatus.choices
                if value != Rating.TextStatus.NONE
            ],
            hide_form=kwargs.pop("hide_form", None) or HideForm(),
            failed_pk=kwargs.pop("failed_pk", None),
            **kwargs,
        )


PAGE_SIZE = 50


def _page(request, queryset) -> dict:
    """One page of a list (`?page=`), with what `_pagination.html` reads."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "rows": list(page.object_list),
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
    }


def _queue_url(request) -> str:
    """Back to the queue as it was filtered (only a known status is carried over)."""
    status = request.GET.get("status", "")
    if status not in Rating.TextStatus.values:
        status = ""
    return f"{reverse('ratings:moderation')}?{urlencode({'status': status})}"


def _moderated(request, pk: int) -> Rating:
    rating = selectors.moderation_queue(request.user).filter(pk=pk).first()
    if rating is None:
        raise Http404("Отзыв не найден.")
    return rating


class PublishView(_Gate, View):
    permission_required = "ratings.list_moderation"

    def post(self, request, pk):
        rating = _moderated(request, pk)
        try:
            services.publish(actor=request.user, rating=rating)
        except DomainError as exc:
            _flash(request, exc)
        else:
            messages.success(request, "Отзыв опубликован.")
        return redirect(_queue_url(request))


class HideView(_Gate, View):
    permission_required = "ratings.list_moderation"

    def post(self, request, pk):
        rating = _moderated(request, pk)
        form = HideForm(request.POST)
        if form.is_valid():
            try:
                services.hide(actor=request.user, rating=rating, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "Отзыв скрыт; автор увидит причину.")
                return redirect(_queue_url(request))
        view = ModerationView(request=request, kwargs={})
        view.setup(request)
        context = view.get_context_data(hide_form=form, failed_pk=rating.pk)
        return render(request, ModerationView.template_name, context)


# --------------------------------------------------------------------------- the provider


class ProviderRatingsView(_Gate, TemplateView):
    """/cabinet/provider/ratings/: ratings of the provider's programmes, with a reply form."""

    permission_required = "ratings.list_provider"
    template_name = "ratings/provider_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **_page(self.request, selectors.provider_ratings(self.request.user)),
            reply_form=kwargs.pop("reply_form", None) or ReplyForm(),
            failed_pk=kwargs.pop("failed_pk", None),
            **kwargs,
        )


class ReplyView(_Gate, View):
    permission_required = "ratings.list_provider"

    def post(self, request, pk):
        rating = selectors.provider_ratings(request.user).filter(pk=pk).first()
        if rating is None:
            raise Http404("Оценка не найдена.")
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.reply(actor=request.user, rating=rating, text=form.cleaned_data["text"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "Ответ опубликован.")
                return redirect("ratings:provider_list")
        view = ProviderRatingsView(request=request, kwargs={})
        view.setup(request)
        context = view.get_context_data(reply_form=form, failed_pk=rating.pk)
        return render(request, ProviderRatingsView.template_name, context)

"""Parent's enrolment pages: apply with the terms shown first, applications, contracts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from pfdo.catalog.models import Group
from pfdo.certificates.models import Certificate, Child
from pfdo.certificates.views.parent import ParentRequiredMixin
from pfdo.common.authz import can
from pfdo.common.errors import DomainError
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label
from pfdo.common.views import ScopedDetailView, ServiceFormView
from pfdo.enrolment import selectors, services
from pfdo.enrolment.forms.parent import AcceptForm, ApplyForm, TerminateForm
from pfdo.enrolment.models import Application, ContinuationOffer, Contract

TEMPLATES = "enrolment/parent/"
Status = Application.Status

# Token of each submitted apply page → the application it created: a stale page posted
# again is answered with the first application instead of a refusal.
SESSION_DONE = "enrolment_done_forms"
_KEEP_TOKENS = 20

# Applications still waiting for someone (a contract, once offered, is shown instead).
WAITING = (Status.AWAITING_PARENT, Status.NEW, Status.WAITLISTED)


def _flash_error(request, exc: DomainError) -> None:
    """A refused action without a form: the message and each field's reason on top."""
    messages.error(request, exc.message)
    for msgs in exc.fields.values():
        for msg in msgs:
            if msg != exc.message:
                messages.error(request, msg)


def _own_children(user):
    return Child.objects.of_parent(user).values("pk")


def _own_certificates(user):
    """Live certificates of the user's own children (an official's scope does not count)."""
    return (
        Certificate.objects.for_user(user)
        .filter(child__in=_own_children(user), status__in=Certificate.LIVE)
        .select_related("child", "municipality")
        .order_by("child__birth_date", "child_id", "pk")
    )


def _own_applications(user):
    return Application.objects.for_user(user).filter(child__in=_own_children(user))


def _own_contracts(user):
    return Contract.objects.for_user(user).filter(child__in=_own_children(user))


def _group_queryset(user):
    return (
        Group.objects.for_user(user)
        .select_related("module__program__provider")
        .prefetch_related("schedule")
    )


def _term_months(terms) -> list[tuple[str, int, int]]:
    return [
        (month_label(m), c, p)
        for m, c, p in zip(terms.months, terms.certificate_months, terms.copay_months, strict=True)
    ]


# --------------------------------------------------------------------------------- apply


class ApplyView(ParentRequiredMixin, ServiceFormView):
    """/cabinet/parent/enrol/<group_id>/: choose the child, see the terms, then apply."""

    template_name = TEMPLATES + "apply.html"
    form_class = ApplyForm

    @cached_property
    def group(self) -> Group:
        return get_object_or_404(_group_queryset(self.request.user), pk=self.kwargs["group_id"])

    @cached_property
    def certificates(self) -> list[Certificate]:
        return list(_own_certificates(self.request.user))

    @cached_property
    def selected(self) -> Certificate | None:
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        wanted = str(data.get("certificate", ""))
        for certificate in self.certificates:
            if str(certificate.pk) == wanted:
                return certificate
        return self.certificates[0] if len(self.certificates) == 1 else None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["certificates"] = _own_certificates(self.request.user)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.selected is not None:
            initial["certificate"] = self.selected.pk
        return initial

    def post(self, request, *args, **kwargs):
        token = request.POST.get("once", "")
        earlier = request.session.get(SESSION_DONE, {}).get(token) if token else None
        if earlier is not None and _own_applications(request.user).filter(pk=earlier).exists():
            messages.info(
                request, "Заявка уже подана — повторная отправка не создала второй заявки."
            )
            return redirect("enrolment:parent_application", pk=earlier)
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        return services.apply(actor=self.request.user, group=self.group, **form.service_kwargs())

    def form_valid(self, form):
        response = super().form_valid(form)
        application = getattr(self, "result", None)
        if application is None:
            return response
        token = form.cleaned_data.get("once", "")
        if token:
            done = dict(self.request.session.get(SESSION_DONE, {}))
            done[token] = application.pk
            self.request.session[SESSION_DONE] = dict(list(done.items())[-_KEEP_TOKENS:])
        if application.status == Status.WAITLISTED:
            messages.info(
                self.request,
                f"Мест в группе нет: заявка в листе ожидания "
                f"({selectors.waitlist_position(application)}-я). Когда место освободится, "
                "придёт предложение договора.",
            )
        else:
            messages.success(
                self.request,
                "Заявка подана, место за ребёнком сохранено до решения поставщика. Деньги "
                "сертификата не резервируются, пока вы не примете договор.",
            )
        return response

    def get_success_url(self):
        return reverse("enrolment:parent_application", args=[self.result.pk])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        group, certificate, form = self.group, self.selected, ctx["form"]
        ctx.update(
            group=group,
            program=group.module.program,
            provider=group.module.program.provider,
            certificates=self.certificates,
            selected=certificate,
        )
        if certificate is None:
            return ctx
        existing = (
            _own_applications(self.request.user)
            .filter(child_id=certificate.child_id, group=group, status__in=Application.LIVE)
            .first()
        )
        terms = blocker = terms_error = None
        if existing is None and not form.is_bound:
            # The same checks the service makes, so a refusal shows before the click.
            try:
                terms = services.check_preconditions(
                    certificate=certificate, group=group, copay_agreed=True
                )
            except DomainError as exc:
                blocker = exc.message
        if terms is None:
            try:
                terms = services.compute_terms(certificate=certificate, group=group)
            except DomainError as exc:
                # Said once: the same reason may already be the refusal above.
                terms_error = exc.message if exc.message != blocker else None
        ctx.update(
            existing=existing,
            terms=terms,
            terms_error=terms_error,
            blocker=blocker,
            term_months=_term_months(terms) if terms else [],
            show_copay=bool(terms and terms.copay_kopecks) or "copay_agreed" in form.errors,
            can_submit=existing is None and blocker is None,
        )
        return ctx


# ------------------------------------------------------------------- the family's list


@dataclass
class ChildEnrolment:
    """One child's applications and contracts on the list page."""

    child: Child
    applications: list[Application] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    past_applications: list[Application] = field(default_factory=list)
    past_contracts: list[Contract] = field(default_factory=list)

    @property
    def past_count(self) -> int:
        return len(self.past_applications) + len(self.past_contracts)


class ParentListView(ParentRequiredMixin, TemplateView):
    """/cabinet/parent/enrolment/: per child, live applications and contracts, past ones."""

    template_name = TEMPLATES + "list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        rows = {
            child.pk: ChildEnrolment(child=child)
            for child in Child.objects.of_parent(user).order_by("birth_date", "pk")
        }
        applications = selectors.with_waitlist_position(
            _own_applications(user)
            .filter(contract__isnull=True)
            .select_related("group__module__program", "provider")
        ).order_by("-created_at", "-pk")
        for application in applications:
            row = rows[application.child_id]
            if application.status in WAITING:
                application.position = application.waitlist_position
                row.applications.append(application)
            else:
                row.past_applications.append(application)
        contracts = (
            _own_contracts(user)
            .select_related("group__module__program", "provider", "application")
            .order_by("-offered_at", "-pk")
        )
        for contract in contracts:
            row = rows[contract.child_id]
            (row.contracts if contract.is_live else row.past_contracts).append(contract)
        ctx["rows"] = list(rows.values())
        return ctx


# ---------------------------------------------------------------------- application


class ApplicationView(ParentRequiredMixin, ScopedDetailView):
    """/cabinet/parent/enrolment/<pk>/: status, reasons, place in line, what to do next."""

    model = Application
    template_name = TEMPLATES + "application.html"
    context_object_name = "application"

    def scope_queryset(self, queryset):
        return queryset.filter(child__in=_own_children(self.request.user)).select_related(
            "child", "certificate", "provider", "group__module__program"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        application = self.object
        group = (
            Group.objects.prefetch_related("schedule")
            .select_related("module__program")
            .get(pk=application.group_id)
        )
        ctx.update(
            group=group,
            program=group.module.program,
            provider=application.provider,
            contract=Contract.objects.filter(application=application).first(),
            position=(
                selectors.waitlist_position(application)
                if application.status == Status.WAITLISTED
                else None
            ),
            can_cancel=services.cancel_refusal(application) is None,
            can_confirm=services.confirmation_refusal(application) is None,
        )
        if ctx["can_confirm"]:
            try:
                terms = services.compute_terms(certificate=application.certificate, group=group)
            except DomainError as exc:
                ctx["terms_error"] = exc.message
            else:
                ctx.update(terms=terms, term_months=_term_months(terms))
        return ctx


class _ApplicationAction(ParentRequiredMixin, View):
    def application(self, pk: int) -> Application:
        return get_object_or_404(_own_applications(self.request.user), pk=pk)


class CancelApplicationView(_ApplicationAction):
    """The parent withdraws an application that has no contract yet, in two steps: GET (or
    a POST without `confirmed`, from a stale page) shows what withdrawing means; the POST
    from that page, with `confirmed`, withdraws. A page, not a script dialog: it works
    without JavaScript, and one stray click changes nothing."""

    def get(self, request, pk):
        application = self.application(pk)
        return render(
            request,
            TEMPLATES + "cancel_confirm.html",
            {
                "application": application,
                "refusal": services.cancel_refusal(application),
                "awaiting_parent": application.status == Status.AWAITING_PARENT,
            },
        )

    def post(self, request, pk):
        if request.POST.get("confirmed") != "yes":
            return self.get(request, pk)
        application = self.application(pk)
        try:
            services.cancel(actor=request.user, application=application)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, "Заявка отозвана, место в группе освобождено.")
        return redirect("enrolment:parent_application", pk=pk)


class ConfirmApplicationView(_ApplicationAction):
    """POST: the parent confirms an in-person enrolment; the contract is offered at once."""

    def post(self, request, pk):
        application = self.application(pk)
        try:
            contract = services.confirm_by_parent(actor=request.user, application=application)
        except DomainError as exc:
            _flash_error(request, exc)
            return redirect("enrolment:parent_application", pk=pk)
        messages.success(
            request,
            f"Запись подтверждена: предложен договор № {contract.number}. Проверьте условия и "
            "примите договор — только тогда деньги сертификата будут зарезервированы.",
        )
        return redirect("enrolment:parent_contract", pk=contract.pk)


# ------------------------------------------------------------------------- contract


def _contract(user, pk: int, *, own: bool = True) -> Contract:
    queryset = _own_contracts(user) if own else Contract.objects.for_user(user)
    return get_object_or_404(
        queryset.select_related(
            "application",
            "certificate",
            "child",
            "municipality",
            "parent",
            "period",
            "provider",
            "group__module__program",
        ).prefetch_related("group__schedule"),
        pk=pk,
    )


def _contract_context(contract: Contract, **extra) -> dict:
    ctx = {
        "contract": contract,
        "group": contract.group,
        "program": contract.group.module.program,
        "provider": contract.provider,
        "months": selectors.contract_months(contract),
        "is_offer": contract.status == Contract.Status.OFFERED,
        "offer_expired": (
            contract.status == Contract.Status.OFFERED and services.offer_expired(contract)
        ),
    }
    if ctx["is_offer"] and not ctx["offer_expired"]:
        # Why the offer cannot be accepted now (its provider sent for a check or excluded…).
        refusal = services.accept_refusal(contract)
        ctx["accept_problem"] = refusal.message if refusal else ""
    if contract.status in (Contract.Status.TERMINATED, Contract.Status.COMPLETED):
        ctx["released"] = selectors.released_kopecks(contract)
        ctx["still_reserved"] = [m for m in ctx["months"] if m.state == "reserved"]
    if services.terminate_refusal(contract) is None:
        ctx["terminate_form"] = TerminateForm()
    ctx["continuation"] = (
        contract.continuations.filter(status=ContinuationOffer.Status.OFFERED)
        .select_related("period")
        .first()
    )
    ctx.update(extra)
    return ctx


class ContractView(ParentRequiredMixin, View):
    """/cabinet/parent/contracts/<pk>/: the terms, the money by month, accept or terminate."""

    def get(self, request, pk):
        contract = _contract(request.user, pk)
        ctx = _contract_context(contract)
        if ctx["is_offer"] and not ctx["offer_expired"]:
            # The terms of accepting today, as the service computes them (they may differ from
            # the offer: later start, another balance); the form posts back the co-payment.
            acceptance = services.acceptance_terms(actor=request.user, contract=contract)
            ctx["acceptance"] = acceptance
            if acceptance.terms is not None:
                ctx.update(
                    terms=acceptance.terms,
                    term_months=_term_months(acceptance.terms),
                    accept_form=AcceptForm(
                        initial={"copay_kopecks": acceptance.terms.copay_kopecks}
                    ),
                )
        return render(request, TEMPLATES + "contract.html", ctx)


class AcceptContractView(ParentRequiredMixin, View):
    """POST: accept the offer; the certificate part is reserved month by month."""

    def post(self, request, pk):
        contract = _contract(request.user, pk)
        form = AcceptForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, "Страница устарела: проверьте условия и примите договор ещё раз."
            )
            return redirect("enrolment:parent_contract", pk=pk)
        try:
            contract = services.accept(
                actor=request.user,
                contract=contract,
                copay_kopecks=form.cleaned_data["copay_kopecks"],
            )
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            if contract.certificate_kopecks:
                messages.success(
                    request,
                    f"Договор № {contract.number} заключён. На сертификате зарезервировано "
                    f"{format_kopecks(contract.certificate_kopecks)}: эта сумма списывается "
                    "помесячно, пока договор действует.",
                )
            else:
                messages.success(request, f"Договор № {contract.number} заключён.")
        return redirect("enrolment:parent_contract", pk=pk)


class DeclineContractView(ParentRequiredMixin, View):
    """POST: decline the offer; the place goes to the next in line, nothing is reserved."""

    def post(self, request, pk):
        contract = _contract(request.user, pk)
        try:
            services.decline(actor=request.user, contract=contract)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, "Вы отказались от договора. Место в группе освобождено.")
        return redirect("enrolment:parent_contract", pk=pk)


def _continuation(user, pk: int) -> ContinuationOffer:
    contract = _contract(user, pk)
    offer = contract.continuations.filter(status=ContinuationOffer.Status.OFFERED).first()
    if offer is None:
        raise Http404("Предложение продолжить договор не найдено.")
    return offer


class AcceptContinuationView(ParentRequiredMixin, View):
    """POST: the family agrees to continue the contract on the next period's terms."""

    def post(self, request, pk):
        offer = _continuation(request.user, pk)
        try:
            offer = services.accept_continuation(actor=request.user, offer=offer)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(
                request,
                f"Договор продолжается до {offer.ends_on:%d.%m.%Y}: сертификат оплатит "
                f"{format_kopecks(offer.certificate_kopecks)}, доплата семьи — "
                f"{format_kopecks(offer.copay_kopecks)}.",
            )
        return redirect("enrolment:parent_contract", pk=pk)


class DeclineContinuationView(ParentRequiredMixin, View):
    """POST: the family declines; the contract ends at the period boundary."""

    def post(self, request, pk):
        offer = _continuation(request.user, pk)
        try:
            services.decline_continuation(actor=request.user, offer=offer)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(
                request, "Вы отказались продолжать договор: он завершён, место освобождено."
            )
        return redirect("enrolment:parent_contract", pk=pk)


class TerminateContractView(ParentRequiredMixin, View):
    """POST: terminate in one step; the confirmation box must be ticked."""

    def post(self, request, pk):
        contract = _contract(request.user, pk)
        form = TerminateForm(request.POST)
        refusal = services.terminate_refusal(contract)
        if not form.is_valid() and refusal is None:
            messages.error(request, "Договор не расторгнут: подтвердите расторжение.")
            ctx = _contract_context(contract, terminate_form=form)
            return render(request, TEMPLATES + "contract.html", ctx)
        if not form.is_valid():
            # Nothing to confirm: the contract already ended (a stale page).
            messages.error(request, refusal.message)
            return redirect("enrolment:parent_contract", pk=pk)
        try:
            contract = services.terminate(
                actor=request.user, contract=contract, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            _flash_error(request, exc)
            return redirect("enrolment:parent_contract", pk=pk)
        released = selectors.released_kopecks(contract)
        if released:
            messages.success(
                request,
                f"Договор расторгнут. На сертификат возвращено {format_kopecks(released)} — "
                "эти деньги уже доступны для другой программы.",
            )
        else:
            messages.success(request, "Договор расторгнут.")
        return redirect("enrolment:parent_contract", pk=pk)


class ContractPrintView(LoginRequiredMixin, View):
    """/cabinet/parent/contracts/<pk>/print/: the printable contract for the family, the
    provider's staff and the municipality's officials (whoever `for_user` admits)."""

    def get(self, request, pk):
        contract = _contract(request.user, pk, own=False)
        ctx = _contract_context(contract)
        # The link back to the family's cabinet: for whoever may act there for the child.
        ctx["is_guardian"] = can(request.user, "enrolment.accept", contract)
        response = render(request, TEMPLATES + "print.html", ctx)
        add_never_cache_headers(response)
        return response

"""Pages of public content: the cabinet's «Материалы портала» (one set of views for every kind,
the kind taken from the URL), the portal card, the municipality pages, the expert's card, and
the public news, questions and instructions of the site's region."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.common.views import ServiceFormView, authorize_page
from pfdo.content import selectors, services
from pfdo.content.forms import (
    ExpertProfileForm,
    MunicipalityPageForm,
    PlacedForm,
    PortalSettingsForm,
)
from pfdo.content.models import ExpertProfile, MunicipalityPage, PortalSettings
from pfdo.territory.models import Municipality, Region


def _kind(slug: str) -> services.Kind:
    kind = services.KINDS.get(slug)
    if kind is None:
        raise Http404("Нет такого раздела.")
    return kind


class ManageMixin(LoginRequiredMixin):
    """The cabinet section: officials only; the kind (if any) from the URL."""

    permission = "content.manage"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        authorize_page(request.user, self.permission)
        self.kind = _kind(kwargs["kind"]) if "kind" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["kind"] = self.kind
        ctx["kinds"] = services.KINDS.values()
        return ctx

    def editable(self, pk):
        """The row `pk` of this kind the user may edit (404 otherwise, as if it did not exist)."""
        return get_object_or_404(
            self.kind.model.objects.editable_by(self.request.user).select_related(
                "region", "municipality"
            ),
            pk=pk,
        )

    def list_url(self):
        return reverse("content:manage_list", args=[self.kind.slug])


class ManageHomeView(ManageMixin, TemplateView):
    template_name = "content/manage_home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["sections"] = [
            (kind, kind.model.objects.editable_by(user).count()) for kind in services.KINDS.values()
        ]
        ctx["portal_regions"] = selectors.portal_regions(user)
        ctx["page_municipalities"] = selectors.page_municipalities(user)
        return ctx


class ManageListView(ManageMixin, ListView):
    template_name = "content/manage_list.html"
    context_object_name = "rows"
    paginate_by = 50

    def get_queryset(self):
        model = self.kind.model
        return (
            model.objects.editable_by(self.request.user)
            .select_related("region", "municipality")
            .order_by("-is_published", *model._meta.ordering)
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = [(row, self.kind.title(row)) for row in ctx["rows"]]
        return ctx


class RowFormView(ManageMixin, ServiceFormView):
    """Create (no pk) or edit (pk) a row of the URL's kind."""

    template_name = "content/manage_form.html"
    form_class = PlacedForm
    success_message = "Сохранено."

    def get_form_kwargs(self):
        self.instance = self.editable(self.kwargs["pk"]) if "pk" in self.kwargs else None
        kwargs = super().get_form_kwargs()
        kwargs.update(kind=self.kind, user=self.request.user, instance=self.instance)
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["instance"] = self.instance
        return ctx

    def perform(self, form):
        region, municipality = form.chosen_place()
        values = form.values()
        if self.instance is None:
            return services.create(
                actor=self.request.user,
                kind=self.kind,
                region=region,
                municipality=municipality,
                **values,
            )
        if region.pk != self.instance.region_id:
            raise ValidationFailed(fields={"place": services.REGION_IS_FIXED})
        return services.update(
            actor=self.request.user, obj=self.instance, municipality=municipality, **values
        )

    def get_success_url(self):
        return self.list_url()


class RowDeleteView(ManageMixin, TemplateView):
    template_name = "content/manage_delete.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        row = self.editable(kwargs["pk"])
        ctx.update(row=row, title=self.kind.title(row))
        return ctx

    def post(self, request, kind, pk):
        row = self.editable(pk)
        try:
            services.delete(actor=request.user, obj=row)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Удалено: «{self.kind.title(row)}».")
        return redirect(self.list_url())


class RowPublishView(ManageMixin, View):
    """POST only: publish (`publish=True` in the URL conf) or take off publication."""

    publish = True

    def post(self, request, kind, pk):
        row = self.editable(pk)
        service = services.publish if self.publish else services.unpublish
        try:
            service(actor=request.user, obj=row)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Опубликовано." if self.publish else "Снято с публикации.")
        return redirect(self.list_url())


# ------------------------------------------------------------------ the cards


class PortalSettingsView(ManageMixin, ServiceFormView):
    """The portal card of a region the administrator runs (?region=<id> if several)."""

    template_name = "content/card_form.html"
    form_class = PortalSettingsForm
    success_message = "Карточка регионального оператора сохранена."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            regions = selectors.portal_regions(request.user)
            wanted = request.GET.get("region", "")
            self.region = next((r for r in regions if str(r.pk) == wanted), None) or (
                regions[0] if regions else None
            )
            if self.region is None:
                authorize_page(request.user, "content.edit_portal", Region())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = PortalSettings.objects.filter(region=self.region).first()
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            heading=f"Карточка регионального оператора: {self.region.name}",
            regions=selectors.portal_regions(self.request.user),
            region=self.region,
        )
        return ctx

    def perform(self, form):
        return services.save_portal_settings(
            actor=self.request.user, region=self.region, **form.values()
        )

    def get_success_url(self):
        return f"{reverse('content:portal')}?region={self.region.pk}"


class MunicipalityPageView(ManageMixin, ServiceFormView):
    template_name = "content/card_form.html"
    form_class = MunicipalityPageForm
    success_message = "Страница муниципалитета сохранена."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.municipality = get_object_or_404(
                Municipality.objects.select_related("region"), pk=kwargs["pk"]
            )
            authorize_page(request.user, "content.edit_municipality_page", self.municipality)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = MunicipalityPage.objects.filter(municipality=self.municipality).first()
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["heading"] = f"Как получить сертификат: {self.municipality.name}"
        return ctx

    def perform(self, form):
        return services.save_municipality_page(
            actor=self.request.user,
            municipality=self.municipality,
            certificate_text=form.cleaned_data["certificate_text"],
        )

    def get_success_url(self):
        return reverse("content:municipality_page", args=[self.municipality.pk])


class ExpertProfileView(ManageMixin, ServiceFormView):
    """The signed-in expert's own public card."""

    template_name = "content/card_form.html"
    form_class = ExpertProfileForm
    permission = "content.edit_expert_profile"
    success_message = "Карточка эксперта сохранена."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            # The API's rule; the page hides itself (404) from everyone else.
            authorize_page(
                request.user,
                "content.keep_own_expert_profile",
                request.user,
                hide=True,
                message="Карточка эксперта есть только у экспертов.",
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = ExpertProfile.objects.filter(user=self.request.user).first()
        if kwargs["instance"] is None:
            kwargs["initial"] = {"region": selectors.site_region()}
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["heading"] = "Публичная карточка эксперта"
        ctx["intro"] = (
            "Карточка видна на портале выбранного региона, только если отмечено «Показывать "
            "публично». Имя берётся из вашей учётной записи."
        )
        return ctx

    def perform(self, form):
        return services.save_expert_profile(
            actor=self.request.user, user=self.request.user, **form.cleaned_data
        )

    def get_success_url(self):
        return reverse("content:expert_profile")


# ------------------------------------------------------------------ public pages


class RegionMixin:
    """The site's region; without one there is nothing to show (404)."""

    def dispatch(self, request, *args, **kwargs):
        self.region = selectors.site_region()
        if self.region is None:
            raise Http404("Регион не настроен.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["region"] = self.region
        ctx["portal"] = PortalSettings.objects.filter(region=self.region).first()
        return ctx


class NewsListView(RegionMixin, ListView):
    template_name = "content/news_list.html"
    context_object_name = "items"
    paginate_by = 20

    def get_queryset(self):
        return selectors.public_news(self.region)


class NewsDetailView(RegionMixin, DetailView):
    template_name = "content/news_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return selectors.public_news(self.region)


class FaqView(RegionMixin, TemplateView):
    template_name = "content/faq.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["topics"] = selectors.public_faq_by_topic(self.region)
        return ctx


class InstructionListView(RegionMixin, ListView):
    template_name = "content/instruction_list.html"
    context_object_name = "items"
    paginate_by = 50

    def get_queryset(self):
        return selectors.public_instructions(self.region)


class InstructionDetailView(RegionMixin, DetailView):
    template_name = "content/instruction_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return selectors.public_instructions(self.region)

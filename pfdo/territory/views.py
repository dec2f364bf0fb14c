"""Public pages of the territory: the home page naming the municipality served."""

from django.views.generic import TemplateView

from pfdo.territory import selectors


class HomeView(TemplateView):
    template_name = "territory/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["municipality"] = selectors.served_municipality()
        ctx["regions"] = selectors.regions_with_municipalities()
        return ctx

"""The OPTIONS answer of every API view (DRF's metadata, made safe for every route)."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """DRF's description of a route, which for a PUT looks the object up by the id in the URL.

    An action on a fixed path (`PUT /api/v1/content/expert-profiles/me/`) has no id there, and
    DRF's look-up asserted: OPTIONS answered 500 for everyone. Such a route describes its
    body without the look-up; every other route is described exactly as DRF does it.
    """

    def determine_actions(self, request, view):
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        if lookup is None or lookup in getattr(view, "kwargs", {}):
            return super().determine_actions(request, view)
        get_object = view.get_object
        view.get_object = lambda: None  # no object to look up on this route
        try:
            return super().determine_actions(request, view)
        finally:
            view.get_object = get_object

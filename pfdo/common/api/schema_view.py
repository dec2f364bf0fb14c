"""The served OpenAPI schema, built once per process.

Building it walks every view and serializer: seconds of CPU, for a page anyone may ask for as
often as they like. The schema depends only on the code, the settings, the version and the
language, so the first answer is kept and given to everyone after; a changed setting (a test's
override) forgets it. The answer is kept as rendered too, one per format (JSON, YAML): rendering
the 3 MB document took more time than looking the schema up.
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

_BUILT: dict[tuple, dict] = {}
# (the key of _BUILT, the media type rendered) → (the body, its Content-Type)
_RENDERED: dict[tuple, tuple[bytes, str]] = {}


def _forget(**_kwargs) -> None:
    _BUILT.clear()
    _RENDERED.clear()


setting_changed.connect(_forget)


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = self._schema_key = (
            version,
            translation.get_language(),
            self.urlconf,
            self.serve_public,
        )
        data = _BUILT.get(key)
        if data is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            data = _BUILT[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=data,
            headers={
                "Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'
            },
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "_schema_key", None)
        if key is None or response.status_code != 200:
            return response
        key = (*key, response.accepted_media_type)
        kept = _RENDERED.get(key)
        if kept is None:
            kept = _RENDERED[key] = (response.rendered_content, response["Content-Type"])
        response.content, response["Content-Type"] = kept
        return response

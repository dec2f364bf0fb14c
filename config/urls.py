"""Root URL configuration: pages, the API under /api/v1/, its schema and docs."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from pfdo.common.api.schema_view import SchemaView

api_v1 = [
    path("", include("pfdo.accounts.api.urls")),
    path("", include("pfdo.territory.api.urls")),
    path("", include("pfdo.audit.api.urls")),
    path("", include("pfdo.financing.api.urls")),
    path("", include("pfdo.providers.api.urls")),
    path("", include("pfdo.catalog.api.urls")),
    path("", include("pfdo.certificates.api.urls")),
    path("", include("pfdo.enrolment.api.urls")),
    path("", include("pfdo.billing.api.urls")),
    path("", include("pfdo.ratings.api.urls")),
    path("", include("pfdo.reports.api.urls")),
    path("", include("pfdo.jobs.api.urls")),
    path("", include("pfdo.content.api.urls")),
    path("", include("pfdo.compat.api_v1_urls")),
]

urlpatterns = [
    path("", include("pfdo.territory.urls")),
    path("", include("pfdo.accounts.urls")),
    path("", include("pfdo.audit.urls")),
    path("", include("pfdo.financing.urls")),
    path("", include("pfdo.providers.urls")),
    path("", include("pfdo.catalog.urls_public")),
    path("", include("pfdo.catalog.urls")),
    path("", include("pfdo.certificates.urls_operator")),
    path("", include("pfdo.certificates.urls_parent")),
    path("", include("pfdo.enrolment.urls")),
    path("", include("pfdo.billing.urls")),
    path("", include("pfdo.ratings.urls")),
    path("", include("pfdo.reports.urls")),
    path("", include("pfdo.jobs.urls")),
    path("", include("pfdo.content.urls")),
    path("", include("pfdo.compat.urls")),
    path("", include("pfdo.common.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # The public ПФДО API v2, answered for the catalogue apps and portals built on it.
    path(settings.PFDO_COMPAT_API_PREFIX, include("pfdo.compat.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file (?script): no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if not settings.PRODUCTION:
    # Uploaded photos in the demo and in development; in production the proxy serves
    # MEDIA_ROOT at MEDIA_URL (see README).
    from django.views.static import serve

    urlpatterns.append(
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )

handler400 = "pfdo.common.views.bad_request"
handler403 = "pfdo.common.views.permission_denied"
handler404 = "pfdo.common.views.page_not_found"
handler500 = "pfdo.common.views.server_error"

"""Routes of the compatibility API, under settings.PFDO_COMPAT_API_PREFIX (config/urls.py).

Each views module lists its operations in `routes`; a path under the prefix that none of them
serves answers the original's 404 envelope, not this site's page.
"""

from __future__ import annotations

from django.urls import re_path

from pfdo.compat.api import (
    views_content,
    views_enrolment,
    views_experts,
    views_organizations,
    views_programs,
    views_region,
)
from pfdo.compat.api.fallback import NotFoundView

urlpatterns = [
    *views_region.routes,
    *views_content.routes,
    *views_programs.routes,
    *views_organizations.routes,
    *views_experts.routes,
    *views_enrolment.routes,
    re_path(r"^.*$", NotFoundView.as_view(), name="compat-not-found"),
]

"""A path under the compatibility prefix that no operation serves: the original's 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from pfdo.compat.api.base import CompatView
from pfdo.compat.api.errors import NotFound


@extend_schema(exclude=True)
class NotFoundView(CompatView):
    def get(self, request, *args, **kwargs):
        raise NotFound()

    post = put = patch = delete = get

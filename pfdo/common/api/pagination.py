"""Page-number pagination whose body always carries the total `count`.

`page` and `page_size` follow the query rule of the API (docs/decisions.md, issue 18): an empty
value is the default, any other value that is not a whole number in bounds is a 400 with the
field's message; a page past the end stays DRF's 404.
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

_WHOLE = re.compile(r"[0-9]{1,19}")
# The largest page number the schema declares (a BIGINT, like every id).
MAX_PAGE = 2**63 - 1


def _whole_number(raw: str, field: str, low: int, high: int, message: str) -> int:
    value = int(raw) if _WHOLE.fullmatch(raw) else None
    if value is None or not low <= value <= high:
        raise ValidationError({field: [message]})
    return value


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # "last" is not an integer: the schema declares none, so the server takes none.
    last_page_strings = ()

    page_message = "Номер страницы — целое число от 1."
    page_size_message = f"Размер страницы — целое число от 1 до {max_page_size}."

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, "")
        if raw == "":
            return 1
        return _whole_number(raw, self.page_query_param, 1, MAX_PAGE, self.page_message)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        return _whole_number(
            raw, self.page_size_query_param, 1, self.max_page_size, self.page_size_message
        )

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1, "maximum": MAX_PAGE},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for param in params:
            param["schema"] = {**param["schema"], **bounds.get(param["name"], {})}
        descriptions = {
            self.page_query_param: "Номер страницы, с 1; страница за последней — 404.",
            self.page_size_query_param: (
                f"Размер страницы, от 1 до {self.max_page_size} (по умолчанию {self.page_size})."
            ),
        }
        for param in params:
            param["description"] = descriptions.get(param["name"], param.get("description", ""))
        return params

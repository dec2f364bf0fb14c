"""The query parameters of the public ПФДО API v2, read strictly: a value that is there but
cannot be what the description says is a 400 naming the parameter, never a silent default
(a mirror that asked for `per-page=10000` and got 100 would take the short page for the last).

Names are the original's: `operator`, `operator_id`, `page`, `per-page`, `expand`, `fields`,
`search[name]`, `search[mun]`, `search[direction]`, `search[age]`, `search[keywords_ids]`,
`search[operator_id]`, `search[program_id]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import QueryDict

from pfdo.compat.api.errors import BadRequest

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 24
MAX_INT = 2**31 - 1
MAX_TEXT = 200
_INT = re.compile(r"^\s*\d{1,10}\s*$")
_EXPAND_ITEM = re.compile(r"^[a-z_]{1,64}$")


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def slice(self, queryset):
        """The page's rows of `queryset` (already ordered): one query, LIMIT/OFFSET."""
        return queryset[self.offset : self.offset + self.size]


class Params:
    """`Params(request.query_params)`; each reader raises BadRequest for a bad value."""

    def __init__(self, query: QueryDict) -> None:
        self.query = query

    def _raw(self, name: str) -> str | None:
        values = self.query.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            raise BadRequest(f"Параметр {name} указан несколько раз.")
        return values[0]

    def integer(self, name: str, *, required: bool = False, minimum: int = 0) -> int | None:
        """A whole number ≥ `minimum`; absent (or empty, when not required) → None."""
        raw = self._raw(name)
        if raw is None or (raw.strip() == "" and not required):
            if required:
                raise BadRequest(f"Необходимо указать параметр {name}.")
            return None
        if not _INT.match(raw) or int(raw) > MAX_INT:
            raise BadRequest(f"Параметр {name} должен быть целым числом.")
        value = int(raw)
        if value < minimum:
            raise BadRequest(f"Параметр {name} должен быть не меньше {minimum}.")
        return value

    def text(self, name: str, *, max_length: int = MAX_TEXT) -> str | None:
        """Trimmed text; absent or blank → None."""
        raw = self._raw(name)
        if raw is None:
            return None
        value = " ".join(raw.split())
        if len(value) > max_length:
            raise BadRequest(f"Параметр {name}: не длиннее {max_length} символов.")
        if not value.isprintable():
            raise BadRequest(f"Параметр {name} содержит служебные символы.")
        return value or None

    def page(self, *, default_size: int = DEFAULT_PER_PAGE) -> Page:
        number = self.integer("page", minimum=1) or 1
        size = self.integer("per-page", minimum=1)
        if size is None:
            size = default_size
        if size > MAX_PER_PAGE:
            raise BadRequest(f"Параметр per-page должен быть не больше {MAX_PER_PAGE}.")
        return Page(number=number, size=size)

    def expand(self, known: frozenset[str] | set[str]) -> frozenset[str]:
        """The asked `expand` names that this operation knows. Unknown names are ignored, as
        the original (Yii2's `expand`) ignores them; a malformed list is a 400."""
        raw = self._raw("expand")
        if raw is None or not raw.strip():
            return frozenset()
        if len(raw) > 2000:
            raise BadRequest("Параметр expand: не длиннее 2000 символов.")
        names = [item.strip() for item in raw.split(",") if item.strip()]
        for name in names:
            if not _EXPAND_ITEM.match(name):
                raise BadRequest(
                    "Параметр expand — имена через запятую (латинские буквы и _), "
                    f"например address,organization; не понято: {name[:40]!r}."
                )
        return frozenset(names) & frozenset(known)

    def search(self) -> dict[str, str]:
        """The `search[...]` keys as given (values unparsed); a malformed key is a 400."""
        found: dict[str, str] = {}
        for key in self.query:
            if key == "search" or key.startswith("search["):
                match = re.fullmatch(r"search\[([a-z_]{1,40})\]", key)
                if not match:
                    raise BadRequest(
                        f"Параметр {key[:60]!r}: ожидается search[имя], например search[name]."
                    )
                found[match.group(1)] = key
        return found

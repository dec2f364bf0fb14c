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
MAX_EXPAND = 2000
# The patterns the schema declares (pfdo/compat/api/schema.py) and the server applies with
# re.search, as a JSON Schema validator does: what one allows the other takes.
# A whole number: ASCII digits only (no sign, no spaces).
_INT = re.compile(r"^[0-9]{1,10}$")
# Text: no control characters other than the whitespace ones (tab, line breaks) — NUL
# PostgreSQL cannot compare, the rest no name or search has.
TEXT_PATTERN = r"^[^\u0000-\u0008\u000e-\u001f\u007f]*$"
# `expand`: names of Latin small letters and _, separated by commas; spaces around a name
# and empty items are allowed (Yii2 splits on commas and drops the empty ones).
EXPAND_PATTERN = r"^ *([a-z_]{1,64} *)?(, *([a-z_]{1,64} *)?)*$"
# `search[keywords_ids]`: ids separated by commas (spaces around them allowed) — of the
# programmes' search, any whole numbers; of the questions, the topics 1–5.
KEYWORDS_PATTERN = r"^ *[0-9]{1,10} *(, *[0-9]{1,10} *)*$"
TOPICS_PATTERN = r"^ *[1-5] *(, *[1-5] *)*$"


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

    def integer(
        self, name: str, *, required: bool = False, minimum: int = 0, maximum: int = MAX_INT
    ) -> int | None:
        """A whole number from `minimum` to `maximum`; absent (or empty, when not required) →
        None."""
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
        if value > maximum:
            raise BadRequest(f"Параметр {name} должен быть не больше {maximum}.")
        return value

    def text(
        self,
        name: str,
        *,
        max_length: int = MAX_TEXT,
        pattern: str = TEXT_PATTERN,
        example: str = "",
    ) -> str | None:
        """Text of at most `max_length` characters matching `pattern` (as sent), trimmed;
        absent or blank → None."""
        raw = self._raw(name)
        if raw is None:
            return None
        if len(raw) > max_length:
            raise BadRequest(f"Параметр {name}: не длиннее {max_length} символов.")
        if raw and not re.search(TEXT_PATTERN, raw):
            raise BadRequest(f"Параметр {name} содержит служебные символы.")
        if raw and not re.search(pattern, raw):
            hint = f", например {example}" if example else f" (образец {pattern})"
            raise BadRequest(f"Параметр {name}: значение не по образцу{hint}.")
        return " ".join(raw.split()) or None

    def page(self, *, default_size: int = DEFAULT_PER_PAGE) -> Page:
        number = self.integer("page", minimum=1) or 1
        size = self.integer("per-page", minimum=1, maximum=MAX_PER_PAGE)
        if size is None:
            size = default_size
        return Page(number=number, size=size)

    def expand(self, known: frozenset[str] | set[str]) -> frozenset[str]:
        """The asked `expand` names that this operation knows. Unknown names are ignored, as
        the original (Yii2's `expand`) ignores them; a malformed list is a 400."""
        raw = self._raw("expand")
        if raw is None or raw == "":
            return frozenset()
        if len(raw) > MAX_EXPAND:
            raise BadRequest(f"Параметр expand: не длиннее {MAX_EXPAND} символов.")
        if not re.search(EXPAND_PATTERN, raw):
            raise BadRequest(
                "Параметр expand — имена через запятую (латинские буквы и _), "
                f"например address,organization; не понято: {raw[:40]!r}."
            )
        names = {item.strip() for item in raw.split(",")}
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

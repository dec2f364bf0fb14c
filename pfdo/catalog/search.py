"""Text search of programmes: PostgreSQL full text (Russian stemming) or a plain match on SQLite.

PostgreSQL: the document is `SearchVector("name", "description", config="russian")`, which
compiles to exactly the expression of the GIN index of migration 0002
(`to_tsvector('russian'::regconfig, COALESCE(name, '') || ' ' || COALESCE(description, ''))`),
so the planner answers `@@` from the index. Every word of the query becomes a stemmed prefix
(`робототехнике` → `'робототехник':*`), joined by AND: the words a parent types while the list
narrows ("робот", "танц") already find "Робототехника", "Танцевальная студия".

A programme is also found by its provider's name ("Робо-Арктика" finds the programmes of
ООО «Робо-Арктика»). On PostgreSQL the providers whose name document
(`SearchVector("short_name", "full_name", config="russian")`, the GIN index of providers'
migration 0005) matches the query are read first — a few ids from a table of hundreds — and
the programmes of those providers are ORed to the text match as a plain `provider_id IN (…)`,
so the planner combines the two indexes (a bitmap OR) instead of scanning programmes.

SQLite has no Russian stemmer and its LIKE folds case for ASCII only ("робот" would not find
"Робототехника"). There each word must occur in the name or description or the provider's
name, matched with Django's `iregex`: on SQLite Django runs REGEXP through Python's `re`, whose
IGNORECASE folds Cyrillic too. Words lose a common Russian ending first (a crude stem) and "е"
also matches "ё".
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Q, QuerySet

from pfdo.providers.models import Provider

SEARCH_CONFIG = "russian"
MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)

# Longest first, so "ами" is stripped before "и".
_ENDINGS = tuple(
    sorted(
        [
            "ями",
            "ами",
            "ого",
            "его",
            "ому",
            "ему",
            "ыми",
            "ими",
            "ией",
            "ой",
            "ей",
            "ий",
            "ый",
            "ая",
            "яя",
            "ое",
            "ее",
            "ые",
            "ие",
            "ую",
            "юю",
            "ом",
            "ем",
            "ам",
            "ям",
            "ах",
            "ях",
            "ов",
            "ев",
            "ию",
            "ья",
            "ье",
            "а",
            "я",
            "о",
            "е",
            "ы",
            "и",
            "у",
            "ю",
            "ь",
        ],
        key=len,
        reverse=True,
    )
)


def words(text: str) -> list[str]:
    """The search words of a query: letters and digits only, lower case, at most MAX_WORDS."""
    return [w.lower() for w in _WORD.findall(text or "") if w.strip("_")][:MAX_WORDS]


def search_vector() -> SearchVector:
    """The programme document; keep identical to the index of migration 0002."""
    return SearchVector("name", "description", config=SEARCH_CONFIG)


def provider_vector() -> SearchVector:
    """The provider's name document; keep identical to the index of providers' migration."""
    return SearchVector("short_name", "full_name", config=SEARCH_CONFIG)


def matching_provider_ids(query: SearchQuery, *, using: str) -> list[int]:
    """Ids of the providers whose name matches (any status: the programme queryset being
    searched already holds only the programmes its caller may see)."""
    return list(
        Provider.objects.using(using)
        .alias(name_document=provider_vector())
        .filter(name_document=query)
        .values_list("pk", flat=True)
    )


def search_query(text: str) -> SearchQuery | None:
    """A tsquery of stemmed word prefixes joined by AND (None when there is nothing to find)."""
    found = words(text)
    if not found:
        return None
    # Words are \w+ only, so they cannot carry tsquery operators.
    return SearchQuery(" & ".join(f"{w}:*" for w in found), config=SEARCH_CONFIG, search_type="raw")


def stem(word: str) -> str:
    """Drop one common Russian ending from words long enough to keep a meaningful stem."""
    if len(word) < 5:
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def _pattern(word: str) -> str:
    return "".join("[её]" if ch in "её" else re.escape(ch) for ch in word)


def icontains(field: str, text: str) -> Q:
    """Case-insensitive substring match that also folds Cyrillic case on SQLite."""
    return Q(**{f"{field}__iregex": _pattern(text.lower())})


def is_postgresql(queryset: QuerySet) -> bool:
    from django.db import connections

    return connections[queryset.db].vendor == "postgresql"


def contains_text(queryset: QuerySet, field: str, text: str) -> Q:
    """`field` contains `text`, ignoring case: ILIKE on PostgreSQL, Python regex on SQLite."""
    if is_postgresql(queryset):
        return Q(**{f"{field}__icontains": text})
    return icontains(field, text)


def search_programs(
    queryset: QuerySet, text: str, *, rank: bool = False, fulltext: bool | None = None
) -> QuerySet:
    """Programmes of `queryset` matching `text`; with `rank`, annotated `search_rank` (PG).

    `fulltext` None picks by database (PostgreSQL: full text); False forces the plain match.
    """
    if fulltext is None:
        fulltext = is_postgresql(queryset)
    if fulltext:
        query = search_query(text)
        if query is None:
            return queryset
        matched = Q(search_document=query)
        providers = matching_provider_ids(query, using=queryset.db)
        if providers:
            matched |= Q(provider_id__in=providers)
        queryset = queryset.alias(search_document=search_vector()).filter(matched)
        if rank:
            queryset = queryset.annotate(search_rank=SearchRank(search_vector(), query))
        return queryset
    found = words(text)
    for word in found:
        part = stem(word)
        queryset = queryset.filter(
            icontains("name", part)
            | icontains("description", part)
            | icontains("provider__short_name", part)
            | icontains("provider__full_name", part)
        )
    return queryset

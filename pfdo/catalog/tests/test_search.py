"""Text search: Russian stemming on PostgreSQL (through the GIN index), plain match elsewhere."""

import pytest
from django.db import connection

from pfdo.catalog import search
from pfdo.catalog.models import Program
from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.catalog.tests.test_filters import make_provider
from pfdo.providers.models import Provider

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`


@pytest.fixture
def programs(vorkuta):
    provider = make_provider(vorkuta)
    for name, description in [
        ("Робототехника", "Собираем и программируем роботов на Arduino."),
        ("Танцевальная студия «Ритм»", "Современный танец, хореография, выступления."),
        ("Ёлочная игрушка своими руками", "Декоративно-прикладное творчество."),
        ("Шахматы", "Шахматный клуб: дебюты, турниры, разряды."),
        ("Юный эколог", "Наблюдения за природой Севера, опыты с водой и почвой."),
    ]:
        ProgramFactory(provider=provider, name=name, description=description)


def found(text, **kwargs):
    return sorted(p.name for p in search.search_programs(Program.objects.all(), text, **kwargs))


def test_words_keep_letters_and_digits_only():
    assert search.words("  Робот & | ! 3D-печать:* ") == ["робот", "3d", "печать"]
    assert search.words("!!!") == []


def test_crude_stem_drops_one_ending():
    assert search.stem("робототехнике") == "робототехник"
    assert search.stem("танцами") == "танц"
    assert search.stem("шахматы") == "шахмат"
    assert search.stem("лего") == "лего"  # short words stay whole


@pytest.mark.parametrize("fulltext", [None, False])
def test_empty_or_symbol_queries_do_not_filter(programs, fulltext):
    assert len(found("", fulltext=fulltext)) == 5
    assert len(found("&|!", fulltext=fulltext)) == 5


@pytest.mark.parametrize("fulltext", [None, False])
def test_both_engines_find_russian_words_whatever_their_case_and_form(programs, fulltext):
    """The plain match (SQLite's engine) runs on both databases; None is the database's own."""
    assert found("робототехнике", fulltext=fulltext) == ["Робототехника"]
    assert found("РОБОТОТЕХНИКА", fulltext=fulltext) == ["Робототехника"]
    assert found("шахматы", fulltext=fulltext) == ["Шахматы"]
    assert found("хореография", fulltext=fulltext) == ["Танцевальная студия «Ритм»"]
    # Every word must match.
    assert found("шахматы танец", fulltext=fulltext) == []
    # "е" finds "ё".
    assert found("елочная", fulltext=fulltext) == ["Ёлочная игрушка своими руками"]


def test_sqlite_fallback_folds_cyrillic_case(programs):
    # LIKE would miss these on SQLite: it folds ASCII only.
    assert found("юный", fulltext=False) == ["Юный эколог"]
    assert found("ЭКОЛОГ", fulltext=False) == ["Юный эколог"]
    assert found("arduino", fulltext=False) == ["Робототехника"]


@pytest.mark.postgres_only
def test_postgres_stems_and_matches_prefixes(programs):
    assert found("робототехнике") == ["Робототехника"]
    assert found("роботами") == ["Робототехника"]
    assert found("робот") == ["Робототехника"]  # a prefix while typing
    assert found("танцы") == ["Танцевальная студия «Ритм»"]
    assert found("для детей шахматы") == []  # AND of words; "для" is a stop word
    assert found("шахматный клуб") == ["Шахматы"]


@pytest.mark.postgres_only
def test_postgres_ranks_matches(programs):
    ranked = search.search_programs(Program.objects.all(), "шахматы", rank=True)
    assert [p.search_rank > 0 for p in ranked] == [True]


@pytest.mark.postgres_only
def test_postgres_query_uses_the_gin_index(programs):
    """The query's expression is the index's: with sequential scans off, the index is chosen."""
    queryset = search.search_programs(Program.objects.all(), "робототехника")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "catalog_program_search_ru" in plan, plan


@pytest.fixture
def robo_arktika(vorkuta, programs):
    """A provider whose programmes' own texts never name it (issue 14: "Робо-Арктика")."""
    provider = make_provider(
        vorkuta,
        short_name="ООО «Робо-Арктика»",
        full_name="Общество с ограниченной ответственностью «Робо-Арктика»",
    )
    ProgramFactory(provider=provider, name="Лего-конструирование", description="Для малышей.")
    ProgramFactory(provider=provider, name="Дроны", description="Полёты и пайка.")


@pytest.mark.parametrize("fulltext", [None, False])
def test_a_providers_name_finds_its_programmes(robo_arktika, fulltext):
    expected = ["Дроны", "Лего-конструирование"]
    assert found("Робо-Арктика", fulltext=fulltext) == expected
    assert found("робо арктика", fulltext=fulltext) == expected
    assert found("АРКТИКА", fulltext=fulltext) == expected
    # The programme's own words still narrow: every word must match one of the documents.
    assert found("дроны", fulltext=fulltext) == ["Дроны"]
    assert found("Робо-Арктика шахматы", fulltext=fulltext) == []


@pytest.mark.postgres_only
def test_postgres_provider_names_use_their_gin_index(robo_arktika):
    query = search.search_query("Робо-Арктика")
    providers = Provider.objects.alias(name_document=search.provider_vector()).filter(
        name_document=query
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = providers.explain()
        programmes = search.search_programs(Program.objects.all(), "Робо-Арктика").explain()
    assert "providers_provider_name_search_ru" in plan, plan
    # The programmes: the text index ORed with the providers' ids, no scan of every programme.
    assert "catalog_program_search_ru" in programmes, programmes

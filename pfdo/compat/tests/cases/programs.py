"""Contract cases: programmes (search, the showcase's card, the public card)."""

from __future__ import annotations

from pfdo.compat.tests.cases import Case

PUBLIC_EXPAND = (
    "address,program_image,registry,reestrs,direction,activity,is_open,available_groups,"
    "program_text,distance_technology,organization,images,interest,modules,rating,region,"
    "img_transparent,program_icons,program_nok_rating,phone"
)


SEARCH = "main-page/search/programs"
ES = "main-page/search/es-programs"


def _demo():
    """A visible programme of the demo taking applications in some group."""
    from pfdo.compat.programs import visible_programs

    return (
        visible_programs()
        .filter(enrolment_open=True, modules__groups__enrolment_open=True)
        .select_related("municipality")
        .first()
    )


def cases() -> list[Case]:
    program = _demo()
    region = program.municipality.region_id
    mun = program.municipality_id
    search, es = SEARCH, ES
    return [
        Case("searchMainPagePrograms", f"{search}?operator={region}&per-page=100"),
        Case(
            "searchMainPagePrograms",
            f"{search}?operator={region}&page=1&per-page=5&search[mun]={mun}"
            "&search[direction]=1&search[age]=120&search[keywords_ids]=1,2"
            "&expand=program_nok_rating,kind",
            expands=frozenset({"program_nok_rating", "kind"}),
            non_empty=False,
        ),
        Case("searchMainPagePrograms", f"{search}?operator={region}&page=9999", non_empty=False),
        Case(
            "searchElasticPrograms",
            f"{es}?operator={region}&per-page=24&expand=program_nok_rating,duration_string,kind",
            expands=frozenset({"program_nok_rating", "duration_string", "kind"}),
        ),
        Case("getMainPageProgramDetail", f"{search}/{program.pk}"),
        Case("getPublicProgramDetail", f"public/programs/{program.pk}"),
        Case(
            "getPublicProgramDetail",
            f"public/programs/{program.pk}?expand={PUBLIC_EXPAND}",
            expands=frozenset(PUBLIC_EXPAND.split(",")),
        ),
        *error_cases(),
    ]


def error_cases() -> list[Case]:
    """The error answers of these operations."""
    from pfdo.catalog.models import Program

    program = _demo()
    region = program.municipality.region_id
    hidden = Program.objects.filter(is_published=False).first()
    search, es = SEARCH, ES
    return [
        Case("searchMainPagePrograms", f"{search}?per-page=5", status=400),
        Case("searchMainPagePrograms", f"{search}?operator={region}&per-page=0", status=400),
        Case("searchMainPagePrograms", f"{search}?operator={region}&per-page=-1", status=400),
        Case("searchMainPagePrograms", f"{search}?operator={region}&per-page=10000", status=400),
        Case(
            "searchMainPagePrograms", f"{search}?operator={region}&search[direction]=9", status=400
        ),
        Case("searchMainPagePrograms", f"{search}?operator={region}&search[age]=abc", status=400),
        Case("searchMainPagePrograms", f"{search}?operator={region}&search[name=x", status=400),
        Case("searchElasticPrograms", f"{es}?operator={region}&search[mun]=abc", status=400),
        Case("searchElasticPrograms", f"{es}?operator={region}&search[keywords_ids]=a", status=400),
        Case("getMainPageProgramDetail", f"{search}/abc", status=404),
        Case("getMainPageProgramDetail", f"{search}/{hidden.pk}", status=404),
        Case("getPublicProgramDetail", "public/programs/12x", status=404),
        Case("getPublicProgramDetail", f"public/programs/{hidden.pk}", status=404),
        Case("getPublicProgramDetail", f"public/programs/{program.pk}?expand=a-b", status=400),
    ]

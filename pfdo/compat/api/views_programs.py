"""Compatibility operations: programmes.

searchMainPagePrograms, searchElasticPrograms, getMainPageProgramDetail,
getPublicProgramDetail. The reading and shaping is pfdo.compat.programs; here: parameters,
look-ups that decide 400/404, the envelope and the schema.

- `operator` is required; an operator (region) that does not exist → 404.
- `search[mun]`: a municipality of that region connected to the system, else 400 (a mirror
  that sent a wrong id learns it, instead of taking an empty list for an empty municipality).
- `search[direction]`: 1–6, else 400; `search[age]`: months, ≥ 0; `search[keywords_ids]`: ids
  separated by commas, accepted and ignored (this system has no keywords).
- `search[name]`: the catalogue's own search (pfdo.catalog.search), as on the site.
- A page shorter than `per-page` is the last; a page past the end is [].
- Each answer takes the same number of queries for 5 items as for 100.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from pfdo.catalog.models import ScheduleEntry
from pfdo.compat import programs, selectors
from pfdo.compat.api import schema
from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.errors import BadRequest, NotFound
from pfdo.compat.api.lookups import MAX_BIGINT, id_parameter, operator_param, path_id
from pfdo.compat.api.params import KEYWORDS_PATTERN
from pfdo.territory.models import Municipality

_PROGRAM_ID = id_parameter("ID программы: прежний номер в ПФДО, если муниципалитет его сохранил.")
SEARCH_EXPANDS = frozenset({"program_nok_rating", "duration_string", "kind"})


# ------------------------------------------------------------------ schema (answers)


class DirectionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="1–6.")
    name = serializers.CharField()
    icon = serializers.CharField(allow_null=True, help_text="Всегда null.")

    class Meta:
        ref_name = "PfdoV2ProgramDirection"


class AddressSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID программы (у адреса нет своей записи).")
    name = serializers.CharField(allow_blank=True)
    lat = serializers.CharField(allow_null=True, help_text="Всегда null: координат нет.")
    lng = serializers.CharField(allow_null=True, help_text="Всегда null: координат нет.")

    class Meta:
        ref_name = "PfdoV2ProgramAddress"


class ReestrsSerializer(serializers.Serializer):
    certified = serializers.BooleanField(help_text="Сертифицирована.")
    meaningful = serializers.BooleanField(help_text="В реестре значимых программ.")
    general = serializers.BooleanField(help_text="В реестре иных (общеразвивающих) программ.")
    preprofessional = serializers.BooleanField(help_text="В реестре предпрофессиональных.")
    commercial = serializers.BooleanField(help_text="Только платная.")

    class Meta:
        ref_name = "PfdoV2ProgramReestrs"


class ProgramItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID программы (прежний номер ПФДО, если есть).")
    name = serializers.CharField()
    image = serializers.URLField(allow_null=True)
    direction = DirectionSerializer()
    address = AddressSerializer()
    keywords = serializers.ListField(child=serializers.IntegerField(), help_text="Всегда [].")
    organization_name = serializers.CharField(allow_null=True)
    age_min = serializers.IntegerField(help_text="Месяцев; 0, если нижней границы нет.")
    age_max = serializers.IntegerField(help_text="Месяцев; 216, если верхней границы нет.")
    module_count = serializers.IntegerField()
    reestrs = ReestrsSerializer()
    enrollment = serializers.IntegerField(
        allow_null=True, help_text="Свободных мест в группах с открытой записью; null — записи нет."
    )
    duration_string = serializers.CharField(
        allow_null=True, help_text="Например «1 год 6 месяцев»."
    )
    program_nok_rating = serializers.FloatField(
        required=False, allow_null=True, help_text="expand: средняя оценка родителей (от 3 оценок)."
    )
    kind = serializers.IntegerField(
        required=False,
        help_text="expand: вид — 1 общеразвивающая, 2 предпрофессиональная, 3 спортивной подготовки.",
    )

    class Meta:
        ref_name = "PfdoV2ProgramItem"


class ProgramCardSerializer(ProgramItemSerializer):
    task = serializers.CharField(allow_null=True, help_text="Цели и задачи.")
    activity = serializers.ListField(child=serializers.CharField(), help_text="Всегда [].")
    annotation = serializers.CharField(allow_null=True)
    expected_results = serializers.CharField(allow_null=True)
    district = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "PfdoV2ProgramCard"


class ProgramCoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.IntegerField(
        help_text="1 общеразвивающая, 2 предпрофессиональная, 3 спортивной подготовки."
    )
    level = serializers.IntegerField(help_text="1 стартовый, 2 базовый, 3 продвинутый.")
    direction_id = serializers.IntegerField()
    activity_ids = serializers.ListField(child=serializers.IntegerField(), help_text="Всегда [].")
    edu_form = serializers.IntegerField(help_text="1 очная, 2 очно-заочная, 3 заочная.")
    duration_year = serializers.IntegerField()
    duration_month = serializers.IntegerField()
    mun = serializers.IntegerField(help_text="ID муниципалитета.")
    organization_id = serializers.IntegerField()
    annotation = serializers.CharField(allow_null=True)
    task = serializers.CharField(allow_null=True)
    expected_results = serializers.CharField(allow_null=True)
    age_group_min = serializers.IntegerField()
    age_group_max = serializers.IntegerField()
    status = serializers.IntegerField(
        help_text="Сертификация: 0 нет, 1 на сертификации, 2 сертифицирована, 3 отказано."
    )
    modules_count = serializers.IntegerField()
    enrolment_open = serializers.BooleanField()
    medical_certificate_required = serializers.BooleanField()
    for_disabled = serializers.BooleanField()

    class Meta:
        ref_name = "PfdoV2ProgramCore"


class PeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    weekday = serializers.IntegerField(help_text="1 понедельник … 7 воскресенье.")
    weekday_name = serializers.CharField()
    start_time = serializers.CharField(help_text="ЧЧ:ММ.")
    end_time = serializers.CharField(help_text="ЧЧ:ММ.")
    duration_minutes = serializers.IntegerField()
    parity = serializers.ChoiceField(choices=ScheduleEntry.Parity.choices)
    parity_name = serializers.CharField()

    class Meta:
        ref_name = "PfdoV2ProgramGroupPeriod"


class AvailableGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization_id = serializers.IntegerField()
    program_id = serializers.IntegerField()
    module_id = serializers.IntegerField()
    name = serializers.CharField()
    start_date = serializers.CharField(allow_null=True)
    end_date = serializers.CharField(allow_null=True)
    free_places_counter = serializers.IntegerField(allow_null=True)
    capacity = serializers.IntegerField()
    typical_lesson_duration_minutes = serializers.IntegerField(allow_null=True)
    module_name = serializers.CharField(allow_null=True)
    period_price = serializers.CharField(allow_null=True, help_text="Цена модуля, «4500.00».")
    address = serializers.CharField()
    room = serializers.CharField(allow_null=True)
    teacher = serializers.CharField(allow_null=True)
    periods = PeriodSerializer(many=True)

    class Meta:
        ref_name = "PfdoV2ProgramAvailableGroup"


class ModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    hours = serializers.IntegerField()
    months = serializers.IntegerField()
    price = serializers.CharField(allow_null=True)
    normative_cost = serializers.CharField(allow_null=True)
    min_children = serializers.IntegerField()
    max_children = serializers.IntegerField()

    class Meta:
        ref_name = "PfdoV2ProgramModule"


class OrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    website = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)
    mun = serializers.IntegerField()
    organizational_form = serializers.IntegerField(
        allow_null=True,
        help_text="1 муниципальная, 2 государственная, 3 НКО, 4 коммерческая, 5 ИП.",
    )
    level_id = serializers.IntegerField(allow_null=True, help_text="Всегда null.")

    class Meta:
        ref_name = "PfdoV2ProgramOrganization"


class ProgramTextSerializer(serializers.Serializer):
    value = serializers.CharField(allow_blank=True)
    link = serializers.BooleanField()

    class Meta:
        ref_name = "PfdoV2ProgramText"


class ImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()

    class Meta:
        ref_name = "PfdoV2ProgramImage"


class RegistrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "PfdoV2ProgramRegistry"


class RatingSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()

    class Meta:
        ref_name = "PfdoV2ProgramRating"


class RegionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "PfdoV2ProgramRegion"


class PublicProgramSerializer(serializers.Serializer):
    program = ProgramCoreSerializer()
    available_groups = AvailableGroupSerializer(many=True)
    address = AddressSerializer()
    organization = OrganizationSerializer()
    direction = DirectionSerializer()
    program_text = ProgramTextSerializer()
    modules = ModuleSerializer(many=True)
    images = ImageSerializer(many=True)
    phone = serializers.CharField(allow_null=True)
    program_image = serializers.URLField(required=False, allow_null=True, help_text="expand.")
    registry = RegistrySerializer(many=True, required=False, help_text="expand.")
    reestrs = ReestrsSerializer(required=False, help_text="expand.")
    activity = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="expand; всегда []."
    )
    is_open = serializers.BooleanField(required=False, help_text="expand: идёт запись.")
    distance_technology = serializers.BooleanField(
        required=False, allow_null=True, help_text="expand; всегда null (нет сведений)."
    )
    interest = serializers.IntegerField(
        required=False, allow_null=True, help_text="expand; всегда null."
    )
    rating = RatingSerializer(required=False, help_text="expand.")
    region = RegionRefSerializer(required=False, help_text="expand.")
    img_transparent = serializers.URLField(
        required=False, allow_null=True, help_text="expand; всегда null."
    )
    program_icons = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="expand; всегда []."
    )
    program_nok_rating = serializers.FloatField(
        required=False, allow_null=True, help_text="expand: средняя оценка родителей (от 3 оценок)."
    )

    class Meta:
        ref_name = "PfdoV2PublicProgram"


# ------------------------------------------------------------------ views


def visible_pk(public_id: int) -> int:
    pk = selectors.program_pk(public_id)
    if pk is None:
        raise NotFound("Программа не найдена.")
    return pk


class ProgramSearchView(CompatView):
    def read_search(self) -> programs.Search:
        params = self.params
        region = operator_param(params)
        operator = region.pk
        params.search()  # malformed search[...] keys → 400
        mun = params.integer("search[mun]", minimum=1)
        if mun is not None and not (
            Municipality.objects.active().filter(pk=mun, region_id=region.pk).exists()
        ):
            # Worded as "does not exist" on purpose: no schema can say which ids exist.
            raise BadRequest(
                f"Параметр search[mun]: муниципалитет {mun} не найден среди подключённых "
                f"муниципалитетов оператора {operator}."
            )
        direction = params.integer(
            "search[direction]",
            minimum=min(selectors.DIRECTION_CODES),
            maximum=max(selectors.DIRECTION_CODES),
        )
        # Accepted and checked; it does not narrow the search (no keywords here).
        params.text("search[keywords_ids]", pattern=KEYWORDS_PATTERN, example="1,5")
        return programs.Search(
            region_id=region.pk,
            municipality_id=mun,
            direction=selectors.DIRECTION_CODES[direction] if direction else None,
            age_months=params.integer("search[age]"),
            text=params.text("search[name]"),
        )

    def answer(self, request):
        query = self.read_search()
        page = self.params.page()
        expand = self.params.expand(SEARCH_EXPANDS)
        rows = programs.search_page(query, offset=page.offset, limit=page.size)
        return ok(programs.items(rows, request=request, expand=expand))


_SEARCH_PARAMETERS = [
    schema.OPERATOR,
    schema.PAGE,
    schema.PER_PAGE,
    schema.EXPAND,
    schema.SEARCH_NAME,
    schema.SEARCH_MUN,
    schema.SEARCH_DIRECTION,
    schema.SEARCH_AGE,
    schema.SEARCH_KEYWORDS,
]


class MainPageSearchView(ProgramSearchView):
    @extend_schema(
        operation_id="searchMainPagePrograms",
        summary="Поиск программ на витрине региона",
        description=(
            "Опубликованные программы поставщиков из реестра в подключённых муниципалитетах "
            "региона. expand: program_nok_rating, duration_string, kind. search[keywords_ids] "
            "принимается и не сужает поиск (тем в системе нет). Страница короче per-page — "
            "последняя; страница за концом — []."
        ),
        parameters=_SEARCH_PARAMETERS,
        responses={200: schema.envelope("ProgramSearch", ProgramItemSerializer, many=True)},
    )
    def get(self, request):
        return self.answer(request)


class ElasticSearchView(ProgramSearchView):
    @extend_schema(
        operation_id="searchElasticPrograms",
        summary="Поиск программ (как в elastic-витрине)",
        description="То же, что searchMainPagePrograms.",
        parameters=_SEARCH_PARAMETERS,
        responses={200: schema.envelope("ProgramElasticSearch", ProgramItemSerializer, many=True)},
    )
    def get(self, request):
        return self.answer(request)


class MainPageProgramView(CompatView):
    @extend_schema(
        operation_id="getMainPageProgramDetail",
        summary="Карточка программы на витрине",
        parameters=[_PROGRAM_ID],
        responses={200: schema.envelope("ProgramCard", ProgramCardSerializer)},
    )
    def get(self, request, id: str):
        public_id = path_id(id, maximum=MAX_BIGINT)
        row = programs.main_page_card(visible_pk(public_id))
        if row is None:
            raise NotFound("Программа не найдена.")
        return ok(programs.main_page_detail(row, public_id, request=request))


class PublicProgramView(CompatView):
    @extend_schema(
        operation_id="getPublicProgramDetail",
        summary="Публичная карточка программы",
        description=(
            "program, available_groups, address, organization, direction, program_text, "
            "modules, images, phone — всегда; по expand ещё program_image, registry, reestrs, "
            "activity, is_open, distance_technology, interest, rating, region, "
            "img_transparent, program_icons, program_nok_rating."
        ),
        parameters=[_PROGRAM_ID, schema.EXPAND, schema.FIELDS],
        responses={200: schema.envelope("PublicProgram", PublicProgramSerializer)},
    )
    def get(self, request, id: str):
        public_id = path_id(id, maximum=MAX_BIGINT)
        expand = self.params.expand(programs.PUBLIC_EXPANDS)
        self.params.text("fields", max_length=2000)
        program = programs.program_card(visible_pk(public_id))
        if program is None:
            raise NotFound("Программа не найдена.")
        return ok(programs.public_detail(program, public_id, request=request, expand=expand))


routes = [
    path("main-page/search/programs", MainPageSearchView.as_view(), name="compat-program-search"),
    path(
        "main-page/search/es-programs",
        ElasticSearchView.as_view(),
        name="compat-program-es-search",
    ),
    path(
        "main-page/search/programs/<str:id>",
        MainPageProgramView.as_view(),
        name="compat-program-card",
    ),
    path("public/programs/<str:id>", PublicProgramView.as_view(), name="compat-public-program"),
]

"""API of the look-up by certificate number and surname (provider staff; officials by number),
and the operator's report of provider look-ups."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates.models import Certificate
from pfdo.certificates.validators import CERTIFICATE_NUMBER_PATTERN
from pfdo.common import idempotency
from pfdo.common.api.fields import PatternField
from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.viewsets import ScopedReadOnlyViewSet
from pfdo.common.ids import MAX_ID
from pfdo.enrolment import selectors, services
from pfdo.enrolment.filters import CertificateLookupFilter
from pfdo.enrolment.models import CertificateLookup

# ----------------------------------------------------------------------------- look-up

NUMBER_SHAPE = "Номер сертификата — 10 цифр."


class LookupRequestSerializer(serializers.Serializer):
    number = PatternField(
        pattern=CERTIFICATE_NUMBER_PATTERN,
        message=NUMBER_SHAPE,
        max_length=40,
        help_text="Номер сертификата: 10 цифр (пробелы и дефисы допустимы).",
    )
    surname = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        help_text="Фамилия ребёнка (обязательна сотруднику поставщика). Регистр, ё/е, пробелы "
        "по краям и разделитель двойной фамилии (дефис или пробел) не важны; двойная "
        "фамилия — целиком.",
    )
    provider = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id организации — только сотруднику нескольких организаций.",
    )

    def validate_number(self, value: str) -> str:
        # The shape only: whether it is a certificate is the look-up's answer.
        if not certificate_selectors.certificate_digits(value):
            raise serializers.ValidationError(NUMBER_SHAPE)
        return value


class LookupResultSerializer(serializers.Serializer):
    """All a provider learns by a look-up: no ids, birth date or identifiers."""

    number = serializers.CharField()
    child_name = serializers.CharField()
    age_years = serializers.IntegerField()
    type = serializers.ChoiceField(choices=Certificate.Type.choices)
    type_display = serializers.CharField()
    is_active = serializers.BooleanField(help_text="Действует (не приостановлен и не аннулирован).")


class CertificateLookupView(APIView):
    permission_classes = [RulesPermission]
    # GET (the old look-up by ?number= in the address) passes the gate to answer 405: the
    # surname is personal data and does not belong in URLs and access logs.
    permission_map = {"post": "certificates.lookup", "get": "certificates.lookup"}

    @extend_schema(
        request=LookupRequestSerializer,
        responses={200: LookupResultSerializer},
        summary="Найти сертификат по номеру и фамилии ребёнка",
        description=(
            "Сотрудник поставщика: номер сертификата и фамилия ребёнка; ответ — только ФИО и "
            "возраст ребёнка, тип и действует ли сертификат (без id, даты рождения, СНИЛС и "
            "документа). Ответ 404 одинаков, если номера нет, он другого муниципалитета или "
            "фамилия не совпала. Каждая попытка считается в лимитах сотрудника и организации "
            "(сверх — 429 с Retry-After) и записывается в отчёт оператора "
            "(`/api/v1/certificate-lookups/`). Должностные лица ищут в своём реестре по номеру "
            "(фамилия, если указана, тоже должна совпасть), без лимита. Ответ не хранится "
            "для Idempotency-Key: повтор — новый поиск, он тоже считается и записывается."
        ),
    )
    def post(self, request):
        data = LookupRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        view = services.look_up(
            actor=request.user,
            number=values["number"],
            surname=values.get("surname", ""),
            provider_id=values.get("provider"),
        )
        # A look-up changes nothing to repeat: no copy of the child's name kept for a day.
        return idempotency.not_kept(Response(LookupResultSerializer(view).data))


# ------------------------------------------------------------------------------ report


class CertificateLookupSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField(help_text="ФИО сотрудника (или логин).")
    provider_name = serializers.CharField(source="provider.short_name", read_only=True)
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    purpose_display = serializers.CharField(source="get_purpose_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    matched = serializers.BooleanField(read_only=True)
    number = serializers.CharField(
        read_only=True,
        help_text="Номер, если это сертификат муниципалитета (найден или фамилия не совпала); "
        "иначе пусто (это мог быть номер паспорта). Фамилия не хранится.",
    )

    class Meta:
        model = CertificateLookup
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "provider",
            "provider_name",
            "municipality",
            "ip",
            "purpose",
            "purpose_display",
            "number",
            "outcome",
            "outcome_display",
            "matched",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str:
        actor = obj.actor
        return (actor.full_name or actor.username) if actor is not None else ""


class LookupCountsSerializer(serializers.Serializer):
    provider = serializers.IntegerField(source="provider_id")
    provider_name = serializers.CharField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    actor_name = serializers.CharField()
    matched = serializers.IntegerField(help_text="Найдено.")
    missed = serializers.IntegerField(help_text="Не найдено (номера нет или фамилия не та).")
    refused = serializers.IntegerField(help_text="Отказано: превышен лимит попыток.")
    total = serializers.IntegerField()
    unusual = serializers.BooleanField(
        help_text="Необычно: были отказы по лимиту или много промахов "
        f"(не меньше {selectors.UNUSUAL_MISSES} и не меньше 1/{selectors.UNUSUAL_MISS_SHARE} "
        "попыток)."
    )


class LookupSummarySerializer(serializers.Serializer):
    providers = LookupCountsSerializer(many=True, help_text="По организациям; actor — null.")
    staff = LookupCountsSerializer(many=True, help_text="По сотрудникам (в каждой организации).")


OFFICIALS = (
    "Оператор муниципалитета — поиски поставщиков его муниципалитета, администратор региона — "
    "региона. Поставщикам, родителям и плательщикам — 403."
)


@extend_schema_view(
    list=extend_schema(
        summary="Отчёт: поиски сертификатов поставщиками",
        description=f"{OFFICIALS} Каждая попытка: кто, какая организация, когда, с какого "
        "адреса, номер и итог. Фильтры: `provider`, `actor`, `date_from`, `date_to`, "
        "`outcome` (`missed` — любой «не найден»), `matched`, `purpose`.",
    ),
    retrieve=extend_schema(summary="Поиск сертификата поставщиком"),
)
class CertificateLookupViewSet(ScopedReadOnlyViewSet):
    model = CertificateLookup
    serializer_class = CertificateLookupSerializer
    filterset_class = CertificateLookupFilter
    permission_map = {
        "list": "enrolment.view_lookups",
        "retrieve": "enrolment.view_lookups",
        "summary": "enrolment.view_lookups",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related("actor", "provider", "municipality").order_by("-at", "-pk")

    @extend_schema(
        responses={200: LookupSummarySerializer},
        summary="Отчёт: сколько найдено и не найдено по организациям и сотрудникам",
        description=f"{OFFICIALS} Те же фильтры, что у списка; необычные строки — первыми.",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        rows = self.filter_queryset(self.get_queryset())
        providers, staff = selectors.lookup_summary(rows)
        return Response(LookupSummarySerializer({"providers": providers, "staff": staff}).data)

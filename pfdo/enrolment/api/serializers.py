"""API shapes of enrolment applications, contracts and the terms preview.

Output serializers read models and what the view computed once per page (waitlist
positions); input serializers only parse and resolve references in the caller's scope — the
services check the domain rules and write. Money is in integer kopecks. The child appears
only as id, name and age: never the birth date, СНИЛС or document.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.catalog.models import Group, ScheduleEntry
from pfdo.certificates.models import Certificate, Child
from pfdo.certificates.validators import (
    CERTIFICATE_REFERENCE_BODY_PATTERN,
    CERTIFICATE_REFERENCE_QUERY_PATTERN,
)
from pfdo.common.api.fields import PatternField, reason_field
from pfdo.common.api.query import FullMatchValidator
from pfdo.common.api.schema import NON_BLANK_TEXT_PATTERN
from pfdo.common.errors import NotFound
from pfdo.common.ids import MAX_ID
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, ContinuationOffer, Contract, ContractMonth
from pfdo.enrolment.services.codes import CODE_PATTERN, MALFORMED


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


# ---------------------------------------------------------------------------- references


class EnrolmentChildSerializer(serializers.ModelSerializer):
    """All the API tells about the child here: who and how old, nothing identifying."""

    name = serializers.CharField(source="full_name", read_only=True)
    age_years = serializers.SerializerMethodField(help_text="Полных лет на сегодня.")

    class Meta:
        model = Child
        fields = ["id", "name", "age_years"]
        read_only_fields = fields

    def get_age_years(self, child: Child) -> int:
        return child.age_years()


class EnrolmentGroupSerializer(serializers.ModelSerializer):
    program_id = serializers.IntegerField(source="module.program_id", read_only=True)
    program_name = serializers.CharField(source="module.program.name", read_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "program_id", "program_name"]
        read_only_fields = fields


class EnrolmentProviderSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    short_name = serializers.CharField(read_only=True)


class EnrolmentPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# --------------------------------------------------------------------------- applications


class EnrolmentApplicationSerializer(serializers.ModelSerializer):
    child = EnrolmentChildSerializer(read_only=True)
    certificate_number = serializers.CharField(source="certificate.number", read_only=True)
    group = EnrolmentGroupSerializer(read_only=True)
    provider = EnrolmentProviderSerializer(read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    waitlist_position = serializers.SerializerMethodField(
        help_text="Место в листе ожидания группы (1 — первый), только для заявок в листе "
        "ожидания; иначе null."
    )
    contract = serializers.SerializerMethodField(help_text="Id договора по заявке или null.")
    code_attempts_left = serializers.SerializerMethodField(
        help_text="Заявка, поданная у поставщика и ждущая родителя: сколько ещё неверных кодов "
        "подтверждения она примет (не больше; попытки по сертификату ребёнка за сутки тоже "
        "ограничены). null — код не действует: заявка не ждёт подтверждения, кода нет или он "
        "аннулирован."
    )
    code_voided_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Когда код подтверждения аннулирован после неверных попыток (родитель "
        "подтверждает запись в личном кабинете); null — не аннулирован.",
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "child",
            "certificate_number",
            "group",
            "provider",
            "channel",
            "channel_display",
            "status",
            "status_display",
            "reason",
            "copay_agreed",
            "created_at",
            "decide_by",
            "waitlist_position",
            "contract",
            "code_attempts_left",
            "code_voided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_waitlist_position(self, application: Application):
        if application.status != Application.Status.WAITLISTED:
            return None
        return getattr(application, "waitlist_position", None)

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=0))
    def get_code_attempts_left(self, application: Application):
        return services.attempts_left(application)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_contract(self, application: Application):
        try:
            return application.contract.pk
        except Contract.DoesNotExist:
            return None


class ReferenceField(serializers.CharField):
    """A certificate by id or by its 10-digit number (spaces and dashes allowed)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)


REFERENCE_SHAPE = "Укажите id сертификата или его номер из 10 цифр."


def resolve_certificate(user, value: str) -> Certificate:
    """A certificate the user can see, by number (10 digits) or id; else a field error."""
    digits = "".join(ch for ch in value if ch.isdigit())
    text = value.strip()
    scoped = Certificate.objects.for_user(user)
    if len(digits) == 10 and set(text) <= set("0123456789 -"):
        found = scoped.filter(number=digits).first()
    elif text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        found = scoped.filter(pk=int(text)).first()
    else:
        raise serializers.ValidationError(REFERENCE_SHAPE)
    if found is None:
        raise serializers.ValidationError("Сертификат не найден.")
    return found


def resolve_group(user, pk: int, *, schedule: bool = False) -> Group:
    """A group the user can see, with its module, programme and provider (and its schedule
    if `schedule`: filing an application then reads the group no more)."""
    # Visibility decided on ids (its staff joins need DISTINCT), the wide row read plainly:
    # DISTINCT over every column of the group, module, programme and provider cost more than
    # the rest of the look-up.
    visible = Group.objects.for_user(user).filter(pk=pk).values("pk")
    groups = Group.objects.filter(pk__in=visible).select_related("module__program__provider")
    if schedule:
        # One group's lessons: by day and time (the model's ordering starts with the group,
        # i.e. three joins to sort by its programme's name).
        lessons = ScheduleEntry.objects.order_by("weekday", "starts_at")
        groups = groups.prefetch_related(Prefetch("schedule", queryset=lessons))
    found = groups.order_by("pk").first()
    if found is None:
        raise serializers.ValidationError("Группа не найдена.")
    return found


def _channel_of(user, attrs) -> str:
    """The way an application without `channel` is filed: the one its fields name, or — when
    they name both — the caller's (provider staff in person, everyone else online)."""
    online = bool(attrs.get("certificate"))
    in_person = bool((attrs.get("certificate_number") or "").strip()) and bool(
        (attrs.get("surname") or "").strip()
    )
    if online != in_person:
        return Application.Channel.ONLINE if online else Application.Channel.IN_PERSON
    staff_only = user.has_role("provider_staff") and not user.has_role("parent")
    return Application.Channel.IN_PERSON if staff_only else Application.Channel.ONLINE


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "pattern": CERTIFICATE_REFERENCE_BODY_PATTERN, "maxLength": 40},
        ]
    }
)
class CertificateReferenceField(PatternField):
    """A certificate named by its id — a JSON number, as clients send ids — or by its id or
    number as text (the pattern, checked as sent)."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, int) and not isinstance(data, bool):
            if not 1 <= data <= MAX_ID:
                raise serializers.ValidationError(self.pattern_message, code="invalid")
            data = str(data)
        return super().run_validation(data)


class ApplicationCreateSerializer(serializers.Serializer):
    """A parent applies online; provider staff enrol a child who came in person."""

    channel = serializers.ChoiceField(
        choices=[
            (Application.Channel.ONLINE, "родитель из личного кабинета"),
            (Application.Channel.IN_PERSON, "сотрудник поставщика, ребёнок пришёл лично"),
        ],
        required=False,
        help_text="online — родитель из личного кабинета (нужен certificate); in_person — "
        "сотрудник поставщика по номеру сертификата (нужны certificate_number и surname). Без "
        "channel — по переданным полям, а если переданы оба способа — по роли: сотруднику "
        "поставщика in_person, остальным online.",
    )
    group = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id группы.")
    certificate = CertificateReferenceField(
        pattern=CERTIFICATE_REFERENCE_BODY_PATTERN,
        message=REFERENCE_SHAPE,
        max_length=40,
        required=False,
        help_text="online: id сертификата своего ребёнка (число) или его id либо номер "
        "(10 цифр) строкой.",
    )
    copay_agreed = serializers.BooleanField(
        default=False,
        help_text="online: родитель согласен на доплату, если сертификат покрывает не всё.",
    )
    certificate_number = serializers.CharField(
        required=False,
        max_length=40,
        help_text="in_person: номер сертификата ребёнка (10 цифр; пробелы допустимы).",
    )
    surname = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="in_person: фамилия ребёнка; номер и фамилия должны совпасть, иначе ответ "
        "тот же, что для неизвестного номера. Каждая попытка — в лимитах и отчёте оператора.",
    )

    # One of the two ways, and a channel (when given) that matches it. ("not" the other way:
    # drf-spectacular's enum step would widen a bare `enum` here back to both values.)
    request_schema_rules = {
        "anyOf": [
            {
                "required": ["certificate"],
                "properties": {"channel": {"not": {"enum": ["in_person"]}}},
            },
            {
                "required": ["certificate_number", "surname"],
                "properties": {
                    "channel": {"not": {"enum": ["online"]}},
                    "certificate_number": {"pattern": NON_BLANK_TEXT_PATTERN},
                    "surname": {"pattern": NON_BLANK_TEXT_PATTERN},
                },
            },
        ]
    }

    def validate(self, attrs):
        user = _user(self.context)
        channel = attrs.get("channel") or _channel_of(user, attrs)
        attrs["channel"] = channel
        errors = {}
        try:
            online = channel == Application.Channel.ONLINE
            attrs["group"] = resolve_group(user, attrs["group"], schedule=online)
        except serializers.ValidationError as exc:
            errors["group"] = exc.detail
        if channel == Application.Channel.ONLINE:
            if not attrs.get("certificate"):
                errors["certificate"] = ["Укажите сертификат ребёнка."]
            else:
                try:
                    attrs["certificate"] = resolve_certificate(user, attrs["certificate"])
                except serializers.ValidationError as exc:
                    errors["certificate"] = exc.detail
        else:
            if not (attrs.get("certificate_number") or "").strip():
                errors["certificate_number"] = ["Укажите номер сертификата ребёнка."]
            if not (attrs.get("surname") or "").strip():
                errors["surname"] = ["Укажите фамилию ребёнка."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ApplicationReasonSerializer(serializers.Serializer):
    reason = reason_field(
        required=True, help_text="Причина отказа (обязательна).", missing="Укажите причину отказа."
    )


class ConfirmCodeSerializer(serializers.Serializer):
    code = PatternField(
        pattern=CODE_PATTERN,
        message=MALFORMED,
        max_length=20,
        help_text="Шестизначный код из уведомления родителю (пробелы и дефисы между цифрами "
        "допускаются).",
    )


class TermsQuerySerializer(serializers.Serializer):
    """A look-up about one certificate and one group: a value the schema refuses is a 400; a
    well-formed one that names nothing the user may see is a 404 with the field's message."""

    certificate = ReferenceField(
        validators=[FullMatchValidator(CERTIFICATE_REFERENCE_QUERY_PATTERN, REFERENCE_SHAPE)],
        trim_whitespace=False,
        help_text="Id сертификата своего ребёнка или его номер; не найден — 404.",
    )
    group = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id группы; не найдена — 404."
    )

    def validate(self, attrs):
        user = _user(self.context)
        errors = {}
        try:
            attrs["certificate"] = resolve_certificate(user, attrs["certificate"])
        except serializers.ValidationError as exc:
            errors["certificate"] = exc.detail
        try:
            attrs["group"] = resolve_group(user, attrs["group"])
        except serializers.ValidationError as exc:
            errors["group"] = exc.detail
        if errors:
            fields = {name: [str(message) for message in detail] for name, detail in errors.items()}
            raise NotFound(next(iter(fields.values()))[0], fields=fields)
        return attrs


class MonthAmountsSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="Первое число месяца.")
    certificate_kopecks = serializers.IntegerField(help_text="Оплачивает сертификат, коп.")
    copay_kopecks = serializers.IntegerField(help_text="Доплата семьи, коп.")


class TermsSerializer(serializers.Serializer):
    """What a contract for this certificate in this group would be if applied today."""

    certificate_number = serializers.CharField()
    group = EnrolmentGroupSerializer()
    period = EnrolmentPeriodSerializer()
    funding = serializers.ChoiceField(choices=Contract.Funding.choices)
    funding_display = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    months_count = serializers.IntegerField(help_text="Месяцев обучения в договоре.")
    price_kopecks = serializers.IntegerField(help_text="Цена за месяцы договора, коп.")
    normative_kopecks = serializers.IntegerField(
        help_text="Нормативная стоимость за месяцы договора, коп."
    )
    available_kopecks = serializers.IntegerField(help_text="Доступно на сертификате сейчас, коп.")
    certificate_kopecks = serializers.IntegerField(
        help_text="Оплатит сертификат: min(цена, норматив, доступно), коп."
    )
    copay_kopecks = serializers.IntegerField(help_text="Доплата семьи, коп.")
    remaining_kopecks = serializers.IntegerField(
        help_text="Останется на сертификате после резерва, коп."
    )
    end_note = serializers.CharField(
        help_text="Почему договор кончается раньше группы (сертификату исполняется 18 лет); "
        "пусто, если не раньше."
    )
    copay_agreement_required = serializers.BooleanField(
        help_text="true — при подаче заявки нужно copay_agreed: true."
    )
    months = MonthAmountsSerializer(many=True)

    @staticmethod
    def from_terms(terms, *, certificate: Certificate, group: Group) -> dict:
        return {
            "certificate_number": certificate.number,
            "group": group,
            "period": terms.period,
            "funding": terms.funding,
            "funding_display": Contract.Funding(terms.funding).label,
            "starts_on": terms.starts_on,
            "ends_on": terms.ends_on,
            "months_count": len(terms.months),
            "price_kopecks": terms.price_kopecks,
            "normative_kopecks": terms.normative_kopecks,
            "available_kopecks": terms.available_kopecks,
            "certificate_kopecks": terms.certificate_kopecks,
            "copay_kopecks": terms.copay_kopecks,
            "remaining_kopecks": terms.remaining_kopecks,
            "end_note": terms.end_note,
            "copay_agreement_required": terms.copay_kopecks > 0,
            "months": [
                {"month": m, "certificate_kopecks": c, "copay_kopecks": p}
                for m, c, p in zip(
                    terms.months, terms.certificate_months, terms.copay_months, strict=True
                )
            ],
        }


# ------------------------------------------------------------------------------ contracts


class ContractMonthSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractMonth
        fields = ["month", "certificate_kopecks", "copay_kopecks"]
        read_only_fields = fields


class ContinuationOfferSerializer(serializers.ModelSerializer):
    """A pending offer to continue the contract in the next period on worse terms."""

    period = EnrolmentPeriodSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    months_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ContinuationOffer
        fields = [
            "id",
            "status",
            "status_display",
            "period",
            "starts_on",
            "ends_on",
            "months_count",
            "price_kopecks",
            "normative_kopecks",
            "certificate_kopecks",
            "copay_kopecks",
            "previous_copay_kopecks",
            "previous_months",
            "offered_at",
            "expires_at",
        ]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    child = EnrolmentChildSerializer(read_only=True)
    certificate_number = serializers.CharField(source="certificate.number", read_only=True)
    group = EnrolmentGroupSerializer(read_only=True)
    provider = EnrolmentProviderSerializer(read_only=True)
    period = EnrolmentPeriodSerializer(read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    funding_display = serializers.CharField(source="get_funding_display", read_only=True)
    # Declared: DRF drops `allow_blank` from a read-only model field, and "" is "not
    # terminated".
    terminated_by = serializers.ChoiceField(
        choices=Contract.TerminatedBy.choices,
        allow_blank=True,
        read_only=True,
        help_text="Кем расторгнут; пусто, если договор не расторгнут.",
    )
    terminated_by_display = serializers.CharField(
        source="get_terminated_by_display", read_only=True
    )
    months = ContractMonthSerializer(many=True, read_only=True)
    continuation = serializers.SerializerMethodField(
        help_text="Предложение продолжить договор в следующем периоде на новых условиях, "
        "ждущее согласия семьи; null, если его нет."
    )

    @extend_schema_field(ContinuationOfferSerializer(allow_null=True))
    def get_continuation(self, contract):
        offer = next(
            (
                c
                for c in contract.continuations.all()
                if c.status == ContinuationOffer.Status.OFFERED
            ),
            None,
        )
        return ContinuationOfferSerializer(offer).data if offer is not None else None

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "application",
            "status",
            "status_display",
            "child",
            "certificate_number",
            "group",
            "provider",
            "period",
            "funding",
            "funding_display",
            "starts_on",
            "ends_on",
            "price_kopecks",
            "normative_kopecks",
            "certificate_kopecks",
            "copay_kopecks",
            "offered_at",
            "offer_expires_at",
            "accepted_at",
            "ended_at",
            "terminated_by",
            "terminated_by_display",
            "termination_reason",
            "months",
            "continuation",
        ]
        read_only_fields = fields


class ContractAcceptSerializer(serializers.Serializer):
    copay_kopecks = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="Доплата семьи (коп.), которую родитель видел и на которую согласен. Условия "
        "пересчитываются на день принятия; если доплата другая — 409 terms_changed с новыми "
        "суммами. Не передана — согласие с доплатой из предложения.",
    )


class ContractTerminateSerializer(serializers.Serializer):
    reason = reason_field(
        required=True,
        help_text="Причина расторжения (обязательна в API для всех, родителя тоже: схема не "
        "может сделать поле обязательным для одной роли; на странице родитель расторгает без "
        "причины).",
        missing="Укажите причину расторжения.",
    )

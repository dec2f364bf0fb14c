"""Write use-cases of the catalogue: programme cards, modules with their normative cost,
groups and schedules, publication, certification and registry placement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from PIL import Image, UnidentifiedImageError

from pfdo.audit import services as audit
from pfdo.catalog.models import (
    ASSESSMENT_CRITERIA,
    ASSESSMENT_MAX_SCORE,
    Assessment,
    Group,
    Module,
    Program,
    ScheduleEntry,
)
from pfdo.common import clock
from pfdo.common.choices import Direction, StudyForm, TeacherQualification
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing import normative
from pfdo.financing.models import FinancingPeriod

MAX_AGE_MONTHS = 18 * 12 + 11  # "до 18 лет включительно"
MAX_GROUP_SPAN_DAYS = 3 * 366

NO_PERIOD_EXPLANATION = (
    "Нормативная стоимость не рассчитана: в муниципалитете нет утверждённой программы "
    "персонифицированного финансирования на текущий или следующий период. Она будет "
    "рассчитана, когда оператор утвердит период."
)

# Fields of the programme card a provider edits.
PROGRAM_FIELDS = (
    "name",
    "direction",
    "kind",
    "level",
    "form",
    "age_from_months",
    "age_to_months",
    "description",
    "goals",
    "expected_results",
    "address",
    "district",
    "medical_certificate_required",
    "for_disabled",
    "network_form",
)
# Changing these changes the normative cost of every module of the programme.
NORMATIVE_PROGRAM_FIELDS = frozenset({"direction", "form", "for_disabled", "network_form"})
MODULE_FIELDS = (
    "name",
    "position",
    "duration_months",
    "hours",
    "min_children",
    "max_children",
    "teacher_qualification",
    "price_kopecks",
)
NORMATIVE_MODULE_FIELDS = frozenset({"hours", "teacher_qualification"})
GROUP_FIELDS = (
    "name",
    "teacher_name",
    "address",
    "room",
    "starts_on",
    "ends_on",
    "capacity",
    "enrolment_open",
)


class ProgramIncomplete(Conflict):
    """Publication or certification refused: the card misses something (listed in fields)."""

    code = "program_incomplete"
    default_message = "Программа заполнена не полностью."


# ---------------------------------------------------------------- helpers


def _authorize(actor, perm: str, obj=None) -> None:
    """actor None is the system itself (demo seeding, management commands)."""
    if actor is None:
        return
    if not actor.has_perm(perm, obj):
        raise AccessDenied()


def _record(actor, action: str, program: Program, obj=None, **details: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=obj if obj is not None else program,
        municipality=program.municipality,
        details={"program": program.pk, **details} if obj is not None else details,
    )


def _clean_text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _ensure_not_archived(program: Program) -> None:
    if program.archived_at is not None:
        raise Conflict("Программа в архиве: изменения недоступны.", code="program_archived")


def _ensure_content_editable(program: Program) -> None:
    _ensure_not_archived(program)
    if program.certification_status == Program.Certification.SUBMITTED:
        raise Conflict(
            "Программа на сертификации: эксперты оценивают отправленную версию. Чтобы внести "
            "изменения, верните программу в черновик.",
            code="program_under_certification",
        )


def _touch(program: Program) -> None:
    program.updated_at = clock.now()
    program.save(update_fields=["updated_at"])


def _unknown_fields(changes: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationFailed(fields={name: "Это поле нельзя изменить." for name in unknown})


# ---------------------------------------------------------------- normative cost


def normative_period_for(municipality, day: dt.date | None = None) -> FinancingPeriod | None:
    """The approved period covering `day` (today), else the nearest upcoming approved one."""
    day = day or clock.today()
    approved = FinancingPeriod.objects.filter(municipality=municipality, status="approved")
    return (
        approved.covering(day).order_by("-starts_on").first()
        or approved.filter(starts_on__gt=day).order_by("starts_on").first()
    )


def preview_normative_cost(
    *, program: Program, hours: int, teacher_qualification: str, period=None
) -> normative.NormativeCost | None:
    """The normative cost a module of `hours` would get now (None without a period)."""
    period = period or normative_period_for(program.municipality)
    if period is None:
        return None
    return normative.compute(
        period,
        direction=program.direction,
        hours=hours,
        form=program.form,
        legal_form=program.provider.legal_form,
        qualification=teacher_qualification,
        for_disabled=program.for_disabled,
        network_form=program.network_form,
    )


def _apply_normative(module: Module, program: Program, period) -> None:
    cost = (
        None
        if period is None
        else preview_normative_cost(
            program=program,
            hours=module.hours,
            teacher_qualification=module.teacher_qualification,
            period=period,
        )
    )
    if cost is None:
        module.normative_cost_kopecks = None
        module.normative_breakdown = {"missing": NO_PERIOD_EXPLANATION}
        module.normative_period = None
    else:
        module.normative_cost_kopecks = cost.total_kopecks
        module.normative_breakdown = {**cost.as_dict(), "period": period.name}
        module.normative_period = period


def _recompute_program_modules(program: Program) -> int:
    period = normative_period_for(program.municipality)
    modules = list(program.modules.all())
    for module in modules:
        _apply_normative(module, program, period)
    Module.objects.bulk_update(
        modules, ["normative_cost_kopecks", "normative_breakdown", "normative_period"]
    )
    return len(modules)


@transaction.atomic
def recompute_normative_costs(*, actor=None, municipality) -> int:
    """Recompute the normative cost of every module of the municipality's live programmes
    (after a period is approved or its parameters change). Returns the number of modules."""
    _authorize(actor, "catalog.recompute_normative", municipality)
    period = normative_period_for(municipality)
    modules = list(
        Module.objects.filter(program__municipality=municipality, program__archived_at=None)
        .select_related("program__provider")
        .order_by("pk")
    )
    for module in modules:
        _apply_normative(module, module.program, period)
    Module.objects.bulk_update(
        modules,
        ["normative_cost_kopecks", "normative_breakdown", "normative_period"],
        batch_size=500,
    )
    audit.record(
        actor=actor,
        action="catalog.normative_recomputed",
        obj=period,
        municipality=municipality,
        details={"modules": len(modules), "period": period.pk if period else None},
    )
    return len(modules)


# ---------------------------------------------------------------- programmes


def _validate_program(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "name" in data and not data["name"]:
        errors["name"] = "Укажите название программы."
    choices = {
        "direction": (Direction.values, "Выберите направленность из списка."),
        "kind": (Program.Kind.values, "Выберите вид программы из списка."),
        "level": (Program.Level.values, "Выберите уровень из списка."),
        "form": (StudyForm.values, "Выберите форму обучения из списка."),
    }
    for name, (values, message) in choices.items():
        if name in data and data[name] not in values:
            errors[name] = message
    low, high = data.get("age_from_months"), data.get("age_to_months")
    for name, value in (("age_from_months", low), ("age_to_months", high)):
        if value is not None and not 0 <= value <= MAX_AGE_MONTHS:
            errors[name] = "Возраст указывается от 0 до 18 лет включительно."
    if (low is None) != (high is None):
        missing = "age_to_months" if high is None else "age_from_months"
        errors.setdefault(missing, "Укажите обе границы возраста.")
    if low is not None and high is not None and "age_to_months" not in errors and high < low:
        errors["age_to_months"] = "Верхняя граница возраста не может быть меньше нижней."
    return errors


def _normalise_program(data: dict[str, Any]) -> dict[str, Any]:
    for name in ("name", "address", "district"):
        if name in data:
            data[name] = _clean_text(data[name])
    for name in ("description", "goals", "expected_results"):
        if name in data:
            data[name] = (data[name] or "").strip()
    return data


@transaction.atomic
def create_program(
    *,
    actor,
    provider,
    name: str,
    direction: str,
    kind: str = Program.Kind.GENERAL,
    level: str = Program.Level.STARTING,
    form: str = StudyForm.FULL_TIME,
    age_from_months: int | None = None,
    age_to_months: int | None = None,
    description: str = "",
    goals: str = "",
    expected_results: str = "",
    address: str = "",
    district: str = "",
    medical_certificate_required: bool = False,
    for_disabled: bool = False,
    network_form: bool = False,
) -> Program:
    """A draft programme of `provider`, in the provider's municipality."""
    _authorize(actor, "catalog.add_program", provider)
    if provider.status in ("excluded", "rejected"):
        raise Conflict(
            "Поставщик исключён из реестра или не включён в него: новые программы недоступны.",
            code="provider_inactive",
        )
    data = _normalise_program(
        {
            "name": name,
            "direction": direction,
            "kind": kind,
            "level": level,
            "form": form,
            "age_from_months": age_from_months,
            "age_to_months": age_to_months,
            "description": description,
            "goals": goals,
            "expected_results": expected_results,
            "address": address,
            "district": district,
            "medical_certificate_required": medical_certificate_required,
            "for_disabled": for_disabled,
            "network_form": network_form,
        }
    )
    errors = _validate_program(data)
    if errors:
        raise ValidationFailed(fields=errors)
    now = clock.now()
    program = Program.objects.create(
        provider=provider,
        municipality=provider.municipality,
        created_at=now,
        updated_at=now,
        **data,
    )
    _record(actor, "catalog.program_created", program, name=program.name)
    return program


PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _checked_photo(photo) -> str:
    """The file's real image format (by its content, not its name), or a field error."""
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationFailed(fields={"photo": "Фото — не больше 5 МБ."})
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            fields={"photo": "Это не изображение: загрузите JPEG, PNG или WebP."}
        ) from exc
    finally:
        photo.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ValidationFailed(fields={"photo": "Загрузите фото в формате JPEG, PNG или WebP."})
    return PHOTO_FORMATS[kind]


@transaction.atomic
def set_program_photo(*, actor, program: Program, photo) -> Program:
    """Replace (or, with photo=None, remove) the programme's photo. Allowed in any state:
    a photo changes nothing an expert assessed or a parent was promised."""
    _authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    old = program.photo.name if program.photo else ""
    if photo is None:
        if not old:
            return program
        program.photo = None
    else:
        extension = _checked_photo(photo)
        program.photo.save(f"program-{program.pk}.{extension}", photo, save=False)
    program.updated_at = clock.now()
    program.save(update_fields=["photo", "updated_at"])
    if old:
        transaction.on_commit(lambda: program.photo.storage.delete(old))
    _record(actor, "catalog.photo_changed" if photo else "catalog.photo_removed", program)
    return program


@transaction.atomic
def update_program(*, actor, program: Program, **changes: Any) -> Program:
    """Edit the card. A certified programme stays certified; its modules' normative costs are
    recomputed when a factor of the cost changes. A published one must stay complete."""
    _authorize(actor, "catalog.change_program", program)
    _unknown_fields(changes, PROGRAM_FIELDS)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _ensure_content_editable(program)
    data = _normalise_program(dict(changes))
    merged = {
        "age_from_months": program.age_from_months,
        "age_to_months": program.age_to_months,
        **data,
    }
    errors = _validate_program(merged)
    if errors:
        raise ValidationFailed(fields=errors)
    changed = [name for name, value in data.items() if getattr(program, name) != value]
    if not changed:
        return program
    for name in changed:
        setattr(program, name, data[name])
    program.updated_at = clock.now()
    program.save(update_fields=[*changed, "updated_at"])
    if NORMATIVE_PROGRAM_FIELDS.intersection(changed):
        _recompute_program_modules(program)
    _ensure_still_publishable(program)
    _record(
        actor,
        "catalog.program_updated",
        program,
        fields=sorted(changed),
        certified=program.is_certified,
    )
    return program


# ---------------------------------------------------------------- modules


# Upper bounds far above any real module or group; they keep typos (and integers the
# database columns cannot hold) out, with a message instead of a database error.
MAX_MODULE_MONTHS = 120
MAX_MODULE_HOURS = 10_000
MAX_GROUP_SIZE = 1_000
MAX_PRICE_KOPECKS = 10**12  # 10 000 000 000,00 ₽


def _validate_module(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "Укажите название модуля."
    months = data.get("duration_months")
    if months is None or months < 1:
        errors["duration_months"] = "Продолжительность — не меньше одного месяца."
    elif months > MAX_MODULE_MONTHS:
        errors["duration_months"] = f"Продолжительность — не больше {MAX_MODULE_MONTHS} месяцев."
    hours = data.get("hours")
    if hours is None or hours < 1:
        errors["hours"] = "Число часов — не меньше одного."
    elif hours > MAX_MODULE_HOURS:
        errors["hours"] = f"Число часов — не больше {MAX_MODULE_HOURS}."
    low, high = data.get("min_children"), data.get("max_children")
    if low is None or low < 1:
        errors["min_children"] = "В группе должен быть хотя бы один ребёнок."
    elif low > MAX_GROUP_SIZE:
        errors["min_children"] = f"Не больше {MAX_GROUP_SIZE} детей в группе."
    if high is None or high < 1:
        errors["max_children"] = "Укажите наибольшее число детей в группе."
    elif high > MAX_GROUP_SIZE:
        errors["max_children"] = f"Не больше {MAX_GROUP_SIZE} детей в группе."
    elif low is not None and high < low:
        errors["max_children"] = "Наибольшее число детей не может быть меньше наименьшего."
    if data.get("teacher_qualification") not in TeacherQualification.values:
        errors["teacher_qualification"] = "Выберите квалификацию педагога из списка."
    price = data.get("price_kopecks")
    if price is not None and price < 0:
        errors["price_kopecks"] = "Цена не может быть отрицательной."
    elif price is not None and price > MAX_PRICE_KOPECKS:
        errors["price_kopecks"] = "Слишком большая цена: проверьте сумму."
    return errors


@transaction.atomic
def add_module(
    *,
    actor,
    program: Program,
    name: str,
    duration_months: int,
    hours: int,
    max_children: int,
    min_children: int = 1,
    teacher_qualification: str = TeacherQualification.NONE,
    price_kopecks: int | None = None,
    position: int | None = None,
) -> Module:
    """A module with its normative cost computed from the period's parameters."""
    _authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().select_related("provider").get(pk=program.pk)
    _ensure_content_editable(program)
    data = {
        "name": _clean_text(name),
        "duration_months": duration_months,
        "hours": hours,
        "min_children": min_children,
        "max_children": max_children,
        "teacher_qualification": teacher_qualification,
        "price_kopecks": price_kopecks,
    }
    errors = _validate_module(data)
    if errors:
        raise ValidationFailed(fields=errors)
    if position is None:
        position = program.modules.count() + 1
    module = Module(program=program, position=position, **data)
    _apply_normative(module, program, normative_period_for(program.municipality))
    module.save()
    _touch(program)
    _record(
        actor,
        "catalog.module_added",
        program,
        obj=module,
        price_kopecks=module.price_kopecks,
        normative_cost_kopecks=module.normative_cost_kopecks,
    )
    return module


@transaction.atomic
def update_module(*, actor, module: Module, **changes: Any) -> Module:
    """Edit a module. Price and hours of a certified programme may change (the programme
    stays certified); the normative cost is recomputed from the current period."""
    program = module.program
    _authorize(actor, "catalog.change_program", program)
    _unknown_fields(changes, MODULE_FIELDS)
    program = Program.objects.select_for_update().select_related("provider").get(pk=program.pk)
    _ensure_content_editable(program)
    module = Module.objects.get(pk=module.pk)
    if "name" in changes:
        changes["name"] = _clean_text(changes["name"])
    merged = {name: getattr(module, name) for name in MODULE_FIELDS} | changes
    errors = _validate_module(merged)
    if errors:
        raise ValidationFailed(fields=errors)
    changed = [name for name, value in changes.items() if getattr(module, name) != value]
    for name in changed:
        setattr(module, name, changes[name])
    # Always against the current period: a module edited after a new period is approved
    # gets that period's cost.
    _apply_normative(module, program, normative_period_for(program.municipality))
    module.save()
    _touch(program)
    _ensure_still_publishable(program)
    _record(
        actor,
        "catalog.module_updated",
        program,
        obj=module,
        fields=sorted(changed),
        price_kopecks=module.price_kopecks,
        normative_cost_kopecks=module.normative_cost_kopecks,
    )
    return module


@transaction.atomic
def delete_module(*, actor, module: Module) -> None:
    program = module.program
    _authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _ensure_content_editable(program)
    if Group.objects.filter(module=module, seats_taken__gt=0).exists():
        raise Conflict(
            "В группах модуля есть зачисленные дети: модуль нельзя удалить.", code="module_in_use"
        )
    name, pk = module.name, module.pk
    module.delete()
    _touch(program)
    _ensure_still_publishable(program)
    audit.record(
        actor=actor,
        action="catalog.module_deleted",
        obj=program,
        municipality=program.municipality,
        details={"module": pk, "name": name},
    )


# ---------------------------------------------------------------- groups and schedules


def _validate_group(data: Mapping[str, Any], *, seats_taken: int = 0) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "Укажите название группы."
    if not data.get("address"):
        errors["address"] = "Укажите адрес занятий."
    capacity = data.get("capacity")
    if capacity is None or capacity < 1:
        errors["capacity"] = "В группе должно быть хотя бы одно место."
    elif capacity > MAX_GROUP_SIZE:
        errors["capacity"] = f"Не больше {MAX_GROUP_SIZE} мест в группе."
    elif capacity < seats_taken:
        errors["capacity"] = f"В группе уже занято мест: {seats_taken}. Мест не может быть меньше."
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if (starts is None) != (ends is None):
        errors["ends_on" if ends is None else "starts_on"] = "Укажите обе даты: начало и окончание."
    elif starts and ends:
        if ends <= starts:
            errors["ends_on"] = "Окончание занятий должно быть позже начала."
        elif (ends - starts).days > MAX_GROUP_SPAN_DAYS:
            errors["ends_on"] = "Группа не может заниматься дольше трёх лет: проверьте даты."
        elif not 2000 <= starts.year <= 2100:
            errors["starts_on"] = "Проверьте год начала занятий."
    return errors


def _validate_entry(entry: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    if entry.get("weekday") not in ScheduleEntry.Weekday.values:
        errors[f"{prefix}weekday"] = "Выберите день недели."
    starts, ends = entry.get("starts_at"), entry.get("ends_at")
    if not isinstance(starts, dt.time):
        errors[f"{prefix}starts_at"] = "Укажите время начала."
    if not isinstance(ends, dt.time):
        errors[f"{prefix}ends_at"] = "Укажите время окончания."
    elif isinstance(starts, dt.time) and ends <= starts:
        errors[f"{prefix}ends_at"] = "Занятие должно заканчиваться позже, чем начинается."
    if entry.get("parity", ScheduleEntry.Parity.EVERY) not in ScheduleEntry.Parity.values:
        errors[f"{prefix}parity"] = "Выберите, по каким неделям занятие."
    return errors


def find_clash(
    *,
    group: Group,
    weekday: int,
    starts_at: dt.time,
    ends_at: dt.time,
    parity: str = ScheduleEntry.Parity.EVERY,
    exclude_ids: Sequence[int] = (),
) -> ScheduleEntry | None:
    """Another lesson in the same address and room at an overlapping time of the same weekday,
    in weeks that can coincide, of a group whose dates overlap this group's dates."""
    qs = ScheduleEntry.objects.filter(
        group__address=group.address,
        group__room=group.room,
        group__module__program__archived_at=None,
        weekday=weekday,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exclude(pk__in=list(exclude_ids))
    if parity != ScheduleEntry.Parity.EVERY:
        qs = qs.filter(parity__in=[ScheduleEntry.Parity.EVERY, parity])
    if group.ends_on:
        qs = qs.filter(Q(group__starts_on__isnull=True) | Q(group__starts_on__lte=group.ends_on))
    if group.starts_on:
        qs = qs.filter(Q(group__ends_on__isnull=True) | Q(group__ends_on__gte=group.starts_on))
    return qs.select_related("group__module__program").order_by("pk").first()


def _clash_message(other: ScheduleEntry, group: Group) -> str:
    where = group.address + (f", каб. {group.room}" if group.room else "")
    if other.group_id == group.pk:
        return (
            f"Занятия этой группы пересекаются между собой: {other.get_weekday_display()} "
            f"{other.starts_at:%H:%M}–{other.ends_at:%H:%M} уже есть в расписании."
        )
    program = other.group.module.program
    return (
        f"Помещение ({where}) в это время занято: группа «{other.group.name}» программы "
        f"«{program.name}», {other.get_weekday_display()} "
        f"{other.starts_at:%H:%M}–{other.ends_at:%H:%M} ({other.get_parity_display()})."
    )


def _add_entry(group: Group, entry: Mapping[str, Any], prefix: str = "") -> ScheduleEntry:
    errors = _validate_entry(entry, prefix)
    if errors:
        raise ValidationFailed(fields=errors)
    parity = entry.get("parity") or ScheduleEntry.Parity.EVERY
    other = find_clash(
        group=group,
        weekday=entry["weekday"],
        starts_at=entry["starts_at"],
        ends_at=entry["ends_at"],
        parity=parity,
    )
    if other is not None:
        raise ValidationFailed(
            "Расписание пересекается с другими занятиями в том же помещении.",
            code="schedule_clash",
            fields={f"{prefix}starts_at": _clash_message(other, group)},
        )
    return ScheduleEntry.objects.create(
        group=group,
        weekday=entry["weekday"],
        starts_at=entry["starts_at"],
        ends_at=entry["ends_at"],
        parity=parity,
    )


def _check_group_entries(group: Group) -> None:
    """After a group moves (address, room, dates), its lessons must not clash anywhere."""
    own = list(group.schedule.all())
    own_ids = [e.pk for e in own]
    for entry in own:
        other = find_clash(
            group=group,
            weekday=entry.weekday,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            parity=entry.parity,
            exclude_ids=own_ids,
        )
        if other is not None:
            raise ValidationFailed(
                "Расписание группы пересекается с занятиями другой группы в том же помещении.",
                code="schedule_clash",
                fields={"room": _clash_message(other, group)},
            )


def _group_data(data: dict[str, Any], program: Program) -> dict[str, Any]:
    for name in ("name", "teacher_name", "address", "room"):
        if name in data:
            data[name] = _clean_text(data[name])
    if "address" in data and not data["address"]:
        data["address"] = program.address
    return data


@transaction.atomic
def add_group(
    *,
    actor,
    module: Module,
    name: str,
    capacity: int,
    address: str = "",
    room: str = "",
    teacher_name: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    enrolment_open: bool = True,
    schedule: Sequence[Mapping[str, Any]] = (),
) -> Group:
    """A group of a module (address defaults to the programme's), with its lessons."""
    program = module.program
    _authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _ensure_not_archived(program)
    data = _group_data(
        {
            "name": name,
            "teacher_name": teacher_name,
            "address": address,
            "room": room,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "capacity": capacity,
            "enrolment_open": enrolment_open,
        },
        program,
    )
    errors = _validate_group(data)
    if errors:
        raise ValidationFailed(fields=errors)
    group = Group.objects.create(module=module, **data)
    for index, entry in enumerate(schedule):
        _add_entry(group, entry, prefix=f"schedule.{index}.")
    _touch(program)
    _record(actor, "catalog.group_added", program, obj=group, lessons=len(schedule))
    return group


@transaction.atomic
def update_group(
    *,
    actor,
    group: Group,
    schedule: Sequence[Mapping[str, Any]] | None = None,
    **changes: Any,
) -> Group:
    """Edit a group; `schedule` given replaces all its lessons (checked for clashes)."""
    program = group.module.program
    _authorize(actor, "catalog.change_program", program)
    _unknown_fields(changes, GROUP_FIELDS)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _ensure_not_archived(program)
    group = Group.objects.select_for_update().get(pk=group.pk)
    data = _group_data(dict(changes), program)
    merged = {name: getattr(group, name) for name in GROUP_FIELDS} | data
    errors = _validate_group(merged, seats_taken=group.seats_taken)
    if errors:
        raise ValidationFailed(fields=errors)
    changed = [name for name, value in data.items() if getattr(group, name) != value]
    for name in changed:
        setattr(group, name, data[name])
    if changed:
        group.save(update_fields=changed)
    if schedule is not None:
        group.schedule.all().delete()
        for index, entry in enumerate(schedule):
            _add_entry(group, entry, prefix=f"schedule.{index}.")
    elif {"address", "room", "starts_on", "ends_on"}.intersection(changed):
        _check_group_entries(group)
    _touch(program)
    _ensure_still_publishable(program)
    _record(
        actor,
        "catalog.group_updated",
        program,
        obj=group,
        fields=sorted(changed),
        schedule_replaced=schedule is not None,
    )
    return group


@transaction.atomic
def add_schedule_entry(
    *,
    actor,
    group: Group,
    weekday: int,
    starts_at: dt.time,
    ends_at: dt.time,
    parity: str = ScheduleEntry.Parity.EVERY,
) -> ScheduleEntry:
    program = group.module.program
    _authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _ensure_not_archived(program)
    entry = _add_entry(
        group, {"weekday": weekday, "starts_at": starts_at, "ends_at": ends_at, "parity": parity}
    )
    _touch(program)
    _record(actor, "catalog.lesson_added", program, obj=group, lesson=str(entry))
    return entry


@transaction.atomic
def delete_schedule_entry(*, actor, entry: ScheduleEntry) -> None:
    group = entry.group
    program = group.module.program
    _authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _ensure_not_archived(program)
    text = str(entry)
    entry.delete()
    _touch(program)
    _ensure_still_publishable(program)
    _record(actor, "catalog.lesson_deleted", program, obj=group, lesson=text)


# ---------------------------------------------------------------- publication


def card_problems(program: Program) -> list[str]:
    """What the card lacks to be sent to certification (Russian, one line each)."""
    problems = []
    if not program.description.strip():
        problems.append("Добавьте описание программы.")
    if not program.address.strip():
        problems.append("Укажите адрес проведения занятий.")
    if program.age_from_months is None or program.age_to_months is None:
        problems.append("Укажите возрастной диапазон детей.")
    modules = list(program.modules.all())
    if not modules:
        problems.append("Добавьте хотя бы один модуль.")
    for module in modules:
        if module.price_kopecks is None:
            problems.append(f"Укажите цену модуля «{module.name}».")
    return problems


def _has_ready_group(program: Program) -> bool:
    # Lists annotate it (selectors.with_ready_group) so a page of programmes is one query.
    annotated = getattr(program, "has_ready_group", None)
    if annotated is not None:
        return annotated
    return Group.objects.filter(
        module__program=program,
        starts_on__isnull=False,
        ends_on__isnull=False,
        schedule__isnull=False,
    ).exists()


def _content_problems(program: Program) -> list[str]:
    problems = card_problems(program)
    if not _has_ready_group(program):
        problems.append("Добавьте хотя бы одну группу с датами занятий и расписанием.")
    if not (
        program.is_certified
        or program.budget_registry != Program.BudgetRegistry.NONE
        or program.paid_only
    ):
        problems.append(
            "Программа должна быть сертифицирована, включена оператором в бюджетный реестр "
            "или отмечена как «только платная» — иначе на неё нельзя записаться."
        )
    return problems


def publication_problems(program: Program) -> list[str]:
    """Everything that keeps the programme from publication (empty: it may be published)."""
    problems = []
    if program.archived_at is not None:
        problems.append("Программа в архиве.")
    problems += _content_problems(program)
    provider = program.provider
    if not provider.accepts_enrolments:
        problems.append(
            f"Поставщик не в реестре (статус: {provider.get_status_display()}): "
            "публикация недоступна."
        )
    return problems


def _ensure_still_publishable(program: Program) -> None:
    """A published programme must stay complete: refuse an edit that would break it."""
    if not program.is_published:
        return
    problems = _content_problems(program)
    if problems:
        raise ProgramIncomplete(
            "Программа опубликована, и после этого изменения в ней не будет хватать нужного: "
            + " ".join(problems)
            + " Сначала снимите программу с публикации.",
            fields={"problems": problems},
        )


def _locked(program: Program) -> Program:
    return Program.objects.select_for_update().select_related("provider").get(pk=program.pk)


@transaction.atomic
def publish(*, actor, program: Program) -> Program:
    _authorize(actor, "catalog.publish_program", program)
    program = _locked(program)
    if program.is_published:
        raise Conflict("Программа уже опубликована.", code="already_published")
    problems = publication_problems(program)
    if problems:
        raise ProgramIncomplete(
            "Программу пока нельзя опубликовать: " + " ".join(problems),
            fields={"problems": problems},
        )
    program.is_published = True
    program.published_at = clock.now()
    program.save(update_fields=["is_published", "published_at"])
    _record(actor, "catalog.program_published", program)
    return program


@transaction.atomic
def unpublish(*, actor, program: Program) -> Program:
    _authorize(actor, "catalog.publish_program", program)
    program = _locked(program)
    if not program.is_published:
        raise Conflict("Программа не опубликована.", code="not_published")
    program.is_published = False
    program.enrolment_open = False
    program.save(update_fields=["is_published", "enrolment_open"])
    _record(actor, "catalog.program_unpublished", program)
    return program


@transaction.atomic
def open_enrolment(*, actor, program: Program) -> Program:
    _authorize(actor, "catalog.publish_program", program)
    program = _locked(program)
    if not program.is_published:
        raise Conflict("Сначала опубликуйте программу.", code="not_published")
    if program.enrolment_open:
        raise Conflict("Запись уже открыта.", code="enrolment_already_open")
    if not program.provider.accepts_enrolments:
        raise Conflict(
            "Поставщик не принимает новых детей (статус в реестре: "
            f"{program.provider.get_status_display()}).",
            code="provider_inactive",
        )
    program.enrolment_open = True
    program.save(update_fields=["enrolment_open"])
    _record(actor, "catalog.enrolment_opened", program)
    return program


@transaction.atomic
def close_enrolment(*, actor, program: Program) -> Program:
    _authorize(actor, "catalog.publish_program", program)
    program = _locked(program)
    if not program.enrolment_open:
        raise Conflict("Запись уже закрыта.", code="enrolment_already_closed")
    program.enrolment_open = False
    program.save(update_fields=["enrolment_open"])
    _record(actor, "catalog.enrolment_closed", program)
    return program


@transaction.atomic
def archive(*, actor, program: Program) -> Program:
    """Hide the programme for good (it keeps its history); refused while children study."""
    _authorize(actor, "catalog.publish_program", program)
    program = _locked(program)
    _ensure_not_archived(program)
    if Group.objects.filter(module__program=program, seats_taken__gt=0).exists():
        raise Conflict(
            "В группах программы есть зачисленные дети: отправить её в архив пока нельзя.",
            code="program_in_use",
        )
    program.archived_at = clock.now()
    program.is_published = False
    program.enrolment_open = False
    program.save(update_fields=["archived_at", "is_published", "enrolment_open"])
    _record(actor, "catalog.program_archived", program)
    return program


# ---------------------------------------------------------------- certification


@transaction.atomic
def submit(*, actor, program: Program) -> Program:
    """Send the card to certification (a new round of expert assessment)."""
    _authorize(actor, "catalog.submit_program", program)
    program = _locked(program)
    _ensure_not_archived(program)
    if program.certification_status not in (
        Program.Certification.DRAFT,
        Program.Certification.REJECTED,
    ):
        raise Conflict(
            f"Программа уже {program.get_certification_status_display()}.",
            code="invalid_certification_state",
        )
    if program.paid_only:
        raise Conflict(
            "Программа отмечена как «только платная»: она не проходит сертификацию.",
            code="paid_only",
        )
    problems = card_problems(program)
    if problems:
        raise ProgramIncomplete(
            "Карточка программы заполнена не полностью: " + " ".join(problems),
            fields={"problems": problems},
        )
    program.submit()
    program.submission_round += 1
    program.submitted_at = clock.now()
    program.certification_reason = ""
    program.save(
        update_fields=[
            "certification_status",
            "submission_round",
            "submitted_at",
            "certification_reason",
        ]
    )
    _record(actor, "catalog.program_submitted", program, round=program.submission_round)
    return program


def _validate_scores(scores: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for code, _label in ASSESSMENT_CRITERIA:
        value = scores.get(code)
        if isinstance(value, bool) or not isinstance(value, int):
            errors[f"scores.{code}"] = f"Поставьте оценку от 0 до {ASSESSMENT_MAX_SCORE}."
        elif not 0 <= value <= ASSESSMENT_MAX_SCORE:
            errors[f"scores.{code}"] = f"Оценка — от 0 до {ASSESSMENT_MAX_SCORE}."
        else:
            clean[code] = value
    for code in set(scores) - {code for code, _ in ASSESSMENT_CRITERIA}:
        errors[f"scores.{code}"] = "Такого критерия нет."
    return clean, errors


@transaction.atomic
def assess(
    *,
    actor,
    program: Program,
    scores: Mapping[str, Any],
    conclusion: str,
    comment: str = "",
) -> Assessment:
    """An expert's assessment of the submitted programme: once per expert per round."""
    _authorize(actor, "catalog.assess_program", program)
    program = _locked(program)
    if program.certification_status != Program.Certification.SUBMITTED:
        raise Conflict("Оценивать можно только программу на сертификации.", code="not_submitted")
    clean, errors = _validate_scores(scores)
    if conclusion not in Assessment.Conclusion.values:
        errors["conclusion"] = "Выберите заключение."
    comment = (comment or "").strip()
    if conclusion == Assessment.Conclusion.NOT_RECOMMENDED and not comment:
        errors["comment"] = "Объясните, почему программа не рекомендована."
    if errors:
        raise ValidationFailed(fields=errors)
    round_ = program.submission_round
    duplicate = Conflict("Вы уже оценили программу в этом раунде.", code="already_assessed")
    if Assessment.objects.filter(program=program, expert=actor, round=round_).exists():
        raise duplicate
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                program=program,
                expert=actor,
                round=round_,
                scores=clean,
                total_score=sum(clean.values()),
                conclusion=conclusion,
                comment=comment,
            )
    except IntegrityError as exc:
        raise duplicate from exc
    _record(
        actor,
        "catalog.program_assessed",
        program,
        round=round_,
        total_score=assessment.total_score,
        conclusion=conclusion,
    )
    return assessment


@transaction.atomic
def certify(*, actor, program: Program, comment: str = "") -> Program:
    """The operator includes the programme in the certified registry."""
    _authorize(actor, "catalog.decide_certification", program)
    program = _locked(program)
    if program.certification_status != Program.Certification.SUBMITTED:
        raise Conflict("Решение принимается по программе на сертификации.", code="not_submitted")
    if program.paid_only:
        raise Conflict("Программа отмечена как «только платная».", code="paid_only")
    count = program.assessments.filter(round=program.submission_round).count()
    if count == 0:
        raise Conflict(
            "Нужна хотя бы одна экспертная оценка этого раунда сертификации.",
            code="no_assessment",
        )
    program.certify()
    program.certification_reason = (comment or "").strip()
    program.certification_decided_at = clock.now()
    program.save(
        update_fields=["certification_status", "certification_reason", "certification_decided_at"]
    )
    _recompute_program_modules(program)
    _record(actor, "catalog.program_certified", program, assessments=count)
    return program


@transaction.atomic
def reject_certification(*, actor, program: Program, reason: str) -> Program:
    _authorize(actor, "catalog.decide_certification", program)
    program = _locked(program)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if program.certification_status != Program.Certification.SUBMITTED:
        raise Conflict("Решение принимается по программе на сертификации.", code="not_submitted")
    program.reject_certification()
    program.certification_reason = reason
    program.certification_decided_at = clock.now()
    program.save(
        update_fields=["certification_status", "certification_reason", "certification_decided_at"]
    )
    _record(actor, "catalog.certification_rejected", program, reason=reason[:500])
    return program


@transaction.atomic
def return_to_draft(*, actor, program: Program, reason: str = "") -> Program:
    """Withdraw from certification (provider) or send back for rework (operator)."""
    _authorize(actor, "catalog.return_to_draft", program)
    program = _locked(program)
    if program.certification_status not in (
        Program.Certification.SUBMITTED,
        Program.Certification.REJECTED,
    ):
        raise Conflict(
            "В черновик возвращается программа на сертификации или с отказом.",
            code="invalid_certification_state",
        )
    program.return_to_draft()
    reason = (reason or "").strip()
    if reason:
        program.certification_reason = reason
    program.save(update_fields=["certification_status", "certification_reason"])
    _record(actor, "catalog.program_returned_to_draft", program, reason=reason[:500])
    return program


@transaction.atomic
def set_registries(
    *,
    actor,
    program: Program,
    budget_registry: str | None = None,
    paid_only: bool | None = None,
) -> Program:
    """The operator places the programme in a budget registry and/or marks it paid-only
    (None keeps the current value)."""
    _authorize(actor, "catalog.set_registry", program)
    program = _locked(program)
    _ensure_not_archived(program)
    if budget_registry is None:
        budget_registry = program.budget_registry
    if paid_only is None:
        paid_only = program.paid_only
    if budget_registry not in Program.BudgetRegistry.values:
        raise ValidationFailed(fields={"budget_registry": "Выберите реестр из списка."})
    if paid_only and budget_registry != Program.BudgetRegistry.NONE:
        raise ValidationFailed(
            fields={"paid_only": "Программа бюджетного реестра не может быть только платной."}
        )
    if paid_only and program.certification_status in (
        Program.Certification.SUBMITTED,
        Program.Certification.CERTIFIED,
    ):
        raise ValidationFailed(
            fields={
                "paid_only": "Сертифицированная программа (или программа на сертификации) "
                "не может быть только платной."
            }
        )
    before = {"budget_registry": program.budget_registry, "paid_only": program.paid_only}
    program.budget_registry = budget_registry
    program.paid_only = paid_only
    program.save(update_fields=["budget_registry", "paid_only"])
    _ensure_still_publishable(program)
    _record(
        actor,
        "catalog.registry_set",
        program,
        before=before,
        budget_registry=budget_registry,
        paid_only=paid_only,
    )
    return program


def set_budget_registry(*, actor, program: Program, registry: str) -> Program:
    return set_registries(actor=actor, program=program, budget_registry=registry)


def set_paid_only(*, actor, program: Program, paid_only: bool) -> Program:
    return set_registries(actor=actor, program=program, paid_only=paid_only)

"""Attendance journals of the billing demo: lessons marked on the evening they were held."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count

from pfdo.accounts.models import User
from pfdo.billing import services
from pfdo.billing.models import Attendance, Lesson
from pfdo.billing.selectors import active_window
from pfdo.catalog.models import Group
from pfdo.common import clock, months
from pfdo.demo.people import moment as _at
from pfdo.enrolment.models import Contract
from pfdo.enrolment.selectors import month_label
from pfdo.providers.models import ProviderStaff

ABSENCE = 0.1  # a child misses a lesson
HOLD_BACK_DAYS = 7  # the rejected invoice's journal lacked its month's last week


class Journals:
    """Journal steps of the billing plan, which holds the months, staff, rng and events."""

    def journals(
        self, month: dt.date | None, rejected: tuple[int, dt.date] | None
    ) -> tuple[list[Callable[[], None]], str]:
        """Attendance in the demo groups, lesson by lesson on the evening it was held. The
        rejected invoice's provider left its month's last week unmarked until the payer
        said so; returns those marks (made after the rejection) and the payer's reason."""
        held_back: list[Callable[[], None]] = []
        missing: dict[str, list[dt.date]] = defaultdict(list)
        for group in self.journal_groups():
            provider_id = group.module.program.provider_id
            staff = self.staff.get(provider_id) or self._staff_of(provider_id)
            if staff is None:
                continue
            contracts = list(
                Contract.objects.filter(group=group, accepted_at__isnull=False).order_by("pk")
            )
            for month_ in self.months:
                for lesson in services.ensure_lessons(group=group, month=month_):
                    if lesson.is_cancelled:
                        continue
                    moment = _at(lesson.held_on, lesson.ends_at.hour, lesson.ends_at.minute)
                    moment += dt.timedelta(minutes=self.rng.randint(10, 90))
                    step = self._mark(lesson, contracts, staff)
                    late = (
                        rejected is not None
                        and (provider_id, month_) == rejected
                        and month_ == month
                        and lesson.held_on
                        > months.month_end(month_) - dt.timedelta(days=HOLD_BACK_DAYS)
                    )
                    if late:
                        held_back.append(step)
                        if self._marks_for(lesson, contracts, self.now):
                            name = f"«{group.module.program.name}», {group.name.lower()}"
                            missing[name].append(lesson.held_on)
                    else:
                        self.add(moment, step)
        if not missing:
            reason = (
                "Счёт подписан не руководителем организации: подпишите его уполномоченным "
                "лицом и подайте заново."
            )
        else:
            parts = [
                f"{name} — {', '.join(f'{d:%d.%m}' for d in sorted(set(days)))}"
                for name, days in sorted(missing.items())
            ]
            reason = (
                f"Журнал посещаемости за {month_label(month)} заполнен не полностью, нет "
                f"отметок: {'; '.join(parts)}. Заполните журнал и сформируйте счёт заново."
            )
        return held_back, reason

    def journal_groups(self) -> list[Group]:
        """The groups of the demo parent's children and the demo provider's two fullest."""
        ids: list[int] = []
        if self.parent is not None:
            ids += list(
                Contract.objects.filter(
                    parent=self.parent,
                    municipality=self.municipality,
                    status=Contract.Status.ACTIVE,
                )
                .order_by("pk")
                .values_list("group_id", flat=True)
            )
        provider_id = self.demo_provider
        if provider_id is not None:
            ids += list(
                Contract.objects.filter(provider_id=provider_id, accepted_at__isnull=False)
                .values("group_id")
                .annotate(n=Count("pk"))
                .order_by("-n", "group_id")
                .values_list("group_id", flat=True)[:2]
            )
        unique = list(dict.fromkeys(ids))
        groups = Group.objects.select_related("module__program").in_bulk(unique)
        return [groups[pk] for pk in unique if pk in groups]

    def _staff_of(self, provider_id: int) -> User | None:
        row = (
            ProviderStaff.objects.filter(provider_id=provider_id, is_active=True)
            .select_related("user")
            .order_by("-is_admin", "pk")
            .first()
        )
        if row is not None:
            self.staff[provider_id] = row.user
        return row.user if row else None

    @staticmethod
    def _marks_for(lesson: Lesson, contracts: list[Contract], moment: dt.datetime):
        """Children whose contract was signed by `moment` and in force on the lesson's day."""
        out = []
        for contract in contracts:
            if contract.accepted_at > moment:
                continue
            window = active_window(contract, months.month_start(lesson.held_on))
            if window is not None and window[0] <= lesson.held_on <= window[1]:
                out.append(contract.pk)
        return out

    def _mark(self, lesson: Lesson, contracts: list[Contract], staff: User) -> Callable[[], None]:
        def step() -> None:
            if Attendance.objects.filter(lesson_id=lesson.pk).exists():
                return
            ids = self._marks_for(lesson, contracts, clock.now())
            if not ids:
                return
            rng = random.Random(f"{lesson.group_id}:{lesson.scheduled_on}:{lesson.scheduled_at}")
            marks = {pk: rng.random() >= ABSENCE for pk in ids}
            services.mark_attendance(actor=staff, lesson=lesson, marks=marks)

        return step

"""Reminders before an enrolment term runs out (celery beat, every morning): the parent of an
offered contract not yet accepted, the parent of an in-person application not yet confirmed,
and the provider's staff of an application not yet decided. Each is written once per
user and term (a keyed notification), so a second run the same day — or the next day, while
the term still runs — sends nothing again.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from pfdo.accounts import services as accounts
from pfdo.common import clock
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.services._common import Status, _contract_link
from pfdo.providers.models import ProviderStaff

# A term ending within this time of the morning run is reminded of: every term longer than
# a day gets its reminder between 12 and 36 hours before it ends.
REMIND_AHEAD = dt.timedelta(hours=36)


def _until(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}"


def send_reminders(now: dt.datetime | None = None) -> int:
    """Write the reminders due now; returns how many new ones were written."""
    now = now or clock.now()
    window = {"gt": now, "lte": now + REMIND_AHEAD}
    notices: list[accounts.Notice] = []
    offers = Contract.objects.filter(
        status=Contract.Status.OFFERED,
        offer_expires_at__gt=window["gt"],
        offer_expires_at__lte=window["lte"],
    ).select_related("parent", "certificate__child", "provider")
    for contract in offers:
        notices.append(
            accounts.Notice(
                user_id=contract.parent_id,
                email=contract.parent.email,
                subject=f"Примите договор № {contract.number} до {_until(contract.offer_expires_at)}",
                body=f"{contract.certificate.child.short_name}: «{contract.provider.short_name}» "
                f"ждёт, что вы примете договор до {_until(contract.offer_expires_at)}. Потом "
                "место перейдёт следующему в листе ожидания.",
                link=_contract_link(contract),
                key=f"remind:offer:{contract.pk}",
            )
        )
    undecided = Application.objects.filter(
        status__in=(Status.NEW, Status.AWAITING_PARENT),
        decide_by__gt=window["gt"],
        decide_by__lte=window["lte"],
    ).select_related("parent", "certificate__child", "group", "provider")
    waiting_provider = []
    for application in undecided:
        if application.status == Status.AWAITING_PARENT:
            notices.append(
                accounts.Notice(
                    user_id=application.parent_id,
                    email=application.parent.email,
                    subject=f"Подтвердите запись до {_until(application.decide_by)}",
                    body=f"{application.certificate.child.short_name}: «"
                    f"{application.provider.short_name}» записал ребёнка в группу "
                    f"«{application.group.name}». Подтвердите запись до "
                    f"{_until(application.decide_by)}, иначе заявка истечёт.",
                    link=reverse("enrolment:parent_application", args=[application.pk]),
                    key=f"remind:confirm:{application.pk}",
                )
            )
        else:
            waiting_provider.append(application)
    staff = _staff_of({a.provider_id for a in waiting_provider})
    for application in waiting_provider:
        for user in staff.get(application.provider_id, []):
            notices.append(
                accounts.Notice(
                    user_id=user.pk,
                    email=user.email,
                    subject=f"Решите по заявке до {_until(application.decide_by)}",
                    body=f"Заявка в группу «{application.group.name}» ждёт решения до "
                    f"{_until(application.decide_by)}. Без решения она истечёт, и место "
                    "перейдёт следующему.",
                    link=reverse("enrolment:provider_application", args=[application.pk]),
                    key=f"remind:decide:{application.pk}",
                )
            )
    return accounts.remind(notices)


def _staff_of(provider_ids: set[int]) -> dict[int, list]:
    found: dict[int, list] = {}
    for row in (
        ProviderStaff.objects.filter(
            provider_id__in=provider_ids, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ):
        found.setdefault(row.provider_id, []).append(row.user)
    return found

"""The family's billing page: a child's attendance and the month charges of a contract."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views import View

from pfdo.billing import selectors
from pfdo.certificates.views.parent import ParentRequiredMixin
from pfdo.common.authz import can
from pfdo.enrolment.models import Contract


def _own_contract(user, pk: int) -> Contract:
    """A contract of one of the user's own children (an official's wider scope does not
    count here); 404 for any other."""
    contract = get_object_or_404(
        Contract.objects.for_user(user).select_related(
            "child", "provider", "group__module__program"
        ),
        pk=pk,
    )
    if not can(user, "billing.view_child_billing", contract):
        raise Http404
    return contract


class AttendanceView(ParentRequiredMixin, View):
    """/cabinet/parent/contracts/<pk>/attendance/: lessons marked and the months charged."""

    def get(self, request, pk):
        contract = _own_contract(request.user, pk)
        marks = selectors.child_attendance(contract)
        charges = selectors.contract_charges(contract)
        ctx = {
            "contract": contract,
            "program": contract.group.module.program,
            "marks": marks,
            "present_count": sum(1 for m in marks if m.present),
            "charges": charges,
            "charged_kopecks": sum(c.billed_kopecks for c in charges),
        }
        return render(request, "billing/parent/attendance.html", ctx)

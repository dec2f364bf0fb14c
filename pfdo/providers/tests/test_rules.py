"""Access matrix of the provider registry: who sees and may do what, per role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from pfdo.common.authz import can
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.providers.models import BankDetailsChange, EnrolmentLimit, Provider, ProviderStaff
from pfdo.providers.tests.factories import KOMI_BANK, OTHER_BANK, ProviderFactory

ROLES = [
    "anonymous",
    "parent",
    "stranger_admin",
    "member",
    "admin",
    "operator",
    "other_operator",
    "regional_admin",
    "payer",
    "superuser",
]


@pytest.fixture
def who(request, make_user):
    def resolve(name):
        if name == "anonymous":
            return AnonymousUser()
        if name == "superuser":
            return make_user(is_superuser=True)
        return request.getfixturevalue(name)

    return resolve


# perm → roles that hold it on the (active) Vorkuta provider
MATRIX = {
    "providers.decide": {"operator", "regional_admin", "superuser"},
    "providers.set_enrolment_limit": {"operator", "regional_admin", "superuser"},
    "providers.change_provider": {"admin"},
    "providers.manage_staff": {"admin"},
    "providers.view_staff": {"admin", "operator", "regional_admin", "superuser"},
    "providers.view_confidential": {
        "admin",
        "member",
        "operator",
        "regional_admin",
        "payer",
        "superuser",
    },
    "providers.view_own_organisation": {"admin", "member"},
    "providers.request_bank_change": {"admin"},
}

# perm → roles that hold it on a pending request to change the provider's bank details
CHANGE_MATRIX = {
    "providers.view_bank_change": {"admin", "operator", "regional_admin", "payer", "superuser"},
    # The municipality's own operator only: not the region, not the payer.
    "providers.decide_bank_change": {"operator"},
    "providers.withdraw_bank_change": {"admin"},
}


@pytest.mark.parametrize("perm", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_object_permission_matrix(who, provider, perm, role):
    user = who(role)
    # Django answers every permission of an active superuser with yes.
    assert user.has_perm(perm, provider) is (role in MATRIX[perm] | {"superuser"})


@pytest.mark.parametrize("perm", sorted(CHANGE_MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_bank_change_permission_matrix(who, provider, admin, perm, role):
    for name, value in KOMI_BANK.items():
        setattr(provider, name, value)
    provider.save()
    change = BankDetailsChange.objects.create(provider=provider, filed_by=admin, **OTHER_BANK)
    user = who(role)
    assert user.has_perm(perm, change) is (role in CHANGE_MATRIX[perm] | {"superuser"})
    if role == "superuser":  # Django's yes; the rule the services ask says who really may
        assert can(user, perm, change) is (role in CHANGE_MATRIX[perm])


@pytest.mark.parametrize("role", ROLES)
def test_bank_change_queue_is_for_officials_and_the_payer(who, role):
    expected = role in {"operator", "other_operator", "regional_admin", "payer", "superuser"}
    assert who(role).has_perm("providers.review_bank_changes") is expected


@pytest.mark.parametrize("role", ROLES)
def test_registry_list_is_for_officials(who, role):
    expected = role in {"operator", "other_operator", "regional_admin", "superuser"}
    assert who(role).has_perm("providers.list_registry") is expected


@pytest.mark.parametrize("role", ROLES)
def test_anyone_may_apply(who, role):
    assert who(role).has_perm("providers.apply")


@pytest.mark.parametrize(
    ("role", "sees_pending"),
    [
        ("anonymous", False),
        ("parent", False),
        ("stranger_admin", False),
        ("member", True),
        ("admin", True),
        ("operator", True),
        ("other_operator", False),
        ("regional_admin", True),
        ("payer", True),
        ("superuser", True),
    ],
)
def test_providers_under_review_are_seen_only_by_their_people(who, provider, role, sees_pending):
    user = who(role)
    provider.status = Provider.Status.UNDER_REVIEW
    provider.save()
    assert Provider.objects.for_user(user).filter(pk=provider.pk).exists() is sees_pending
    # A registry provider is public.
    public = ProviderFactory(municipality=provider.municipality)
    assert Provider.objects.for_user(user).filter(pk=public.pk).exists()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("anonymous", set()),
        ("parent", set()),
        ("stranger_admin", {"stranger_admin"}),
        ("member", {"member"}),
        ("admin", {"admin", "member"}),
        ("operator", {"admin", "member", "stranger_admin"}),
        ("other_operator", set()),
        ("regional_admin", {"admin", "member", "stranger_admin"}),
        ("superuser", {"admin", "member", "stranger_admin"}),
    ],
)
def test_staff_rows_scope(who, request, role, sees):
    names = {request.getfixturevalue(n).pk: n for n in ("admin", "member", "stranger_admin")}
    visible = ProviderStaff.objects.for_user(who(role)).values_list("user_id", flat=True)
    assert {names[pk] for pk in visible} == sees


def test_deactivated_admin_loses_the_admin_rights(provider, admin):
    ProviderStaff.objects.filter(user=admin).update(is_active=False)
    assert not admin.has_perm("providers.change_provider", provider)
    assert not ProviderStaff.objects.for_user(admin).exclude(user=admin).exists()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("anonymous", False),
        ("parent", True),
        ("admin", True),
        ("operator", True),
    ],
)
def test_enrolment_limits_scope(who, provider, role, sees):
    period = FinancingPeriodFactory(municipality=provider.municipality)
    EnrolmentLimit.objects.create(provider=provider, period=period, max_children=5)
    assert EnrolmentLimit.objects.for_user(who(role)).exists() is sees

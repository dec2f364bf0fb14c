"""Permission predicates of accounts (django-rules)."""

import rules

from pfdo.accounts.roles import Role


def _role_predicate(role: str, name: str):
    @rules.predicate(name=name)
    def check(user) -> bool:
        return bool(user and user.is_authenticated and user.has_role(role))

    return check


is_parent = _role_predicate(Role.PARENT, "is_parent")
is_provider_staff = _role_predicate(Role.PROVIDER_STAFF, "is_provider_staff")
is_operator = _role_predicate(Role.OPERATOR, "is_operator")
is_payer = _role_predicate(Role.PAYER, "is_payer")
is_expert = _role_predicate(Role.EXPERT, "is_expert")
is_regional_admin = _role_predicate(Role.REGIONAL_ADMIN, "is_regional_admin")


@rules.predicate
def is_self(user, target) -> bool:
    return target is not None and user.pk == target.pk


@rules.predicate
def in_admin_scope(user, target) -> bool:
    """`target` is a user in the operator's municipality or the administrator's region."""
    if target is None or not user.is_authenticated:
        return False
    return type(target).objects.for_user(user).filter(pk=target.pk).exists()


is_user_administrator = is_operator | is_regional_admin | rules.is_superuser

rules.add_perm("accounts.view_user", rules.is_authenticated & (is_self | in_admin_scope))
rules.add_perm("accounts.list_users", is_user_administrator)
rules.add_perm("accounts.issue_password", is_user_administrator & in_admin_scope & ~is_self)
rules.add_perm("accounts.change_own_password", rules.is_authenticated)

"""Permission predicates of the audit log (django-rules)."""

import rules


@rules.predicate
def is_auditor(user) -> bool:
    """Operators, regional administrators and superusers read their scope's logs."""
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or user.has_role("operator", "regional_admin")


rules.add_perm("audit.view_actionlog", rules.is_authenticated)
rules.add_perm("audit.view_scope_actionlog", is_auditor)
rules.add_perm("audit.view_personaldataaccess", is_auditor)

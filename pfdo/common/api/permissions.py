"""DRF permission on `rules` predicates: the viewset names a permission per action."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class RulesPermission(BasePermission):
    """Checks `view.permission_map[action]` (a `rules` permission name) for the user.

    An action without an entry is refused, so a new action cannot be opened by accident.
    The object-level check passes the object to `rules`, where predicates decide by owner.
    It asks `User.has_perm`, which admits a superuser at this gate; the service then asks
    the rule itself through `authz.authorize` (a superuser who is not a party gets 404 there).
    A value of None means "anyone, including anonymous" (public reads).
    """

    def _perm(self, view) -> tuple[bool, str | None]:
        permission_map = getattr(view, "permission_map", {})
        action = getattr(view, "action", None)
        if action is None and hasattr(view, "action_map"):
            # A method the route does not serve: let DRF answer 405, not 401/403.
            return True, None
        if action == "metadata":
            # OPTIONS describes the endpoint, as the public schema does; it changes nothing.
            return True, None
        action = action or view.request.method.lower()
        if action not in permission_map:
            return False, None
        return True, permission_map[action]

    def has_permission(self, request, view) -> bool:
        known, perm = self._perm(view)
        if not known:
            return False
        if perm is None:
            return True
        return bool(request.user and request.user.has_perm(perm))

    def has_object_permission(self, request, view, obj) -> bool:
        known, perm = self._perm(view)
        if not known:
            return False
        if perm is None:
            return True
        return bool(request.user and request.user.has_perm(perm, obj))

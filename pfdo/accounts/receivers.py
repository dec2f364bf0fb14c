"""Login events into the audit log (events only: no business rules here)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pfdo.audit import services as audit


@receiver(user_logged_in, dispatch_uid="pfdo_audit_login")
def on_login(sender, request, user, **kwargs):
    audit.record(actor=user, action="accounts.login", obj=user)


@receiver(user_logged_out, dispatch_uid="pfdo_audit_logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action="accounts.logout", obj=user)


@receiver(user_login_failed, dispatch_uid="pfdo_audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # People type passwords or document numbers into the login box: keep the text only
    # when it is a real login.
    typed = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=typed).first() if typed else None
    audit.record(
        actor=None,
        action="accounts.login_failed",
        obj=user,
        details={"login": typed if user else "(неизвестный логин)"},
    )


@receiver(user_locked_out, dispatch_uid="pfdo_audit_locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    audit.record(
        actor=None, action="accounts.locked_out", details={"login": str(username or "")[:150]}
    )

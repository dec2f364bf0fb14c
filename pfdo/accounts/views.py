"""Pages of accounts: login, passwords, the role homes and the operator's user cards."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from rules.contrib.views import PermissionRequiredMixin

from pfdo.accounts import selectors, services
from pfdo.accounts.forms import (
    LoginForm,
    MarkNotificationsReadForm,
    PasswordChangeForm,
    PasswordResetForm,
    ResetSetPasswordForm,
    UserSearchForm,
)
from pfdo.accounts.models import Notification, User
from pfdo.accounts.roles import Role
from pfdo.audit import selectors as audit_selectors
from pfdo.audit import services as audit
from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.http import error_body
from pfdo.common.views import ScopedDetailView, ScopedListView, ServiceFormView, local_next
from pfdo.territory.models import Municipality


def _retry_at(request, username: str):
    """When a locked-out client may try again: its last failure plus the cool-off."""
    ip = request.META.get("REMOTE_ADDR", "")
    last = (
        AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip))
        .order_by("-attempt_time")
        .first()
    )
    base = last.attempt_time if last else clock.now()
    return base + settings.AXES_COOLOFF_TIME


def lockout_response(request, original_response=None, credentials=None):
    """Axes calls this when a login is locked: say when to retry, page or API body."""
    username = ""
    if credentials:
        username = credentials.get("username", "") or ""
    elif request.method == "POST":
        username = request.POST.get("username", "")
    retry_at = _retry_at(request, username)
    minutes = max(1, int((retry_at - clock.now()).total_seconds() // 60) + 1)
    local = timezone.localtime(retry_at)
    message = (
        "Слишком много неудачных попыток входа. Вход для этого логина временно заблокирован. "
        f"Повторите после {local:%H:%M} (примерно через {minutes} мин.) "
        "или восстановите пароль."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body("locked_out", message), status=429, json_dumps_params={"ensure_ascii": False}
        )
        response["Retry-After"] = str(minutes * 60)
        return response
    return render(
        request,
        "accounts/login.html",
        {"form": LoginForm(request, initial={"username": username}), "locked_message": message},
        status=429,
    )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        services.check_login_address()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if any(e.code in ("invalid_login", "inactive") for e in form.non_field_errors().as_data()):
            services.count_login_failure()
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(LoginRequiredMixin, ServiceFormView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_message = "Пароль изменён."

    def perform(self, form):
        user = services.change_password(
            actor=self.request.user,
            user=self.request.user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password"],
        )
        update_session_auth_hash(self.request, user)
        return user

    def get_success_url(self):
        return local_next(self.request, self.request.GET.get("next")) or reverse("accounts:home")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Counted before the letter; over the limit the 429 page (the same whether or not the
        # e-mail has an account: the per-account limit counts the typed address).
        services.count_password_reset(email=form.cleaned_data["email"])
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


ROLE_URLS = {
    Role.PARENT: "accounts:home_parent",
    Role.PROVIDER_STAFF: "accounts:home_provider",
    Role.OPERATOR: "accounts:home_operator",
    Role.PAYER: "accounts:home_payer",
    Role.EXPERT: "accounts:home_expert",
    Role.REGIONAL_ADMIN: "accounts:home_region",
}


class CabinetView(LoginRequiredMixin, View):
    """/cabinet/ opens the home of the user's main role."""

    def get(self, request):
        role = request.user.home_role
        if role:
            return redirect(ROLE_URLS[role])
        if request.user.is_superuser:
            return redirect("accounts:home_admin")
        return render(request, "accounts/home_norole.html")


class RoleHomeView(LoginRequiredMixin, TemplateView):
    role: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.role == "superuser":
            allowed = request.user.is_superuser
        else:
            allowed = request.user.has_role(self.role)
        if not allowed:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        return [f"accounts/home_{self.role}.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["memberships"] = [m for m in user.active_memberships if m.role == self.role]
        ctx["own_actions"] = audit_selectors.actions_for(user, own_only=True)[:8]
        if self.role in (Role.OPERATOR, Role.REGIONAL_ADMIN, "superuser"):
            ctx["scope_actions"] = audit_selectors.actions_for(user)[:10]
        if self.role == Role.OPERATOR:
            ids = user.municipality_ids_for(Role.OPERATOR)
            ctx["role_counts"] = _role_count_rows(ids)
        if self.role == Role.PARENT:
            ctx["unread_count"] = Notification.objects.for_user(user).unread().count()
        if self.role == Role.REGIONAL_ADMIN:
            municipalities = Municipality.objects.filter(
                region_id__in=user.region_ids_for(Role.REGIONAL_ADMIN)
            ).select_related("region")
            counts = selectors.role_counts_by_municipality([m.id for m in municipalities])
            ctx["municipality_rows"] = [
                (m, sum(counts.get(m.id, {}).values())) for m in municipalities
            ]
        return ctx


def _role_count_rows(municipality_ids):
    counts = selectors.role_counts_by_municipality(municipality_ids)
    names = dict(Role.choices)
    rows = []
    for municipality in Municipality.objects.filter(id__in=municipality_ids):
        per_role = counts.get(municipality.id, {})
        rows.append((municipality, [(names[r], per_role.get(r, 0)) for r in Role.values]))
    return rows


class UserListView(PermissionRequiredMixin, ScopedListView):
    """Operators and administrators: the users in their scope (no personal documents)."""

    model = User
    permission_required = "accounts.list_users"
    template_name = "accounts/user_list.html"
    context_object_name = "users"

    def get_queryset(self):
        self.search_form = UserSearchForm(self.request.GET or None)
        query = self.search_form.cleaned_data["q"] if self.search_form.is_valid() else ""
        return selectors.users_visible_to(self.request.user, query=query)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["search_form"] = self.search_form
        return ctx


class UserDetailView(PermissionRequiredMixin, ScopedDetailView):
    """A user's card; every view of it is written to the personal-data access log."""

    model = User
    permission_required = "accounts.view_user"
    template_name = "accounts/user_detail.html"
    context_object_name = "person"

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("memberships__municipality", "memberships__region")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        person = self.object
        if person.pk != self.request.user.pk:
            memberships = list(person.memberships.all())
            audit.log_personal_data_access(
                actor=self.request.user,
                subject=person,
                purpose="view_user_card",
                municipality=next((m.municipality for m in memberships if m.municipality_id), None),
            )
        ctx["can_issue_password"] = can(self.request.user, "accounts.issue_password", person)
        return ctx


class IssuePasswordView(LoginRequiredMixin, View):
    """An operator gives a user a new one-time password, shown once on a printable page.

    The password is rendered into this response only; it is stored nowhere in plain text.
    """

    def post(self, request, pk):
        person = get_object_or_404(User.objects.for_user(request.user), pk=pk)
        if not can(request.user, "accounts.issue_password", person):
            raise PermissionDenied
        issued = services.issue_password(actor=request.user, user=person)
        return render(
            request, "accounts/password_issued.html", {"person": person, "issued_password": issued}
        )


class NotificationListView(LoginRequiredMixin, ScopedListView):
    """/cabinet/notifications/: the signed-in user's own notifications, newest first.

    Opening the list marks nothing read: a GET stays safe to repeat (a prefetching browser,
    a reload), and a notification a parent only glanced at on the phone keeps its highlight
    until they press "отметить прочитанными" (all, or one by one).
    """

    model = Notification
    paginate_by = 20
    template_name = "accounts/notifications.html"
    context_object_name = "notifications"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["unread_count"] = Notification.objects.for_user(self.request.user).unread().count()
        return ctx


class MarkNotificationsReadView(LoginRequiredMixin, View):
    """POST: mark the user's notifications read (the given ids, or all unread ones)."""

    def post(self, request):
        form = MarkNotificationsReadForm(request.POST)
        target = reverse("accounts:notifications")
        if not form.is_valid():
            messages.error(request, "Не удалось разобрать запрос: обновите страницу.")
            return redirect(target)
        ids = form.cleaned_data["id"] or None
        marked = services.mark_notifications_read(user=request.user, ids=ids)
        if ids is None:
            messages.success(request, "Все уведомления отмечены прочитанными.")
        elif marked:
            messages.success(request, "Уведомление отмечено прочитанным.")
        page = form.cleaned_data.get("page")
        return redirect(f"{target}?page={page}" if page and page > 1 else target)

"""Forms of login and passwords (Russian labels and messages)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.template import loader

from pfdo.accounts import services

INVALID_LOGIN = "Неверный логин или пароль. Проверьте раскладку клавиатуры и Caps Lock."


class LoginForm(auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        label="Логин",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Пароль",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    # One message whether or not the login exists, so logins cannot be probed.
    error_messages = {"invalid_login": INVALID_LOGIN, "inactive": INVALID_LOGIN}


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Текущий пароль",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label="Новый пароль",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Не короче 8 символов, не только цифры, не похож на логин.",
    )
    new_password2 = forms.CharField(
        label="Новый пароль ещё раз",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "Пароли не совпадают.")
        return data


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label="Электронная почта",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """The letter goes through a task (a worker with a broker): the page does not wait for
        the mail server. It has no outbox row: the link in it is a key to the account."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        services.send_letter(subject=subject, body=body, to=to_email)


class ResetSetPasswordForm(auth_forms.SetPasswordForm):
    """Sets the password through the accounts service (audit, issued-password flag)."""

    def save(self, commit=True):
        return services.reset_password(
            user=self.user, new_password=self.cleaned_data["new_password1"]
        )


class UserSearchForm(forms.Form):
    q = forms.CharField(label="Поиск", required=False, max_length=100)


class IdListField(forms.MultipleChoiceField):
    """Integer ids posted as repeated fields; whose they are is checked by the service."""

    widget = forms.MultipleHiddenInput

    def valid_value(self, value):
        text = str(value)
        return text.isascii() and text.isdigit() and len(text) <= 18

    def clean(self, value):
        return [int(v) for v in super().clean(value)]


class MarkNotificationsReadForm(forms.Form):
    """Which notifications to mark read: the listed ids, or all unread ones when none."""

    id = IdListField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

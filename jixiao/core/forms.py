"""Forms of the account, sign-up, user-management and token pages."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from jixiao.core.models import Role, User

COMMON_TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


def time_zone_choices(blank_label: str | None = None) -> list[tuple[str, str]]:
    """Common zones first, then every other IANA zone in alphabetical order."""
    others = sorted(zoneinfo.available_timezones() - set(COMMON_TIME_ZONES))
    choices = [(tz, tz) for tz in (*COMMON_TIME_ZONES, *others)]
    if blank_label is not None:
        choices.insert(0, ("", blank_label))
    return choices


def _set_choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


COMPANY_ROLE_CHOICES = [
    (Role.EMPLOYEE.value, Role.EMPLOYEE.label),
    (Role.MANAGER.value, Role.MANAGER.label),
    (Role.EXECUTIVE.value, Role.EXECUTIVE.label),
    (Role.HR_ADMIN.value, Role.HR_ADMIN.label),
]


class LoginForm(AuthenticationForm):
    """Username or email; refuses users of a suspended company with a clear reason."""

    error_messages = {
        "invalid_login": _("用户名/邮箱或密码不正确。"),
        "inactive": _("该账号已停用，请联系公司的 HR 管理员。"),
        "company_suspended": _("你所在公司的账号已被平台停用，暂时无法登录。请联系平台管理员。"),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        company = user.company
        if company is not None and not company.is_active:
            raise forms.ValidationError(
                self.error_messages["company_suspended"], code="company_suspended"
            )


class SignupForm(forms.Form):
    company_name = forms.CharField(label=_("公司名称"), max_length=200)
    admin_name = forms.CharField(label=_("你的姓名"), max_length=100)
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("只能包含字母、数字和 @/./+/-/_ 。")},
    )
    email = forms.EmailField(label=_("邮箱"))
    time_zone = forms.ChoiceField(label=_("公司时区"), initial="Asia/Shanghai")
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["time_zone"], time_zone_choices())
        for name, autocomplete in (
            ("username", "username"),
            ("email", "email"),
            ("password1", "new-password"),
            ("password2", "new-password"),
            ("company_name", "organization"),
            ("admin_name", "name"),
        ):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif p1:
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("显示名"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("语言"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("时区"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["time_zone"], time_zone_choices(str(_("跟随工作地点/公司"))))


class InviteForm(forms.Form):
    employee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("员工"),
        queryset=None,  # type: ignore[arg-type]
    )
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("只能包含字母、数字和 @/./+/-/_ 。")},
    )
    email = forms.EmailField(label=_("邮箱"))
    role = forms.ChoiceField(label=_("角色"), choices=COMPANY_ROLE_CHOICES)

    def __init__(self, *args: Any, employees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["employee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = employees


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=COMPANY_ROLE_CHOICES)
    reason = forms.CharField(label=_("原因"), max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    expires_on = forms.DateField(
        label=_("过期日期（可不填）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

"""Forms for the preferences page and the group robot settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jixiao.notifications.models import Category, WebhookChannel, WebhookPlatform
from jixiao.notifications.selectors import Preferences


class PreferencesForm(forms.Form):
    """Two checkboxes per category (email, group robot) and the quiet hours."""

    quiet_enabled = forms.BooleanField(label=_("启用免打扰"), required=False)
    quiet_start = forms.TimeField(
        label=_("免打扰开始"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("免打扰结束"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args: Any, preferences: Preferences, **kwargs: Any) -> None:
        initial = {
            "quiet_enabled": preferences.quiet_enabled,
            "quiet_start": preferences.quiet_start,
            "quiet_end": preferences.quiet_end,
        }
        for choice in preferences.categories:
            initial[f"email_{choice.category}"] = choice.email
            initial[f"webhook_{choice.category}"] = choice.webhook
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.rows: list[dict[str, Any]] = []
        for choice in preferences.categories:
            email_name, webhook_name = f"email_{choice.category}", f"webhook_{choice.category}"
            self.fields[email_name] = forms.BooleanField(
                label=_("%(category)s · 邮件") % {"category": choice.label}, required=False
            )
            self.fields[webhook_name] = forms.BooleanField(
                label=_("%(category)s · 群机器人") % {"category": choice.label}, required=False
            )
            self.rows.append(
                {
                    "category": choice.category,
                    "label": choice.label,
                    "email": self[email_name],
                    "webhook": self[webhook_name],
                }
            )

    def channel_choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            category: (
                bool(self.cleaned_data.get(f"email_{category}")),
                bool(self.cleaned_data.get(f"webhook_{category}")),
            )
            for category in Category.values
        }


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    platform = forms.ChoiceField(label=_("平台"), choices=WebhookPlatform.choices)
    url = forms.CharField(
        label=_("Webhook 地址"),
        max_length=1000,
        help_text=_(
            "在群设置 → 机器人中复制。钉钉、企业微信的地址里含有令牌，保存后只显示打码的部分。"
        ),
    )
    secret = forms.CharField(
        label=_("加签密钥"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("钉钉“加签”或飞书“签名校验”的密钥；企业微信不需要。"),
    )
    clear_secret = forms.BooleanField(label=_("取消加签"), required=False)
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)
    categories = forms.MultipleChoiceField(
        label=_("接收的通知类别"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, channel: WebhookChannel | None = None, **kwargs: Any) -> None:
        if channel is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": channel.name,
                    "platform": channel.platform,
                    "enabled": channel.enabled,
                    "categories": list(channel.categories or []),
                },
            )
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel is None:
            del self.fields["clear_secret"]
        else:
            self.fields["url"].required = False
            self.fields["url"].help_text = _("当前：%(url)s。留空则保持不变。") % {
                "url": channel.url_masked
            }
            self.fields["secret"].help_text = (
                _("当前：%(secret)s。留空则保持不变。") % {"secret": channel.secret_masked}
                if channel.secret
                else _("当前未加签。")
            )

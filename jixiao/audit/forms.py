"""The audit list's filter form (also used by the XLSX export)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jixiao.audit.selectors import AuditFilters, audit_actor_choices


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.TypedChoiceField(label=_("操作人"), required=False, coerce=int, empty_value=None)
    action = forms.CharField(
        label=_("动作"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("如 org.employee.update 或 org.*")}),
    )
    object_type = forms.CharField(
        label=_("对象类型"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "audit-object-types"}),
    )
    object_id = forms.CharField(label=_("对象ID"), required=False, max_length=64)
    q = forms.CharField(
        label=_("搜索对象或原因"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("全部"))]
        choices += [(u.pk, f"{u} ({u.username})") for u in audit_actor_choices(viewer=viewer)]
        self.fields["actor"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return cleaned

    def filters(self) -> AuditFilters:
        """The valid filters; an invalid field is ignored rather than failing the list."""
        if not self.is_bound:
            return AuditFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return AuditFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            actor_id=data.get("actor"),
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            q=data.get("q") or "",
        )

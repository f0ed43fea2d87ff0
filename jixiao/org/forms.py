"""Forms of the org pages. They parse and display; the services validate and write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmployeeStatus,
    EmploymentChange,
    EmploymentType,
    JobFamily,
    Position,
    Tag,
    WorkingHourSystem,
    WorkLocation,
)
from jixiao.org.selectors import SORTS, EmployeeFilters, department_options

BLANK: list[tuple[str, Any]] = [("", "—")]


def department_choices(viewer: Any) -> list[tuple[str, str]]:
    """Departments as an indented list in tree order."""
    return [(str(pk), "\u3000" * depth + name) for pk, name, depth in department_options(viewer)]


def apply_service_error(
    form: forms.Form, exc: ServiceError, names: Mapping[str, str] | None = None
) -> None:
    """Show a service's field errors on the form fields they belong to."""
    names = names or {}
    placed = False
    for key, messages in exc.fields.items():
        name = names.get(key, key)
        if name.startswith("custom_fields."):
            name = "cf_" + name.removeprefix("custom_fields.")
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed or not exc.fields:
        form.add_error(None, exc.message)


class DateInput(forms.DateInput):
    input_type = "date"


@dataclass
class Control:
    """One bound field as plain values: a template draws it without widget templates.

    Rendering a choice widget through Django's templates costs one template per option
    (plus one for its attributes); a list page with a few hundred departments spent most
    of its time there. ``kind`` is "input", "checkbox", "select" or "checkboxes";
    ``attrs`` holds the rendered attributes other than ``value``/``checked`` (for a
    checkbox group: those of the wrapping element, ``option_attrs`` those of each box);
    each option is ``(value, label, selected, id)`` (``id`` only for checkbox groups);
    a select's options are also drawn once, as ``options_html``.
    """

    name: str
    kind: str
    label: str
    label_for: str
    attrs: SafeString
    option_attrs: SafeString = field(default_factory=SafeString)
    options_html: SafeString = field(default_factory=SafeString)
    value: str | None = None
    checked: bool = False
    hidden: bool = False
    wide: bool = False
    options: list[tuple[str, str, bool, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _attrs(attrs: Mapping[str, Any]) -> SafeString:
    """HTML attributes in the given order, like a widget's: ``True`` bare, ``False``/``None``
    left out."""
    pairs = [(k, v) for k, v in attrs.items() if v is not True and v is not False and v is not None]
    bare = [(k,) for k, v in attrs.items() if v is True]
    return format_html(
        "{}{}", format_html_join("", ' {}="{}"', pairs), format_html_join("", " {}", bare)
    )


_SELECTED = SafeString(" selected")


def _plain_choices(choices: Iterable[Any]) -> list[tuple[str, str]]:
    result = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            raise TypeError("grouped choices are not supported by plain controls")
        result.append(("" if value is None else str(value), str(label)))
    return result


def plain_controls(form: forms.Form, names: Sequence[str]) -> list[Control]:
    """The named fields of a form as ``Control`` values, drawn by org/_controls.html.

    The values, ids, attributes and selected options are what Django's widgets would
    render (the same ``format_value``/``check_test``/attribute logic); only the
    templates are skipped. Widgets other than the plain ones raise ``TypeError``.
    """
    controls = []
    for name in names:
        bf = form[name]
        widget = bf.field.widget
        attrs = bf.build_widget_attrs(widget.attrs)
        if bf.auto_id and "id" not in widget.attrs:
            attrs.setdefault("id", bf.auto_id)
        value = bf.value()
        control = Control(
            name=name,
            kind="input",
            label=str(bf.label),
            label_for=bf.id_for_label,
            attrs=SafeString(""),
            hidden=widget.is_hidden,
            errors=[str(e) for e in bf.errors],
        )
        if isinstance(widget, forms.CheckboxSelectMultiple):
            selected = set(widget.format_value(value))
            base = attrs.get("id", "")
            control.kind = "checkboxes"
            control.wide = True
            control.options = [
                (v, label, v in selected, f"{base}_{index}" if base else "")
                for index, (v, label) in enumerate(_plain_choices(widget.choices))
            ]
            outer: dict[str, Any] = {"id": base} if base else {}
            if "class" in attrs:
                outer["class"] = attrs["class"]
            control.attrs = _attrs(outer)
            option_attrs = {k: v for k, v in attrs.items() if k != "id"}
            control.option_attrs = _attrs(
                {"type": "checkbox", "name": bf.html_name, **option_attrs}
            )
        elif isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
            wanted = set(widget.format_value(value))
            options = []
            found = False
            for v, label in _plain_choices(widget.choices):
                is_selected = not found and v in wanted
                found = found or is_selected
                options.append((v, label, is_selected, ""))
            control.kind = "select"
            control.options = options
            # Hundreds of departments: one join in Python beats a template loop over them.
            control.options_html = format_html_join(
                "",
                '\n  <option value="{}"{}>{}</option>',
                ((v, _SELECTED if chosen else "", label) for v, label, chosen, _id in options),
            )
            control.attrs = _attrs({"name": bf.html_name, **attrs})
        elif isinstance(widget, forms.CheckboxInput):
            control.kind = "checkbox"
            control.checked = bool(widget.check_test(value))
            control.value = widget.format_value(value)
            control.attrs = _attrs({"type": "checkbox", "name": bf.html_name, **attrs})
        elif isinstance(widget, forms.widgets.Input) and not isinstance(widget, forms.FileInput):
            control.value = widget.format_value(value)
            control.attrs = _attrs({"type": widget.input_type, "name": bf.html_name, **attrs})
        else:
            raise TypeError(f"{type(widget).__name__} has no plain control")
        controls.append(control)
    return controls


class EmployeeFilterForm(forms.Form):
    """The list's filters, read from the query string."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("姓名、工号或邮箱")}),
    )
    department = forms.TypedChoiceField(
        label=_("部门"), required=False, coerce=int, empty_value=None
    )
    include_subdepartments = forms.BooleanField(label=_("含下级部门"), required=False, initial=True)
    status = forms.MultipleChoiceField(
        label=_("状态"),
        required=False,
        choices=EmployeeStatus.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-group"}),
    )
    job_family = forms.ChoiceField(
        label=_("岗位序列"), required=False, choices=BLANK + JobFamily.choices
    )
    employment_type = forms.ChoiceField(
        label=_("用工类型"), required=False, choices=BLANK + EmploymentType.choices
    )
    working_hour_system = forms.ChoiceField(
        label=_("工时制度"), required=False, choices=BLANK + WorkingHourSystem.choices
    )
    tag = forms.TypedChoiceField(label=_("标签"), required=False, coerce=int, empty_value=None)
    custom_field = forms.ChoiceField(label=_("自定义字段"), required=False)
    custom_value = forms.CharField(label=_("字段值"), required=False, max_length=100)
    hired_from = forms.DateField(label=_("入职日期从"), required=False, widget=DateInput)
    hired_to = forms.DateField(label=_("至"), required=False, widget=DateInput)
    sort = forms.ChoiceField(
        required=False, choices=[(k, k) for k in SORTS], widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = BLANK + department_choices(viewer)  # type: ignore[attr-defined]
        company_id = viewer.company_id
        self.fields["tag"].choices = BLANK + [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in Tag.objects.filter(company_id=company_id)
        ]
        self.fields["custom_field"].choices = BLANK + [  # type: ignore[attr-defined]
            (f.code, f.label) for f in CustomField.objects.filter(company_id=company_id)
        ]

    def filters(self) -> EmployeeFilters:
        if not self.is_valid():
            return EmployeeFilters()
        data = self.cleaned_data
        # An unticked checkbox is absent from a GET form: without any filter submitted
        # the default (include sub-departments) applies.
        include_sub = data["include_subdepartments"] or "department" not in self.data
        return EmployeeFilters(
            q=data["q"],
            department=data["department"],
            include_subdepartments=include_sub,
            status=list(data["status"]),
            job_family=data["job_family"],
            employment_type=data["employment_type"],
            working_hour_system=data["working_hour_system"],
            tag=data["tag"],
            custom_field=data["custom_field"],
            custom_value=data["custom_value"],
            hired_from=data["hired_from"],
            hired_to=data["hired_to"],
        )

    def sort_value(self) -> str:
        if self.is_valid() and self.cleaned_data["sort"]:
            return str(self.cleaned_data["sort"])
        return "number"


class CustomFieldsMixin:
    """Adds one form field ``cf_<code>`` per custom field definition."""

    fields: dict[str, forms.Field]

    def add_custom_fields(
        self, definitions: Iterable[CustomField], values: Mapping[str, Any]
    ) -> None:
        self.custom_definitions = list(definitions)
        for definition in self.custom_definitions:
            name = f"cf_{definition.code}"
            field: forms.Field
            if definition.field_type == CustomField.Type.NUMBER:
                field = forms.DecimalField(label=definition.label, required=False)
            elif definition.field_type == CustomField.Type.DATE:
                field = forms.DateField(label=definition.label, required=False, widget=DateInput)
            elif definition.field_type == CustomField.Type.CHOICE:
                field = forms.ChoiceField(
                    label=definition.label,
                    required=False,
                    choices=BLANK + [(c, c) for c in definition.choices],
                )
            else:
                field = forms.CharField(label=definition.label, required=False, max_length=500)
            field.widget.attrs["data-required"] = "1" if definition.required else "0"
            if definition.required:
                field.label = f"{definition.label} *"
            field.initial = values.get(definition.code)
            self.fields[name] = field

    def custom_values(self, cleaned: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = cleaned.get(f"cf_{definition.code}")
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            result[definition.code] = value
        return result


class EmployeeForm(CustomFieldsMixin, forms.Form):
    """Create (all fields) or edit (profile fields; effective-dated ones use a change)."""

    TRACKED = (
        "department",
        "manager_number",
        "position",
        "work_location",
        "status",
        "working_hour_system",
        "base_salary",
    )

    employee_number = forms.CharField(label=_("工号"), max_length=40)
    name = forms.CharField(label=_("姓名"), max_length=100)
    english_name = forms.CharField(label=_("英文名"), max_length=100, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    phone = forms.CharField(label=_("手机"), max_length=32, required=False)
    hire_date = forms.DateField(label=_("入职日期"), widget=DateInput)
    probation_end_date = forms.DateField(label=_("试用期结束"), required=False, widget=DateInput)
    leave_start_date = forms.DateField(label=_("休假开始"), required=False, widget=DateInput)
    termination_date = forms.DateField(label=_("离职日期"), required=False, widget=DateInput)
    department = forms.TypedChoiceField(label=_("部门"), coerce=int)
    manager_number = forms.CharField(label=_("直属上级工号"), max_length=40, required=False)
    position = forms.TypedChoiceField(label=_("岗位"), coerce=int, required=False, empty_value=None)
    work_location = forms.TypedChoiceField(
        label=_("工作地点"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(label=_("状态"), choices=EmployeeStatus.choices, initial="active")
    employment_type = forms.ChoiceField(
        label=_("用工类型"), choices=EmploymentType.choices, initial="full_time"
    )
    working_hour_system = forms.ChoiceField(
        label=_("工时制度"), choices=WorkingHourSystem.choices, initial="standard"
    )
    base_salary = forms.DecimalField(
        label=_("月基本工资"), max_digits=12, decimal_places=2, initial=Decimal("0.00")
    )
    tags = forms.TypedMultipleChoiceField(
        label=_("标签"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-group"}),
    )
    reason = forms.CharField(label=_("原因（记入审计）"), max_length=500, required=False)

    def __init__(
        self, *args: Any, viewer: Any, employee: Employee | None = None, **kwargs: Any
    ) -> None:
        if employee is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "employee_number": employee.employee_number,
                "name": employee.name,
                "english_name": employee.english_name,
                "email": employee.email,
                "phone": employee.phone,
                "hire_date": employee.hire_date,
                "probation_end_date": employee.probation_end_date,
                "leave_start_date": employee.leave_start_date,
                "termination_date": employee.termination_date,
                "employment_type": employee.employment_type,
                "tags": [t.pk for t in employee.tags.all()],
            }
        super().__init__(*args, **kwargs)
        self.employee = employee
        company_id = viewer.company_id
        self.company_id = company_id
        if employee is not None:
            for name in self.TRACKED:
                del self.fields[name]
        else:
            self.fields["department"].choices = BLANK + department_choices(viewer)  # type: ignore[attr-defined]
            self.fields["position"].choices = BLANK + [  # type: ignore[attr-defined]
                (str(p.pk), p.name) for p in Position.objects.filter(company_id=company_id)
            ]
            self.fields["work_location"].choices = BLANK + [  # type: ignore[attr-defined]
                (str(w.pk), str(w)) for w in WorkLocation.objects.filter(company_id=company_id)
            ]
        self.fields["tags"].choices = [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in Tag.objects.filter(company_id=company_id)
        ]
        self.add_custom_fields(
            CustomField.objects.filter(company_id=company_id),
            employee.custom_fields if employee is not None else {},
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        number = (cleaned.get("manager_number") or "").strip()
        cleaned["manager"] = None
        if "manager_number" in self.fields and number:
            cleaned["manager"] = Employee.objects.filter(
                company_id=self.company_id, employee_number=number
            ).first()
            if cleaned["manager"] is None:
                self.add_error("manager_number", _("没有工号为该值的员工。"))
        return cleaned

    def service_values(self, company: Company) -> dict[str, Any]:
        """The cleaned data as keyword arguments of ``employee_create``/``employee_update``."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            key: data[key]
            for key in (
                "employee_number",
                "name",
                "english_name",
                "email",
                "phone",
                "hire_date",
                "probation_end_date",
                "leave_start_date",
                "termination_date",
                "employment_type",
            )
        }
        values["tags"] = list(Tag.objects.filter(company=company, pk__in=data["tags"]))
        values["custom_fields"] = self.custom_values(data)
        if self.employee is None:
            values["department"] = Department.objects.filter(
                company=company, pk=data["department"]
            ).first()
            values["position"] = (
                Position.objects.filter(company=company, pk=data["position"]).first()
                if data["position"]
                else None
            )
            values["work_location"] = (
                WorkLocation.objects.filter(company=company, pk=data["work_location"]).first()
                if data["work_location"]
                else None
            )
            values["manager"] = data.get("manager")
            for key in ("status", "working_hour_system", "base_salary"):
                values[key] = data[key]
        return values


class EmploymentChangeForm(forms.Form):
    """An effective-dated change: which field, its new value, from when and why."""

    VALUE_FIELDS = {
        "department": "department",
        "manager": "manager_number",
        "position": "position",
        "base_salary": "base_salary",
        "work_location": "work_location",
        "status": "status",
        "working_hour_system": "working_hour_system",
    }

    field = forms.ChoiceField(label=_("变更项"), choices=EmploymentChange.Field.choices)
    department = forms.ChoiceField(label=_("新部门"), required=False)
    manager_number = forms.CharField(
        label=_("新直属上级工号（留空表示无上级）"), max_length=40, required=False
    )
    position = forms.ChoiceField(label=_("新岗位"), required=False)
    base_salary = forms.DecimalField(
        label=_("新月基本工资"), max_digits=12, decimal_places=2, required=False
    )
    work_location = forms.ChoiceField(label=_("新工作地点"), required=False)
    status = forms.ChoiceField(
        label=_("新状态"), choices=BLANK + EmployeeStatus.choices, required=False
    )
    working_hour_system = forms.ChoiceField(
        label=_("新工时制度"), choices=BLANK + WorkingHourSystem.choices, required=False
    )
    effective_date = forms.DateField(label=_("生效日期"), widget=DateInput)
    reason = forms.CharField(label=_("原因"), max_length=500)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        company_id = viewer.company_id
        self.fields["department"].choices = BLANK + department_choices(viewer)  # type: ignore[attr-defined]
        self.fields["position"].choices = BLANK + [  # type: ignore[attr-defined]
            (str(p.pk), p.name) for p in Position.objects.filter(company_id=company_id)
        ]
        self.fields["work_location"].choices = BLANK + [  # type: ignore[attr-defined]
            (str(w.pk), str(w)) for w in WorkLocation.objects.filter(company_id=company_id)
        ]
        self.company_id = company_id
        for name in self.VALUE_FIELDS.values():
            self.fields[name].widget.attrs["data-change-value"] = name

    def value_field(self) -> str:
        return self.VALUE_FIELDS.get(self.cleaned_data.get("field", ""), "department")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        field = cleaned.get("field")
        if not field:
            return cleaned
        name = self.VALUE_FIELDS[field]
        raw = cleaned.get(name)
        if field == "manager":
            number = (raw or "").strip()
            if number:
                manager = Employee.objects.filter(
                    company_id=self.company_id, employee_number=number
                ).first()
                if manager is None:
                    self.add_error(name, _("没有工号为该值的员工。"))
                cleaned["value"] = manager
            else:
                cleaned["value"] = None
        elif raw in (None, "") and field not in ("position", "work_location"):
            self.add_error(name, _("请填写新值。"))
        else:
            cleaned["value"] = raw if raw != "" else None
        return cleaned


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("部门名称"), max_length=100)
    code = forms.CharField(label=_("部门编码"), max_length=40, required=False)
    parent = forms.TypedChoiceField(
        label=_("上级部门"), required=False, coerce=int, empty_value=None
    )
    head_number = forms.CharField(label=_("负责人工号"), max_length=40, required=False)
    sort_order = forms.IntegerField(
        label=_("排序"), min_value=0, max_value=1_000_000, initial=0, required=False
    )
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("（顶级）")), *department_choices(viewer)]  # type: ignore[attr-defined]


class PositionForm(forms.Form):
    name = forms.CharField(label=_("岗位名称"), max_length=100)
    job_family = forms.ChoiceField(label=_("岗位序列"), choices=JobFamily.choices)
    description = forms.CharField(
        label=_("岗位说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WorkLocationForm(forms.Form):
    name = forms.CharField(label=_("地点名称"), max_length=100)
    country = forms.CharField(label=_("国家/地区代码"), max_length=2, initial="CN")
    city = forms.CharField(label=_("城市"), max_length=100, required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    time_zone = forms.CharField(label=_("时区（IANA）"), max_length=64, initial="Asia/Shanghai")
    latitude = forms.DecimalField(label=_("纬度"), required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label=_("经度"), required=False, max_digits=9, decimal_places=6)
    geofence_radius_m = forms.IntegerField(
        label=_("打卡范围（米）"), initial=300, min_value=10, max_value=100_000
    )


class TagForm(forms.Form):
    name = forms.CharField(label=_("标签"), max_length=50)


class CustomFieldForm(forms.Form):
    code = forms.CharField(label=_("字段编码"), max_length=40)
    label = forms.CharField(label=_("字段名称"), max_length=100)
    field_type = forms.ChoiceField(label=_("类型"), choices=CustomField.Type.choices)
    choices = forms.CharField(
        label=_("可选值（每行一个）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    required = forms.BooleanField(label=_("必填"), required=False)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, max_value=1_000_000, initial=0)

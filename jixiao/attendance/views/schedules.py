"""Working-hour rules, shift types, rotations and assignments (HR); the roster editor
(managers and HR); my roster and shift-swap requests (everyone).

Thin: forms parse, selectors read, services write; a ``ServiceError`` becomes
field errors on the form it came from. Another company's ids are 404.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.attendance import presets
from jixiao.attendance.models import (
    RotationPattern,
    ScheduleAssignment,
    ShiftSwapRequest,
    ShiftType,
    SystemChoice,
    WorkSchedule,
)
from jixiao.attendance.selectors import schedules as selectors
from jixiao.attendance.services import schedules as services
from jixiao.core.api_errors import ServiceError
from jixiao.org.forms import apply_service_error
from jixiao.org.models import Department, Employee
from jixiao.org.selectors import department_options


def _member(request: HttpRequest) -> Any:
    if not request.user.has_perm("attendance.view_roster"):
        raise PermissionDenied
    return request.user


def _admin(request: HttpRequest) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


def _own(request: HttpRequest, model: type[Model], pk: int | str | None) -> Any:
    viewer = _member(request)
    try:
        key = int(pk) if pk not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        key = None
    obj = model._default_manager.filter(company_id=viewer.company_id, pk=key).first()
    if obj is None:
        raise Http404
    return obj


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Text formats for blocks and rotations ------------------------------------------------

_BLOCK_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~至到]\s*(\d{1,2}:\d{2})\s*$")
OFF_MARKS = {"", "-", "休", "off", "OFF", "0"}


def blocks_text(blocks: list[list[str]] | None) -> str:
    return ", ".join(f"{a}-{b}" for a, b in blocks or [])


def blocks_from_text(text: str, field_label: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-18:00" → [["09:00","12:00"], ["13:00","18:00"]]."""
    pairs: list[list[str]] = []
    for part in re.split(r"[,，;；\n]+", text or ""):
        if not part.strip():
            continue
        match = _BLOCK_RE.match(part)
        if match is None:
            raise forms.ValidationError(
                _("%(label)s“%(part)s”格式不对，请写成 09:00-18:00，多段用逗号分隔。")
                % {"label": field_label, "part": part.strip()}
            )
        pairs.append([match.group(1).zfill(5), match.group(2).zfill(5)])
    return pairs


class BlocksField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "09:00-12:00, 13:00-18:00"})
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        return blocks_from_text(super().to_python(value) or "", str(self.label))

    def prepare_value(self, value: Any) -> Any:
        return blocks_text(value) if isinstance(value, list) else value


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"


# --- Working-hour rules ------------------------------------------------------------------

#: Which groups of the form each system shows (the JS hides the rest; without JS all show).
SCHEDULE_GROUPS: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (gettext_lazy("基本信息"), ("name", "system"), ()),
    (
        gettext_lazy("上班时段"),
        ("blocks", "breaks", "grace_late_minutes", "grace_early_minutes"),
        ("standard", "comprehensive"),
    ),
    (
        gettext_lazy("弹性与核心时间"),
        ("core_start", "core_end", "flex_earliest", "flex_latest"),
        ("flexible",),
    ),
    (gettext_lazy("每日时长"), ("daily_minutes",), ("flexible", "comprehensive", "unfixed")),
    (
        gettext_lazy("迟到早退宽限"),
        ("shift_grace_late", "shift_grace_early"),
        ("shift", "flexible"),
    ),
    (gettext_lazy("综合计算周期"), ("period", "period_standard_minutes"), ("comprehensive",)),
    (
        gettext_lazy("加班、夜班与调休"),
        (
            "overtime_requires_approval",
            "overtime_min_minutes",
            "rest_day_comp_leave",
            "unfixed_statutory_holiday_pay",
            "night_start",
            "night_end",
            "night_allowance_per_hour",
            "day_boundary",
            "punch_required",
        ),
        (),
    ),
    (gettext_lazy("修改原因"), ("reason",), ()),
)


class ScheduleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    system = forms.ChoiceField(
        label=gettext_lazy("工时制度"),
        choices=SystemChoice.choices,
        widget=forms.Select(attrs={"data-schedule-system": "1"}),
    )
    blocks = BlocksField(label=gettext_lazy("上班时段"))
    breaks = BlocksField(label=gettext_lazy("休息时段"))
    grace_late_minutes = forms.IntegerField(
        label=gettext_lazy("迟到宽限（分钟）"), min_value=0, max_value=1440, initial=5
    )
    grace_early_minutes = forms.IntegerField(
        label=gettext_lazy("早退宽限（分钟）"), min_value=0, max_value=1440, initial=0
    )
    shift_grace_late = forms.IntegerField(
        label=gettext_lazy("迟到宽限（分钟）"), min_value=0, max_value=1440, required=False
    )
    shift_grace_early = forms.IntegerField(
        label=gettext_lazy("早退宽限（分钟）"), min_value=0, max_value=1440, required=False
    )
    core_start = forms.TimeField(
        label=gettext_lazy("核心时间开始"), required=False, widget=TimeInput()
    )
    core_end = forms.TimeField(
        label=gettext_lazy("核心时间结束"), required=False, widget=TimeInput()
    )
    flex_earliest = forms.TimeField(
        label=gettext_lazy("最早上班"), required=False, widget=TimeInput()
    )
    flex_latest = forms.TimeField(
        label=gettext_lazy("最晚下班"), required=False, widget=TimeInput()
    )
    daily_minutes = forms.IntegerField(
        label=gettext_lazy("每日应出勤（分钟）"), min_value=0, max_value=1440, initial=480
    )
    period = forms.ChoiceField(
        label=gettext_lazy("综合计算周期"),
        choices=[("", "—"), *WorkSchedule.Period.choices],
        required=False,
    )
    period_standard_minutes = forms.IntegerField(
        label=gettext_lazy("周期标准工时（分钟）"),
        min_value=1,
        required=False,
        help_text=gettext_lazy("每月 165.36 小时 = 9922 分钟"),
    )
    overtime_requires_approval = forms.BooleanField(
        label=gettext_lazy("加班需审批"), required=False
    )
    overtime_min_minutes = forms.IntegerField(
        label=gettext_lazy("最短计加班（分钟）"), min_value=0, max_value=1440, initial=30
    )
    rest_day_comp_leave = forms.BooleanField(label=gettext_lazy("休息日加班转调休"), required=False)
    unfixed_statutory_holiday_pay = forms.BooleanField(
        label=gettext_lazy("不定时工时法定节假日按300%计"), required=False
    )
    night_start = forms.TimeField(
        label=gettext_lazy("夜间开始"), initial=dt.time(22), widget=TimeInput()
    )
    night_end = forms.TimeField(
        label=gettext_lazy("夜间结束"), initial=dt.time(6), widget=TimeInput()
    )
    night_allowance_per_hour = forms.DecimalField(
        label=gettext_lazy("夜间补贴（元/小时）"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        initial=0,
    )
    day_boundary = forms.TimeField(
        label=gettext_lazy("跨天分界"), initial=dt.time(4), widget=TimeInput()
    )
    punch_required = forms.BooleanField(
        label=gettext_lazy("需要打卡"), required=False, initial=True
    )
    reason = forms.CharField(label=gettext_lazy("修改原因"), max_length=500, required=False)

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        late, early = data.pop("shift_grace_late"), data.pop("shift_grace_early")
        if data["system"] not in (SystemChoice.STANDARD, SystemChoice.COMPREHENSIVE):
            data["blocks"], data["breaks"] = [], []  # hidden for this system: not its data
        if data["system"] in (SystemChoice.SHIFT, SystemChoice.FLEXIBLE):
            data["grace_late_minutes"] = late if late is not None else data["grace_late_minutes"]
            data["grace_early_minutes"] = (
                early if early is not None else data["grace_early_minutes"]
            )
        return data


def _schedule_initial(schedule: WorkSchedule) -> dict[str, Any]:
    initial = {key: getattr(schedule, key) for key in services.SCHEDULE_FIELDS}
    initial["shift_grace_late"] = schedule.grace_late_minutes
    initial["shift_grace_early"] = schedule.grace_early_minutes
    return initial


def _schedule_groups(form: ScheduleForm) -> list[dict[str, Any]]:
    return [
        {"title": title, "systems": " ".join(systems), "fields": [form[name] for name in names]}
        for title, names, systems in SCHEDULE_GROUPS
    ]


def _schedule_tabs() -> list[tuple[str, str]]:
    return [
        (str(_("工时规则")), reverse("attendance:schedule_list")),
        (str(_("班次")), reverse("attendance:shift_list")),
        (str(_("轮班模式")), reverse("attendance:rotation_list")),
        (str(_("分配")), reverse("attendance:assignment_list")),
        (str(_("考勤规则")), reverse("attendance:policy")),
    ]


def _setup_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"tabs": _schedule_tabs(), "current_url": request.path, **extra}


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    viewer = _admin(request)
    schedules = list(selectors.schedules_for_viewer(viewer))
    in_use = set(
        ScheduleAssignment.objects.filter(company_id=viewer.company_id).values_list(
            "schedule_id", flat=True
        )
    )
    return render(
        request,
        "attendance/schedules/schedule_list.html",
        _setup_context(
            request,
            schedules=[{"obj": s, "in_use": s.pk in in_use} for s in schedules],
            presets=presets.PRESETS,
        ),
    )


@login_required
@require_POST
def preset_copy(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    try:
        copied = presets.preset_copy(
            company=actor.company,
            preset_key=request.POST.get("preset_key", ""),
            name=request.POST.get("name", "")[:100],
            actor=actor,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("attendance:schedule_list")
    messages.success(
        request,
        _("已从模板创建“%(name)s”，请检查并按需调整。") % {"name": copied.schedule.name},
    )
    return redirect("attendance:schedule_edit", pk=copied.schedule.pk)


def _schedule_form_page(
    request: HttpRequest, actor: Any, schedule: WorkSchedule | None
) -> HttpResponse:
    if request.method == "POST":
        form = ScheduleForm(request.POST)
    elif schedule is not None:
        form = ScheduleForm(initial=_schedule_initial(schedule))
    else:
        system = request.GET.get("system", SystemChoice.STANDARD)
        form = ScheduleForm(initial={"system": system, "punch_required": True})
    if request.method == "POST" and form.is_valid():
        try:
            values = form.service_values()
            if schedule is None:
                schedule = services.schedule_create(
                    company=actor.company,
                    actor=actor,
                    reason=form.cleaned_data["reason"],
                    **values,
                )
            else:
                schedule = services.schedule_update(
                    schedule=schedule, actor=actor, reason=form.cleaned_data["reason"], **values
                )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存工时规则“%(name)s”。") % {"name": schedule.name})
            return redirect("attendance:schedule_list")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "attendance/schedules/schedule_form.html",
        _setup_context(request, form=form, groups=_schedule_groups(form), schedule=schedule),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request: HttpRequest) -> HttpResponse:
    return _schedule_form_page(request, _admin(request), None)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _own(request, WorkSchedule, pk)
    return _schedule_form_page(request, _admin(request), schedule)


@login_required
@require_POST
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _own(request, WorkSchedule, pk)
    actor = _admin(request)
    try:
        services.schedule_delete(schedule=schedule, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除。"))
    return redirect("attendance:schedule_list")


# --- Shift types --------------------------------------------------------------------------


class ShiftForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("代码"), max_length=20)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    blocks = BlocksField(
        label=gettext_lazy("上班时段"),
        help_text=gettext_lazy("结束早于开始表示跨夜，如 22:00-06:00；两头班写两段。"),
    )
    breaks = BlocksField(label=gettext_lazy("休息时段"))
    color = forms.CharField(
        label=gettext_lazy("颜色"),
        max_length=7,
        initial="#3b82f6",
        widget=forms.TextInput(attrs={"type": "color"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def shift_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    editing = None
    edit_id = request.POST.get("id") or request.GET.get("edit")
    if edit_id:
        editing = _own(request, ShiftType, edit_id)
    if request.method == "POST":
        form = ShiftForm(request.POST)
    elif editing is not None:
        form = ShiftForm(
            initial={k: getattr(editing, k) for k in ("code", "name", "blocks", "breaks", "color")}
        )
    else:
        form = ShiftForm()
    if request.method == "POST" and form.is_valid():
        try:
            if editing is None:
                services.shift_type_create(company=actor.company, actor=actor, **form.cleaned_data)
            else:
                services.shift_type_update(shift=editing, actor=actor, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存班次。"))
            return redirect("attendance:shift_list")
    status = 422 if request.method == "POST" else 200
    shifts = [
        {"obj": s, "blocks": blocks_text(s.blocks), "breaks": blocks_text(s.breaks)}
        for s in selectors.shift_types_for_viewer(actor)
    ]
    return render(
        request,
        "attendance/schedules/shift_list.html",
        _setup_context(request, form=form, shifts=shifts, editing=editing),
        status=status,
    )


@login_required
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _own(request, ShiftType, pk)
    actor = _admin(request)
    try:
        services.shift_type_delete(shift=shift, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除。"))
    return redirect("attendance:shift_list")


# --- Rotations ------------------------------------------------------------------------------


def sequence_text(sequence: list[str]) -> str:
    return ",".join(code or "休" for code in sequence)


def sequence_from_text(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[,，\s]+", text.strip())] if text.strip() else []
    return ["" if p in OFF_MARKS else p for p in parts]


class RotationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    sequence = forms.CharField(
        label=gettext_lazy("轮班序列"),
        help_text=gettext_lazy("用逗号分隔班次代码，“休”表示休息，如 D,D,N,N,休,休。"),
        max_length=500,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rotation_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    editing = None
    edit_id = request.POST.get("id") or request.GET.get("edit")
    if edit_id:
        editing = _own(request, RotationPattern, edit_id)
    if request.method == "POST":
        form = RotationForm(request.POST)
    elif editing is not None:
        form = RotationForm(
            initial={"name": editing.name, "sequence": sequence_text(editing.sequence)}
        )
    else:
        form = RotationForm()
    if request.method == "POST" and form.is_valid():
        sequence = sequence_from_text(form.cleaned_data["sequence"])
        try:
            if editing is None:
                services.rotation_create(
                    company=actor.company,
                    actor=actor,
                    name=form.cleaned_data["name"],
                    sequence=sequence,
                )
            else:
                services.rotation_update(
                    rotation=editing,
                    actor=actor,
                    name=form.cleaned_data["name"],
                    sequence=sequence,
                )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存轮班模式。"))
            return redirect("attendance:rotation_list")
    status = 422 if request.method == "POST" else 200
    colors = {s.code: s.color for s in selectors.shift_types_for_viewer(actor)}
    rotations = [
        {
            "obj": r,
            "days": [{"code": c or _("休"), "color": colors.get(c, "#e5e7eb")} for c in r.sequence],
        }
        for r in selectors.rotations_for_viewer(actor)
    ]
    return render(
        request,
        "attendance/schedules/rotation_list.html",
        _setup_context(request, form=form, rotations=rotations, editing=editing),
        status=status,
    )


@login_required
@require_POST
def rotation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rotation = _own(request, RotationPattern, pk)
    actor = _admin(request)
    try:
        services.rotation_delete(rotation=rotation, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除。"))
    return redirect("attendance:rotation_list")


# --- Assignments --------------------------------------------------------------------------


class AssignmentForm(forms.Form):
    schedule = forms.TypedChoiceField(label=gettext_lazy("工时规则"), coerce=int)
    target = forms.ChoiceField(
        label=gettext_lazy("分配给"),
        choices=[
            ("department", gettext_lazy("部门（含下级部门）")),
            ("employee", gettext_lazy("员工")),
        ],
        initial="department",
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("部门"), coerce=int, required=False, empty_value=None
    )
    employee_number = forms.CharField(label=gettext_lazy("员工工号"), max_length=40, required=False)
    rotation = forms.TypedChoiceField(
        label=gettext_lazy("轮班模式（排班制）"), coerce=int, required=False, empty_value=None
    )
    rotation_offset = forms.IntegerField(
        label=gettext_lazy("轮班起点偏移（天）"), min_value=0, initial=0
    )
    start_date = forms.DateField(label=gettext_lazy("开始日期"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("结束日期"), required=False, widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=500, required=False)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schedule_field: Any = self.fields["schedule"]
        schedule_field.choices = [(s.pk, s.name) for s in selectors.schedules_for_viewer(viewer)]
        department_field: Any = self.fields["department"]
        department_field.choices = [("", "—")] + [
            (pk, "\u3000" * depth + name) for pk, name, depth in department_options(viewer)
        ]
        rotation_field: Any = self.fields["rotation"]
        rotation_field.choices = [("", "—")] + [
            (r.pk, r.name) for r in selectors.rotations_for_viewer(viewer)
        ]


@login_required
@require_http_methods(["GET", "POST"])
def assignment_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    form = AssignmentForm(request.POST or None, viewer=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        employee = department = None
        if data["target"] == "employee":
            employee = Employee.objects.filter(
                company_id=actor.company_id, employee_number=data["employee_number"].strip()
            ).first()
            if employee is None:
                form.add_error("employee_number", _("找不到该工号的员工。"))
        else:
            department = Department.objects.filter(
                company_id=actor.company_id, pk=data["department"]
            ).first()
            if department is None:
                form.add_error("department", _("请选择部门。"))
        schedule = WorkSchedule.objects.filter(
            company_id=actor.company_id, pk=data["schedule"]
        ).first()
        rotation = (
            RotationPattern.objects.filter(company_id=actor.company_id, pk=data["rotation"]).first()
            if data["rotation"]
            else None
        )
        if not form.errors and schedule is not None:
            try:
                services.assignment_create(
                    company=actor.company,
                    actor=actor,
                    schedule=schedule,
                    employee=employee,
                    department=department,
                    rotation=rotation,
                    rotation_offset=data["rotation_offset"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    reason=data["reason"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc, {"employee": "employee_number"})
            else:
                messages.success(request, _("已保存分配。"))
                return redirect("attendance:assignment_list")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "attendance/schedules/assignment_list.html",
        _setup_context(
            request,
            form=form,
            assignments=list(selectors.assignments_for_viewer(actor)[:500]),
            today=timezone.localdate(),
        ),
        status=status,
    )


@login_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _own(request, ScheduleAssignment, pk)
    actor = _admin(request)
    try:
        end = dt.date.fromisoformat(request.POST.get("end_date", ""))
    except ValueError:
        messages.error(request, _("请填写有效的结束日期。"))
        return redirect("attendance:assignment_list")
    try:
        services.assignment_end(assignment=assignment, end_date=end, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已设置结束日期。"))
    return redirect("attendance:assignment_list")


@login_required
@require_POST
def assignment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _own(request, ScheduleAssignment, pk)
    actor = _admin(request)
    services.assignment_delete(assignment=assignment, actor=actor)
    messages.success(request, _("已删除。"))
    return redirect("attendance:assignment_list")


# --- Roster -----------------------------------------------------------------------------


def _roster_range(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    view = "month" if request.GET.get("view") == "month" else "week"
    try:
        anchor = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        anchor = timezone.localdate()
    if not 2000 <= anchor.year <= 2100:
        anchor = timezone.localdate()
    if view == "month":
        start = anchor.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    else:
        start = anchor - dt.timedelta(days=anchor.weekday())
        end = start + dt.timedelta(days=6)
    return start, end, view


def _cell_context(
    employee: Employee, day: dt.date, shift: ShiftType | None, shifts: list[ShiftType]
) -> dict[str, Any]:
    return {"employee": employee, "day": day, "shift": shift, "shift_types": shifts, "error": ""}


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    """The team's roster grid: rows are people, columns dates; each editable cell is a select."""
    viewer = _member(request)
    start, end, view = _roster_range(request)
    grid = selectors.roster_grid(viewer, start, end)
    if view == "month":
        previous = (start - dt.timedelta(days=1)).replace(day=1)
        following = end + dt.timedelta(days=1)
    else:
        previous, following = start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    return render(
        request,
        "attendance/schedules/roster.html",
        {
            "grid": grid,
            "view": view,
            "previous": previous,
            "following": following,
            "can_edit": any(row.editable for row in grid.rows),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def roster_cell(request: HttpRequest) -> HttpResponse:
    """Set one cell (htmx: answers the redrawn cell; a refusal is shown inside the cell)."""
    viewer = _member(request)
    employee = _own(request, Employee, request.POST.get("employee"))
    if not viewer.has_perm("attendance.manage_attendance", employee):
        raise PermissionDenied
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError as exc:
        raise Http404 from exc
    shift = _own(request, ShiftType, request.POST["shift"]) if request.POST.get("shift") else None
    shifts = list(selectors.shift_types_for_viewer(viewer))
    context = _cell_context(employee, day, shift, shifts)
    try:
        services.roster_set(employee=employee, date=day, shift=shift, actor=viewer)
    except ServiceError as exc:
        current = selectors.roster_entries_for(employee, day, day)
        context["shift"] = current[0].shift if current else None
        context["error"] = exc.message
        if not _is_htmx(request):
            messages.error(request, exc.message)
            return redirect(f"{reverse('attendance:roster')}?start={day.isoformat()}")
    if not _is_htmx(request):
        return redirect(f"{reverse('attendance:roster')}?start={day.isoformat()}")
    return render(request, "attendance/schedules/_roster_cell.html", context)


@login_required
@require_POST
def roster_generate(request: HttpRequest) -> HttpResponse:
    """“按轮班生成”: fill the shown range for everyone the viewer may edit."""
    viewer = _member(request)
    try:
        start = dt.date.fromisoformat(request.POST.get("start", ""))
        end = dt.date.fromisoformat(request.POST.get("end", ""))
    except ValueError as exc:
        raise Http404 from exc
    if end < start or (end - start).days >= selectors.ROSTER_MAX_DAYS:
        messages.error(
            request, _("请选择不超过 %(n)d 天的日期范围。") % {"n": selectors.ROSTER_MAX_DAYS}
        )
        return redirect("attendance:roster")
    view = request.POST.get("view", "week")
    grid = selectors.roster_grid(viewer, start, end)
    employees = [row.employee for row in grid.rows if row.editable]
    if not employees:
        raise PermissionDenied
    try:
        result = services.roster_generate(
            company=viewer.company, employees=employees, start=start, end=grid.end, actor=viewer
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        message = _("已按轮班生成排班：%(n)d 个班次有变化。") % {"n": result.written}
        if result.skipped:
            message += " " + _("没有轮班模式、未生成：%(names)s。") % {
                "names": "、".join(result.skipped)
            }
        messages.success(request, message)
    return redirect(f"{reverse('attendance:roster')}?start={start.isoformat()}&view={view}")


@login_required
def my_roster(request: HttpRequest) -> HttpResponse:
    """My upcoming shifts (four weeks) and the working-hour rule that applies today."""
    viewer = _member(request)
    me = Employee.objects.filter(company_id=viewer.company_id, user=viewer).first()
    today = timezone.localdate()
    entries = selectors.roster_entries_for(me, today, today + dt.timedelta(days=27)) if me else []
    resolved = selectors.schedule_for(me, today) if me else None
    return render(
        request,
        "attendance/schedules/my_roster.html",
        {"employee": me, "entries": entries, "resolved": resolved, "today": today},
    )


# --- Shift swaps ------------------------------------------------------------------------------


class SwapForm(forms.Form):
    counterpart = forms.TypedChoiceField(label=gettext_lazy("和谁换班"), coerce=int)
    requester_date = forms.DateField(label=gettext_lazy("我的日期"), widget=DateInput())
    counterpart_date = forms.DateField(label=gettext_lazy("对方日期"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=500, required=False)

    def __init__(self, *args: Any, me: Employee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["counterpart"]
        field.choices = [(e.pk, e.name) for e in selectors.swap_partners(me)]


def _swap_rows(viewer: Any) -> list[dict[str, Any]]:
    rows = []
    for swap in selectors.swaps_for_viewer(viewer)[:200]:
        can_decide = swap.status == "pending" and all(
            viewer.has_perm("attendance.manage_attendance", p)
            for p in (swap.requester, swap.counterpart)
        )
        rows.append({"obj": swap, "can_decide": can_decide})
    return rows


@login_required
def swap_list(request: HttpRequest) -> HttpResponse:
    viewer = _member(request)
    me = Employee.objects.filter(company_id=viewer.company_id, user=viewer).first()
    return render(
        request,
        "attendance/schedules/swap_list.html",
        {"swaps": _swap_rows(viewer), "me": me},
    )


@login_required
@require_http_methods(["GET", "POST"])
def swap_create(request: HttpRequest) -> HttpResponse:
    viewer = _member(request)
    me = Employee.objects.filter(company_id=viewer.company_id, user=viewer).first()
    if me is None:
        raise PermissionDenied
    form = SwapForm(request.POST or None, me=me)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        counterpart = Employee.objects.filter(
            company_id=viewer.company_id, pk=data["counterpart"]
        ).first()
        try:
            if counterpart is None:
                raise Http404
            services.swap_request_create(
                requester=me,
                counterpart=counterpart,
                requester_date=data["requester_date"],
                counterpart_date=data["counterpart_date"],
                reason=data["reason"],
                actor=viewer,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("换班申请已提交，等待上级审批。"))
            return redirect("attendance:swap_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "attendance/schedules/swap_form.html", {"form": form}, status=status)


@login_required
@require_POST
def swap_decide(request: HttpRequest, pk: int) -> HttpResponse:
    swap = _own(request, ShiftSwapRequest, pk)
    viewer = _member(request)
    for person in (swap.requester, swap.counterpart):
        if not viewer.has_perm("attendance.manage_attendance", person):
            raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    try:
        services.swap_request_decide(
            swap=swap, approve=approve, actor=viewer, note=request.POST.get("note", "")[:500]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已批准换班。") if approve else _("已驳回换班申请。"))
    return redirect("attendance:swap_list")

"""Results pages: my month calendar, a day's explanation, the team month, HR's exception
queue and the month close (compute, review, lock, reopen, XLSX export).

Thin: selectors read (and check who may see whom), services write; htmx requests
get the day panel alone, others the whole page.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from jixiao.attendance.models import AttendanceMonth, DailyAttendance, Punch
from jixiao.attendance.selectors import results as selectors
from jixiao.attendance.services import results as services
from jixiao.attendance.views.punches import photo_url
from jixiao.core.api_errors import ServiceError
from jixiao.core.xlsx import safe_sheet
from jixiao.org.models import Employee

#: Background colour of a day by status (text stays dark for contrast).
STATUS_COLORS = {
    "normal": "#dcfce7",
    "exception": "#fee2e2",
    "rest": "#f3f4f6",
    "leave": "#dbeafe",
    "no_schedule": "#fef3c7",
}
ASYNC_MONTH_EMPLOYEES = 500
#: People per page of the team month (a row is a whole month of cells).
TEAM_PAGE_SIZE = 50


def _company_member(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated or getattr(user, "company_id", None) is None:
        raise PermissionDenied
    return user


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise Http404 from exc


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def status_label(status: str) -> str:
    return {
        "normal": _("正常"),
        "exception": _("异常"),
        "rest": _("休息"),
        "leave": _("请假"),
        "no_schedule": _("未排班"),
    }.get(status, status)


# --- My month and a person's month -----------------------------------------------------------


@login_required
@require_GET
def my_month(request: HttpRequest) -> HttpResponse:
    viewer = _company_member(request)
    employee = selectors.viewer_employee(viewer)
    return _month_page(request, viewer, employee, mine=True)


@login_required
@require_GET
def employee_month(request: HttpRequest, employee_id: int) -> HttpResponse:
    viewer = _company_member(request)
    employee = selectors.employee_for_attendance(viewer=viewer, pk=employee_id)
    return _month_page(request, viewer, employee, mine=employee.user_id == viewer.pk)


def _month_page(
    request: HttpRequest, viewer: Any, employee: Employee, *, mine: bool
) -> HttpResponse:
    year, month = selectors.month_parse(request.GET.get("month"))
    start, end = selectors.month_range(year, month)
    rows = {
        r.date: r
        for r in selectors.daily_results(viewer=viewer, employee=employee, start=start, end=end)
    }
    weeks = selectors.month_grid(year, month, rows)
    totals = {
        "worked_hours": round(sum(r.worked_minutes for r in rows.values()) / 60, 1),
        "late": sum(1 for r in rows.values() if r.late_minutes),
        "exceptions": sum(1 for r in rows.values() if r.status == "exception"),
        "overtime_hours": round(
            sum(
                r.overtime_workday_minutes
                + r.overtime_rest_day_minutes
                + r.overtime_holiday_minutes
                for r in rows.values()
            )
            / 60,
            1,
        ),
    }
    previous, following = (
        selectors.month_shift(year, month, -1),
        selectors.month_shift(year, month, 1),
    )
    return render(
        request,
        "attendance/results/month.html",
        {
            "employee": employee,
            "mine": mine,
            "year": year,
            "month": month,
            "weeks": weeks,
            "totals": totals,
            "colors": STATUS_COLORS,
            "previous": f"{previous[0]}-{previous[1]:02d}",
            "following": f"{following[0]}-{following[1]:02d}",
            "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
        },
    )


def _day_context(
    request: HttpRequest,
    viewer: Any,
    employee: Employee,
    day: dt.date,
    row: DailyAttendance | Literal[False] | None = False,
) -> dict[str, Any]:
    """``row``: the day's stored result when the caller has it (False: read it here)."""
    if row is False:
        row = selectors.daily_result(viewer=viewer, employee=employee, day=day)
    punches: list[dict[str, Any]] = []
    if row is not None and row.first_punch and row.last_punch:
        for punch in Punch.objects.filter(
            company_id=employee.company_id,
            employee=employee,
            voided=False,
            at__gte=row.first_punch,
            at__lte=row.last_punch + dt.timedelta(minutes=1),
        ).only("at", "source", "flags", "photo", "employee_id"):
            punch.employee = employee
            punches.append({"at": punch.at, "punch": punch, "photo_url": photo_url(viewer, punch)})
    mine = employee.user_id == viewer.pk
    return {
        "employee": employee,
        "day": day,
        "row": row,
        "status_label": status_label(row.status) if row else "",
        "color": STATUS_COLORS.get(row.status, "#fff") if row else "#fff",
        "lines": selectors.day_explanation(row) if row else [],
        "punches": punches,
        "can_recompute": viewer.has_perm("attendance.manage_attendance", employee),
        "requests_url": _url_or_none("attendance:requests_mine") if mine else None,
        "overtime_hours": round(
            (
                row.overtime_workday_minutes
                + row.overtime_rest_day_minutes
                + row.overtime_holiday_minutes
            )
            / 60,
            2,
        )
        if row
        else 0,
    }


@login_required
@require_GET
def day_detail(request: HttpRequest, employee_id: int) -> HttpResponse:
    """One day (``?date=YYYY-MM-DD``): figures, explanation, punches."""
    viewer = _company_member(request)
    employee = selectors.employee_for_attendance(viewer=viewer, pk=employee_id)
    context = _day_context(request, viewer, employee, _parse_day(request.GET.get("date", "")))
    template = (
        "attendance/results/_day_detail.html"
        if request.headers.get("HX-Request")
        else "attendance/results/day.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def day_recompute(request: HttpRequest, employee_id: int) -> HttpResponse:
    """Recompute one day (POST ``date``) after a change the automatic recompute missed."""
    viewer = _company_member(request)
    employee = selectors.employee_for_attendance(
        viewer=viewer, pk=employee_id, perm="attendance.manage_attendance"
    )
    date = _parse_day(request.POST.get("date", ""))
    error = ""
    row: DailyAttendance | Literal[False] | None = False
    try:
        rows = services.daily_attendance_recompute(
            company=employee.company, employee=employee, dates=[date], actor=viewer
        )
        row = rows[0] if rows else None
    except ServiceError as exc:
        error = exc.message
    if request.headers.get("HX-Request"):
        context = _day_context(request, viewer, employee, date, row)
        context["error"] = error
        return render(
            request, "attendance/results/_day_detail.html", context, status=409 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已重新计算"))
    url = reverse("attendance:results_day", kwargs={"employee_id": employee.pk})
    return redirect(f"{url}?date={date.isoformat()}")


# --- Team month ---------------------------------------------------------------------------


@login_required
@require_GET
def team_month(request: HttpRequest) -> HttpResponse:
    viewer = _company_member(request)
    if not viewer.has_perm("attendance.view_team"):
        raise PermissionDenied
    year, month = selectors.month_parse(request.GET.get("month"))
    department_id = _int_or_none(request.GET.get("department"))
    sort = request.GET.get("sort", "")
    if sort not in selectors.TEAM_SORTS:
        sort = "department"
    people = selectors.team_employees(viewer=viewer, department_id=department_id, sort=sort)
    paginator = Paginator(people, TEAM_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    dates, rows = selectors.team_month(
        viewer=viewer, year=year, month=month, people=list(page.object_list)
    )
    previous, following = (
        selectors.month_shift(year, month, -1),
        selectors.month_shift(year, month, 1),
    )
    # The filter and the order stay when the month or the page changes.
    kept = {"month": f"{year}-{month:02d}", "sort": sort}
    if department_id:
        kept["department"] = str(department_id)
    return render(
        request,
        "attendance/results/team.html",
        {
            "year": year,
            "month": month,
            "dates": dates,
            "rows": rows,
            "colors": STATUS_COLORS,
            "department_id": department_id,
            "departments": selectors.department_choices(viewer),
            "sort": sort,
            "sorts": [
                ("department", _("按部门")),
                ("number", _("按工号")),
                ("name", _("按姓名")),
            ],
            "page": page,
            "total": paginator.count,
            "month_query": urlencode({k: v for k, v in kept.items() if k != "month"}),
            "page_query": urlencode(kept),
            "previous": f"{previous[0]}-{previous[1]:02d}",
            "following": f"{following[0]}-{following[1]:02d}",
        },
    )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- HR exception queue ---------------------------------------------------------------------


@login_required
@require_GET
def exception_queue(request: HttpRequest) -> HttpResponse:
    viewer = _company_member(request)
    if not viewer.has_perm("attendance.administer"):
        raise PermissionDenied
    today = timezone.localdate()
    start = _date_or(request.GET.get("start"), today.replace(day=1) - dt.timedelta(days=31))
    end = _date_or(request.GET.get("end"), today)
    kind = request.GET.get("kind", "")
    department_id = _int_or_none(request.GET.get("department"))
    days = selectors.exception_queue(
        viewer=viewer, start=start, end=end, kind=kind, department_id=department_id
    )
    page = Paginator(days, 50).get_page(request.GET.get("page"))
    counts = selectors.exception_kind_counts(viewer=viewer, start=start, end=end)
    for row in page.object_list:
        row.lines = selectors.day_explanation(row)  # type: ignore[attr-defined]
    return render(
        request,
        "attendance/results/exceptions.html",
        {
            "page": page,
            "start": start,
            "end": end,
            "kind": kind,
            "kinds": [
                (code, selectors.exception_kind_label(code), counts.get(code, 0))
                for code in selectors.EXCEPTION_KINDS
            ],
            "department_id": department_id,
            "departments": selectors.department_choices(viewer),
        },
    )


def _date_or(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


# --- Month close ------------------------------------------------------------------------------


def _administrator(request: HttpRequest) -> Any:
    viewer = _company_member(request)
    if not viewer.has_perm("attendance.administer"):
        raise PermissionDenied
    return viewer


@login_required
@require_GET
def month_close(request: HttpRequest) -> HttpResponse:
    viewer = _administrator(request)
    year, month = selectors.month_parse(request.GET.get("month"))
    return render(request, "attendance/results/close.html", _close_context(viewer, year, month))


def _close_context(viewer: Any, year: int, month: int) -> dict[str, Any]:
    attendance_month = selectors.attendance_month_for(viewer=viewer, year=year, month=month)
    counts = services.attendance_month_counts(company=viewer.company, year=year, month=month)
    previous, following = (
        selectors.month_shift(year, month, -1),
        selectors.month_shift(year, month, 1),
    )
    return {
        "year": year,
        "month": month,
        "month_param": f"{year}-{month:02d}",
        "attendance_month": attendance_month,
        "status": attendance_month.status if attendance_month else AttendanceMonth.Status.OPEN,
        "counts": counts,
        "kind_counts": [
            (selectors.exception_kind_label(kind), count)
            for kind, count in selectors.exception_kind_counts(
                viewer=viewer,
                start=dt.date(year, month, 1),
                end=selectors.month_range(year, month)[1],
            ).most_common()
        ],
        "previous": f"{previous[0]}-{previous[1]:02d}",
        "following": f"{following[0]}-{following[1]:02d}",
    }


def _close_redirect(year: int, month: int) -> HttpResponse:
    return redirect(f"{reverse('attendance:results_close')}?month={year}-{month:02d}")


@login_required
@require_POST
def month_close_action(request: HttpRequest, action: str) -> HttpResponse:
    viewer = _administrator(request)
    year, month = selectors.month_parse(request.POST.get("month"))
    company = viewer.company
    try:
        if action == "compute":
            employees = Employee.objects.filter(company=company).count()
            if employees > ASYNC_MONTH_EMPLOYEES:
                from jixiao.attendance.tasks import attendance_month_compute_task

                services.month_locked_check(company=company, dates=[dt.date(year, month, 1)])
                attendance_month_compute_task(company.pk, year, month, viewer.pk)
                messages.info(request, _("已在后台开始计算，完成后刷新本页查看"))
            else:
                stats = services.attendance_month_compute(
                    company=company, year=year, month=month, actor=viewer
                )
                messages.success(
                    request,
                    _("已计算 %(people)s 人、%(days)s 个考勤日，其中异常 %(exceptions)s 个")
                    % {
                        "people": stats.employees,
                        "days": stats.days,
                        "exceptions": stats.exceptions,
                    },
                )
        elif action == "review":
            services.attendance_month_review(company=company, year=year, month=month, actor=viewer)
            messages.success(request, _("已进入复核"))
        elif action == "lock":
            services.attendance_month_lock(
                company=company,
                year=year,
                month=month,
                actor=viewer,
                confirm=request.POST.get("confirm") == "1",
            )
            messages.success(request, _("该月考勤已锁定"))
        elif action == "reopen":
            services.attendance_month_reopen(
                company=company,
                year=year,
                month=month,
                reason=request.POST.get("reason", ""),
                actor=viewer,
            )
            messages.success(request, _("该月考勤已重新打开"))
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
        context = _close_context(viewer, year, month)
        context["error"] = exc.message
        context["error_code"] = exc.code
        context["fields"] = exc.fields
        return render(request, "attendance/results/close.html", context, status=exc.status)
    return _close_redirect(year, month)


SUMMARY_HEADERS = (
    gettext_lazy("工号"),
    gettext_lazy("姓名"),
    gettext_lazy("部门"),
    gettext_lazy("应打卡天数"),
    gettext_lazy("已打卡天数"),
    gettext_lazy("打卡率(%)"),
    gettext_lazy("出勤小时"),
    gettext_lazy("迟到次数"),
    gettext_lazy("迟到分钟"),
    gettext_lazy("早退次数"),
    gettext_lazy("早退分钟"),
    gettext_lazy("缺勤天数"),
    gettext_lazy("迟到折算缺勤天数"),
    gettext_lazy("缺卡次数"),
    gettext_lazy("请假小时"),
    gettext_lazy("工作日加班小时"),
    gettext_lazy("休息日加班小时"),
    gettext_lazy("法定节假日加班小时"),
    gettext_lazy("调休小时"),
    gettext_lazy("夜班小时"),
    gettext_lazy("夜班补贴(元)"),
)


@login_required
@require_GET
def month_export(request: HttpRequest) -> HttpResponse:
    """The month's summaries as XLSX for pay (HR only)."""
    from openpyxl import Workbook

    viewer = _administrator(request)
    year, month = selectors.month_parse(request.GET.get("month"))
    workbook = Workbook(write_only=True)
    sheet = safe_sheet(workbook.create_sheet(_("月度考勤汇总")))
    sheet.append([str(h) for h in SUMMARY_HEADERS])
    for summary in selectors.month_summaries(viewer=viewer, year=year, month=month):
        metrics = services.monthly_summary_metrics(summary)
        sheet.append(
            [
                summary.employee.employee_number,
                summary.employee.name,
                summary.employee.department.name,
                summary.scheduled_days,
                summary.punched_days,
                float(summary.punch_rate),
                float(metrics["worked_hours"]),
                summary.late_count,
                summary.late_minutes,
                summary.early_count,
                summary.early_minutes,
                float(summary.absent_days),
                float(summary.penalty_absent_days),
                summary.missing_punch_count,
                float(metrics["leave_hours"]),
                float(metrics["overtime_workday_hours"]),
                float(metrics["overtime_rest_day_hours"]),
                float(metrics["overtime_holiday_hours"]),
                float(metrics["comp_leave_hours"]),
                float(metrics["night_hours"]),
                float(summary.night_allowance),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="attendance-{year}-{month:02d}.xlsx"'
    return response

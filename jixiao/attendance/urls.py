from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from jixiao.attendance.views import calendars as calendar_views
from jixiao.attendance.views import policy as policy_views
from jixiao.attendance.views import punches as punch_views
from jixiao.attendance.views import requests as request_views
from jixiao.attendance.views import results as result_views
from jixiao.attendance.views import schedules as schedule_views

app_name = "attendance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("schedules/", schedule_views.schedule_list, name="schedule_list"),
    path("schedules/new/", schedule_views.schedule_create, name="schedule_create"),
    path("schedules/presets/copy/", schedule_views.preset_copy, name="preset_copy"),
    path("schedules/<int:pk>/", schedule_views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/delete/", schedule_views.schedule_delete, name="schedule_delete"),
    path("shifts/", schedule_views.shift_list, name="shift_list"),
    path("shifts/<int:pk>/delete/", schedule_views.shift_delete, name="shift_delete"),
    path("rotations/", schedule_views.rotation_list, name="rotation_list"),
    path("rotations/<int:pk>/delete/", schedule_views.rotation_delete, name="rotation_delete"),
    path("assignments/", schedule_views.assignment_list, name="assignment_list"),
    path("assignments/<int:pk>/end/", schedule_views.assignment_end, name="assignment_end"),
    path(
        "assignments/<int:pk>/delete/", schedule_views.assignment_delete, name="assignment_delete"
    ),
    path("roster/", schedule_views.roster, name="roster"),
    path("roster/cell/", schedule_views.roster_cell, name="roster_cell"),
    path("roster/generate/", schedule_views.roster_generate, name="roster_generate"),
    path("roster/mine/", schedule_views.my_roster, name="my_roster"),
    path("swaps/", schedule_views.swap_list, name="swap_list"),
    path("swaps/new/", schedule_views.swap_create, name="swap_create"),
    path("swaps/<int:pk>/decide/", schedule_views.swap_decide, name="swap_decide"),
    path("policy/", policy_views.policy_edit, name="policy"),
    path("calendars/", calendar_views.calendar_list, name="calendar_list"),
    path(
        "calendars/<int:calendar_id>/seed/",
        calendar_views.calendar_year_seed,
        name="calendar_year_seed",
    ),
    path(
        "calendar-years/<int:calendar_year_id>/",
        calendar_views.calendar_year,
        name="calendar_year",
    ),
    path(
        "calendar-years/<int:calendar_year_id>/confirm/",
        calendar_views.calendar_year_confirm,
        name="calendar_year_confirm",
    ),
    path("calendar-days/<int:day_id>/", calendar_views.calendar_day, name="calendar_day"),
    path(
        "calendar-days/<int:day_id>/reset/",
        calendar_views.calendar_day_reset,
        name="calendar_day_reset",
    ),
    path(
        "calendar-days/<int:day_id>/delete/",
        calendar_views.company_day_delete,
        name="company_day_delete",
    ),
    # Requests: leave, overtime, corrections (REQUESTS).
    path("requests/", request_views.requests_mine, name="requests_mine"),
    path("requests/inbox/", request_views.requests_inbox, name="requests_inbox"),
    path("requests/leave/new/", request_views.leave_request_new, name="leave_request_new"),
    path(
        "requests/leave/<int:leave_request_id>/cancel/",
        request_views.leave_request_cancel,
        name="leave_request_cancel",
    ),
    path(
        "requests/leave/<int:leave_request_id>/decide/",
        request_views.leave_request_decide,
        name="leave_request_decide",
    ),
    path(
        "requests/leave/<int:leave_request_id>/attachment/",
        request_views.leave_request_attachment,
        name="leave_request_attachment",
    ),
    path("requests/overtime/new/", request_views.overtime_request_new, name="overtime_request_new"),
    path(
        "requests/overtime/<int:overtime_request_id>/cancel/",
        request_views.overtime_request_cancel,
        name="overtime_request_cancel",
    ),
    path(
        "requests/overtime/<int:overtime_request_id>/decide/",
        request_views.overtime_request_decide,
        name="overtime_request_decide",
    ),
    path("requests/corrections/new/", request_views.correction_new, name="correction_new"),
    path(
        "requests/corrections/<int:correction_id>/cancel/",
        request_views.correction_cancel,
        name="correction_cancel",
    ),
    path(
        "requests/corrections/<int:correction_id>/decide/",
        request_views.correction_decide,
        name="correction_decide",
    ),
    path("requests/leave-types/", request_views.leave_types, name="leave_types"),
    path("requests/balances/", request_views.leave_balances, name="leave_balances"),
    path(
        "requests/balances/adjust/",
        request_views.leave_balance_adjust,
        name="leave_balance_adjust",
    ),
    path(
        "requests/balances/accrue/",
        request_views.leave_year_run,
        {"action": "accrue"},
        name="leave_accrue",
    ),
    path(
        "requests/balances/carry-over/",
        request_views.leave_year_run,
        {"action": "carry_over"},
        name="leave_carry_over",
    ),
    path("checkin/", punch_views.checkin, name="checkin"),
    path("checkin/consent/<str:kind>/", punch_views.consent_change, name="consent_change"),
    path("punches/mine/", punch_views.my_punches, name="my_punches"),
    path("punches/", punch_views.punch_list, name="punch_list"),
    path("punches/import/", punch_views.punch_import_upload, name="punch_import"),
    path("punches/<int:punch_id>/void/", punch_views.punch_void, name="punch_void"),
    path("punches/<int:punch_id>/photo/", punch_views.punch_photo, name="punch_photo"),
    path("activity-policies/", punch_views.activity_policy_list, name="activity_policy_list"),
    path(
        "activity-policies/<int:activity_policy_id>/",
        punch_views.activity_policy_edit,
        name="activity_policy_edit",
    ),
    path(
        "activity-policies/<int:activity_policy_id>/delete/",
        punch_views.activity_policy_delete,
        name="activity_policy_delete",
    ),
    # Results: days, months, exceptions, month close (RESULTS).
    path("results/mine/", result_views.my_month, name="results_mine"),
    path("results/team/", result_views.team_month, name="results_team"),
    path("results/exceptions/", result_views.exception_queue, name="results_exceptions"),
    path("results/close/", result_views.month_close, name="results_close"),
    path("results/close/export/", result_views.month_export, name="results_export"),
    path(
        "results/close/<str:action>/",
        result_views.month_close_action,
        name="results_close_action",
    ),
    path(
        "results/employees/<int:employee_id>/",
        result_views.employee_month,
        name="results_employee",
    ),
    path(
        "results/employees/<int:employee_id>/day/",
        result_views.day_detail,
        name="results_day",
    ),
    path(
        "results/employees/<int:employee_id>/recompute/",
        result_views.day_recompute,
        name="results_recompute",
    ),
]

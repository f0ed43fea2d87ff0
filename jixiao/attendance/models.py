"""Calendars, working-hour rules, shifts and rosters, punches, daily results, leave, month close.

Every row belongs to a company and is reachable only inside its scope. Instants
are stored in UTC; dates are the employee's local work dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jixiao.attendance.engine import DayKind, DayStatus, System
from jixiao.core.models import Company
from jixiao.org.models import CompanyOwned, Department, Employee, Position, WorkLocation

USER = settings.AUTH_USER_MODEL


class DayKindChoice(models.TextChoices):
    WORKDAY = DayKind.WORKDAY.value, _("工作日")
    MAKEUP_WORKDAY = DayKind.MAKEUP_WORKDAY.value, _("调休上班")
    REST_DAY = DayKind.REST_DAY.value, _("休息日")
    STATUTORY_HOLIDAY = DayKind.STATUTORY_HOLIDAY.value, _("法定节假日")
    COMPANY_REST_DAY = DayKind.COMPANY_REST_DAY.value, _("公司休息日")


class SystemChoice(models.TextChoices):
    STANDARD = System.STANDARD.value, _("标准工时")
    FLEXIBLE = System.FLEXIBLE.value, _("弹性工时")
    SHIFT = System.SHIFT.value, _("排班制")
    COMPREHENSIVE = System.COMPREHENSIVE.value, _("综合工时")
    UNFIXED = System.UNFIXED.value, _("不定时工时")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤回")


# --- Work calendars -------------------------------------------------------------------


class WorkCalendar(CompanyOwned):
    """The calendar of a country or region; employees use their work location's."""

    region = models.CharField(
        _("国家/地区代码"), max_length=10, help_text=_("ISO 3166 代码，如 CN、DE、US-CA")
    )
    name = models.CharField(_("名称"), max_length=100)
    is_default = models.BooleanField(_("公司默认"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["region"]
        constraints = [
            models.UniqueConstraint(fields=["company", "region"], name="calendar_region_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"


class CalendarYear(CompanyOwned):
    """One year of a calendar: provisional until HR confirms the official notice."""

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("暂定")
        OFFICIAL = "official", _("已确认")

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveIntegerField(
        _("年份"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PROVISIONAL
    )
    source = models.CharField(_("来源"), max_length=100, blank=True)
    confirmed_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["calendar", "year"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id}/{self.year} {self.status}"


class CalendarDay(CompanyOwned):
    """What one date is in one calendar; every date of a seeded year has a row."""

    class Origin(models.TextChoices):
        SEEDED = "seeded", _("官方数据")
        EDITED = "edited", _("人工修改")
        COMPANY = "company", _("公司特别日")

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=DayKindChoice.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    origin = models.CharField(
        _("来源"), max_length=10, choices=Origin.choices, default=Origin.SEEDED
    )

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


# --- Working-hour systems, shifts, rosters ----------------------------------------------


class WorkSchedule(CompanyOwned):
    """A named working-hour rule (工时制度 + its parameters), copied from a preset and adjusted."""

    class Period(models.TextChoices):
        WEEK = "week", _("周")
        MONTH = "month", _("月")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年")

    name = models.CharField(_("名称"), max_length=100)
    system = models.CharField(_("工时制度"), max_length=20, choices=SystemChoice.choices)
    preset = models.CharField(_("来源模板"), max_length=40, blank=True)
    # Standard: blocks and breaks as [["09:00", "18:00"]] / [["12:00", "13:00"]].
    blocks = models.JSONField(_("上班时段"), default=list, blank=True)
    breaks = models.JSONField(_("休息时段"), default=list, blank=True)
    grace_late_minutes = models.PositiveIntegerField(_("迟到宽限（分钟）"), default=5)
    grace_early_minutes = models.PositiveIntegerField(_("早退宽限（分钟）"), default=0)
    # Flexible.
    core_start = models.TimeField(_("核心时间开始"), null=True, blank=True)
    core_end = models.TimeField(_("核心时间结束"), null=True, blank=True)
    flex_earliest = models.TimeField(_("最早上班"), null=True, blank=True)
    flex_latest = models.TimeField(_("最晚下班"), null=True, blank=True)
    daily_minutes = models.PositiveIntegerField(_("每日应出勤（分钟）"), default=480)
    # Comprehensive hours.
    period = models.CharField(_("综合计算周期"), max_length=10, choices=Period.choices, blank=True)
    period_standard_minutes = models.PositiveIntegerField(
        _("周期标准工时（分钟）"), null=True, blank=True
    )
    # Overtime, night work, comp leave.
    overtime_requires_approval = models.BooleanField(_("加班需审批"), default=False)
    overtime_min_minutes = models.PositiveIntegerField(_("最短计加班（分钟）"), default=30)
    rest_day_comp_leave = models.BooleanField(_("休息日加班转调休"), default=False)
    unfixed_statutory_holiday_pay = models.BooleanField(
        _("不定时工时法定节假日按300%计"), default=False
    )
    night_start = models.TimeField(_("夜间开始"), default=dt.time(22, 0))
    night_end = models.TimeField(_("夜间结束"), default=dt.time(6, 0))
    night_allowance_per_hour = models.DecimalField(
        _("夜间补贴（元/小时）"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    day_boundary = models.TimeField(_("跨天分界"), default=dt.time(4, 0))
    punch_required = models.BooleanField(_("需要打卡"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工时规则")
        verbose_name_plural = _("工时规则")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="work_schedule_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ShiftType(CompanyOwned):
    """A shift (班次): one or two working blocks; a block ending at or before its start is overnight."""

    code = models.CharField(_("代码"), max_length=20)
    name = models.CharField(_("名称"), max_length=100)
    blocks = models.JSONField(_("上班时段"), default=list)  # [["22:00", "06:00"]] or split
    breaks = models.JSONField(_("休息时段"), default=list, blank=True)
    color = models.CharField(_("颜色"), max_length=7, default="#3b82f6")

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="shift_type_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RotationPattern(CompanyOwned):
    """A repeating sequence of shift codes and days off, e.g. four on, two off."""

    name = models.CharField(_("名称"), max_length=100)
    # List of shift codes, "" for a day off: ["D", "D", "N", "N", "", ""].
    sequence = models.JSONField(_("轮班序列"), default=list)

    class Meta:
        verbose_name = _("轮班模式")
        verbose_name_plural = _("轮班模式")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="rotation_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ScheduleAssignment(CompanyOwned):
    """Which working-hour rule applies to an employee or a department, from when to when.

    An employee's own assignment wins over their department's; assignments of the
    same target may not overlap.
    """

    schedule = models.ForeignKey(WorkSchedule, on_delete=models.PROTECT, related_name="assignments")
    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rotation = models.ForeignKey(
        RotationPattern, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rotation_offset = models.PositiveIntegerField(_("轮班起点偏移"), default=0)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工时规则分配")
        verbose_name_plural = _("工时规则分配")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(employee__isnull=False, department__isnull=True)
                    | models.Q(employee__isnull=True, department__isnull=False)
                ),
                name="assignment_one_target",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="assignment_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "employee", "start_date"]),
            models.Index(fields=["company", "department", "start_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.start_date}–{self.end_date or ''}"


class RosterEntry(CompanyOwned):
    """One employee's shift on one date (排班); no shift means a day off."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("日期"))
    shift = models.ForeignKey(
        ShiftType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "date"], name="roster_entry_unique")
        ]
        indexes = [models.Index(fields=["company", "date"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date} {self.shift_id or '-'}"


class ShiftSwapRequest(CompanyOwned):
    """Two employees swap their shifts on two dates (or one date), approved by a manager."""

    requester = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    counterpart = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    requester_date = models.DateField(_("我的日期"))
    counterpart_date = models.DateField(_("对方日期"))
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("换班申请")
        verbose_name_plural = _("换班申请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"swap {self.requester_id}/{self.counterpart_id} {self.status}"


# --- Punches and activities -------------------------------------------------------------


class CheckInConsent(CompanyOwned):
    """An employee's separate consent (PIPL Art. 28) to location or photo at check-in."""

    class Kind(models.TextChoices):
        LOCATION = "location", _("位置")
        PHOTO = "photo", _("照片")

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    notice_version = models.CharField(_("告知书版本"), max_length=20)
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("打卡授权")
        verbose_name_plural = _("打卡授权")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["company", "employee", "kind"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.kind}"


class NetworkRule(CompanyOwned):
    """Where web check-in is accepted from without GPS: an office IP range or Wi-Fi name."""

    work_location = models.ForeignKey(
        WorkLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    ip_network = models.CharField(_("IP 网段"), max_length=50, blank=True)  # "203.0.113.0/24"
    wifi_ssid = models.CharField(_("Wi-Fi 名称"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("网络打卡规则")
        verbose_name_plural = _("网络打卡规则")

    def __str__(self) -> str:
        return self.ip_network or self.wifi_ssid


class ByteOrderCharField(models.CharField):  # type: ignore[type-arg]
    """A CharField compared byte by byte: ``COLLATE "C"`` on PostgreSQL (SQLite's
    default BINARY already is). Identifiers need no linguistic order, and the unique
    index over them is then maintained with ``memcmp`` instead of ``strcoll`` —
    less than half the cost per insert on a million-row import."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class Punch(CompanyOwned):
    """One clock-in/out event from any source, stored in UTC with its evidence.

    A device import writes a million of these at once, so the table carries only what
    reads need: the primary key, the (company, employee, at) index and the unique
    source id. Its foreign keys have no database constraint: PostgreSQL checks a
    constraint with one trigger query per row and per key (three per punch: most of
    an import's server time); every writer passes ids it has just read (the import
    locks the employees it writes for with ``FOR KEY SHARE`` and checks them in one
    query), and deletes cascade through Django, as for every model here.
    """

    class Source(models.TextChoices):
        WEB = "web", _("网页打卡")
        MOBILE = "mobile", _("手机打卡")
        DEVICE = "device", _("考勤机")
        API = "api", _("接口")
        CORRECTION = "correction", _("补卡")

    # Bulk device imports insert a million rows: the composite indexes below lead with
    # company, so the foreign key's own index would only slow them down.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # The (company, employee, at) index serves every read by employee.
    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    at = models.DateTimeField(_("打卡时间"))
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    source_id = ByteOrderCharField(_("来源编号"), max_length=100, blank=True)
    device_id = models.CharField(_("设备"), max_length=100, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("距打卡点（米）"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    photo = models.FileField(_("照片"), upload_to="punch-photos/%Y/%m/", blank=True)
    # e.g. ["outside_geofence", "clock_skew", "duplicate"]: shown in the HR exception queue.
    flags = models.JSONField(default=list, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    voided = models.BooleanField(_("已作废"), default=False)
    created_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("打卡记录")
        verbose_name_plural = _("打卡记录")
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source", "source_id"],
                condition=~models.Q(source_id=""),
                name="punch_source_id_unique",
            )
        ]
        indexes = [models.Index(fields=["company", "employee", "at"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.at.isoformat()}"


class ActivityPolicy(CompanyOwned):
    """Which activities count as work time for which positions (issue 4 §4)."""

    name = models.CharField(_("名称"), max_length=100)
    enabled = models.BooleanField(_("启用"), default=True)
    kinds = models.JSONField(_("计入的活动"), default=list)  # ["call", "email"]
    gap_join_minutes = models.PositiveIntegerField(_("合并间隔（分钟）"), default=30)
    email_credit_minutes = models.PositiveIntegerField(_("每封邮件计时（分钟）"), default=5)
    positions = models.ManyToManyField(
        Position, blank=True, related_name="activity_policies", verbose_name=_("岗位")
    )
    employees: models.ManyToManyField[Employee, Any] = models.ManyToManyField(
        Employee, blank=True, related_name="activity_policies", verbose_name=_("员工")
    )

    class Meta:
        verbose_name = _("活动计时规则")
        verbose_name_plural = _("活动计时规则")

    def __str__(self) -> str:
        return self.name


class WorkActivity(CompanyOwned):
    """A call, an email or a meeting from another system, with its evidence reference."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=20)
    started_at = models.DateTimeField(_("开始时间"))
    duration_minutes = models.PositiveIntegerField(_("时长（分钟）"), default=0)
    source = models.CharField(_("来源系统"), max_length=40)
    source_id = models.CharField(_("来源编号"), max_length=100)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工作活动")
        verbose_name_plural = _("工作活动")
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source", "source_id"], name="work_activity_source_unique"
            )
        ]
        indexes = [models.Index(fields=["company", "employee", "started_at"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.kind} {self.started_at.isoformat()}"


# --- Overtime, leave, corrections -------------------------------------------------------


class OvertimeRequest(CompanyOwned):
    """Planned or after-the-fact overtime, approved by the manager where the rule asks for it."""

    class Compensation(models.TextChoices):
        PAY = "pay", _("加班费")
        COMP_LEAVE = "comp_leave", _("调休")

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"))
    compensation = models.CharField(
        _("补偿方式"), max_length=12, choices=Compensation.choices, default=Compensation.PAY
    )
    reason = models.CharField(_("原因"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("加班申请")
        verbose_name_plural = _("加班申请")
        ordering = ["-start"]
        indexes = [models.Index(fields=["company", "employee", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="overtime_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.start.isoformat()}"


class CompLeaveEntry(CompanyOwned):
    """The comp-leave ledger (调休): minutes earned by rest-day work, spent by leave, expiring."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    minutes = models.IntegerField(_("分钟"))  # + earned, - used or expired
    work_date = models.DateField(_("来源日期"))
    expires_on = models.DateField(_("到期日"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=200)
    leave_request = models.ForeignKey(
        "LeaveRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("调休台账")
        verbose_name_plural = _("调休台账")
        ordering = ["work_date", "id"]
        indexes = [models.Index(fields=["company", "employee", "work_date"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.minutes:+d} {self.work_date}"


class LeaveType(CompanyOwned):
    """A kind of leave with its accrual and carry-over rules."""

    class Accrual(models.TextChoices):
        NONE = "none", _("不累计（按次申请）")
        ANNUAL_STATUTORY = "annual_statutory", _("法定年假（按工龄）")
        YEARLY_FIXED = "yearly_fixed", _("每年固定天数")
        COMP_LEAVE = "comp_leave", _("调休（来自加班）")

    code = models.SlugField(_("代码"), max_length=30)
    name = models.CharField(_("名称"), max_length=100)
    paid = models.BooleanField(_("带薪"), default=True)
    accrual = models.CharField(
        _("额度规则"), max_length=20, choices=Accrual.choices, default=Accrual.NONE
    )
    yearly_days = models.DecimalField(
        _("每年天数"), max_digits=5, decimal_places=1, default=Decimal("0")
    )
    max_days_per_request = models.DecimalField(
        _("单次上限（天）"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    carry_over_days = models.DecimalField(
        _("可结转天数"), max_digits=5, decimal_places=1, default=Decimal("0")
    )
    carry_over_expiry_months = models.PositiveIntegerField(_("结转有效期（月）"), default=3)
    requires_attachment = models.BooleanField(_("需要附件"), default=False)
    half_day_allowed = models.BooleanField(_("可请半天"), default=True)
    # Maternity leave (产假) runs in calendar days, holidays included; others in workdays.
    counts_calendar_days = models.BooleanField(_("按自然日计算"), default=False)
    counts_as_attendance = models.BooleanField(_("计入出勤"), default=True)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("假期类型")
        verbose_name_plural = _("假期类型")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="leave_type_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class LeaveLedgerEntry(CompanyOwned):
    """A movement of a leave balance: grant, accrual, carry-over, use, expiry, adjustment."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("发放")
        CARRY_OVER = "carry_over", _("结转")
        USE = "use", _("使用")
        EXPIRY = "expiry", _("过期")
        ADJUSTMENT = "adjustment", _("调整")

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    days = models.DecimalField(_("天数"), max_digits=6, decimal_places=2)  # + or -
    expires_on = models.DateField(_("到期日"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=300)
    leave_request = models.ForeignKey(
        "LeaveRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("假期台账")
        verbose_name_plural = _("假期台账")
        ordering = ["year", "created_at", "id"]
        indexes = [models.Index(fields=["company", "employee", "leave_type", "year"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.leave_type_id} {self.days:+}"


class LeaveRequest(CompanyOwned):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"))
    days = models.DecimalField(_("天数"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    attachment = models.FileField(_("附件"), upload_to="leave/%Y/%m/", blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("请假申请")
        verbose_name_plural = _("请假申请")
        ordering = ["-start"]
        indexes = [models.Index(fields=["company", "employee", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="leave_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.leave_type_id} {self.start.isoformat()}"


class PunchCorrection(CompanyOwned):
    """补卡 or an exception explanation, asked by the employee and decided by the manager."""

    class Kind(models.TextChoices):
        MISSING_PUNCH = "missing_punch", _("补卡")
        EXPLANATION = "explanation", _("异常说明")

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("考勤日期"))
    kind = models.CharField(_("类型"), max_length=15, choices=Kind.choices)
    punch_at = models.DateTimeField(_("补卡时间"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    punch = models.ForeignKey(
        Punch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("补卡/异常申请")
        verbose_name_plural = _("补卡/异常申请")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "employee", "date"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date} {self.kind}"


# --- Rules, results, month close --------------------------------------------------------


class AttendancePolicy(CompanyOwned):
    """A company's attendance rules that are not part of a working-hour system (one row each)."""

    lates_per_half_day_absence = models.PositiveIntegerField(
        _("迟到几次折算半天旷工"), default=3, help_text=_("0 表示不折算")
    )
    late_free_count = models.PositiveIntegerField(_("每月免罚迟到次数"), default=0)
    monthly_overtime_cap_minutes = models.PositiveIntegerField(
        _("每月加班上限（分钟）"), default=36 * 60
    )
    daily_overtime_cap_minutes = models.PositiveIntegerField(_("每日加班上限（分钟）"), default=180)
    comp_leave_expiry_days = models.PositiveIntegerField(_("调休有效期（天）"), default=180)
    monthly_correction_limit = models.PositiveIntegerField(_("每月补卡次数上限"), default=3)
    future_punch_tolerance_minutes = models.PositiveIntegerField(
        _("允许的未来时间误差（分钟）"), default=10
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("考勤规则")
        verbose_name_plural = _("考勤规则")
        constraints = [
            models.UniqueConstraint(fields=["company"], name="attendance_policy_one_per_company")
        ]

    def __str__(self) -> str:
        return f"policy {self.company_id}"


class SetupStamp(CompanyOwned):
    """Changes whenever a company's attendance set-up changes (one row each).

    Calendars, work locations, departments, working-hour systems, shifts, rotations,
    department assignments and the attendance policy are read for every computed day;
    ``jixiao.attendance.setup_cache`` keeps them per process under this stamp, and every
    write to those tables sets a new random stamp (``setup_changed``), so a cached copy
    is never used after a change, and no two companies or test runs share a stamp.
    """

    stamp = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company"], name="attendance_setup_stamp_one")
        ]

    def __str__(self) -> str:
        return f"setup {self.company_id}: {self.stamp}"


class DailyAttendance(CompanyOwned):
    """The engine's result for one employee-day, with its explanation (recomputable).

    A month compute writes some 300,000 of these at once. As for ``Punch``, the foreign
    keys have no database constraint: PostgreSQL checked the two deferred constraints
    at commit with a trigger query per row and key (3 s of a 10,000-person month, after
    the rows were written). The rows are computed for employees the compute has just
    read, employees are never deleted (they leave: a status), and deletes of a company
    cascade through Django.
    """

    # Written in bulk for a whole month; the composite indexes lead with company.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # No index of its own: the unique (employee, date) index leads with the employee.
    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    date = models.DateField(_("日期"))
    day_kind = models.CharField(_("日历类型"), max_length=20, choices=DayKindChoice.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=[(s.value, s.value) for s in DayStatus]
    )
    time_zone = models.CharField(max_length=64)
    system = models.CharField(max_length=20, blank=True)
    scheduled_minutes = models.PositiveIntegerField(default=0)
    worked_minutes = models.PositiveIntegerField(default=0)
    late_minutes = models.PositiveIntegerField(default=0)
    early_minutes = models.PositiveIntegerField(default=0)
    absent_minutes = models.PositiveIntegerField(default=0)
    leave_minutes = models.PositiveIntegerField(default=0)
    missing_punch = models.BooleanField(default=False)
    overtime_workday_minutes = models.PositiveIntegerField(default=0)
    overtime_rest_day_minutes = models.PositiveIntegerField(default=0)
    overtime_holiday_minutes = models.PositiveIntegerField(default=0)
    unapproved_overtime_minutes = models.PositiveIntegerField(default=0)
    comp_leave_minutes = models.PositiveIntegerField(default=0)
    night_minutes = models.PositiveIntegerField(default=0)
    night_allowance = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    first_punch = models.DateTimeField(null=True, blank=True)
    last_punch = models.DateTimeField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)  # [{"code": ..., "params": {...}}]
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("每日考勤结果")
        verbose_name_plural = _("每日考勤结果")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "date"], name="daily_attendance_unique")
        ]
        # One employee's days are found through the unique (employee, date) index; a
        # second (company, employee, date) index only cost writes (measured on PostgreSQL).
        indexes = [models.Index(fields=["company", "date", "status"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.date} {self.status}"


class AttendanceMonth(CompanyOwned):
    """A company's attendance month: open → in review → locked; reopening is audited."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        REVIEW = "review", _("待复核")
        LOCKED = "locked", _("已锁定")

    year = models.PositiveIntegerField()
    month = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    computed_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("考勤月")
        verbose_name_plural = _("考勤月")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year", "month"], name="attendance_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.status}"


class MonthlySummary(CompanyOwned):
    """One employee's month: what performance (打卡率) and pay (overtime, allowances) read."""

    attendance_month = models.ForeignKey(
        AttendanceMonth, on_delete=models.CASCADE, related_name="summaries"
    )
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    scheduled_days = models.PositiveIntegerField(default=0)
    punched_days = models.PositiveIntegerField(default=0)
    punch_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    worked_minutes = models.PositiveIntegerField(default=0)
    late_count = models.PositiveIntegerField(default=0)
    late_minutes = models.PositiveIntegerField(default=0)
    early_count = models.PositiveIntegerField(default=0)
    early_minutes = models.PositiveIntegerField(default=0)
    absent_days = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    penalty_absent_days = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    missing_punch_count = models.PositiveIntegerField(default=0)
    leave_minutes = models.PositiveIntegerField(default=0)
    overtime_workday_minutes = models.PositiveIntegerField(default=0)
    overtime_rest_day_minutes = models.PositiveIntegerField(default=0)
    overtime_holiday_minutes = models.PositiveIntegerField(default=0)
    comp_leave_minutes = models.PositiveIntegerField(default=0)
    night_minutes = models.PositiveIntegerField(default=0)
    night_allowance = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    flags = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    reviewed = models.BooleanField(_("已复核"), default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("月度考勤汇总")
        verbose_name_plural = _("月度考勤汇总")
        ordering = ["employee_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendance_month", "employee"], name="monthly_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attendance_month_id} {self.employee_id}"

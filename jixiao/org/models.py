"""Departments, positions, work locations, employees, their history and custom fields."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from jixiao.core.models import Company


class CompanyOwned(models.Model):
    """Abstract base of every company-owned row: carries the tenant and its scope."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(company="company")

    class Meta:
        abstract = True


class JobFamily(models.TextChoices):
    OFFICE = "office", _("职能/办公室")
    FIELD = "field", _("外勤")
    SALES = "sales", _("销售")
    RD = "rd", _("研发")
    OPERATIONS = "operations", _("运营")
    PRODUCTION = "production", _("生产")


class WorkingHourSystem(models.TextChoices):
    STANDARD = "standard", _("标准工时")
    FLEXIBLE = "flexible", _("弹性工作制")
    SHIFT = "shift", _("排班制")
    COMPREHENSIVE = "comprehensive", _("综合工时制")
    UNFIXED = "unfixed", _("不定时工作制")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("全职")
    PART_TIME = "part_time", _("兼职")
    INTERN = "intern", _("实习")
    DISPATCHED = "dispatched", _("劳务派遣")
    CONTRACTOR = "contractor", _("外包/顾问")
    REHIRED_RETIREE = "rehired_retiree", _("退休返聘")


class EmployeeStatus(models.TextChoices):
    PROBATION = "probation", _("试用期")
    ACTIVE = "active", _("在职")
    ON_LEAVE = "on_leave", _("休假/停薪留职")
    LEFT = "left", _("已离职")


class Department(CompanyOwned):
    """A node of the company's department tree, of any depth."""

    name = models.CharField(_("部门名称"), max_length=100)
    code = models.CharField(_("部门编码"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级部门"),
    )
    head = models.ForeignKey(
        "Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
        verbose_name=_("部门负责人"),
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "parent", "name"], name="department_name_unique_in_parent"
            ),
            models.UniqueConstraint(
                fields=["company", "code"],
                condition=~models.Q(code=""),
                name="department_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Position(CompanyOwned):
    """A job title in a job family (岗位), e.g. 外贸业务员 in sales."""

    name = models.CharField(_("岗位名称"), max_length=100)
    job_family = models.CharField(
        _("岗位序列"), max_length=20, choices=JobFamily.choices, default=JobFamily.OFFICE
    )
    description = models.TextField(_("岗位说明"), blank=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["job_family", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="position_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class WorkLocation(CompanyOwned):
    """Where people work: decides their calendar, time zone and check-in geofence."""

    name = models.CharField(_("地点名称"), max_length=100)
    country = models.CharField(_("国家/地区代码"), max_length=2, default="CN")
    city = models.CharField(_("城市"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    geofence_radius_m = models.PositiveIntegerField(_("打卡范围（米）"), default=300)

    class Meta:
        verbose_name = _("工作地点")
        verbose_name_plural = _("工作地点")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="work_location_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"


class Tag(CompanyOwned):
    """A label on employees, e.g. 老员工 (veteran), 外派 (posted abroad)."""

    name = models.CharField(_("标签"), max_length=50)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="tag_name_unique")]

    def __str__(self) -> str:
        return self.name


class Employee(CompanyOwned):
    """A person employed by the company: the subject of attendance, KPIs and pay."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        verbose_name=_("登录账号"),
    )
    employee_number = models.CharField(_("工号"), max_length=40)
    name = models.CharField(_("姓名"), max_length=100)
    english_name = models.CharField(_("英文名"), max_length=100, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    hire_date = models.DateField(_("入职日期"))
    status = models.CharField(
        _("状态"), max_length=20, choices=EmployeeStatus.choices, default=EmployeeStatus.ACTIVE
    )
    probation_end_date = models.DateField(_("试用期结束"), null=True, blank=True)
    leave_start_date = models.DateField(_("休假开始"), null=True, blank=True)
    termination_date = models.DateField(_("离职日期"), null=True, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="employees",
        verbose_name=_("部门"),
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("岗位"),
    )
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
        verbose_name=_("直属上级"),
    )
    work_location = models.ForeignKey(
        WorkLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("工作地点"),
    )
    employment_type = models.CharField(
        _("用工类型"),
        max_length=20,
        choices=EmploymentType.choices,
        default=EmploymentType.FULL_TIME,
    )
    working_hour_system = models.CharField(
        _("工时制度"),
        max_length=20,
        choices=WorkingHourSystem.choices,
        default=WorkingHourSystem.STANDARD,
    )
    base_salary = models.DecimalField(
        _("月基本工资"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="employees", verbose_name=_("标签"))
    custom_fields = models.JSONField(_("自定义字段"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["employee_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "employee_number"], name="employee_number_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("id")), name="employee_not_own_manager"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status"]),
            models.Index(fields=["company", "name"]),
            models.Index(fields=["company", "hire_date"]),
            models.Index(fields=["company", "department", "employee_number"]),
            models.Index(fields=["company", "manager"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_number})"

    @property
    def time_zone(self) -> str:
        if self.work_location_id:
            return str(self.work_location.time_zone)  # type: ignore[union-attr]
        return str(self.company.time_zone)


class EmploymentChange(CompanyOwned):
    """One effective-dated change of department, manager, position, salary, location or status.

    The employee row always holds today's values; these rows let later
    capabilities ask "which department was she in on 2026-03-31?".
    """

    class Field(models.TextChoices):
        DEPARTMENT = "department", _("部门")
        MANAGER = "manager", _("直属上级")
        POSITION = "position", _("岗位")
        BASE_SALARY = "base_salary", _("月基本工资")
        WORK_LOCATION = "work_location", _("工作地点")
        STATUS = "status", _("状态")
        WORKING_HOUR_SYSTEM = "working_hour_system", _("工时制度")

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("变更项"), max_length=30, choices=Field.choices)
    old_value = models.CharField(_("原值"), max_length=200, blank=True)
    new_value = models.CharField(_("新值"), max_length=200, blank=True)
    old_display = models.CharField(max_length=200, blank=True)
    new_display = models.CharField(max_length=200, blank=True)
    effective_date = models.DateField(_("生效日期"))
    applied = models.BooleanField(_("已生效"), default=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("生效处理时间"), null=True, blank=True)
    apply_error = models.CharField(_("未能生效的原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("任职变更")
        verbose_name_plural = _("任职变更")
        ordering = ["-effective_date", "-id"]
        indexes = [
            models.Index(fields=["employee", "field", "effective_date"]),
            models.Index(fields=["company", "applied", "effective_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.field}: {self.old_display} → {self.new_display}"


class CustomField(CompanyOwned):
    """A company's own employee field (seed 002: e.g. 语种, 驻外国家, 客户等级)."""

    class Type(models.TextChoices):
        TEXT = "text", _("文本")
        NUMBER = "number", _("数字")
        DATE = "date", _("日期")
        CHOICE = "choice", _("选项")

    code = models.SlugField(_("字段编码"), max_length=40)
    label = models.CharField(_("字段名称"), max_length=100)
    field_type = models.CharField(_("类型"), max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(_("可选值"), default=list, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("自定义字段")
        verbose_name_plural = _("自定义字段")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="custom_field_code_unique")
        ]

    def __str__(self) -> str:
        return self.label

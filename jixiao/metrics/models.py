"""Indicators, data sources, metric events (the single store), aggregates, disputes.

Every row belongs to a company and is reachable only inside its scope. Metric
events are never deleted: corrections are new events that reverse or replace
earlier ones, so every aggregate keeps a path back to its source records.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jixiao.core.models import Company
from jixiao.org.models import CompanyOwned, Department, Employee

USER = settings.AUTH_USER_MODEL

VALUE_DIGITS = 18
VALUE_PLACES = 4


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Category(models.TextChoices):
    BEHAVIOUR = "behaviour", _("行为")
    OUTCOME = "outcome", _("结果")
    EFFICIENCY = "efficiency", _("效率")
    CUSTOMER = "customer", _("客户")
    MENTORING = "mentoring", _("传帮带")
    PROCESS = "process", _("流程改进")
    ATTENDANCE = "attendance", _("考勤")
    QUALITY = "quality", _("质量")
    INNOVATION = "innovation", _("创新")


class Aggregation(models.TextChoices):
    SUM = "sum", _("求和")
    COUNT = "count", _("计数")
    DISTINCT_COUNT = "distinct_count", _("去重计数")
    AVERAGE = "average", _("平均")
    LATEST = "latest", _("最新值")
    MINIMUM = "minimum", _("最小值")
    MAXIMUM = "maximum", _("最大值")
    RATIO = "ratio", _("比率")
    FORMULA = "formula", _("公式")


class Indicator(CompanyOwned):
    """An indicator (指标) of a company; what it means lives in its versions."""

    code = models.SlugField(_("指标编码"), max_length=60)
    current_version = models.ForeignKey(
        "IndicatorVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("当前版本"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="indicator_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class IndicatorVersion(CompanyOwned):
    """One immutable definition of an indicator; a plan keeps the version it agreed on."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    direction = models.CharField(
        _("方向"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    category = models.CharField(
        _("类别"), max_length=20, choices=Category.choices, default=Category.OUTCOME
    )
    aggregation = models.CharField(
        _("汇总方式"), max_length=20, choices=Aggregation.choices, default=Aggregation.SUM
    )
    numerator_code = models.SlugField(_("分子指标"), max_length=60, blank=True)
    denominator_code = models.SlugField(_("分母指标"), max_length=60, blank=True)
    distinct_key = models.CharField(_("去重依据（证据字段）"), max_length=60, blank=True)
    formula = models.CharField(_("公式"), max_length=500, blank=True)
    plausible_min = models.DecimalField(
        _("合理下限"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
    )
    plausible_max = models.DecimalField(
        _("合理上限"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
    )
    scale = models.PositiveSmallIntegerField(_("小数位"), default=2)
    change_reason = models.CharField(_("变更原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("指标版本")
        verbose_name_plural = _("指标版本")
        ordering = ["indicator", "number"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "number"], name="indicator_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} v{self.number}"


class SourceKind(models.TextChoices):
    FILE = "file", _("文件导入")
    PUSH = "push", _("推送接口")
    GIT = "git", _("Git 仓库")
    ISSUE_TRACKER = "issue_tracker", _("任务跟踪（Jira 格式）")
    CRM = "crm", _("CRM/销售系统")
    EMAIL = "email", _("邮件")
    ERP = "erp", _("ERP")
    ATTENDANCE = "attendance", _("考勤")
    ACTIVITY = "activity", _("产品内活动")
    MANUAL = "manual", _("手工填报")


def new_source_secret() -> str:
    return secrets.token_urlsafe(32)


class MetricSource(CompanyOwned):
    """Where metric events come from: a connector's configuration and its health."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=SourceKind.choices)
    config = models.JSONField(_("配置"), default=dict, blank=True)
    secret = models.CharField(_("签名密钥"), max_length=100, default=new_source_secret)
    schedule_minutes = models.PositiveIntegerField(_("同步间隔（分钟）"), null=True, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    cursor = models.JSONField(_("续传位置"), default=dict, blank=True)
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    failure_count = models.PositiveIntegerField(_("连续失败次数"), default=0)
    column_mapping = models.JSONField(
        _("导入列映射"),
        default=dict,
        blank=True,
        help_text=_("上次导入文件时使用的列映射（表头 → 字段），下次导入同一数据源时沿用。"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("数据源")
        verbose_name_plural = _("数据源")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="metric_source_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class SourceRun(CompanyOwned):
    """One sync, import or push batch of a source: what arrived and what became of it."""

    class Status(models.TextChoices):
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("成功")
        PARTIAL = "partial", _("部分成功")
        FAILED = "failed", _("失败")

    source = models.ForeignKey(MetricSource, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.RUNNING
    )
    received = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    corrected = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_detail = models.JSONField(default=list, blank=True)
    cursor_before = models.JSONField(default=dict, blank=True)
    cursor_after = models.JSONField(default=dict, blank=True)
    # What this run received and accepted per indicator and month (company time), the
    # source's side of the monthly reconciliation: {"code|YYYY-MM": {"received": n,
    # "received_sum": "…", "accepted": n, "accepted_sum": "…"}}. Null: not recorded.
    totals = models.JSONField(_("分项合计"), null=True, blank=True, default=None)

    class Meta:
        verbose_name = _("同步记录")
        verbose_name_plural = _("同步记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"])]

    def finish_mark(self, *, errors: int, received: int) -> None:
        """Finished now: failed when every item was refused, partial when some were."""
        self.finished_at = timezone.now()
        if errors and errors == received:
            self.status = SourceRun.Status.FAILED
        elif errors:
            self.status = SourceRun.Status.PARTIAL
        else:
            self.status = SourceRun.Status.SUCCEEDED

    def __str__(self) -> str:
        return f"{self.source_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class IdentityLink(CompanyOwned):
    """Who a source's user is: an email, CRM user id, Git author or device number → employee.

    ``source`` empty means the link holds for every source of the company.
    """

    source = models.ForeignKey(
        MetricSource, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    identity = models.CharField(_("外部身份"), max_length=200)
    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="identity_links", verbose_name=_("员工")
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("身份映射")
        verbose_name_plural = _("身份映射")
        ordering = ["identity"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source", "identity"],
                condition=models.Q(source__isnull=False),
                name="identity_link_unique_per_source",
            ),
            models.UniqueConstraint(
                fields=["company", "identity"],
                condition=models.Q(source__isnull=True),
                name="identity_link_unique_all_sources",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identity} → {self.employee_id}"


class UnmatchedIdentity(CompanyOwned):
    """An identity a source sent that no employee matches yet: HR's queue."""

    source = models.ForeignKey(MetricSource, on_delete=models.CASCADE, related_name="unmatched")
    identity = models.CharField(_("外部身份"), max_length=200)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    event_count = models.PositiveIntegerField(default=0)
    sample = models.JSONField(default=dict, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_link = models.ForeignKey(
        IdentityLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("未匹配身份")
        verbose_name_plural = _("未匹配身份")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["source", "identity"], name="unmatched_identity_unique")
        ]
        indexes = [models.Index(fields=["company", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.identity} ({self.event_count})"


class EventStatus(models.TextChoices):
    COUNTED = "counted", _("已计入")
    PARKED = "parked_unmatched", _("待匹配身份")
    SUPERSEDED = "superseded", _("已被更正")
    REVERSED = "reversed", _("已冲销")


class CorrectionKind(models.TextChoices):
    NONE = "", _("无")
    REVERSE = "reverse", _("冲销")
    REPLACE = "replace", _("替换")


class MetricEvent(CompanyOwned):
    """One data point from one source record: the single store every figure comes from.

    The table takes millions of rows, so it carries only the indexes its readers use.
    The foreign keys the ingest fills from rows it has just read (company, indicator,
    version, person, team, source, run) keep Django's relation and delete rules but no
    index and no database constraint of their own: each costs a B-tree write or a
    constraint check per stored event (measured: 757 s for a million events with them).
    Events are never deleted, people leave by status, and ``PROTECT`` is enforced by
    Django's delete collector.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    indicator_version = models.ForeignKey(
        IndicatorVersion,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    employee = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="metric_events",
        db_index=False,
        db_constraint=False,
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    value = models.DecimalField(_("数值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    occurred_at = models.DateTimeField(_("发生时间"))
    source = models.ForeignKey(
        MetricSource,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    source_event_id = models.CharField(_("来源记录编号"), max_length=200)
    identity = models.CharField(_("外部身份"), max_length=200, blank=True)
    evidence_url = models.URLField(_("证据链接"), max_length=500, blank=True)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    status = models.CharField(
        _("状态"), max_length=20, choices=EventStatus.choices, default=EventStatus.COUNTED
    )
    correction_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        db_index=False,
    )
    correction_kind = models.CharField(
        _("更正方式"), max_length=10, choices=CorrectionKind.choices, blank=True, default=""
    )
    anomalies = models.JSONField(_("异常标记"), default=list, blank=True)
    disputed = models.BooleanField(_("有争议"), default=False)
    ingested_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    run = models.ForeignKey(
        SourceRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("指标数据")
        verbose_name_plural = _("指标数据")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_event_id"], name="metric_event_source_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["company", "employee", "indicator", "occurred_at"]),
            models.Index(fields=["company", "indicator", "occurred_at"]),
            # The few rows that are not plain employee events get small partial indexes.
            models.Index(
                fields=["company", "department", "indicator", "occurred_at"],
                condition=models.Q(department__isnull=False),
                name="metric_event_team_idx",
            ),
            models.Index(
                fields=["company", "identity"],
                condition=models.Q(status="parked_unmatched"),
                name="metric_event_parked_idx",
            ),
            models.Index(
                fields=["correction_of"],
                condition=models.Q(correction_of__isnull=False),
                name="metric_event_correction_idx",
            ),
            models.Index(
                fields=["created_by"],
                condition=models.Q(created_by__isnull=False),
                name="metric_event_creator_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}={self.value} @{self.occurred_at:%Y-%m-%d}"

    @property
    def counts(self) -> bool:
        return self.status == EventStatus.COUNTED


class PeriodKind(models.TextChoices):
    DAY = "day", _("日")
    WEEK = "week", _("周")
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年")


class MetricValue(CompanyOwned):
    """The aggregate of one indicator for one employee (or team) and one period.

    Values are derived data, rewritten in bulk by every refresh: the keys carry no
    single-column index or database constraint of their own (the unique keys and the
    two composite indexes serve every reader); Django's delete collector cascades.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="values",
        db_index=False,
        db_constraint=False,
    )
    employee = models.ForeignKey(
        Employee,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="metric_values",
        db_index=False,
        db_constraint=False,
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    period_kind = models.CharField(_("周期"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("周期开始"))
    value = models.DecimalField(
        _("数值"), max_digits=24, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    value_note = models.CharField(_("说明"), max_length=200, blank=True)
    count = models.PositiveIntegerField(default=0)
    sum = models.DecimalField(max_digits=24, decimal_places=VALUE_PLACES, default=0)
    numerator = models.DecimalField(
        max_digits=24, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    denominator = models.DecimalField(
        max_digits=24, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    last_event_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("指标汇总")
        verbose_name_plural = _("指标汇总")
        ordering = ["indicator", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "indicator", "employee", "period_kind", "period_start"],
                condition=models.Q(employee__isnull=False),
                name="metric_value_employee_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "indicator", "department", "period_kind", "period_start"],
                condition=models.Q(employee__isnull=True),
                name="metric_value_department_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "employee", "period_kind", "period_start"]),
            models.Index(fields=["company", "indicator", "period_kind", "period_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period_kind} {self.period_start}: {self.value}"


class PendingRefresh(CompanyOwned):
    """A value refresh owed after a big batch: (person or team, indicator, time slot).

    Written in the batch's own transaction and claimed (``DELETE … RETURNING``) by the
    next drain, so that the refreshes of many batches pushed one after the other are
    done together: each person's periods are read once for all of them, and nothing is
    lost when a worker stops. Ids are plain numbers (0: none) so that the unique key
    folds repeats; ``at`` is the event time floored to 15 minutes, which keeps its local
    day in every time zone.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    employee_id = models.BigIntegerField(default=0)
    department_id = models.BigIntegerField(default=0)
    indicator_id = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "employee_id", "department_id", "indicator_id", "at"],
                name="pending_refresh_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id or self.department_id}/{self.indicator_id} @{self.at}"


class MetricDispute(CompanyOwned):
    """An employee doubts one of their data points; HR upholds (with a correction) or rejects."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("已更正")
        REJECTED = "rejected", _("已驳回")

    event = models.ForeignKey(MetricEvent, on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("异议理由"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(_("处理说明"), blank=True)
    resolved_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    correction_event = models.ForeignKey(
        MetricEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("数据异议")
        verbose_name_plural = _("数据异议")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "status"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.status}"


class ManualEntry(CompanyOwned):
    """A data point an employee reports by hand (e.g. a process suggestion and its saving)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("数值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    occurred_at = models.DateTimeField(_("发生时间"))
    description = models.TextField(_("说明"))
    evidence_url = models.URLField(_("证据链接"), max_length=500, blank=True)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    event = models.ForeignKey(
        MetricEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("手工填报")
        verbose_name_plural = _("手工填报")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "status"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.indicator_id}={self.value} {self.status}"


class PushNonce(CompanyOwned):
    """A push signature already accepted: the same signature again is a replay."""

    source = models.ForeignKey(MetricSource, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "signature"], name="push_nonce_unique")
        ]
        indexes = [models.Index(fields=["received_at"])]


class QualityCheck(CompanyOwned):
    """One stored data-quality check (seed 000): weekly integration check, monthly
    reconciliation, quarterly error rate — per-source results as they were found."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("每周集成检查")
        MONTHLY = "monthly", _("月度对账")
        QUARTERLY = "quarterly", _("季度错误率")

    class Status(models.TextChoices):
        OK = "ok", _("正常")
        WARNING = "warning", _("需关注")
        FAILING = "failing", _("异常")

    kind = models.CharField(_("检查类型"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束（不含）"))
    status = models.CharField(_("结果"), max_length=10, choices=Status.choices)
    summary = models.JSONField(_("汇总"), default=dict, blank=True)
    results = models.JSONField(_("各数据源结果"), default=list, blank=True)
    scheduled = models.BooleanField(_("定时执行"), default=False)
    triggered_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("数据质量检查")
        verbose_name_plural = _("数据质量检查")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "period_start"],
                condition=models.Q(scheduled=True),
                name="quality_check_scheduled_once",
            )
        ]
        indexes = [models.Index(fields=["company", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start} {self.status}"

"""The shipped indicator library: what the seeds and the issue ask to measure, ready to install.

Codes are the contract with connectors (``commits`` from Git, ``story_points`` from
the tracker, ``orders`` from the CRM…). Ratio and formula indicators come after
their parts so one pass installs them in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from jixiao.audit.services import AuditEntry, audit_record_many
from jixiao.core.models import Company, User
from jixiao.metrics.models import Aggregation as A
from jixiao.metrics.models import Category as C
from jixiao.metrics.models import Direction as D
from jixiao.metrics.models import Indicator, IndicatorVersion
from jixiao.metrics.services.indicators import IndicatorDefinition, version_fields


@dataclass(frozen=True)
class LibraryIndicator:
    code: str
    definition: IndicatorDefinition


def _i(
    code: str,
    name_zh: str,
    name_en: str,
    unit: str,
    category: str,
    aggregation: str,
    *,
    direction: str = D.HIGHER,
    numerator: str = "",
    denominator: str = "",
    distinct_key: str = "",
    formula: str = "",
    minimum: str | None = None,
    maximum: str | None = None,
    scale: int = 2,
    description: str = "",
) -> LibraryIndicator:
    return LibraryIndicator(
        code,
        IndicatorDefinition(
            name_zh=name_zh,
            name_en=name_en,
            unit=unit,
            direction=direction,
            category=category,
            aggregation=aggregation,
            numerator_code=numerator,
            denominator_code=denominator,
            distinct_key=distinct_key,
            formula=formula,
            plausible_min=Decimal(minimum) if minimum is not None else None,
            plausible_max=Decimal(maximum) if maximum is not None else None,
            scale=scale,
            description=description,
        ),
    )


LIBRARY: tuple[LibraryIndicator, ...] = (
    # Customers and sales (seeds 000, 002; CRM and sales systems)
    _i("customer_visits", "客户拜访次数", "Customer visits", "次", C.BEHAVIOUR, A.COUNT, scale=0,
       description="CRM 拜访记录，证据含时间、地点、客户。"),
    _i("customer_communication_minutes", "客户沟通时长", "Customer communication time", "分钟",
       C.BEHAVIOUR, A.SUM, minimum="0", maximum="1440"),
    _i("exhibition_leads", "展会线索数", "Exhibition leads", "条", C.BEHAVIOUR, A.COUNT, scale=0),
    _i("customers_served", "服务客户数", "Customers served", "个", C.CUSTOMER, A.DISTINCT_COUNT,
       distinct_key="customer", scale=0),
    _i("new_customers", "新客户数", "New customers", "个", C.OUTCOME, A.DISTINCT_COUNT,
       distinct_key="customer", scale=0),
    _i("repeat_customers", "复购客户数", "Repeat customers", "个", C.CUSTOMER, A.DISTINCT_COUNT,
       distinct_key="customer", scale=0),
    _i("repeat_purchase_rate", "老客户复购率", "Repeat-purchase rate", "%", C.CUSTOMER, A.RATIO,
       numerator="repeat_customers", denominator="customers_served", minimum="0", maximum="100"),
    _i("referred_customers", "转介绍客户数", "Referred customers", "个", C.CUSTOMER,
       A.DISTINCT_COUNT, distinct_key="customer", scale=0),
    _i("referral_rate", "老客户转介绍率", "Referral rate", "%", C.CUSTOMER, A.RATIO,
       numerator="referred_customers", denominator="customers_served", minimum="0",
       maximum="100"),
    _i("orders", "订单数", "Orders", "单", C.OUTCOME, A.COUNT, scale=0),
    _i("order_amount", "订单金额", "Order amount", "元", C.OUTCOME, A.SUM, minimum="0"),
    _i("conversion_rate", "项目转化率", "Conversion rate", "%", C.OUTCOME, A.RATIO,
       numerator="orders", denominator="customer_visits", minimum="0", maximum="100",
       description="订单数 ÷ 客户拜访次数。"),
    _i("amount_per_visit", "单次拜访成交额", "Order amount per visit", "元", C.EFFICIENCY,
       A.FORMULA, formula="order_amount / customer_visits"),
    _i("customer_satisfaction", "客户满意度", "Customer satisfaction", "分", C.CUSTOMER,
       A.AVERAGE, minimum="0", maximum="100"),
    _i("delivery_cycle_days", "订单交付周期", "Delivery cycle", "天", C.EFFICIENCY, A.AVERAGE,
       direction=D.LOWER, minimum="0", maximum="365", scale=1),
    _i("problem_resolution_hours", "问题解决时长", "Problem-resolution time", "小时",
       C.EFFICIENCY, A.AVERAGE, direction=D.LOWER, minimum="0", maximum="2000", scale=1),
    # Mentoring (seed 000: 带教新员工业绩转化率, 新员工留存率)
    _i("mentees", "带教新员工数", "Mentees", "人", C.MENTORING, A.DISTINCT_COUNT,
       distinct_key="mentee", scale=0),
    _i("mentees_converted", "业绩达标的带教新员工", "Mentees meeting targets", "人",
       C.MENTORING, A.DISTINCT_COUNT, distinct_key="mentee", scale=0),
    _i("mentee_conversion_rate", "带教新员工业绩转化率", "Mentee conversion rate", "%",
       C.MENTORING, A.RATIO, numerator="mentees_converted", denominator="mentees",
       minimum="0", maximum="100"),
    _i("mentees_retained", "留任的带教新员工", "Mentees retained", "人", C.MENTORING,
       A.DISTINCT_COUNT, distinct_key="mentee", scale=0),
    _i("mentee_retention_rate", "新员工留存率", "Mentee retention rate", "%", C.MENTORING,
       A.RATIO, numerator="mentees_retained", denominator="mentees", minimum="0",
       maximum="100"),
    # Process improvement (seed 000: 流程改进建议数量, 成本节省)
    _i("process_suggestions", "流程改进建议数", "Process suggestions", "条", C.PROCESS, A.COUNT,
       scale=0),
    _i("process_savings", "建议带来的成本节省", "Savings from suggestions", "元", C.PROCESS,
       A.SUM, minimum="0"),
    # Projects, R&D and innovation (seeds 002, 003, 004)
    _i("project_progress", "项目进度", "Project progress", "%", C.OUTCOME, A.LATEST,
       minimum="0", maximum="100", scale=0),
    _i("patents_filed", "专利申请数", "Patents filed", "件", C.INNOVATION, A.COUNT, scale=0),
    _i("documentation_quality", "文档质量评分", "Documentation quality", "分", C.QUALITY,
       A.AVERAGE, minimum="0", maximum="100", scale=1),
    _i("commits", "代码提交数", "Commits", "次", C.BEHAVIOUR, A.COUNT, scale=0),
    _i("merged_changes", "合并的变更数", "Merged changes", "个", C.OUTCOME, A.COUNT, scale=0),
    _i("resolved_issues", "解决的任务数", "Resolved issues", "个", C.OUTCOME, A.COUNT, scale=0),
    _i("bugs", "缺陷数", "Bugs", "个", C.QUALITY, A.COUNT, direction=D.LOWER, scale=0),
    _i("bug_rate", "Bug 率", "Bug rate", "%", C.QUALITY, A.RATIO, direction=D.LOWER,
       numerator="bugs", denominator="resolved_issues", minimum="0"),
    _i("story_points", "完成故事点", "Story points", "点", C.OUTCOME, A.SUM, minimum="0",
       maximum="100", scale=1),
    _i("cycle_time_days", "任务周期", "Cycle time", "天", C.EFFICIENCY, A.AVERAGE,
       direction=D.LOWER, minimum="0", maximum="365", scale=1),
    _i("user_growth", "用户增长数", "User growth", "人", C.OUTCOME, A.SUM, scale=0),
    _i("cross_department_support", "跨部门支持次数", "Cross-department support", "次",
       C.BEHAVIOUR, A.COUNT, scale=0),
    # Email (metadata only)
    _i("customer_emails", "客户邮件数", "Customer emails", "封", C.BEHAVIOUR, A.COUNT, scale=0),
    _i("customer_email_threads", "客户邮件会话数", "Customer email threads", "个", C.BEHAVIOUR,
       A.DISTINCT_COUNT, distinct_key="thread", scale=0),
    # Production and ERP
    _i("output_units", "产量", "Output", "件", C.OUTCOME, A.SUM, minimum="0", scale=0),
    _i("defective_units", "不良品数", "Defective units", "件", C.QUALITY, A.SUM,
       direction=D.LOWER, minimum="0", scale=0),
    _i("defect_rate", "不良率", "Defect rate", "%", C.QUALITY, A.RATIO, direction=D.LOWER,
       numerator="defective_units", denominator="output_units", minimum="0", maximum="100"),
    # Attendance: one event per employee and month, published when HR locks the month
    # (jixiao.metrics.attendance_feed), so the monthly ranges apply.
    _i("scheduled_days", "应出勤天数", "Scheduled days", "天", C.ATTENDANCE, A.SUM,
       minimum="0", maximum="31", scale=1),
    _i("punched_days", "打卡天数", "Days punched", "天", C.ATTENDANCE, A.SUM, minimum="0",
       maximum="31", scale=1, description="有完整打卡（或已批准补卡）的应出勤日。"),
    _i("punch_rate", "打卡率", "Punch rate", "%", C.ATTENDANCE, A.RATIO,
       numerator="punched_days", denominator="scheduled_days", minimum="0", maximum="100",
       description="打卡天数 ÷ 应出勤天数，如元老方案的“打卡率 ≥ 90%”。"),
    _i("attended_days", "出勤天数", "Days attended", "天", C.ATTENDANCE, A.SUM, minimum="0",
       maximum="31", scale=1),
    _i("attendance_rate", "出勤率", "Attendance rate", "%", C.ATTENDANCE, A.RATIO,
       numerator="attended_days", denominator="scheduled_days", minimum="0", maximum="100"),
    _i("overtime_hours", "加班时长", "Overtime hours", "小时", C.ATTENDANCE, A.SUM,
       direction=D.LOWER, minimum="0", maximum="400", scale=1),
    _i("flexible_work_hours", "弹性工作时长", "Flexible working hours", "小时", C.ATTENDANCE,
       A.SUM, minimum="0", maximum="400", scale=1),
    _i("night_hours", "夜间工作时长", "Night work hours", "小时", C.ATTENDANCE, A.SUM,
       minimum="0", maximum="400", scale=1),
    _i("late_count", "迟到次数", "Times late", "次", C.ATTENDANCE, A.SUM, direction=D.LOWER,
       minimum="0", maximum="31", scale=0),
    # In-product activity
    _i("praise_received", "收到的表扬", "Praise received", "次", C.BEHAVIOUR, A.COUNT, scale=0),
    _i("one_on_ones", "一对一面谈次数", "1:1 meetings", "次", C.BEHAVIOUR, A.COUNT, scale=0),
)  # fmt: skip


def library_codes() -> list[str]:
    return [item.code for item in LIBRARY]


@transaction.atomic
def library_install(*, company: Company, actor: User | None) -> list[Indicator]:
    """Copy the library into a company; indicators it already has are left as they are.

    Returns the indicators created (none on a second run), with one audit event
    each, written in one pass. The library's definitions are checked by its tests
    (``definition_check``), so they are inserted in bulk here.
    """
    existing = set(Indicator.objects.filter(company=company).values_list("code", flat=True))
    missing = [item for item in LIBRARY if item.code not in existing]
    if not missing:
        return []
    Indicator.objects.bulk_create([Indicator(company=company, code=item.code) for item in missing])
    created = list(Indicator.objects.filter(company=company, code__in=[i.code for i in missing]))
    by_code = {indicator.code: indicator for indicator in created}
    IndicatorVersion.objects.bulk_create(
        [
            IndicatorVersion(
                company=company,
                indicator=by_code[item.code],
                number=1,
                created_by=actor,
                change_reason="library",
                **version_fields(item.definition),
            )
            for item in missing
        ]
    )
    by_id = {indicator.pk: indicator for indicator in created}
    for version in IndicatorVersion.objects.filter(indicator__in=created, number=1):
        by_id[version.indicator_id].current_version = version
    Indicator.objects.bulk_update(created, ["current_version"])
    audit_record_many(
        company=company,
        actor=actor,
        entries=[
            AuditEntry(
                action="metrics.indicator.create",
                object_type="metrics.indicator",
                object_id=str(indicator.pk),
                object_repr=indicator.code,
                changes={"code": [None, indicator.code]},
            )
            for indicator in created
        ],
        reason="indicator library install",
    )
    return created

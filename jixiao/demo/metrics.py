"""Work activity for the demo companies: the indicator library, sources and metric events.

Each company gets the shipped library and the sources its story names, and about
three months of events drawn from a seeded generator, all stored through the real
ingest paths (``metric_events_ingest``, and ``metric_events_bulk_import`` for an
exported file) so identity matching, idempotency, anomaly flags and aggregates are the
real ones. The demo has no outside systems to pull from, so its sources are push
sources, or file sources, named after the systems that would send:

- 海星外贸 (seed 000): the CRM pushes customers, repeat purchases and orders; 王姐 keeps
  9 of her 10 old customers buying every month (复购率 90%), and 小李, whom she mentors,
  turns 17 of 20 customer contacts a month into orders (转化率 85%); mail metadata
  counts customer emails; 王姐's process suggestion with its saving is approved, 张姐's
  waits for her manager; 张姐 disputes one order; one CRM user is not matched yet.
- 华锐汽车零部件 (seed 002): the MES/ERP export file (imported by the bulk path) gives
  output and defective units per assembly worker and day; the overseas sales reps' visits and exhibition leads come
  from the CRM with place and customer.
- 蓝河环保设备 (seed 003): visits, orders and amounts for the sales reps; satisfaction
  scores and problem-resolution times for after-sales.
- 云帆软件 (seed 004): commits and merged changes from Git, resolved issues, bugs and
  story points from the tracker, user growth for operations.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django_scopes import scope

from jixiao.attendance.services.results import attendance_month_lock
from jixiao.core.models import Company, Role, User
from jixiao.demo.attendance import months_back
from jixiao.metrics.attendance_feed import attendance_month_publish
from jixiao.metrics.event_input import EventInput
from jixiao.metrics.library import library_install
from jixiao.metrics.models import (
    Indicator,
    ManualEntry,
    MetricDispute,
    MetricEvent,
    MetricSource,
    MetricValue,
    SourceKind,
)
from jixiao.metrics.services.bulk_import import metric_events_bulk_import
from jixiao.metrics.services.disputes import dispute_raise, dispute_resolve
from jixiao.metrics.services.indicators import (
    IndicatorDefinition,
    indicator_create,
    indicator_set_active,
    indicator_version_create,
)
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.manual import manual_entry_decide, manual_entry_submit
from jixiao.metrics.services.quality import quality_check_run
from jixiao.metrics.services.sources import source_create
from jixiao.org.models import Employee

UNMATCHED_CRM_USER = "crm-user-4471"


@dataclass(frozen=True)
class Demo:
    company: Company
    hr: User
    zone: zoneinfo.ZoneInfo
    start: dt.date
    end: dt.date
    rng: random.Random


def _people(company: Company, *positions: str) -> list[Employee]:
    return list(
        Employee.objects.filter(company=company, position__name__in=positions)
        .select_related("user")
        .order_by("employee_number")
    )


def _person(company: Company, handle: str) -> Employee | None:
    return (
        Employee.objects.filter(company=company, user__username__startswith=f"{handle}@")
        .select_related("user")
        .first()
    )


def _workdays(demo: Demo) -> list[dt.date]:
    day, days = demo.start, []
    while day <= demo.end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _months(demo: Demo) -> list[dt.date]:
    first, months = demo.start.replace(day=1), []
    while first <= demo.end:
        months.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return months


def _at(demo: Demo, day: dt.date, minute: int) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=demo.zone)
    return local.astimezone(dt.UTC)


def _event(
    demo: Demo,
    person: Employee,
    code: str,
    value: int | str | Decimal,
    day: dt.date,
    key: str,
    *,
    minute: int = 10 * 60,
    url: str = "",
    **evidence: str | int,
) -> EventInput:
    return EventInput(
        indicator_code=code,
        value=Decimal(value),
        occurred_at=_at(demo, day, minute),
        source_event_id=key,
        employee_number=person.employee_number,
        evidence_url=url,
        evidence=dict(evidence),
    )


def _source(demo: Demo, name: str, kind: str, config: dict[str, object]) -> MetricSource:
    return source_create(company=demo.company, actor=demo.hr, name=name, kind=kind, config=config)


def _ingest(demo: Demo, source: MetricSource, items: Sequence[EventInput]) -> None:
    for start in range(0, len(items), 1000):
        metric_events_ingest(
            company=demo.company, source=source, items=items[start : start + 1000], actor=demo.hr
        )


def _customer_days(demo: Demo, month: dt.date) -> list[dt.date]:
    return [d for d in _workdays(demo) if d.year == month.year and d.month == month.month]


def _haixing(demo: Demo) -> None:
    crm = _source(
        demo,
        "CRM 客户系统（推送）",
        SourceKind.PUSH,
        {"note": "CRM 通过签名接口推送客户、复购和订单"},
    )
    mail = _source(demo, "企业邮箱元数据（推送）", SourceKind.PUSH, {})
    sales = _people(demo.company, "老客户维护主管", "资深外贸业务员", "外贸业务员")
    wangjie = _person(demo.company, "wangjie")
    xiaoli = _person(demo.company, "xiaoli")
    items: list[EventInput] = []
    mails: list[EventInput] = []
    for month in _months(demo):
        days = _customer_days(demo, month)
        if not days:
            continue
        tag = f"{month:%Y%m}"
        for person in sales:
            veteran = person != xiaoli
            customers = 10 if veteran else 6
            repeat = 9 if person == wangjie else demo.rng.randint(6, 9) if veteran else 2
            for n in range(customers):
                customer = f"{person.employee_number}-客户{n + 1:02d}"
                day = days[min(n, len(days) - 1)]
                items.append(
                    _event(
                        demo,
                        person,
                        "customers_served",
                        1,
                        day,
                        f"crm-served-{tag}-{customer}",
                        customer=customer,
                    )
                )
                if n < repeat:
                    order = f"PO{tag}{person.employee_number[-3:]}{n:02d}"
                    items.append(
                        _event(
                            demo,
                            person,
                            "repeat_customers",
                            1,
                            day,
                            f"crm-repeat-{tag}-{customer}",
                            customer=customer,
                            order=order,
                        )
                    )
            visits = 20 if person == xiaoli else demo.rng.randint(10, 16)
            orders = 17 if person == xiaoli else demo.rng.randint(5, visits - 2)
            for n in range(visits):
                day = days[n % len(days)]
                items.append(
                    _event(
                        demo,
                        person,
                        "customer_visits",
                        1,
                        day,
                        f"crm-contact-{tag}-{person.employee_number}-{n}",
                        customer=f"询盘客户{n + 1:02d}",
                        channel="视频会议",
                    )
                )
            for n in range(orders):
                day = days[(n * 2) % len(days)]
                order = f"SO{tag}{person.employee_number[-3:]}{n:02d}"
                items.append(
                    _event(demo, person, "orders", 1, day, f"crm-order-{order}", order=order)
                )
                items.append(
                    _event(
                        demo,
                        person,
                        "order_amount",
                        demo.rng.randint(8, 60) * 1000,
                        day,
                        f"crm-amount-{order}",
                        order=order,
                        currency="CNY",
                    )
                )
            for day in days:
                for n in range(demo.rng.randint(0, 2)):
                    mails.append(
                        _event(
                            demo,
                            person,
                            "customer_emails",
                            1,
                            day,
                            f"<{day:%Y%m%d}.{n}.{person.employee_number}@mail.haixing>",
                            minute=9 * 60 + n * 50,
                            domain="customer.example.de",
                        )
                    )
        if wangjie and xiaoli:
            items.append(
                _event(
                    demo,
                    wangjie,
                    "mentees",
                    1,
                    days[0],
                    f"crm-mentee-{tag}",
                    mentee=xiaoli.employee_number,
                )
            )
            items.append(
                _event(
                    demo,
                    wangjie,
                    "mentees_converted",
                    1,
                    days[-1],
                    f"crm-mentee-converted-{tag}",
                    mentee=xiaoli.employee_number,
                )
            )
    if sales:
        items.append(
            EventInput(
                indicator_code="orders",
                value=Decimal(1),
                occurred_at=_at(demo, demo.end, 15 * 60),
                source_event_id="crm-order-unmatched-1",
                identity=UNMATCHED_CRM_USER,
                evidence={"order": "SO-UNMATCHED-1"},
            )
        )
    _ingest(demo, crm, items)
    _ingest(demo, mail, mails)
    _suggestions(demo)
    _dispute(demo, crm)
    _order_corrections(demo, crm)
    _library_changes(demo)
    _more_manual_entries(demo)
    _failing_pull_source(demo)
    _quality_checks(demo)


def _suggestions(demo: Demo) -> None:
    """王姐's suggestion approved by her manager; 张姐's still waiting."""
    savings = Indicator.objects.get(company=demo.company, code="process_savings")
    day = demo.end - dt.timedelta(days=10)
    for part, text, amount, approve in (
        ("wangjie", "单证与报关资料合并一次录入，减少重复劳动", "12000", True),
        ("zhangjie", "样品寄送改用月结快递协议价", "3600", False),
    ):
        person = _person(demo.company, part)
        if person is None or person.user is None:
            continue
        entry = manual_entry_submit(
            employee=person,
            actor=person.user,
            indicator=savings,
            value=Decimal(amount),
            occurred_at=_at(demo, day, 11 * 60),
            description=text,
        )
        manager = person.manager
        if approve and manager is not None and manager.user is not None:
            manual_entry_decide(entry=entry, actor=manager.user, approve=True, note="同意，已推广")


def _dispute(demo: Demo, crm: MetricSource) -> None:
    zhangjie = _person(demo.company, "zhangjie")
    if zhangjie is None or zhangjie.user is None:
        return
    event = (
        MetricEvent.objects.filter(
            company=demo.company, employee=zhangjie, indicator__code="order_amount"
        )
        .order_by("-occurred_at")
        .first()
    )
    if event is not None:
        dispute_raise(
            event=event,
            employee=zhangjie,
            actor=zhangjie.user,
            reason="这张订单客户追加了 5000 元，CRM 里金额没有更新",
        )


def _order_corrections(demo: Demo, crm: MetricSource) -> None:
    """The CRM corrected some order amounts this quarter; HR settled two disputes.

    Enough corrections and disputes that the quarter's error rate stands above the 1%
    line on the data-quality page (seed 000: "错误率超过 1% 要查原因").
    """
    quarter_start = demo.end.replace(month=(demo.end.month - 1) // 3 * 3 + 1, day=1)
    amounts = list(
        MetricEvent.objects.filter(
            company=demo.company,
            indicator__code="order_amount",
            occurred_at__gte=_at(demo, quarter_start, 0),
            correction_of__isnull=True,
        )
        .exclude(disputes__isnull=False)
        .order_by("occurred_at", "pk")
    )
    if not amounts:
        return
    corrections = [
        EventInput(
            indicator_code="order_amount",
            value=event.value + 2000,
            occurred_at=event.occurred_at,
            source_event_id=f"{event.source_event_id}~1",
            employee_number=event.employee.employee_number if event.employee else "",
            evidence={**event.evidence, "note": "客户追加数量，CRM 更正金额"},
            correction="replace",
            corrects=event.source_event_id,
        )
        for event in amounts[: max(2, len(amounts) // 10)]
    ]
    _ingest(demo, crm, corrections)
    for number, (handle, upheld) in enumerate((("xiaoli", False), ("wangjie", True))):
        person = _person(demo.company, handle)
        if person is None or person.user is None:
            continue
        event = (
            MetricEvent.objects.filter(
                company=demo.company,
                employee=person,
                indicator__code="orders",
                status="counted",
                occurred_at__gte=_at(demo, quarter_start, 0),
            )
            .order_by("pk")
            .first()
        )
        if event is None:
            continue
        dispute = dispute_raise(
            event=event,
            employee=person,
            actor=person.user,
            reason="这笔订单是同事的客户，记到了我名下" if upheld else "我记得这单还有一笔",
        )
        dispute_resolve(
            dispute=dispute,
            actor=demo.hr,
            upheld=upheld,
            note="核对 CRM 后撤销" if upheld else f"核对 CRM：只有一笔订单（#{number + 1}）",
        )


def _library_changes(demo: Demo) -> None:
    """HR's own work on the library: a new version with its reason, a stopped indicator
    and an indicator of HR's own (a formula over two shipped ones)."""
    conversion = Indicator.objects.get(company=demo.company, code="conversion_rate")
    current = conversion.current_version
    if current is not None:
        definition = IndicatorDefinition(
            **{name: getattr(current, name) for name in IndicatorDefinition.__dataclass_fields__}
        )
        definition = dataclasses.replace(
            definition, description="订单数 ÷ 拜访数；视频会议与线上咨询算作拜访。"
        )
        indicator_version_create(
            indicator=conversion,
            actor=demo.hr,
            definition=definition,
            reason="把线上咨询算作拜访：外贸客户多在视频会议上成交",
        )
    patents = Indicator.objects.filter(company=demo.company, code="patents_filed").first()
    if patents is not None:
        indicator_set_active(
            indicator=patents, actor=demo.hr, active=False, reason="外贸公司暂不考核专利"
        )
    indicator_create(
        company=demo.company,
        actor=demo.hr,
        code="savings_per_suggestion",
        definition=IndicatorDefinition(
            name_zh="每条建议节省",
            name_en="Savings per suggestion",
            unit="元",
            category="process",
            aggregation="formula",
            formula="process_savings / process_suggestions",
            description="流程建议的平均节省金额",
        ),
        reason="看建议的质量，不只看数量",
    )


def _more_manual_entries(demo: Demo) -> None:
    """A rejected entry with its reason, and 王姐's own entry waiting for her manager."""
    savings = Indicator.objects.get(company=demo.company, code="process_savings")
    day = demo.end - dt.timedelta(days=6)
    xiaoli = _person(demo.company, "xiaoli")
    if xiaoli is not None and xiaoli.user is not None:
        entry = manual_entry_submit(
            employee=xiaoli,
            actor=xiaoli.user,
            indicator=savings,
            value=Decimal("800"),
            occurred_at=_at(demo, day, 16 * 60),
            description="报价单模板改为中英双语",
        )
        manager = xiaoli.manager
        if manager is not None and manager.user is not None:
            manual_entry_decide(
                entry=entry,
                actor=manager.user,
                approve=False,
                note="好主意，但节省金额请按实际减少的返工时间重新估算",
            )
    wangjie = _person(demo.company, "wangjie")
    if wangjie is not None and wangjie.user is not None:
        manual_entry_submit(
            employee=wangjie,
            actor=wangjie.user,
            indicator=savings,
            value=Decimal("5000"),
            occurred_at=_at(demo, day, 10 * 60),
            description="老客户复购提醒改成 CRM 自动任务",
        )


def _failing_pull_source(demo: Demo) -> None:
    """The order system's hourly pull has failed three times since this morning."""
    source = source_create(
        company=demo.company,
        actor=demo.hr,
        name="订单系统（每小时拉取）",
        kind=SourceKind.CRM,
        config={"base_url": "https://orders.haixing.example/api", "identity_field": "email"},
        schedule_minutes=60,
    )
    last_success = _at(demo, demo.end, 23 * 60)
    MetricSource.objects.filter(pk=source.pk).update(
        last_success_at=last_success,
        last_attempt_at=last_success + dt.timedelta(hours=8),
        failure_count=3,
        last_error="HTTP 503：订单系统维护中",
    )


def _quality_checks(demo: Demo) -> None:
    """Last week's integration check, last month's reconciliation, last quarter's error rate."""
    now = _at(demo, demo.end + dt.timedelta(days=1), 8 * 60)
    for kind in ("weekly", "monthly", "quarterly"):
        quality_check_run(company=demo.company, kind=kind, actor=None, scheduled=True, now=now)


def _huarui(demo: Demo) -> None:
    erp = _source(demo, "MES/ERP 日产量（导出文件）", SourceKind.FILE, {})
    crm = _source(demo, "海外 CRM（推送）", SourceKind.PUSH, {})
    # The MES exports a CSV of each day's output and defects; HR imports it as a file
    # (the bulk path, as a real quarter's export of every worker would go).
    lines = [["工号", "指标编码", "数值", "发生时间", "来源编号", "地点"]]
    for person in _people(demo.company, "装配工", "冲压工", "班组长")[:12]:
        skill = demo.rng.uniform(0.6, 1.3)
        for day in _workdays(demo):
            output = int(demo.rng.gauss(400 * skill, 30))
            defects = max(0, int(demo.rng.gauss(output * 0.012 / skill, 1.5)))
            key = f"erp-{day:%Y%m%d}-{person.employee_number}"
            at = f"{day:%Y-%m-%d} 17:00"
            lines.append([person.employee_number, "output_units", str(output), at, f"{key}-out",
                          "总装线"])  # fmt: skip
            lines.append([person.employee_number, "defective_units", str(defects), at,
                          f"{key}-def", "总装线"])  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    metric_events_bulk_import(
        company=demo.company, file=out.getvalue().encode(), actor=demo.hr,
        mode="all_or_nothing", file_name="MES日产量导出.csv", source=erp,
    )  # fmt: skip
    visits: list[EventInput] = []
    for person in _people(demo.company, "驻外销售代表", "区域销售经理"):
        location = person.work_location.name if person.work_location else ""
        for n, day in enumerate(_workdays(demo)):
            if demo.rng.random() < 0.35:
                visits.append(
                    _event(
                        demo,
                        person,
                        "customer_visits",
                        1,
                        day,
                        f"crm-visit-{person.employee_number}-{n}",
                        customer=f"主机厂客户{demo.rng.randint(1, 12):02d}",
                        location=location,
                    )
                )
            if demo.rng.random() < 0.05:
                visits.append(
                    _event(
                        demo,
                        person,
                        "exhibition_leads",
                        1,
                        day,
                        f"crm-lead-{person.employee_number}-{n}",
                        location=location,
                        exhibition="汽配展",
                    )
                )
    _ingest(demo, crm, visits)


def _lanhe(demo: Demo) -> None:
    crm = _source(demo, "销售 CRM（推送）", SourceKind.PUSH, {})
    service = _source(demo, "售后工单系统（推送）", SourceKind.PUSH, {})
    items: list[EventInput] = []
    for person in _people(demo.company, "销售代表", "区域销售经理")[:8]:
        for n, day in enumerate(_workdays(demo)):
            for k in range(demo.rng.randint(0, 3)):
                customer = f"水务客户{demo.rng.randint(1, 40):02d}"
                items.append(
                    _event(
                        demo,
                        person,
                        "customer_visits",
                        1,
                        day,
                        f"visit-{person.employee_number}-{n}-{k}",
                        minute=10 * 60 + k * 90,
                        customer=customer,
                        location="客户现场",
                    )
                )
                if demo.rng.random() < 0.25:
                    order = f"LH{day:%Y%m%d}{person.employee_number[-3:]}{k}"
                    items.append(
                        _event(
                            demo,
                            person,
                            "orders",
                            1,
                            day,
                            f"order-{order}",
                            order=order,
                            customer=customer,
                        )
                    )
                    items.append(
                        _event(
                            demo,
                            person,
                            "order_amount",
                            demo.rng.randint(20, 300) * 1000,
                            day,
                            f"amount-{order}",
                            order=order,
                            customer=customer,
                        )
                    )
    _ingest(demo, crm, items)
    tickets: list[EventInput] = []
    for person in _people(demo.company, "售后工程师", "客服专员", "售后服务经理"):
        for day in _workdays(demo):
            if demo.rng.random() < 0.6:
                ticket = f"GD{day:%Y%m%d}{person.employee_number[-3:]}"
                hours = round(demo.rng.uniform(2, 30), 1)
                tickets.append(
                    _event(
                        demo,
                        person,
                        "problem_resolution_hours",
                        str(hours),
                        day,
                        f"{ticket}-hours",
                        ticket=ticket,
                    )
                )
                tickets.append(
                    _event(
                        demo,
                        person,
                        "customer_satisfaction",
                        demo.rng.choice((80, 90, 100)),
                        day,
                        f"{ticket}-score",
                        ticket=ticket,
                        survey="回访满意度",
                    )
                )
    _ingest(demo, service, tickets)


def _yunfan(demo: Demo) -> None:
    git = _source(demo, "Git 代码仓库（推送）", SourceKind.PUSH, {})
    tracker = _source(demo, "任务跟踪（推送）", SourceKind.PUSH, {})
    ops = _source(demo, "用户增长看板（推送）", SourceKind.PUSH, {})
    commits: list[EventInput] = []
    issues: list[EventInput] = []
    engineers = _people(
        demo.company, "后端工程师", "前端工程师", "测试工程师", "技术组长", "研发总监"
    )
    for person in engineers[:12]:
        for day in _workdays(demo):
            for k in range(demo.rng.randint(0, 2)):
                sha = f"{demo.rng.getrandbits(160):040x}"
                commits.append(
                    _event(
                        demo,
                        person,
                        "commits",
                        1,
                        day,
                        f"commit-{sha}",
                        minute=10 * 60 + k * 70,
                        sha=sha[:12],
                        repo="yunfan/app",
                    )
                )
            if demo.rng.random() < 0.3:
                sha = f"{demo.rng.getrandbits(160):040x}"
                commits.append(
                    _event(
                        demo,
                        person,
                        "merged_changes",
                        1,
                        day,
                        f"merge-{sha}",
                        minute=17 * 60,
                        sha=sha[:12],
                        repo="yunfan/app",
                    )
                )
            if demo.rng.random() < 0.4:
                key = f"YF-{demo.rng.randint(1000, 9999)}-{person.employee_number}-{day:%m%d}"
                url = f"https://jira.yunfan.example.com/browse/{key.split('-')[0]}-{key.split('-')[1]}"
                issues.append(
                    _event(
                        demo,
                        person,
                        "resolved_issues",
                        1,
                        day,
                        f"{key}-done",
                        minute=16 * 60,
                        url=url,
                        issue=key,
                    )
                )
                issues.append(
                    _event(
                        demo,
                        person,
                        "story_points",
                        demo.rng.choice((1, 2, 3, 5)),
                        day,
                        f"{key}-points",
                        minute=16 * 60,
                        url=url,
                        issue=key,
                    )
                )
                if demo.rng.random() < 0.15:
                    issues.append(
                        _event(
                            demo,
                            person,
                            "bugs",
                            1,
                            day,
                            f"{key}-bug",
                            minute=16 * 60,
                            url=url,
                            issue=key,
                        )
                    )
    _ingest(demo, git, commits)
    _ingest(demo, tracker, issues)
    growth = [
        _event(
            demo,
            person,
            "user_growth",
            demo.rng.randint(20, 120),
            day,
            f"growth-{day:%Y%m%d}-{person.employee_number}",
            channel="小程序",
        )
        for person in _people(demo.company, "用户运营", "运营经理")
        for day in _workdays(demo)
    ]
    _ingest(demo, ops, growth)


BUILDERS = {"haixing": _haixing, "huarui": _huarui, "lanhe": _lanhe, "yunfan": _yunfan}


def metrics_demo_build(companies: Iterable[Company], *, now: dt.datetime) -> None:
    """The library, sources and about three months of events for each demo company."""
    for company in companies:
        zone = zoneinfo.ZoneInfo(company.time_zone)
        today = now.astimezone(zone).date()
        with scope(company=company):
            hr = User.objects.filter(company=company, role=Role.HR_ADMIN).order_by("pk").first()
            library_install(company=company, actor=hr)
            if hr is None:
                continue
            demo = Demo(
                company=company,
                hr=hr,
                zone=zone,
                start=months_back(today, 2),
                end=today - dt.timedelta(days=1),
                rng=random.Random(f"metrics-{company.slug}"),
            )
            BUILDERS[company.slug](demo)
            _attendance_month(demo)


def _attendance_month(demo: Demo) -> None:
    """HR has closed the oldest demo month: its summaries are published as metrics."""
    month = demo.start.replace(day=1)
    attendance_month_lock(
        company=demo.company, year=month.year, month=month.month, actor=demo.hr, confirm=True
    )
    attendance_month_publish(
        company=demo.company, year=month.year, month=month.month, actor=demo.hr
    )


def metrics_demo_remove(company: Company) -> None:
    """Metric rows protect employees and indicators; remove them before the company."""
    MetricDispute.objects.filter(company=company).delete()
    ManualEntry.objects.filter(company=company).update(event=None)
    ManualEntry.objects.filter(company=company).delete()
    MetricValue.objects.filter(company=company).delete()
    MetricEvent.objects.filter(company=company).update(correction_of=None)
    MetricEvent.objects.filter(company=company).delete()
    Indicator.objects.filter(company=company).update(current_version=None)
    MetricSource.objects.filter(company=company).delete()

"""The demo's metrics: the seeds' figures come out of real events through the real ingest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import AttendanceMonth
from jixiao.core.models import Company
from jixiao.demo.builder import DemoLoadResult
from jixiao.demo.metrics import UNMATCHED_CRM_USER
from jixiao.metrics.library import LIBRARY
from jixiao.metrics.models import (
    Indicator,
    ManualEntry,
    MetricDispute,
    MetricEvent,
    MetricValue,
    PeriodKind,
    QualityCheck,
    UnmatchedIdentity,
)
from jixiao.metrics.selectors_quality import company_error_rates
from jixiao.org.models import Employee

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2026, 10, 1)
QUARTER = dt.date(2026, 10, 1)
SEPTEMBER = dt.date(2026, 9, 1)


def _month_value(company: Company, handle: str, code: str, month: dt.date) -> Decimal | None:
    person = Employee.objects.get(company=company, user__username__startswith=f"{handle}@")
    return MetricValue.objects.get(
        company=company,
        employee=person,
        indicator__code=code,
        period_kind=PeriodKind.MONTH,
        period_start=month,
    ).value


def test_the_seed_figures_and_the_data_quality_cases(demo_metrics: None) -> None:
    with scopes_disabled():
        haixing = Company.objects.get(slug="haixing")
    with scope(company=haixing):
        # The shipped library plus HR's own formula indicator; one version 2, one stopped.
        assert Indicator.objects.filter(company=haixing).count() == len(LIBRARY) + 1
        own = Indicator.objects.get(company=haixing, code="savings_per_suggestion")
        assert own.current_version.formula == "process_savings / process_suggestions"  # type: ignore[union-attr]
        conversion = Indicator.objects.get(company=haixing, code="conversion_rate")
        assert conversion.current_version.number == 2  # type: ignore[union-attr]
        assert conversion.current_version.change_reason  # type: ignore[union-attr]
        assert not Indicator.objects.get(company=haixing, code="patents_filed").is_active
        # Seed 000: 王姐 keeps 9 of 10 old customers buying (复购率 90%) …
        assert _month_value(haixing, "wangjie", "repeat_purchase_rate", OCTOBER) == Decimal(90)
        # … and 小李 turns 17 of 20 customer contacts into orders (转化率 85%).
        assert _month_value(haixing, "xiaoli", "conversion_rate", OCTOBER) == Decimal(85)
        # September is closed: its 打卡率 is published from the attendance summary.
        assert AttendanceMonth.objects.get(company=haixing, year=2026, month=9).status == "locked"
        assert _month_value(haixing, "lige", "punch_rate", SEPTEMBER) is not None
        assert ManualEntry.objects.filter(company=haixing, status="approved").count() == 1
        assert ManualEntry.objects.filter(company=haixing, status="rejected").count() == 1
        assert ManualEntry.objects.filter(company=haixing, status="submitted").count() == 2
        assert MetricDispute.objects.filter(company=haixing, status="open").count() == 1
        assert MetricDispute.objects.filter(company=haixing, status="upheld").count() == 1
        assert MetricDispute.objects.filter(company=haixing, status="rejected").count() == 1
        # The data-quality page has something to show: a failing pull source, the three
        # stored checks, and a quarter's error rate above the 1% line.
        checks = {c.kind: c for c in QualityCheck.objects.filter(company=haixing)}
        assert set(checks) == {"weekly", "monthly", "quarterly"}
        assert checks["weekly"].status == "failing"
        rate = company_error_rates(haixing, start=QUARTER, end=dt.date(2027, 1, 1)).company
        assert rate.rate is not None and rate.rate > rate.threshold, rate
        assert UnmatchedIdentity.objects.filter(
            company=haixing, identity=UNMATCHED_CRM_USER
        ).exists()
    for slug, code in (("huarui", "defect_rate"), ("lanhe", "conversion_rate"),
                       ("yunfan", "story_points")):  # fmt: skip
        with scopes_disabled():
            company = Company.objects.get(slug=slug)
        with scope(company=company):
            assert MetricEvent.objects.filter(company=company).exists(), slug
            assert MetricValue.objects.filter(
                company=company, indicator__code=code, value__isnull=False
            ).exists(), slug


@pytest.fixture
def demo_metrics(demo_loaded: DemoLoadResult) -> None:
    """The module's demo (tests/demo/conftest.py)."""

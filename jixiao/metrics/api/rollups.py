"""Roll-ups of one indicator over a team, a department or the company, for any period.

``GET /api/v1/metrics/rollups?indicator=orders&scope=team&period=month&date=2026-10-15``;
a custom range is ``period=custom&start=…&end=…`` (both days included). Managers ask
for their own team (``id`` defaults to themselves) and the departments they head; HR
and executives for any team, department and the company; employees get 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from jixiao.core.api_errors import ERRORS
from jixiao.metrics import selectors_rollup as rollups
from jixiao.metrics.api.common import member

router = Router(tags=["metrics-rollups"])


class MetricRollupQuery(Schema):
    indicator: str = Field(max_length=60, description="Indicator code.")
    scope: str = Field(rollups.TEAM, description="team, department or company.")
    id: int | None = Field(
        None, description="The team's manager (employee id) or the department id."
    )
    period: str = Field("month", description="day, week, month, quarter, year or custom.")
    date: dt.date | None = Field(None, description="A day inside the period (default today).")
    start: dt.date | None = Field(None, description="First day of a custom range.")
    end: dt.date | None = Field(None, description="Last day of a custom range (included).")
    progress: bool = Field(True, description="Include period-to-date progress.")


class MetricRollupPeriodOut(Schema):
    kind: str
    start: dt.date
    end: dt.date = Field(description="Last day included.")
    label: str


class MetricRollupContributionOut(Schema):
    employee_id: int | None
    department_id: int | None
    name: str
    employee_number: str
    department: str
    value: Decimal | None
    count: int
    numerator: Decimal | None
    denominator: Decimal | None
    note: str
    value_id: int | None = Field(description="The stored value to explain (standard periods).")
    share: Decimal | None = Field(description="Percent of the total (sums and counts).")


class MetricRollupGroupOut(Schema):
    department_id: int
    name: str
    value: Decimal | None
    note: str
    people: int
    direct: bool


class MetricRollupPartOut(Schema):
    code: str
    name: str
    unit: str
    value: Decimal | None
    note: str


class MetricRollupProgressOut(Schema):
    to_date: bool
    current: Decimal | None
    current_note: str
    current_period: MetricRollupPeriodOut
    previous: Decimal | None
    previous_note: str
    previous_period: MetricRollupPeriodOut
    elapsed_days: int
    total_days: int
    change_percent: Decimal | None


class MetricRollupOut(Schema):
    indicator: str
    indicator_name: str
    unit: str
    aggregation: str
    scope: str
    scope_id: int | None
    scope_label: str
    period: MetricRollupPeriodOut
    value: Decimal | None
    note: str
    count: int
    total: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    steps: list[str]
    contributions: list[MetricRollupContributionOut]
    groups: list[MetricRollupGroupOut]
    parts: list[MetricRollupPartOut]
    progress: MetricRollupProgressOut | None


def _period(spec: rollups.PeriodSpec) -> dict[str, object]:
    return {"kind": spec.kind, "start": spec.start, "end": spec.last_day, "label": spec.label}


def rollup_payload(rollup: rollups.Rollup) -> dict[str, object]:
    """The roll-up as the API (and the page's chart) shows it."""
    progress = rollup.progress
    result = rollup.result
    return {
        "indicator": rollup.indicator.code,
        "indicator_name": rollup.version.name_zh,
        "unit": rollup.version.unit,
        "aggregation": rollup.version.aggregation,
        "scope": rollup.scope.kind,
        "scope_id": rollup.scope.id,
        "scope_label": rollup.scope.label,
        "period": _period(rollup.period),
        "value": result.value,
        "note": result.note,
        "count": result.count,
        "total": result.total,
        "numerator": result.numerator,
        "denominator": result.denominator,
        "steps": list(rollup.steps),
        "contributions": [
            {**c.__dict__, "employee_number": c.number} for c in rollup.contributions
        ],
        "groups": [g.__dict__ for g in rollup.groups],
        "parts": [p.__dict__ for p in rollup.parts],
        "progress": None
        if progress is None
        else {
            "to_date": progress.to_date,
            "current": progress.current.value,
            "current_note": progress.current.note,
            "current_period": _period(progress.current_period),
            "previous": progress.previous.value,
            "previous_note": progress.previous.note,
            "previous_period": _period(progress.previous_period),
            "elapsed_days": progress.elapsed_days,
            "total_days": progress.total_days,
            "change_percent": progress.change,
        },
    }


@router.get("/rollups", response={200: MetricRollupOut, **ERRORS})
def rollup_get(request: HttpRequest, query: Query[MetricRollupQuery]) -> dict[str, object]:
    user = member(request)
    scope = rollups.scope_resolve(user, query.scope, query.id)
    indicator = rollups.indicator_for_rollup(user, query.indicator)
    period = rollups.period_spec(
        query.period,
        day=query.date or timezone.localdate(),
        start=query.start,
        end=query.end,
    )
    rollup = rollups.rollup_compute(
        user,
        indicator=indicator,
        scope=scope,
        period=period,
        today=timezone.localdate(),
        progress=query.progress,
    )
    return rollup_payload(rollup)

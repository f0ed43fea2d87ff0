"""Roll-ups over 张经理's team, the sales department and the company: the math of every
aggregation kind (weighted averages, distinct customers across people, ratios with a zero
denominator), custom ranges, period-to-date progress, team boundaries, the API and who may
ask for what (role × own team / own department / other department / other company)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_scopes import scope, scopes_disabled
from hypothesis import given
from hypothesis import strategies as st

from jixiao.core.api_errors import ServiceError
from jixiao.metrics import engine
from jixiao.metrics import selectors_rollup as rollups
from jixiao.metrics.models import Indicator, MetricSource
from jixiao.metrics.services.indicators import IndicatorDefinition, indicator_create
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.org.models import Department
from tests.conftest import World
from tests.metrics.cast import ROLES, client_as
from tests.metrics.conftest import SHANGHAI, event

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 15)


def at(day: int, month: int = 10, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def ingest(w: World, source: MetricSource, *items: Any) -> None:
    result = metric_events_ingest(company=w.company, source=source, items=list(items), actor=None)
    assert all(item.status == "created" for item in result.items), result.items


def roll(
    w: World,
    code: str,
    kind: str = rollups.TEAM,
    scope_id: int | None = None,
    *,
    viewer: Any = None,
    period: rollups.PeriodSpec | None = None,
    today: dt.date = dt.date(2026, 12, 31),
) -> rollups.Rollup:
    viewer = viewer or w.hr
    if kind == rollups.TEAM and scope_id is None:
        scope_id = w.manager.employee.pk  # type: ignore[attr-defined]
    return rollups.rollup_compute(
        viewer,
        indicator=rollups.indicator_for_rollup(viewer, code),
        scope=rollups.scope_resolve(viewer, kind, scope_id),
        period=period or rollups.period_spec("month", day=OCT),
        today=today,
    )


def by_name(rollup: rollups.Rollup) -> dict[str, Decimal | None]:
    return {c.name: c.value for c in rollup.contributions}


# --- Pure parts ------------------------------------------------------------------------


def test_parts_combine_weights_averages_by_record_count() -> None:
    parts = [
        engine.Part(Decimal(85), 2, Decimal(170)),
        engine.Part(Decimal(60), 1, Decimal(60)),
    ]
    result = engine.parts_combine(engine.AVERAGE, parts)
    assert engine.quantize(result.value) == Decimal("76.6667")  # 230 / 3, not (85 + 60) / 2
    assert engine.parts_combine(engine.AVERAGE, []).note == "本期无数据"
    with pytest.raises(ValueError):
        engine.parts_combine(engine.DISTINCT_COUNT, parts)


def test_parts_combine_latest_minimum_maximum_skip_empty_parts() -> None:
    early = engine.Part(Decimal(40), 1, Decimal(40), at(3))
    late = engine.Part(Decimal(70), 1, Decimal(70), at(9))
    empty = engine.Part(None, 0, Decimal(0), None)
    assert engine.parts_combine(engine.LATEST, [late, early, empty]).value == 70
    assert engine.parts_combine(engine.MINIMUM, [late, early, empty]).value == 40
    assert engine.parts_combine(engine.MAXIMUM, [late, early, empty]).value == 70
    assert engine.parts_combine(engine.MAXIMUM, [empty]).value is None


@given(
    st.lists(
        st.lists(st.decimals(min_value=-1000, max_value=1000, places=2), max_size=6),
        max_size=6,
    ),
    st.sampled_from([engine.SUM, engine.COUNT, engine.AVERAGE, engine.MINIMUM, engine.MAXIMUM]),
)
def test_combining_stored_parts_equals_aggregating_all_events(
    groups: list[list[Decimal]], aggregation: str
) -> None:
    """Rolling up per-person aggregates gives what aggregating all their events gives."""
    points: list[engine.Point] = []
    parts: list[engine.Part] = []
    for index, values in enumerate(groups):
        mine = [engine.Point(index * 10 + i, v, at(1)) for i, v in enumerate(values)]
        points += mine
        own = engine.aggregate(aggregation, mine)
        parts.append(engine.Part(own.value, own.count, own.total, own.last_at))
    direct = engine.aggregate(aggregation, points)
    combined = engine.parts_combine(aggregation, parts)
    assert engine.quantize(combined.value) == engine.quantize(direct.value)


def test_custom_ranges_are_tiled_by_the_fewest_stored_periods() -> None:
    spec = rollups.period_spec("custom", start=dt.date(2025, 12, 30), end=dt.date(2026, 7, 2))
    assert rollups.period_pieces(spec) == [
        ("day", dt.date(2025, 12, 30)),
        ("day", dt.date(2025, 12, 31)),
        ("quarter", dt.date(2026, 1, 1)),
        ("quarter", dt.date(2026, 4, 1)),
        ("day", dt.date(2026, 7, 1)),
        ("day", dt.date(2026, 7, 2)),
    ]
    assert rollups.period_pieces(
        rollups.period_spec("custom", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    ) == [("year", dt.date(2026, 1, 1))]
    assert rollups.period_previous(spec).end == spec.start
    assert rollups.period_previous(spec).days == spec.days
    week = rollups.period_spec("week", day=dt.date(2026, 10, 15))
    assert (week.start, week.last_day) == (dt.date(2026, 10, 12), dt.date(2026, 10, 18))


def test_period_input_errors_name_their_fields() -> None:
    with pytest.raises(ServiceError) as caught:
        rollups.period_spec("custom", start=dt.date(2026, 5, 2), end=dt.date(2026, 5, 1))
    assert caught.value.fields == {"end": ["结束日期不能早于开始日期。"]}
    with pytest.raises(ServiceError) as caught:
        rollups.period_spec("custom", start=dt.date(2020, 1, 1), end=dt.date(2026, 1, 1))
    assert "end" in (caught.value.fields or {})
    with pytest.raises(ServiceError) as caught:
        rollups.period_spec("fortnight", day=OCT)
    assert "period" in (caught.value.fields or {})


# --- Roll-up math over the stored values ------------------------------------------------


def test_sum_over_team_department_and_company(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("1", "100", employee_number="A004"), event("2", "50", employee_number="A004"),
        event("3", "30", employee_number="A005"), event("4", "20", employee_number="A006"),
        event("5", "7", employee_number="A003"),
        event("6", "999", employee_number="A004", at=at(1, 11)),  # November: outside
    )  # fmt: skip
    team = roll(w, "order_amount")
    assert team.result.value == Decimal(180)
    assert by_name(team) == {"王姐": 150, "李哥": 30}  # the manager is not their own team
    assert {c.share for c in team.contributions} == {Decimal("83.3"), Decimal("16.7")}
    assert team.steps == ("求和：2 个统计对象，合计 180",)
    sales = roll(w, "order_amount", rollups.DEPARTMENT, w.sales.pk)
    assert sales.result.value == Decimal(187)
    company = roll(w, "order_amount", rollups.COMPANY)
    assert company.result.value == Decimal(207)
    # The company splits into its departments; each opens its own roll-up.
    groups = {(g.name, g.direct): g.value for g in company.groups}
    assert groups == {("星海外贸", True): 0, ("销售部", False): 187, ("研发部", False): 20}
    wang = next(c for c in team.contributions if c.name == "王姐")
    assert wang.value_id is not None  # drills down to the stored value and its events


def test_count_and_weighted_average(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("s1", "80", code="customer_satisfaction", employee_number="A004"),
        event("s2", "90", code="customer_satisfaction", employee_number="A004"),
        event("s3", "60", code="customer_satisfaction", employee_number="A005"),
        event("o1", "1", code="orders", employee_number="A004"),
        event("o2", "1", code="orders", employee_number="A004"),
        event("o3", "1", code="orders", employee_number="A005"),
    )  # fmt: skip
    average = roll(w, "customer_satisfaction")
    assert engine.quantize(average.result.value) == Decimal("76.6667")
    assert average.result.count == 3
    assert "按记录数加权" in average.steps[0]
    assert by_name(average) == {"王姐": 85, "李哥": 60}
    counted = roll(w, "orders")
    assert counted.result.value == 3
    assert counted.steps == ("计数：2 个统计对象共 3 条记录",)


def test_distinct_count_counts_a_shared_customer_once(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("c1", "1", code="customers_served", employee_number="A004",
              evidence={"customer": "汉堡贸易"}),
        event("c2", "1", code="customers_served", employee_number="A004",
              evidence={"customer": "慕尼黑机械"}),
        event("c3", "1", code="customers_served", employee_number="A005",
              evidence={"customer": "慕尼黑机械"}),
        event("c4", "1", code="customers_served", employee_number="A005",
              evidence={"customer": "里昂酒庄"}, at=at(30, 9)),  # September
        event("c5", "1", code="customers_served", employee_number="A005",
              evidence={"customer": "里昂酒庄"}, at=at(2)),
    )  # fmt: skip
    team = roll(w, "customers_served")
    assert by_name(team) == {"王姐": 2, "李哥": 2}
    assert team.result.value == 3  # 慕尼黑机械 is served by both: once for the team
    assert "各统计对象的去重数相加为 4，合并后去重为 3" in team.steps[0]
    # A custom range across the month end: 李哥's 里昂酒庄 (September and October) is one.
    span = rollups.period_spec("custom", start=dt.date(2026, 9, 28), end=dt.date(2026, 10, 31))
    ranged = roll(w, "customers_served", period=span)
    assert by_name(ranged) == {"王姐": 2, "李哥": 2}
    assert ranged.result.value == 3
    assert all(c.value_id is None for c in ranged.contributions)  # no single stored row


def test_ratio_sums_parts_and_a_zero_denominator_has_no_value(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        *[event(f"v{i}", "1", code="customer_visits", employee_number="A004") for i in range(4)],
        event("o1", "1", code="orders", employee_number="A004"),
        event("o2", "1", code="orders", employee_number="A005"),  # 李哥: an order, no visits
    )  # fmt: skip
    team = roll(w, "conversion_rate")
    # (1 + 1) orders ÷ (4 + 0) visits × 100, not the average of 25% and "no value".
    assert team.result.value == Decimal(50)
    assert (team.result.numerator, team.result.denominator) == (2, 4)
    assert team.steps == ("比率：分子合计 2 ÷ 分母合计 4 × 100",)
    li = next(c for c in team.contributions if c.name == "李哥")
    assert li.value is None and li.note == "分母为 0"
    assert {p.code: p.value for p in team.parts} == {"customer_visits": 4, "orders": 2}
    # Nobody in R&D visited anyone: no value, with the reason.
    rd = roll(w, "conversion_rate", rollups.DEPARTMENT, w.rd.pk)
    assert rd.result.value is None
    assert rd.result.note == "分母为 0"


def test_formula_and_latest_minimum_maximum(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    for code, aggregation in (("best_deal", "maximum"), ("smallest_deal", "minimum")):
        indicator_create(
            company=w.company, actor=w.hr, code=code,
            definition=IndicatorDefinition(name_zh=code, aggregation=aggregation),
        )  # fmt: skip
    ingest(
        w, push_source,
        event("a1", "600", employee_number="A004"), event("a2", "300", employee_number="A005"),
        *[event(f"v{i}", "1", code="customer_visits", employee_number="A004") for i in range(3)],
        event("p1", "40", code="project_progress", employee_number="A004", at=at(20)),
        event("p2", "70", code="project_progress", employee_number="A005", at=at(9)),
        event("d1", "5", code="best_deal", employee_number="A004"),
        event("d2", "9", code="best_deal", employee_number="A005"),
        event("m1", "5", code="smallest_deal", employee_number="A004"),
        event("m2", "9", code="smallest_deal", employee_number="A005"),
    )  # fmt: skip
    formula = roll(w, "amount_per_visit")  # order_amount / customer_visits
    assert formula.result.value == Decimal(300)  # 900 ÷ 3
    assert by_name(formula)["李哥"] is None  # no visits of his own
    assert roll(w, "project_progress").result.value == 40  # 王姐's is the most recent
    assert roll(w, "best_deal").result.value == 9
    assert roll(w, "smallest_deal").result.value == 5


def test_team_level_figures_count_for_their_department(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    w.sales.code = "SALES"
    w.sales.save()
    ingest(
        w, push_source,
        event("t1", "500", department_code="SALES"), event("e1", "100", employee_number="A004"),
    )  # fmt: skip
    sales = roll(w, "order_amount", rollups.DEPARTMENT, w.sales.pk)
    assert sales.result.value == 600
    assert by_name(sales)["销售部（部门整体）"] == 500
    assert roll(w, "order_amount", rollups.DEPARTMENT, w.rd.pk).result.value == 0


def test_period_to_date_against_the_same_point_last_month(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("s1", "100", employee_number="A004", at=at(10, 9)),
        event("s2", "300", employee_number="A004", at=at(20, 9)),  # after the same point
        event("o1", "250", employee_number="A005", at=at(12)),
    )  # fmt: skip
    progress = roll(w, "order_amount", today=OCT).progress
    assert progress is not None and progress.to_date
    assert (progress.current.value, progress.previous.value) == (250, 100)
    assert progress.change == Decimal("150.0")
    assert (progress.elapsed_days, progress.total_days) == (15, 31)
    assert progress.previous_period.last_day == dt.date(2026, 9, 15)
    past = roll(w, "order_amount", period=rollups.period_spec("month", day=dt.date(2026, 9, 1)))
    assert past.progress is not None and not past.progress.to_date
    assert past.progress.current.value == 400  # the whole of September against August


# --- Who may ask for what ---------------------------------------------------------------


def test_scope_boundaries(metrics_world: World) -> None:
    w = metrics_world
    manager = w.manager
    assert rollups.scope_resolve(manager, rollups.TEAM, None).id == manager.employee.pk  # type: ignore[attr-defined]
    assert rollups.scope_resolve(manager, rollups.DEPARTMENT, w.sales.pk).label == "销售部"
    for kind, target in (
        (rollups.DEPARTMENT, w.rd.pk),
        (rollups.COMPANY, None),
        (rollups.TEAM, w.hr.employee.pk),  # type: ignore[attr-defined]
    ):
        with pytest.raises(PermissionDenied):
            rollups.scope_resolve(manager, kind, target)
    for kind, target in (
        (rollups.TEAM, w.manager.employee.pk),  # type: ignore[attr-defined]
        (rollups.DEPARTMENT, w.sales.pk),
        (rollups.COMPANY, None),
    ):
        with pytest.raises(PermissionDenied):
            rollups.scope_resolve(w.employee, kind, target)
    with scopes_disabled():
        foreign = Department.objects.get(company=w.other_company).pk
    with pytest.raises(Http404):
        rollups.scope_resolve(w.hr, rollups.DEPARTMENT, foreign)
    teams = {e.name for e in rollups.teams_visible(w.hr)}
    assert teams == {"张经理"}
    assert {d.name for d in rollups.departments_visible(manager)} == {"销售部"}


ROLLUP_API = {
    "hr": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "executive": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "manager": {"own": 200, "team": 200, "other": 403, "foreign": 404},
    "employee": {"own": 403, "team": 403, "other": 403, "foreign": 404},
    "platform_admin": dict.fromkeys(["own", "team", "other", "foreign"], 403),
    "anonymous": dict.fromkeys(["own", "team", "other", "foreign"], 401),
}


def _targets(w: World) -> dict[str, str]:
    with scopes_disabled():
        foreign = Department.objects.get(company=w.other_company).pk
    return {
        "own": "scope=team",
        "team": f"scope=department&id={w.sales.pk}",
        "other": f"scope=department&id={w.rd.pk}",
        "foreign": f"scope=department&id={foreign}",
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["own", "team", "other", "foreign"])
def test_rollup_api_permission_matrix(
    metrics_world: World, push_source: MetricSource, role: str, target: str
) -> None:
    w = metrics_world
    query = _targets(w)[target]
    response = client_as(w, role).get(
        f"/api/v1/metrics/rollups?indicator=order_amount&{query}&period=month&date=2026-10-01"
    )
    assert response.status_code == ROLLUP_API[role][target], response.content


@pytest.mark.parametrize(
    ("role", "status"),
    [("hr", 200), ("executive", 200), ("manager", 403), ("employee", 403),
     ("platform_admin", 403), ("anonymous", 401)],
)  # fmt: skip
def test_company_rollup_api_is_for_hr_and_executives(
    metrics_world: World, role: str, status: int
) -> None:
    response = client_as(metrics_world, role).get(
        "/api/v1/metrics/rollups?indicator=orders&scope=company"
    )
    assert response.status_code == status


def test_rollup_api_answers_with_contributions_and_progress(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("o1", "1", code="orders", employee_number="A004"),
        event("o2", "1", code="orders", employee_number="A005", at=at(3)),
    )  # fmt: skip
    client = client_as(w, "manager")
    body = client.get(
        "/api/v1/metrics/rollups?indicator=orders&scope=team&period=custom"
        "&start=2026-10-01&end=2026-10-10&progress=false"
    ).json()
    assert body["value"] == "1.0000" or Decimal(body["value"]) == 1
    assert body["period"] == {"kind": "custom", "start": "2026-10-01", "end": "2026-10-10",
                              "label": "2026-10-01 – 2026-10-10"}  # fmt: skip
    assert body["progress"] is None
    names = {c["name"]: c["value"] for c in body["contributions"]}
    assert set(names) == {"王姐", "李哥"}
    month = client.get(
        "/api/v1/metrics/rollups?indicator=orders&scope=team&period=month&date=2026-10-20"
    ).json()
    assert Decimal(month["value"]) == 2
    assert month["progress"]["previous_period"]["start"] == "2026-09-01"
    wrong = client.get("/api/v1/metrics/rollups?indicator=nope&scope=team")
    assert wrong.status_code == 422
    assert "indicator" in wrong.json()["fields"]
    bad = client.get(
        "/api/v1/metrics/rollups?indicator=orders&scope=team&period=custom&start=2026-10-05"
    )
    assert bad.status_code == 422 and "end" in bad.json()["fields"]


def test_a_removed_member_leaves_the_team_roll_up(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(w, push_source, event("o1", "100", employee_number="A005"))
    assert roll(w, "order_amount").result.value == 100
    li = w.teammate.employee  # type: ignore[attr-defined]
    li.department = w.rd
    li.manager = None
    li.save()
    assert roll(w, "order_amount").result.value == 0
    with scope(company=w.company):
        assert Indicator.objects.filter(code="order_amount").exists()


# --- Pages: 团队数据 / 部门数据 and the contributor drill-down ------------------------------

PAGE = {
    "hr": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "executive": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "manager": {"own": 200, "team": 200, "other": 403, "foreign": 404},
    "employee": dict.fromkeys(["own", "team", "other", "foreign"], 403),
    "platform_admin": dict.fromkeys(["own", "team", "other", "foreign"], 403),
    "anonymous": dict.fromkeys(["own", "team", "other", "foreign"], 302),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["own", "team", "other", "foreign"])
def test_rollup_pages_permission_matrix(
    metrics_world: World, push_source: MetricSource, role: str, target: str
) -> None:
    w = metrics_world
    ingest(w, push_source, event("o1", "100", employee_number="A004"))
    query = _targets(w)[target].replace("scope=team", "").replace("scope=department&", "")
    page = "team" if target == "own" else "department"
    response = client_as(w, role).get(
        f"/metrics/rollups/{page}/?indicator=order_amount&period=month&date=2026-10-01&{query}"
    )
    assert response.status_code == PAGE[role][target], response.content[:300]
    if response.status_code == 200 and target != "other":
        body = response.content.decode()
        assert 'data-testid="rollup-value"' in body
        assert "王姐" in body  # the contributor, opening her value


MEMBER = {
    "hr": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "executive": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "manager": {"own": 200, "team": 200, "other": 403, "foreign": 404},
    "employee": {"own": 200, "team": 403, "other": 403, "foreign": 404},
    "platform_admin": dict.fromkeys(["own", "team", "other", "foreign"], 403),
    "anonymous": dict.fromkeys(["own", "team", "other", "foreign"], 302),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["own", "team", "other", "foreign"])
def test_contributor_drill_down_permission_matrix(
    metrics_world: World, role: str, target: str
) -> None:
    from tests.metrics.cast import target_number

    w = metrics_world
    with scopes_disabled():
        from jixiao.org.models import Employee

        person = Employee.objects.get(employee_number=target_number(role, target))
    response = client_as(w, role).get(
        "/metrics/rollups/member/?indicator=orders&period=custom&start=2026-10-01"
        f"&end=2026-10-31&employee={person.pk}"
    )
    assert response.status_code == MEMBER[role][target]


def test_team_page_draws_members_and_drills_down(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("o1", "100", employee_number="A004", evidence={"order": "PO-1"}),
        event("o2", "40", employee_number="A005"),
    )  # fmt: skip
    client = client_as(w, "manager")
    body = client.get(
        "/metrics/rollups/team/?indicator=order_amount&period=month&date=2026-10-09"
    ).content.decode()
    assert "张经理 的团队 · 订单金额 · 2026-10" in body
    assert 'data-rollup-chart="rollup-chart-data"' in body and "metrics/rollup.js" in body
    assert "vendor/echarts.min.js" in body and "<script>" not in body  # CSP: no inline script
    with scope(company=w.company):
        from jixiao.metrics.models import MetricValue

        wang = MetricValue.objects.get(
            employee=w.employee.employee,  # type: ignore[attr-defined]
            indicator__code="order_amount", period_kind="month",
        )  # fmt: skip
    assert f'href="/metrics/values/{wang.pk}/"' in body
    assert "140.00" in body  # the team's total
    ranged = client.get(
        "/metrics/rollups/team/?indicator=order_amount&period=custom"
        "&start=2026-10-01&end=2026-10-20"
    ).content.decode()
    assert "/metrics/rollups/member/?" in ranged
    member = client.get(
        "/metrics/rollups/member/?indicator=order_amount&period=custom&start=2026-10-01"
        f"&end=2026-10-20&employee={w.employee.employee.pk}"  # type: ignore[attr-defined]
    ).content.decode()
    assert "PO-1" in member and 'data-testid="member-events"' in member
    ratio = client.get(
        "/metrics/rollups/member/?indicator=conversion_rate&period=custom&start=2026-10-01"
        f"&end=2026-10-20&employee={w.employee.employee.pk}"  # type: ignore[attr-defined]
    ).content.decode()
    assert "分母为 0" in ratio and "indicator=orders" in ratio  # parts open in turn
    bad = client.get("/metrics/rollups/team/?indicator=order_amount&period=custom&start=2026-10-09")
    assert bad.status_code == 422 and "请选择结束日期。" in bad.content.decode()


def test_department_page_for_hr_splits_into_sub_departments(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    ingest(
        w, push_source,
        event("o1", "100", employee_number="A004"), event("o2", "20", employee_number="A006"),
    )  # fmt: skip
    client = client_as(w, "hr")
    company = client.get(
        "/metrics/rollups/department/?indicator=order_amount&period=month&date=2026-10-09&id="
    ).content.decode()
    assert "星海外贸 · 订单金额" in company and 'data-testid="rollup-groups"' in company
    assert f"id={w.sales.pk}" in company  # 销售部 opens its own roll-up
    sales = client.get(
        f"/metrics/rollups/department/?indicator=order_amount&date=2026-10-09&id={w.sales.pk}"
    ).content.decode()
    assert "销售部 · 订单金额" in sales and "赵工" not in sales
    manager = client_as(w, "manager").get("/metrics/rollups/department/").content.decode()
    assert "销售部 ·" in manager and "全公司" not in manager

"""Indicator library install, create, versions and their checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.metrics.library import LIBRARY, library_codes, library_install
from jixiao.metrics.models import Indicator, IndicatorVersion
from jixiao.metrics.services.indicators import (
    IndicatorDefinition,
    indicator_create,
    indicator_set_active,
    indicator_version_create,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_library_covers_the_issue_and_installs_once(metrics_world: World) -> None:
    wanted = {
        "repeat_purchase_rate", "referral_rate", "new_customers", "customer_visits",
        "exhibition_leads", "order_amount", "conversion_rate", "customer_satisfaction",
        "delivery_cycle_days", "problem_resolution_hours", "mentee_conversion_rate",
        "mentee_retention_rate", "process_suggestions", "process_savings", "project_progress",
        "patents_filed", "documentation_quality", "bug_rate", "story_points", "user_growth",
        "cross_department_support", "output_units", "defect_rate", "attendance_rate", "punch_rate",
        "overtime_hours", "commits", "merged_changes",
    }  # fmt: skip
    assert wanted <= set(library_codes())
    assert all(item.definition.name_en and item.definition.name_zh for item in LIBRARY)
    company = metrics_world.company
    assert Indicator.objects.filter(company=company).count() == len(LIBRARY)
    assert library_install(company=company, actor=metrics_world.hr) == []
    assert Indicator.objects.filter(company=company).count() == len(LIBRARY)
    rate = Indicator.objects.get(company=company, code="repeat_purchase_rate")
    assert rate.current_version is not None
    assert rate.current_version.numerator_code == "repeat_customers"
    assert AuditEvent.objects.filter(
        company=company, action="metrics.indicator.create"
    ).count() == len(LIBRARY)


def test_create_refuses_bad_definitions_with_field_errors(metrics_world: World) -> None:
    company, hr = metrics_world.company, metrics_world.hr
    bad = IndicatorDefinition(
        name_zh="",
        aggregation="ratio",
        numerator_code="nope",
        denominator_code="ratio_self",
        plausible_min=Decimal(5),
        plausible_max=Decimal(1),
        scale=9,
    )
    with pytest.raises(ServiceError) as caught:
        indicator_create(company=company, actor=hr, code="ratio_self", definition=bad)
    fields = caught.value.fields
    assert set(fields) == {
        "name_zh",
        "numerator_code",
        "denominator_code",
        "plausible_max",
        "scale",
    }
    with pytest.raises(ServiceError) as caught:
        indicator_create(
            company=company,
            actor=hr,
            code="orders",
            definition=IndicatorDefinition(name_zh="重复"),
        )
    assert "code" in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        indicator_create(
            company=company,
            actor=hr,
            code="bad_formula",
            definition=IndicatorDefinition(
                name_zh="坏公式", aggregation="formula", formula="orders.__class__"
            ),
        )
    assert "formula" in caught.value.fields


def test_new_version_keeps_the_old_one_and_needs_a_reason(metrics_world: World) -> None:
    company, hr = metrics_world.company, metrics_world.hr
    indicator = Indicator.objects.get(company=company, code="customer_visits")
    first = indicator.current_version
    assert first is not None
    definition = IndicatorDefinition(
        name_zh="有效客户拜访次数", name_en="Qualified visits", unit="次",
        category="behaviour", aggregation="count", scale=0,
    )  # fmt: skip
    with pytest.raises(ServiceError) as caught:
        indicator_version_create(indicator=indicator, actor=hr, definition=definition, reason="")
    assert "reason" in caught.value.fields
    version = indicator_version_create(
        indicator=indicator, actor=hr, definition=definition, reason="只计有效拜访"
    )
    assert version.number == 2
    indicator.refresh_from_db()
    assert indicator.current_version == version
    first.refresh_from_db()
    assert first.name_zh == "客户拜访次数"
    assert IndicatorVersion.objects.filter(indicator=indicator).count() == 2
    audit = AuditEvent.objects.get(company=company, action="metrics.indicator.version")
    assert audit.changes["name_zh"] == ["客户拜访次数", "有效客户拜访次数"]
    assert audit.reason == "只计有效拜访"


def test_a_version_may_not_make_a_cycle(metrics_world: World) -> None:
    company, hr = metrics_world.company, metrics_world.hr
    orders = Indicator.objects.get(company=company, code="orders")
    loop = IndicatorDefinition(name_zh="订单", aggregation="formula", formula="conversion_rate * 2")
    with pytest.raises(ServiceError) as caught:
        indicator_version_create(indicator=orders, actor=hr, definition=loop, reason="试试")
    assert "循环引用" in caught.value.fields["formula"][0]


def test_deactivate_is_audited(metrics_world: World) -> None:
    indicator = Indicator.objects.get(company=metrics_world.company, code="patents_filed")
    indicator_set_active(indicator=indicator, actor=metrics_world.hr, active=False, reason="不用")
    indicator.refresh_from_db()
    assert not indicator.is_active
    assert AuditEvent.objects.filter(action="metrics.indicator.deactivate").count() == 1


def test_every_library_definition_passes_the_editor_checks(metrics_world: World) -> None:
    from jixiao.metrics.services.indicators import definition_check

    for item in LIBRARY:
        assert (
            definition_check(
                company=metrics_world.company, code=item.code, definition=item.definition
            )
            == {}
        ), item.code

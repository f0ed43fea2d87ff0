"""Indicator formulas: validated when saved, sandboxed when evaluated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jixiao.metrics.formula import (
    FormulaError,
    formula_evaluate,
    formula_names,
    formula_validate,
)

DEPS = {"orders": set(), "visits": set(), "rate": {"orders", "visits"}, "score": {"rate"}}


def test_names_are_indicator_codes_not_functions() -> None:
    assert formula_names("max(orders - 1, 0) / visits * 100") == {"orders", "visits"}


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("__import__('os').system('id')", "min、max"),
        ("orders.__class__", "Attribute"),
        ("[x for x in orders]", "ListComp"),
        ("orders if visits else 0", "IfExp"),
        ("orders ** 99999", "Pow"),
        ("'text'", "数字常量"),
        ("open('x')", "min、max"),
        ("min(a=1)", "min、max"),
        ("orders <", "语法"),
        ("orders < visits", "Compare"),
        ("lambda: 1", "Lambda"),
        ("", "不能为空"),
        ("1 + " * 200 + "1", "过长"),
    ],
)
def test_anything_but_arithmetic_is_refused(formula: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as caught:
        formula_validate(code="new", formula=formula, dependencies=DEPS)
    assert fragment in caught.value.message
    assert caught.value.field == "formula"


def test_unknown_names_self_reference_and_cycles() -> None:
    with pytest.raises(FormulaError, match="不存在的指标：missing"):
        formula_validate(code="new", formula="orders + missing", dependencies=DEPS)
    with pytest.raises(FormulaError, match="自身"):
        formula_validate(code="orders", formula="orders * 2", dependencies=DEPS)
    # Changing "orders" to depend on "score" closes a loop: score → rate → orders.
    with pytest.raises(FormulaError, match="循环引用：orders → score → rate → orders"):
        formula_validate(code="orders", formula="score + 1", dependencies=DEPS)
    assert formula_validate(code="new", formula="rate * 2", dependencies=DEPS) == {"rate"}


def test_evaluation_in_decimals() -> None:
    values = {"orders": Decimal(3), "visits": Decimal(7)}
    assert formula_evaluate("round(orders / visits * 100, 2)", values).value == Decimal("42.86")
    assert formula_evaluate("orders * 0.1", values).value == Decimal("0.3")
    assert formula_evaluate("abs(min(orders - visits, 1))", values).value == Decimal(4)


def test_zero_divisor_and_missing_parts_give_no_value_with_reason() -> None:
    zero = formula_evaluate("orders / visits", {"orders": Decimal(3), "visits": Decimal(0)})
    assert zero.value is None
    assert zero.reason == "分母为 0"
    missing = formula_evaluate("orders / visits", {"orders": Decimal(3), "visits": None})
    assert missing.value is None
    assert "visits" in missing.reason

"""Indicator formulas: arithmetic over other indicators' codes, checked when saved, sandboxed.

HR writes e.g. ``orders / visits * 100`` or ``max(output - defects, 0)``. A formula
may use numbers, indicator codes, ``+ - * /``, parentheses and the functions
``min``, ``max``, ``round`` and ``abs`` — nothing else: no attributes, no other
calls, no comparisons or comprehensions. It is evaluated with simpleeval over
``Decimal`` values, so money keeps its cents.
"""

from __future__ import annotations

import ast
import decimal
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from simpleeval import SimpleEval

MAX_FORMULA_LENGTH = 500


def _round(value: Decimal, places: Decimal | int = 0) -> Decimal:
    return round(Decimal(value), int(places))


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "round": _round,
    "abs": abs,
}
_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Call,
)


class FormulaError(Exception):
    """A formula that may not be saved; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str = "formula") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def formula_names(formula: str) -> set[str]:
    """The indicator codes a formula refers to, after checking it is plain arithmetic."""
    return set(_checked(formula)[0])


@functools.lru_cache(maxsize=2048)
def _checked(formula: str) -> tuple[frozenset[str], ast.AST]:
    """(names, simpleeval's parse tree) of a formula that passed the check.

    A refresh evaluates the same few formulas for every person and period (13,000 calls
    for 1,000 pushed events): parsing and walking the tree once per text, not per call.
    A formula that fails raises every time (errors are not cached).
    """
    text = formula.strip()
    if not text:
        raise FormulaError(_("公式不能为空。"))
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(_("公式过长（最多 %(n)d 个字符）。") % {"n": MAX_FORMULA_LENGTH})
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(_("公式语法有误：%(msg)s") % {"msg": exc.msg}) from exc
    names: set[str] = set()
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise FormulaError(
                _("公式只能包含数字、指标编码、+ - * / 和 min/max/round/abs，不允许：%(kind)s")
                % {"kind": type(node).__name__}
            )
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise FormulaError(_("公式中只能使用数字常量。"))
        if isinstance(node, ast.Call):
            if (
                not isinstance(node.func, ast.Name)
                or node.func.id not in _FUNCTIONS
                or node.keywords
            ):
                raise FormulaError(_("公式只能调用 min、max、round、abs。"))
            if not node.args:
                raise FormulaError(_("函数至少需要一个参数。"))
        elif isinstance(node, ast.Name) and id(node) not in callees:
            names.add(node.id)
    return frozenset(names), SimpleEval.parse(text)


def formula_validate(*, code: str, formula: str, dependencies: Mapping[str, set[str]]) -> set[str]:
    """Check a formula for indicator ``code`` against the company's indicators.

    ``dependencies`` maps every existing indicator code to the codes it is computed
    from (empty for plain indicators). Unknown names, a reference to itself and a
    cycle through other indicators are refused. Returns the referenced codes.
    """
    names = formula_names(formula)
    if code in names:
        raise FormulaError(_("公式不能引用指标自身（%(code)s）。") % {"code": code})
    unknown = sorted(name for name in names if name not in dependencies)
    if unknown:
        raise FormulaError(_("公式引用了不存在的指标：%(names)s") % {"names": ", ".join(unknown)})
    cycle = dependency_cycle(code, names, dependencies)
    if cycle:
        raise FormulaError(_("公式形成循环引用：%(path)s") % {"path": " → ".join(cycle)})
    return names


def dependency_cycle(
    code: str, names: set[str], dependencies: Mapping[str, set[str]]
) -> list[str] | None:
    """The path back to ``code`` if it would depend on itself through ``names``."""
    stack: list[tuple[str, list[str]]] = [(name, [code, name]) for name in sorted(names)]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        if current == code:
            return path
        if current in seen:
            continue
        seen.add(current)
        for child in sorted(dependencies.get(current, set())):
            stack.append((child, [*path, child]))
    return None


class _DecimalEval(SimpleEval):  # type: ignore[misc]
    """simpleeval with numeric constants read as ``Decimal``."""

    def _eval_constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        return super()._eval_constant(node)


@dataclass(frozen=True)
class FormulaResult:
    value: Decimal | None
    reason: str = ""


def formula_evaluate(formula: str, values: Mapping[str, Decimal | None]) -> FormulaResult:
    """Evaluate a validated formula; a missing part or a zero divisor gives no value, with why."""
    names, parsed = _checked(formula)
    missing = sorted(name for name in names if values.get(name) is None)
    if missing:
        return FormulaResult(None, _("缺少数据：%(names)s") % {"names": ", ".join(missing)})
    evaluator = _DecimalEval(functions=_FUNCTIONS, names={name: values[name] for name in names})
    try:
        with decimal.localcontext() as ctx:
            ctx.prec = 28
            ctx.traps[decimal.DivisionByZero] = True
            ctx.traps[decimal.InvalidOperation] = True
            result = evaluator.eval(formula.strip(), previously_parsed=parsed)
    except (ZeroDivisionError, decimal.DivisionByZero, decimal.InvalidOperation, TypeError):
        return FormulaResult(None, _("分母为 0"))
    if not isinstance(result, Decimal):
        result = Decimal(str(result))
    if not result.is_finite():
        return FormulaResult(None, _("结果不是有限数值"))
    return FormulaResult(result)

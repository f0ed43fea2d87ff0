"""Roll-ups: one indicator over a team, a department or the company, for any period.

Read from the stored per-person values (``MetricValue``), never from a second
store: a standard period (day … year) reads each person's row of that period, a
custom date range reads the fewest whole periods that tile it (years, quarters,
months, days). The combining is the pure ``engine.parts_combine``; a distinct
count cannot be added up across people, so it counts the distinct keys of the
events themselves. Ratios and formulas are computed from their parts' roll-ups.
Every roll-up lists who contributed what, and each contribution opens that
person's value and its events.

Who may ask: HR and executives any team, department and the company; a manager
their own team and the departments they head; nobody else. Another company's
ids are 404.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company
from jixiao.core.rules import reads_whole_company
from jixiao.metrics import engine
from jixiao.metrics.formula import formula_evaluate
from jixiao.metrics.models import (
    Aggregation,
    EventStatus,
    Indicator,
    IndicatorVersion,
    MetricEvent,
    MetricValue,
)
from jixiao.metrics.services.indicators import version_dependencies
from jixiao.org.models import Department, Employee, EmployeeStatus
from jixiao.org.team import department_subtree_ids, managed_department_ids, managed_employee_ids

TEAM = "team"
DEPARTMENT = "department"
COMPANY = "company"
SCOPES = (TEAM, DEPARTMENT, COMPANY)
CUSTOM = "custom"
PERIOD_CHOICES = (*engine.PERIOD_KINDS, CUSTOM)
#: The longest custom range (about three years).
MAX_CUSTOM_DAYS = 1096

#: (employee id, department id): exactly one is set.
Subject = tuple[int | None, int | None]


# --- Periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpec:
    """A period as local dates ``[start, end)``; ``kind`` is a period kind or ``custom``."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        if self.kind == engine.DAY:
            return self.start.isoformat()
        if self.kind == engine.MONTH:
            return self.start.strftime("%Y-%m")
        if self.kind == engine.QUARTER:
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == engine.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.last_day.isoformat()}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end


def period_spec(
    kind: str,
    *,
    day: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> PeriodSpec:
    """The period of ``kind`` containing ``day``, or the custom range ``start``–``end``
    (both days included). Bad input is a ``ServiceError`` with field errors."""
    if kind not in PERIOD_CHOICES:
        raise ServiceError(_("周期无效。"), fields={"period": [_("周期无效。")]})
    if kind != CUSTOM:
        if day is None:
            raise ServiceError(_("请选择日期。"), fields={"date": [_("请选择日期。")]})
        first = engine.period_start(kind, day)
        return PeriodSpec(kind, first, engine.period_end(kind, first))
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = [_("请选择开始日期。")]
    if end is None:
        errors["end"] = [_("请选择结束日期。")]
    if start is not None and end is not None:
        if end < start:
            errors["end"] = [_("结束日期不能早于开始日期。")]
        elif (end - start).days + 1 > MAX_CUSTOM_DAYS:
            errors["end"] = [_("自定义区间最长 %(n)d 天。") % {"n": MAX_CUSTOM_DAYS}]
    if errors or start is None or end is None:
        raise ServiceError(_("自定义区间有误。"), fields=errors)
    return PeriodSpec(CUSTOM, start, end + dt.timedelta(days=1))


def period_previous(spec: PeriodSpec) -> PeriodSpec:
    """The period before: the previous month, quarter…; for a custom range the range of
    the same length just before it."""
    if spec.kind == CUSTOM:
        return PeriodSpec(CUSTOM, spec.start - dt.timedelta(days=spec.days), spec.start)
    first = engine.period_start(spec.kind, spec.start - dt.timedelta(days=1))
    return PeriodSpec(spec.kind, first, spec.start)


def period_pieces(spec: PeriodSpec) -> list[tuple[str, dt.date]]:
    """The stored periods that tile ``spec`` exactly, fewest first: whole years, quarters,
    months, then days (weeks cross month ends, so they are not used for ranges)."""
    if spec.kind != CUSTOM:
        return [(spec.kind, spec.start)]
    pieces: list[tuple[str, dt.date]] = []
    cursor = spec.start
    while cursor < spec.end:
        for kind in (engine.YEAR, engine.QUARTER, engine.MONTH, engine.DAY):
            if (
                engine.period_start(kind, cursor) == cursor
                and engine.period_end(kind, cursor) <= spec.end
            ):
                pieces.append((kind, cursor))
                cursor = engine.period_end(kind, cursor)
                break
    return pieces


# --- Scopes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeSpec:
    """Whose figures a roll-up combines: employees matching ``employees`` plus the
    team-level figures of ``departments`` (None: every department)."""

    kind: str
    id: int | None
    label: str
    employees: Q
    departments: frozenset[int] | None
    base_department_id: int | None = None


def team_departments(employee: Employee) -> set[int]:
    """The departments an employee heads, with everything below them."""
    headed = set(Department.objects.filter(head=employee).values_list("id", flat=True))
    return department_subtree_ids(employee.company_id, headed)


def team_q(employee: Employee) -> Q:
    """A manager's team as ``jixiao.org.team`` defines it: their departments' people and
    their direct reports, not themselves."""
    return (Q(department_id__in=team_departments(employee)) | Q(manager_id=employee.pk)) & ~Q(
        pk=employee.pk
    )


def _own_employee(viewer: Any) -> Employee | None:
    return getattr(viewer, "employee", None) if viewer.is_authenticated else None


def scope_resolve(viewer: Any, kind: str, scope_id: int | None) -> ScopeSpec:
    """The scope the viewer asked for, or 404 (not in their company) / 403 (not theirs)."""
    if not viewer.is_authenticated or viewer.company_id is None:
        raise PermissionDenied
    whole = reads_whole_company(viewer)
    manager = viewer.role == "manager"
    if kind == COMPANY:
        if not whole:
            raise PermissionDenied
        return ScopeSpec(COMPANY, None, viewer.company.name, Q(), None)
    if kind == DEPARTMENT:
        if scope_id is None:
            raise ServiceError(_("请选择部门。"), fields={"id": [_("请选择部门。")]})
        department = Department.objects.filter(company_id=viewer.company_id, pk=scope_id).first()
        if department is None:
            raise Http404
        if not (whole or (manager and department.pk in managed_department_ids(viewer))):
            raise PermissionDenied
        subtree = department_subtree_ids(viewer.company_id, {department.pk})
        return ScopeSpec(
            DEPARTMENT,
            department.pk,
            department.name,
            Q(department_id__in=subtree),
            frozenset(subtree),
            department.pk,
        )
    if kind == TEAM:
        own = _own_employee(viewer)
        if scope_id is None:
            if own is None:
                raise ServiceError(_("请选择团队。"), fields={"id": [_("请选择团队。")]})
            scope_id = own.pk
        head = Employee.objects.filter(company_id=viewer.company_id, pk=scope_id).first()
        if head is None:
            raise Http404
        members = team_q(head)
        if not whole:
            if not manager or own is None:
                raise PermissionDenied
            if head.pk != own.pk:
                ids = set(
                    Employee.objects.filter(members, company_id=viewer.company_id).values_list(
                        "pk", flat=True
                    )
                )
                allowed = managed_employee_ids(viewer)
                if head.pk not in allowed or not ids <= allowed:
                    raise PermissionDenied
        return ScopeSpec(
            TEAM,
            head.pk,
            _("%(name)s 的团队") % {"name": head.name},
            members,
            frozenset(team_departments(head)),
        )
    raise ServiceError(_("范围无效。"), fields={"scope": [_("范围无效。")]})


def teams_visible(viewer: Any) -> QuerySet[Employee]:
    """The teams the viewer may open: managers' own; HR and executives every head or
    manager of someone."""
    qs = Employee.objects.filter(company_id=viewer.company_id)
    if reads_whole_company(viewer):
        heads = Department.objects.filter(company_id=viewer.company_id, head__isnull=False).values(
            "head_id"
        )
        managers = Employee.objects.filter(
            company_id=viewer.company_id, manager__isnull=False
        ).values("manager_id")
        return qs.filter(Q(pk__in=heads) | Q(pk__in=managers)).order_by("name")
    own = _own_employee(viewer)
    if viewer.role == "manager" and own is not None:
        return qs.filter(pk=own.pk)
    return qs.none()


def departments_visible(viewer: Any) -> QuerySet[Department]:
    qs = Department.objects.filter(company_id=viewer.company_id)
    if reads_whole_company(viewer):
        return qs.order_by("sort_order", "name")
    if viewer.role == "manager":
        return qs.filter(pk__in=managed_department_ids(viewer)).order_by("sort_order", "name")
    return qs.none()


# --- Tables: one indicator's per-subject figures over a period ---------------------------


@dataclass
class _Member:
    name: str
    number: str
    department_id: int | None
    department: str
    zone: zoneinfo.ZoneInfo
    active: bool


def _zone(name: str | None, fallback: str) -> zoneinfo.ZoneInfo:
    for candidate in (name, fallback, "Asia/Shanghai"):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("Asia/Shanghai")


def _zero_when_empty(aggregation: str) -> bool:
    return aggregation in (Aggregation.SUM, Aggregation.COUNT, Aggregation.DISTINCT_COUNT)


@dataclass
class _Table:
    """One indicator over one period for every subject of a scope."""

    code: str
    version: IndicatorVersion | None
    per_subject: dict[Subject, engine.Aggregate] = field(default_factory=dict)
    keys: dict[Subject, set[str]] = field(default_factory=dict)
    value_ids: dict[Subject, int] = field(default_factory=dict)
    parts: dict[str, _Table] = field(default_factory=dict)

    @property
    def aggregation(self) -> str:
        return self.version.aggregation if self.version else ""

    def subject(self, subject: Subject) -> engine.Aggregate:
        """One subject's figure; none recorded is 0 for sums and counts, else no value."""
        found = self.per_subject.get(subject)
        if found is not None:
            return found
        if self.version is not None and self.aggregation in engine.DIRECT_AGGREGATIONS:
            if _zero_when_empty(self.aggregation):
                return engine.Aggregate(engine.ZERO, 0, engine.ZERO)
            return engine.Aggregate(None, 0, engine.ZERO, None, _("本期无数据"))
        return self._derived(lambda table: table.subject(subject))

    def group(self, subjects: Iterable[Subject]) -> engine.Aggregate:
        """The roll-up of ``subjects``."""
        chosen = list(subjects)
        if self.version is None:
            return engine.Aggregate(
                None, 0, engine.ZERO, None, _("指标 %(c)s 不存在") % {"c": self.code}
            )
        if self.aggregation in engine.DIRECT_AGGREGATIONS:
            parts = [
                engine.Part(a.value, a.count, a.total, a.last_at)
                for a in (self.per_subject[s] for s in chosen if s in self.per_subject)
            ]
            distinct = None
            if self.aggregation == Aggregation.DISTINCT_COUNT:
                union: set[str] = set()
                for s in chosen:
                    union |= self.keys.get(s, set())
                distinct = len(union)
            return engine.parts_combine(self.aggregation, parts, distinct=distinct)
        return self._derived(lambda table: table.group(chosen))

    def _derived(self, of: Any) -> engine.Aggregate:
        version = self.version
        if version is None:
            return engine.Aggregate(
                None, 0, engine.ZERO, None, _("指标 %(c)s 不存在") % {"c": self.code}
            )
        if version.aggregation == Aggregation.RATIO:
            numerator = self.parts.get(version.numerator_code)
            denominator = self.parts.get(version.denominator_code)
            return engine.ratio_combine(
                of(numerator).value if numerator else None,
                of(denominator).value if denominator else None,
                percent=version.unit == "%",
            )
        names = version_dependencies(version)
        outcome = formula_evaluate(
            version.formula,
            {name: (of(self.parts[name]).value if name in self.parts else None) for name in names},
        )
        return engine.Aggregate(outcome.value, 0, engine.ZERO, None, outcome.reason)


@dataclass
class _Context:
    company: Company
    scope: ScopeSpec
    members: dict[Subject, _Member]
    indicators: dict[str, Indicator]

    def value_filter(self) -> Q:
        """MetricValue/MetricEvent rows of the scope's subjects."""
        if self.scope.kind == COMPANY:
            return Q()
        people = Employee.objects.filter(self.scope.employees, company=self.company).values("pk")
        rule = Q(employee_id__in=people)
        if self.scope.departments is None:
            return rule | Q(employee__isnull=True)
        return rule | Q(employee__isnull=True, department_id__in=self.scope.departments)

    def zone_of(self, subject: Subject) -> zoneinfo.ZoneInfo:
        member = self.members.get(subject)
        return member.zone if member else _zone(None, self.company.time_zone)


def _members(company: Company, scope: ScopeSpec) -> dict[Subject, _Member]:
    rows = (
        Employee.objects.filter(scope.employees, company=company)
        .values_list(
            "pk",
            "name",
            "employee_number",
            "department_id",
            "department__name",
            "work_location__time_zone",
            "status",
        )
        .order_by("name", "pk")
    )
    return {
        (pk, None): _Member(
            name,
            number,
            department_id,
            department_name,
            _zone(zone, company.time_zone),
            status != EmployeeStatus.LEFT,
        )
        for pk, name, number, department_id, department_name, zone, status in rows
    }


def _pieces_q(spec: PeriodSpec) -> Q:
    rule = Q(pk__in=[])
    for kind, start in period_pieces(spec):
        rule |= Q(period_kind=kind, period_start=start)
    return rule


def _subject_of(employee_id: int | None, department_id: int | None) -> Subject:
    return (employee_id, None) if employee_id else (None, department_id)


def _distinct_of(evidence: object, key: str, pk: int) -> str:
    if key and isinstance(evidence, dict):
        found = evidence.get(key)
        if found is not None and found != "":
            return str(found)
    return f"#{pk}"


def _table(
    context: _Context, code: str, spec: PeriodSpec, trail: frozenset[str] = frozenset()
) -> _Table:
    indicator = context.indicators.get(code)
    version = indicator.current_version if indicator else None
    table = _Table(code, version)
    if indicator is None or version is None or code in trail:
        table.version = None if code in trail else version
        return table
    rows = MetricValue.objects.filter(
        context.value_filter(), _pieces_q(spec), company=context.company, indicator=indicator
    ).values_list("pk", "employee_id", "department_id", "value", "count", "sum", "last_event_at")
    if version.aggregation not in engine.DIRECT_AGGREGATIONS:
        if spec.kind != CUSTOM:
            for pk, employee_id, department_id, *_rest in rows:
                table.value_ids[_subject_of(employee_id, department_id)] = pk
        for part in sorted(version_dependencies(version)):
            table.parts[part] = _table(context, part, spec, trail | {code})
        subjects: set[Subject] = set(context.members)
        for part_table in table.parts.values():
            subjects |= set(part_table.per_subject)
        for subject in subjects:
            table.per_subject[subject] = table._derived(lambda t, s=subject: t.subject(s))
        return table
    parts: dict[Subject, list[engine.Part]] = defaultdict(list)
    for pk, employee_id, department_id, value, count, total, last_at in rows:
        subject = _subject_of(employee_id, department_id)
        parts[subject].append(engine.Part(value, count, total, last_at))
        if spec.kind != CUSTOM:
            table.value_ids[subject] = pk
    if version.aggregation == Aggregation.DISTINCT_COUNT:
        table.keys = _distinct_keys(context, indicator, version, spec)
    for subject, found in parts.items():
        distinct = len(table.keys.get(subject, set()))
        table.per_subject[subject] = engine.parts_combine(
            version.aggregation,
            found,
            distinct=distinct if version.aggregation == Aggregation.DISTINCT_COUNT else None,
        )
    return table


def _distinct_keys(
    context: _Context, indicator: Indicator, version: IndicatorVersion, spec: PeriodSpec
) -> dict[Subject, set[str]]:
    """Each subject's distinct keys of the counted events inside the period (local days)."""
    # The widest UTC window any time zone can give; each event is then placed on its
    # subject's local day.
    begin = dt.datetime.combine(spec.start, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=15)
    finish = dt.datetime.combine(spec.end, dt.time(), tzinfo=dt.UTC) + dt.timedelta(hours=15)
    rows = MetricEvent.objects.filter(
        context.value_filter(),
        company=context.company,
        indicator=indicator,
        status=EventStatus.COUNTED,
        occurred_at__gte=begin,
        occurred_at__lt=finish,
    ).values_list("pk", "employee_id", "department_id", "occurred_at", "evidence")
    keys: dict[Subject, set[str]] = defaultdict(set)
    for pk, employee_id, department_id, occurred_at, evidence in rows.iterator(chunk_size=2000):
        subject = _subject_of(employee_id, department_id)
        if spec.contains(engine.local_day(occurred_at, context.zone_of(subject))):
            keys[subject].add(_distinct_of(evidence, version.distinct_key, pk))
    return dict(keys)


# --- Roll-ups --------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """What one person (or one department's team-level figures) contributed."""

    employee_id: int | None
    department_id: int | None
    name: str
    number: str
    department: str
    value: Decimal | None
    count: int
    numerator: Decimal | None
    denominator: Decimal | None
    note: str
    value_id: int | None
    share: Decimal | None
    active: bool


@dataclass(frozen=True)
class GroupRow:
    """A sub-department's roll-up inside a department or the company."""

    department_id: int
    name: str
    value: Decimal | None
    note: str
    people: int
    direct: bool = False


@dataclass(frozen=True)
class PartRollup:
    """A ratio's or formula's component at the scope's level."""

    code: str
    name: str
    unit: str
    value: Decimal | None
    note: str
    scale: int = 2


@dataclass(frozen=True)
class Progress:
    """Period-to-date: this period so far against the same point of the previous one."""

    current: engine.Aggregate
    previous: engine.Aggregate
    current_period: PeriodSpec
    previous_period: PeriodSpec
    elapsed_days: int
    total_days: int
    to_date: bool

    @property
    def change(self) -> Decimal | None:
        now, before = self.current.value, self.previous.value
        if now is None or before is None or before == 0:
            return None
        return engine.quantize((now - before) / abs(before) * engine.HUNDRED, 1)


@dataclass(frozen=True)
class Rollup:
    indicator: Indicator
    version: IndicatorVersion
    scope: ScopeSpec
    period: PeriodSpec
    result: engine.Aggregate
    steps: tuple[str, ...]
    contributions: list[Contribution]
    groups: list[GroupRow]
    parts: list[PartRollup]
    progress: Progress | None


def _rounded(figure: engine.Aggregate) -> engine.Aggregate:
    """A figure at the stored precision (4 places), like every ``MetricValue``."""
    return replace(figure, value=engine.quantize(figure.value))


def _indicators(company: Company) -> dict[str, Indicator]:
    return {
        i.code: i
        for i in Indicator.objects.filter(company=company).select_related("current_version")
    }


def indicator_for_rollup(viewer: Any, code: str) -> Indicator:
    indicator = (
        Indicator.objects.filter(company_id=viewer.company_id, code=code)
        .select_related("current_version")
        .first()
    )
    if indicator is None or indicator.current_version is None:
        message = _("指标 %(code)s 不存在。") % {"code": code}
        raise ServiceError(message, fields={"indicator": [message]})
    return indicator


def rollup_compute(
    viewer: Any,
    *,
    indicator: Indicator,
    scope: ScopeSpec,
    period: PeriodSpec,
    today: dt.date,
    progress: bool = True,
) -> Rollup:
    """The roll-up of ``indicator`` over ``scope`` and ``period``, explained, with each
    contributor's figure and (``progress``) this period so far against the last one."""
    company = viewer.company
    version = indicator.current_version
    assert version is not None
    members = _members(company, scope)
    context = _Context(company, scope, members, _indicators(company))
    table = _table(context, indicator.code, period)
    subjects = _subjects(table, members)
    result = _rounded(table.group(subjects))
    aggregation = version.aggregation
    contributions = _contributions(table, members, subjects, result, context)
    with_data = [c for c in contributions if c.count or c.value not in (None, engine.ZERO)]
    parts_total = None
    if aggregation == Aggregation.DISTINCT_COUNT:
        parts_total = sum((c.value or engine.ZERO for c in contributions), engine.ZERO)
    steps = engine.rollup_explain(
        aggregation,
        result,
        contributors=len(with_data),
        parts_total=parts_total,
        formula=version.formula,
        percent=version.unit == "%",
    )
    parts = [
        PartRollup(
            code,
            part.version.name_zh if part.version else code,
            part.version.unit if part.version else "",
            engine.quantize(part.group(subjects).value),
            part.group(subjects).note,
            part.version.scale if part.version else 2,
        )
        for code, part in sorted(table.parts.items())
    ]
    return Rollup(
        indicator=indicator,
        version=version,
        scope=scope,
        period=period,
        result=result,
        steps=steps,
        contributions=contributions,
        groups=_groups(table, members, scope, company),
        parts=parts,
        progress=_progress(context, indicator.code, period, today, result) if progress else None,
    )


def _subjects(table: _Table, members: dict[Subject, _Member]) -> list[Subject]:
    """The scope's people plus every subject (team-level figures too) with data."""
    found = set(members) | set(table.per_subject)
    for part in table.parts.values():
        found |= set(part.per_subject)
    return sorted(found, key=lambda s: (s[0] is None, s[0] or 0, s[1] or 0))


def _contributions(
    table: _Table,
    members: dict[Subject, _Member],
    subjects: list[Subject],
    total: engine.Aggregate,
    context: _Context,
) -> list[Contribution]:
    departments = dict(
        Department.objects.filter(
            company=context.company, pk__in={d for e, d in subjects if e is None and d}
        ).values_list("pk", "name")
    )
    shares = table.aggregation in (Aggregation.SUM, Aggregation.COUNT)
    rows: list[Contribution] = []
    for subject in subjects:
        figure = _rounded(table.subject(subject))
        member = members.get(subject)
        has_data = subject in table.per_subject
        if member is not None and not member.active and not has_data:
            continue
        share = None
        if shares and figure.value is not None and total.value:
            share = engine.quantize(figure.value / total.value * engine.HUNDRED, 1)
        if member is not None:
            name, number, department = member.name, member.number, member.department
        else:
            department = departments.get(subject[1] or 0, "")
            name = _("%(d)s（部门整体）") % {"d": department or "—"}
            number = ""
        rows.append(
            Contribution(
                employee_id=subject[0],
                department_id=member.department_id if member else subject[1],
                name=name,
                number=number,
                department=department,
                value=figure.value,
                count=figure.count,
                numerator=figure.numerator,
                denominator=figure.denominator,
                note=figure.note,
                value_id=table.value_ids.get(subject),
                share=share,
                active=member.active if member else True,
            )
        )
    rows.sort(key=lambda c: (c.value is None, -(c.value or 0), c.name))
    return rows


def _groups(
    table: _Table, members: dict[Subject, _Member], scope: ScopeSpec, company: Company
) -> list[GroupRow]:
    """Sub-department roll-ups of a department (or of the company's top department)."""
    if scope.kind == TEAM:
        return []
    tree = list(
        Department.objects.filter(company=company)
        .order_by("sort_order", "name")
        .values_list("pk", "parent_id", "name")
    )
    children: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    for pk, parent_id, name in tree:
        children[parent_id].append((pk, name))
    base = scope.base_department_id
    if scope.kind == COMPANY:
        roots = children.get(None, [])
        if len(roots) != 1:
            groups = roots
            base = None
        else:
            base = roots[0][0]
            groups = children.get(base, [])
    else:
        groups = children.get(base, [])

    def subtree(root: int) -> set[int]:
        found: set[int] = set()
        stack = [root]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(pk for pk, _n in children.get(current, []))
        return found

    def department_of(subject: Subject) -> int | None:
        member = members.get(subject)
        return member.department_id if member else subject[1]

    subjects = _subjects(table, members)
    rows: list[GroupRow] = []
    if base is not None:
        direct = [s for s in subjects if department_of(s) == base]
        if direct:
            figure = _rounded(table.group(direct))
            name = next((n for pk, _p, n in tree if pk == base), "")
            rows.append(
                GroupRow(base, name, figure.value, figure.note, _people(direct), direct=True)
            )
    for pk, name in groups:
        inside = subtree(pk)
        chosen = [s for s in subjects if department_of(s) in inside]
        figure = _rounded(table.group(chosen))
        rows.append(GroupRow(pk, name, figure.value, figure.note, _people(chosen)))
    return rows


def _people(subjects: list[Subject]) -> int:
    return sum(1 for s in subjects if s[0] is not None)


def _progress(
    context: _Context, code: str, period: PeriodSpec, today: dt.date, result: engine.Aggregate
) -> Progress:
    previous = period_previous(period)
    if period.contains(today):
        elapsed = (today - period.start).days + 1
        current = PeriodSpec(CUSTOM, period.start, today + dt.timedelta(days=1))
        before_end = min(previous.start + dt.timedelta(days=elapsed), previous.end)
        before = PeriodSpec(CUSTOM, previous.start, before_end)
        now_figure = _total(context, code, current)
        return Progress(
            now_figure,
            _total(context, code, before),
            current,
            before,
            elapsed,
            period.days,
            True,
        )
    return Progress(
        result, _total(context, code, previous), period, previous, period.days, period.days, False
    )


def _total(context: _Context, code: str, spec: PeriodSpec) -> engine.Aggregate:
    table = _table(context, code, spec)
    return _rounded(table.group(_subjects(table, context.members)))


# --- One contributor's drill-down --------------------------------------------------------


@dataclass(frozen=True)
class MemberDetail:
    """One person's (or a department's team-level) figure over a period with its events
    (direct indicators) or its parts (ratio and formula)."""

    indicator: Indicator
    version: IndicatorVersion
    period: PeriodSpec
    figure: engine.Aggregate
    events: list[MetricEvent]
    parts: list[PartRollup]
    window: tuple[dt.datetime, dt.datetime]
    steps: tuple[str, ...]


def member_detail(
    viewer: Any,
    *,
    indicator: Indicator,
    employee: Employee | None,
    department: Department | None,
    period: PeriodSpec,
) -> MemberDetail:
    """The drill-down of one contributor; the caller has checked the viewer may see them."""
    company = viewer.company
    version = indicator.current_version
    assert version is not None
    if employee is not None:
        scope = ScopeSpec(TEAM, None, employee.name, Q(pk=employee.pk), frozenset())
        subject: Subject = (employee.pk, None)
    else:
        assert department is not None
        scope = ScopeSpec(
            DEPARTMENT, None, department.name, Q(pk__in=[]), frozenset({department.pk})
        )
        subject = (None, department.pk)
    members = _members(company, scope)
    context = _Context(company, scope, members, _indicators(company))
    table = _table(context, indicator.code, period)
    figure = _rounded(table.subject(subject))
    zone = context.zone_of(subject)
    begin = dt.datetime.combine(period.start, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    finish = dt.datetime.combine(period.end, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    events: list[MetricEvent] = []
    if version.aggregation in engine.DIRECT_AGGREGATIONS:
        who = Q(employee=employee) if employee else Q(employee__isnull=True, department=department)
        events = list(
            MetricEvent.objects.filter(
                who,
                company=company,
                indicator=indicator,
                status=EventStatus.COUNTED,
                occurred_at__gte=begin,
                occurred_at__lt=finish,
            )
            .select_related("source")
            .order_by("occurred_at", "id")
        )
    parts = [
        PartRollup(
            code,
            part.version.name_zh if part.version else code,
            part.version.unit if part.version else "",
            engine.quantize(part.subject(subject).value),
            part.subject(subject).note,
            part.version.scale if part.version else 2,
        )
        for code, part in sorted(table.parts.items())
    ]
    steps = engine.rollup_explain(
        version.aggregation,
        figure,
        contributors=1,
        parts_total=figure.value,
        formula=version.formula,
        percent=version.unit == "%",
    )
    return MemberDetail(indicator, version, period, figure, events, parts, (begin, finish), steps)

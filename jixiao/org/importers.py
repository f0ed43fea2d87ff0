"""The employee importer: a staff roster file (花名册) creates and updates employees.

Rows are matched to employees by 工号. Only mapped columns are touched; a blank cell
clears an optional field and leaves status, type, hour system and salary as they are.
The department column may be a path (总部/销售部/外贸一组), the manager column an
employee number in the same file or already in the company.

``EXPORT_COLUMNS`` and the ``*_display`` helpers are shared with ``jixiao.org.exports``
so that an exported file imports back as "unchanged" on every row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import Field as DjangoField
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.audit.services import AuditEntry, audit_record_many
from jixiao.imports.cleaners import (
    CleanError,
    choice_key,
    choice_lookup,
    clean_choice,
    clean_code,
    clean_date,
    clean_decimal,
    clean_email,
    clean_number,
    clean_phone,
    clean_text,
    is_blank,
    split_list,
)
from jixiao.imports.engine import (
    CleanRow,
    CommitResult,
    FieldSpec,
    Importer,
    ImportOption,
    ImportPlan,
    Progress,
    RowOutcome,
    chunks,
    gc_paused,
    register,
)
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmployeeStatus,
    EmploymentChange,
    EmploymentType,
    Position,
    Tag,
    WorkingHourSystem,
    WorkLocation,
)
from jixiao.org.services import (
    EMPLOYEE_AUDIT_FIELDS,
    MAX_SALARY,
    TRACKED_FIELDS,
    custom_field_values_clean,
)
from jixiao.org.signals import departments_bulk_created

CUSTOM_PREFIX = "custom:"
PATH_SEPARATORS = re.compile(r"\s*[/／>＞\\]\s*")
PATH_JOIN = "/"

STATUS_ALIASES = {
    EmployeeStatus.PROBATION: ["试用期", "试用", "Probation", "On probation"],
    EmployeeStatus.ACTIVE: ["在职", "正式", "转正", "Active", "Employed", "Regular"],
    EmployeeStatus.ON_LEAVE: ["休假/停薪留职", "休假", "停薪留职", "On leave", "Leave"],
    EmployeeStatus.LEFT: ["已离职", "离职", "Left", "Terminated", "Resigned"],
}
EMPLOYMENT_TYPE_ALIASES = {
    EmploymentType.FULL_TIME: ["全职", "正式工", "Full time", "Full-time", "FT"],
    EmploymentType.PART_TIME: ["兼职", "Part time", "Part-time", "PT"],
    EmploymentType.INTERN: ["实习", "实习生", "Intern", "Internship"],
    EmploymentType.DISPATCHED: ["劳务派遣", "派遣", "Dispatched", "Agency"],
    EmploymentType.CONTRACTOR: ["外包/顾问", "外包", "顾问", "Contractor", "Consultant"],
    EmploymentType.REHIRED_RETIREE: ["退休返聘", "返聘", "Rehired retiree", "Retiree"],
}
HOUR_SYSTEM_ALIASES = {
    WorkingHourSystem.STANDARD: ["标准工时", "标准工时制", "Standard", "Standard hours"],
    WorkingHourSystem.FLEXIBLE: ["弹性工作制", "弹性", "Flexible", "Flexible hours"],
    WorkingHourSystem.SHIFT: ["排班制", "排班", "Shift", "Shifts"],
    WorkingHourSystem.COMPREHENSIVE: [
        "综合工时制",
        "综合工时",
        "Comprehensive",
        "Comprehensive hours",
    ],
    WorkingHourSystem.UNFIXED: ["不定时工作制", "不定时", "Unfixed", "Unfixed hours"],
}

CHOICE_FIELDS: dict[str, tuple[type[Any], dict[Any, list[str]]]] = {
    "status": (EmployeeStatus, STATUS_ALIASES),
    "employment_type": (EmploymentType, EMPLOYMENT_TYPE_ALIASES),
    "working_hour_system": (WorkingHourSystem, HOUR_SYSTEM_ALIASES),
}
KEEP_WHEN_BLANK = frozenset({"status", "employment_type", "working_hour_system", "base_salary"})
"""Fields a blank cell leaves alone (they always hold a value); other blanks clear."""

DEFAULTS: dict[str, Any] = {
    "status": EmployeeStatus.ACTIVE,
    "employment_type": EmploymentType.FULL_TIME,
    "working_hour_system": WorkingHourSystem.STANDARD,
    "base_salary": Decimal("0.00"),
}


@dataclass(frozen=True)
class Column:
    """A standard column: field name, header (the label), header aliases."""

    name: str
    label: Any
    aliases: tuple[str, ...]
    required: bool = False


STANDARD_COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_number",
        gettext_lazy("工号"),
        (
            "工号",
            "员工编号",
            "员工号",
            "编号",
            "人员编号",
            "Employee No",
            "Employee Number",
            "Employee ID",
            "Emp No",
            "Staff ID",
            "Staff No",
            "Number",
            "ID",
        ),
        required=True,
    ),
    Column(
        "name", gettext_lazy("姓名"), ("姓名", "名字", "员工姓名", "中文名", "Name", "Full name")
    ),
    Column("english_name", gettext_lazy("英文名"), ("英文名", "英文姓名", "English name")),
    Column(
        "email",
        gettext_lazy("邮箱"),
        ("邮箱", "电子邮箱", "邮件", "邮箱地址", "Email", "E-mail", "Mail"),
    ),
    Column(
        "phone",
        gettext_lazy("手机"),
        (
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "移动电话",
            "Mobile",
            "Phone",
            "Cell",
            "Mobile phone",
            "Phone number",
        ),
    ),
    Column(
        "hire_date",
        gettext_lazy("入职日期"),
        (
            "入职日期",
            "入职时间",
            "到岗日期",
            "Hire date",
            "Start date",
            "Join date",
            "Date joined",
            "Hired",
        ),
    ),
    Column(
        "status",
        gettext_lazy("状态"),
        ("状态", "员工状态", "在职状态", "Status", "Employment status"),
    ),
    Column(
        "probation_end_date",
        gettext_lazy("试用期结束"),
        ("试用期结束", "试用期结束日期", "转正日期", "Probation end", "Probation end date"),
    ),
    Column(
        "leave_start_date",
        gettext_lazy("休假开始"),
        ("休假开始", "休假开始日期", "停薪留职日期", "Leave start", "Leave start date"),
    ),
    Column(
        "termination_date",
        gettext_lazy("离职日期"),
        ("离职日期", "离职时间", "最后工作日", "Termination date", "Leaving date", "Last day"),
    ),
    Column(
        "department",
        gettext_lazy("部门"),
        ("部门", "所属部门", "部门路径", "部门名称", "Department", "Dept", "Department path"),
    ),
    Column(
        "position",
        gettext_lazy("岗位"),
        ("岗位", "职位", "岗位名称", "职务", "Position", "Job title", "Title"),
    ),
    Column(
        "manager",
        gettext_lazy("直属上级"),
        (
            "直属上级",
            "直属上级工号",
            "上级",
            "上级工号",
            "直属领导",
            "汇报对象",
            "Manager",
            "Manager No",
            "Manager number",
            "Reports to",
            "Line manager",
        ),
    ),
    Column(
        "work_location",
        gettext_lazy("工作地点"),
        ("工作地点", "办公地点", "工作城市", "Work location", "Location", "Office"),
    ),
    Column(
        "employment_type",
        gettext_lazy("用工类型"),
        ("用工类型", "员工类型", "雇佣类型", "用工性质", "Employment type", "Contract type"),
    ),
    Column(
        "working_hour_system",
        gettext_lazy("工时制度"),
        ("工时制度", "工时制", "工时类型", "Working hour system", "Working hours", "Hours system"),
    ),
    Column(
        "base_salary",
        gettext_lazy("月基本工资"),
        (
            "月基本工资",
            "基本工资",
            "月薪",
            "底薪",
            "工资",
            "Base salary",
            "Monthly salary",
            "Salary",
        ),
    ),
    Column("tags", gettext_lazy("标签"), ("标签", "Tags", "Labels")),
)
EXPORT_COLUMNS = tuple(column.name for column in STANDARD_COLUMNS)


# --- Shared display helpers (used by the exporter too) -------------------------------------


def department_paths(departments: Mapping[int, Department]) -> dict[int, str]:
    """{department id: "总部/销售部/外贸一组"}; a broken parent loop stops the walk."""
    paths: dict[int, str] = {}
    for dept_id in departments:
        names: list[str] = []
        seen: set[int] = set()
        current: int | None = dept_id
        while current is not None and current in departments and current not in seen:
            seen.add(current)
            names.append(departments[current].name)
            current = departments[current].parent_id
        paths[dept_id] = PATH_JOIN.join(reversed(names))
    return paths


def split_path(value: Any) -> tuple[str, ...] | None:
    if is_blank(value):
        return None
    text = clean_text(value)
    return tuple(part for part in PATH_SEPARATORS.split(text) if part)


def custom_value_display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _choice_cleaner(kind: str) -> Callable[[Any], Any]:
    choices, aliases = CHOICE_FIELDS[kind]
    lookup = choice_lookup(choices.choices, aliases)
    labels = [str(label) for label in choices.labels]

    def clean(value: Any) -> str | None:
        return clean_choice(value, lookup, labels)

    return clean


def _custom_cleaner(definition: CustomField) -> Callable[[Any], Any]:
    if definition.field_type == CustomField.Type.NUMBER:

        def clean_number_value(value: Any) -> int | float | None:
            number = clean_number(value)
            if number is None:
                return None
            return int(number) if number == number.to_integral_value() else float(number)

        return clean_number_value
    if definition.field_type == CustomField.Type.DATE:

        def clean_date_value(value: Any) -> str | None:
            day = clean_date(value)
            return day.isoformat() if day else None

        return clean_date_value
    if definition.field_type == CustomField.Type.CHOICE:
        options = {choice_key(str(c)): str(c) for c in definition.choices}

        def clean_choice_value(value: Any) -> str | None:
            if is_blank(value):
                return None
            text = clean_text(value)
            found = options.get(choice_key(text))
            if found is None:
                raise CleanError(
                    _("“%(value)s”不是可选值，可选：%(choices)s。")
                    % {"value": text, "choices": "、".join(str(c) for c in definition.choices)}
                )
            return found

        return clean_choice_value

    def clean_text_value(value: Any) -> str | None:
        return clean_text(value, max_length=500) or None

    return clean_text_value


def _clean_manager(value: Any) -> str:
    return clean_text(value, max_length=100)


def _clean_salary(value: Any) -> Decimal | None:
    return clean_decimal(value, places=2, minimum=Decimal("0"))


FIELD_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "employee_number": lambda v: clean_code(v, max_length=40),
    "name": lambda v: clean_text(v, max_length=100),
    "english_name": lambda v: clean_text(v, max_length=100),
    "email": clean_email,
    "phone": clean_phone,
    "hire_date": clean_date,
    "probation_end_date": clean_date,
    "leave_start_date": clean_date,
    "termination_date": clean_date,
    "status": _choice_cleaner("status"),
    "employment_type": _choice_cleaner("employment_type"),
    "working_hour_system": _choice_cleaner("working_hour_system"),
    "department": split_path,
    "position": lambda v: clean_text(v, max_length=100),
    "manager": _clean_manager,
    "work_location": lambda v: clean_text(v, max_length=100),
    "base_salary": _clean_salary,
    "tags": split_list,
}


# --- Plan ------------------------------------------------------------------------------------


@dataclass
class NewDepartment:
    """A department the import will create: under ``anchor`` (an existing id or another
    new department), named ``name``."""

    anchor: int | NewDepartment | None
    name: str
    obj: Department | None = None

    @property
    def path(self) -> str:
        if isinstance(self.anchor, NewDepartment):
            return f"{self.anchor.path}{PATH_JOIN}{self.name}"
        return self.name


@dataclass
class EmployeeWrite:
    """One valid row's write: ``values`` are model attribute values for the row, with
    markers for what does not exist yet (a new department/position/tag, a manager row)."""

    row: int
    number: str
    existing: Employee | None
    values: dict[str, Any]
    tags: list[Any] | None
    custom_fields: dict[str, Any] | None
    manager_ref: str | None = None
    outcome: RowOutcome | None = None


@dataclass
class EmployeePayload:
    writes: list[EmployeeWrite]
    new_departments: list[NewDepartment]
    new_positions: dict[str, Position]
    new_tags: dict[str, Tag]
    existing_tags: dict[int, set[int]]
    department_names: dict[int, str]
    position_names: dict[int, str]
    location_names: dict[int, str]
    employee_numbers: dict[int, str]
    tag_names: dict[int, str]
    custom_labels: dict[str, str] = field(default_factory=dict)


class _Context:
    """The company's existing rows, loaded once per plan (a handful of queries)."""

    def __init__(self, company: Any) -> None:
        self.company = company
        self.departments = {d.pk: d for d in Department.objects.filter(company=company)}
        self.paths = department_paths(self.departments)
        self.by_full_path: dict[tuple[str, ...], int] = {}
        self.by_suffix: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for dept_id, path in self.paths.items():
            parts = tuple(path.split(PATH_JOIN))
            self.by_full_path[parts] = dept_id
            for start in range(len(parts)):
                self.by_suffix[parts[start:]].append(dept_id)
        self.positions = {p.name: p for p in Position.objects.filter(company=company)}
        self.positions_ci = {p.name.lower(): p for p in self.positions.values()}
        self.locations = {w.name: w for w in WorkLocation.objects.filter(company=company)}
        self.locations_ci = {w.name.lower(): w for w in self.locations.values()}
        self.tags = {t.name: t for t in Tag.objects.filter(company=company)}
        self.employees: dict[str, Employee] = {}
        self.employees_by_id: dict[int, Employee] = {}
        for employee in Employee.objects.filter(company=company).only(
            "id", "company", *EMPLOYEE_AUDIT_FIELDS
        ):
            self.employees[employee.employee_number] = employee
            self.employees_by_id[employee.pk] = employee
        self.by_name: dict[str, list[Employee]] = defaultdict(list)
        self.by_email: dict[str, Employee] = {}
        self.by_name_phone: dict[tuple[str, str], Employee] = {}
        for employee in self.employees.values():
            self.by_name[employee.name].append(employee)
            if employee.email:
                self.by_email.setdefault(employee.email.lower(), employee)
            if employee.phone:
                self.by_name_phone.setdefault((employee.name, _phone_key(employee.phone)), employee)
        self.employee_tags: dict[int, set[int]] = defaultdict(set)
        through = Employee.tags.through
        for employee_id, tag_id in through.objects.filter(employee__company=company).values_list(
            "employee_id", "tag_id"
        ):
            self.employee_tags[employee_id].add(tag_id)

    def department(self, parts: tuple[str, ...]) -> tuple[int | None, str]:
        """(id, "") for a full or unambiguous partial path, else (None, why)."""
        found = self.by_full_path.get(parts)
        if found is not None:
            return found, ""
        candidates = self.by_suffix.get(parts, [])
        if len(candidates) == 1:
            return candidates[0], ""
        if len(candidates) > 1:
            return None, "ambiguous"
        return None, "missing"


def _phone_key(phone: str) -> str:
    try:
        return clean_phone(phone)
    except CleanError:
        return phone


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@register
class EmployeeImporter(Importer):
    """Employees from a roster: create by new 工号, update by existing 工号."""

    name = "employees"
    label = gettext_lazy("员工")
    permission = "org.import_employees"

    def __init__(self, *, company: Any, actor: Any, options: Mapping[str, bool] | None = None):
        super().__init__(company=company, actor=actor, options=options)
        self._fields: list[FieldSpec] | None = None
        self._custom: dict[str, CustomField] = {}

    def option_specs(self) -> list[ImportOption]:
        return [
            ImportOption("create_departments", _("部门不存在时自动创建（按路径逐级创建）")),
            ImportOption("create_positions", _("岗位不存在时自动创建")),
            ImportOption("create_tags", _("标签不存在时自动创建")),
        ]

    def fields(self) -> list[FieldSpec]:
        if self._fields is None:
            specs = [
                FieldSpec(
                    name=column.name,
                    label=str(column.label),
                    aliases=column.aliases,
                    required=column.required,
                    unique=column.name == "employee_number",
                    clean=FIELD_CLEANERS[column.name],
                )
                for column in STANDARD_COLUMNS
            ]
            self._custom = {
                definition.code: definition
                for definition in CustomField.objects.filter(company=self.company)
            }
            for definition in self._custom.values():
                specs.append(
                    FieldSpec(
                        name=CUSTOM_PREFIX + definition.code,
                        label=definition.label,
                        aliases=(definition.code,),
                        clean=_custom_cleaner(definition),
                    )
                )
            self._fields = specs
        return self._fields

    def validate_row(self, row: CleanRow, columns: Mapping[str, str]) -> None:
        number = row.values.get("employee_number")
        if "employee_number" in row.values and not number:
            row.error(columns["employee_number"], _("请填写工号。"), "employee_number")
        manager = row.values.get("manager")
        if number and manager and manager == number:
            row.error(columns["manager"], _("员工不能是自己的直属上级。"), "manager")

    # -- planning ---------------------------------------------------------------------------

    @gc_paused()
    def plan(self, rows: list[CleanRow], columns: Mapping[str, str]) -> ImportPlan:
        self.fields()
        ctx = _Context(self.company)
        labels = {spec.name: spec.label for spec in self.fields()}

        def column(name: str) -> str:
            return columns.get(name) or labels.get(name, name)

        file_rows: dict[str, CleanRow] = {}
        for row in rows:
            number = row.values.get("employee_number")
            if number and not any(i.field == "employee_number" for i in row.issues):
                file_rows.setdefault(number, row)
        file_by_name: dict[str, list[str]] = defaultdict(list)
        for number, row in file_rows.items():
            if row.values.get("name"):
                file_by_name[row.values["name"]].append(number)

        new_departments: dict[tuple[Any, ...], NewDepartment] = {}
        new_positions: dict[str, Position] = {}
        new_tags: dict[str, Tag] = {}
        placeholder_department = Department(company_id=self.company.pk, name="")
        placeholder_employee = Employee(company_id=self.company.pk, name="")
        writes: list[EmployeeWrite] = []
        custom_defs = list(self._custom.values())

        for row in rows:
            number = row.values.get("employee_number")
            if not number or number not in file_rows or file_rows[number] is not row:
                continue
            existing = ctx.employees.get(number)
            values: dict[str, Any] = {}
            for name in (
                "name",
                "english_name",
                "email",
                "phone",
                "hire_date",
                "status",
                "probation_end_date",
                "leave_start_date",
                "termination_date",
                "employment_type",
                "working_hour_system",
                "base_salary",
            ):
                if name not in row.values:
                    continue
                value = row.values[name]
                if value is None and name in KEEP_WHEN_BLANK:
                    continue
                values[name] = "" if value is None and name in ("name", "english_name") else value
            validate_objects: dict[str, Any] = {}
            # Department: a path, created only when the user allowed it.
            if "department" in row.values:
                parts = row.values["department"]
                if parts is None:
                    values["department_id"] = None
                else:
                    dept_id, problem = ctx.department(parts)
                    if dept_id is not None:
                        values["department_id"] = dept_id
                        validate_objects["department"] = ctx.departments[dept_id]
                    elif problem == "ambiguous":
                        row.error(
                            column("department"),
                            _("有多个部门叫“%(p)s”，请写完整路径，例如“%(e)s”。")
                            % {
                                "p": PATH_JOIN.join(parts),
                                "e": ctx.paths[ctx.by_suffix[parts][0]],
                            },
                            "department",
                        )
                    elif self.options["create_departments"]:
                        new = self._plan_department(ctx, parts, new_departments)
                        values["department_id"] = new
                        validate_objects["department"] = placeholder_department
                    else:
                        row.error(
                            column("department"),
                            _("部门“%(p)s”不存在（可勾选“部门不存在时自动创建”）。")
                            % {"p": PATH_JOIN.join(parts)},
                            "department",
                        )
            # Position and work location: by name.
            if "position" in row.values:
                name = row.values["position"]
                if not name:
                    values["position_id"] = None
                else:
                    position = ctx.positions.get(name) or ctx.positions_ci.get(name.lower())
                    if position is not None:
                        values["position_id"] = position.pk
                    elif self.options["create_positions"]:
                        values["position_id"] = new_positions.setdefault(
                            name, Position(company=self.company, name=name)
                        )
                    else:
                        row.error(
                            column("position"),
                            _("岗位“%(n)s”不存在（可勾选“岗位不存在时自动创建”）。") % {"n": name},
                            "position",
                        )
            if "work_location" in row.values:
                name = row.values["work_location"]
                if not name:
                    values["work_location_id"] = None
                else:
                    location = ctx.locations.get(name) or ctx.locations_ci.get(name.lower())
                    if location is None:
                        row.error(
                            column("work_location"),
                            _("工作地点“%(n)s”不存在，请先在组织设置中添加。") % {"n": name},
                            "work_location",
                        )
                    else:
                        values["work_location_id"] = location.pk
            # Manager: a number in this file or of an existing employee, or a unique name.
            manager_ref: str | None = None
            if "manager" in row.values and not any(i.field == "manager" for i in row.issues):
                ref = row.values["manager"]
                if not ref:
                    values["manager_id"] = None
                else:
                    target = self._manager_number(ref, ctx, file_rows, file_by_name)
                    if target is None:
                        row.error(
                            column("manager"),
                            _("找不到工号或姓名为“%(r)s”的直属上级。") % {"r": ref},
                            "manager",
                        )
                    elif target == "":
                        row.error(
                            column("manager"),
                            _("有多名员工叫“%(r)s”，请填写直属上级的工号。") % {"r": ref},
                            "manager",
                        )
                    elif target == number:
                        row.error(column("manager"), _("员工不能是自己的直属上级。"), "manager")
                    else:
                        manager_ref = target
                        boss = ctx.employees.get(target)
                        values["manager_id"] = boss.pk if boss is not None else ("row", target)
                        validate_objects["manager"] = boss or placeholder_employee
            # Tags by name.
            tags: list[Any] | None = None
            if "tags" in row.values:
                tags = []
                for tag_name in row.values["tags"]:
                    tag = ctx.tags.get(tag_name)
                    if tag is not None:
                        tags.append(tag.pk)
                    elif self.options["create_tags"]:
                        tags.append(
                            new_tags.setdefault(tag_name, Tag(company=self.company, name=tag_name))
                        )
                    else:
                        row.error(
                            column("tags"),
                            _("标签“%(n)s”不存在（可勾选“标签不存在时自动创建”）。")
                            % {"n": tag_name},
                            "tags",
                        )
            # Custom fields: the mapped ones replace, the others stay.
            custom: dict[str, Any] | None = None
            mapped_custom = {
                name[len(CUSTOM_PREFIX) :]: value
                for name, value in row.values.items()
                if name.startswith(CUSTOM_PREFIX)
            }
            if mapped_custom or existing is None:
                merged = dict(existing.custom_fields) if existing is not None else {}
                merged.update(mapped_custom)
                clean_custom, custom_errors = custom_field_values_clean(
                    company=self.company, values=merged, definitions=custom_defs
                )
                for key, messages in custom_errors.items():
                    code = key.split(".", 1)[1]
                    for message in messages:
                        row.error(column(CUSTOM_PREFIX + code), message, CUSTOM_PREFIX + code)
                custom = clean_custom
            # Whole-row validation on the merged, final values.
            final = self._final_values(existing, values, validate_objects, ctx)
            final["employee_number"] = number
            errors = _validate(final)
            already = {issue.field for issue in row.issues}
            for key, messages in errors.items():
                if key in already:
                    continue
                for message in messages:
                    row.error(column(key), message, key)
            self._duplicate_warnings(row, number, existing, ctx, column)
            if row.has_errors:
                continue
            writes.append(
                EmployeeWrite(row.number, number, existing, values, tags, custom, manager_ref)
            )

        self._file_duplicate_warnings(rows, file_rows, column)
        self._check_cycles(rows, writes, ctx, column)
        self._drop_broken_dependencies(rows, writes, column)

        payload = EmployeePayload(
            writes=writes,
            new_departments=list(new_departments.values()),
            new_positions=new_positions,
            new_tags=new_tags,
            existing_tags=ctx.employee_tags,
            department_names=ctx.paths,
            position_names={p.pk: p.name for p in ctx.positions.values()},
            location_names={w.pk: w.name for w in ctx.locations.values()},
            employee_numbers={e.pk: e.employee_number for e in ctx.employees.values()},
            tag_names={t.pk: t.name for t in ctx.tags.values()},
            custom_labels={code: d.label for code, d in self._custom.items()},
        )
        outcomes: list[RowOutcome] = []
        by_row = {write.row: write for write in writes}
        for row in rows:
            write = by_row.get(row.number)
            key = str(row.values.get("employee_number") or "")
            label = str(row.values.get("name") or "")
            if write is None or row.has_errors:
                outcomes.append(RowOutcome(row.number, "error", key, label))
                continue
            if write.existing is not None and not label:
                label = write.existing.name
            changes = self._changes(write, payload, labels) if write.existing else {}
            if write.existing is None:
                action = "create"
            elif changes:
                action = "update"
            else:
                action = "unchanged"
            write.outcome = RowOutcome(row.number, action, key, label, changes)  # type: ignore[arg-type]
            outcomes.append(write.outcome)
        row_by_number = {row.number: row for row in rows}
        payload.writes = [w for w in writes if not row_by_number[w.row].has_errors]
        return ImportPlan(rows, outcomes, payload)

    def _plan_department(
        self,
        ctx: _Context,
        parts: tuple[str, ...],
        planned: dict[tuple[Any, ...], NewDepartment],
    ) -> NewDepartment:
        """Create what is missing below the longest prefix that already exists."""
        anchor: int | NewDepartment | None = None
        start = 0
        for cut in range(len(parts) - 1, 0, -1):
            dept_id, _problem = ctx.department(parts[:cut])
            if dept_id is not None:
                anchor, start = dept_id, cut
                break
        node: NewDepartment | None = None
        for name in parts[start:]:
            key = (anchor.path if isinstance(anchor, NewDepartment) else anchor, name)
            node = planned.get(key)
            if node is None:
                node = NewDepartment(anchor, name)
                planned[key] = node
            anchor = node
        assert node is not None
        return node

    @staticmethod
    def _manager_number(
        ref: str,
        ctx: _Context,
        file_rows: Mapping[str, CleanRow],
        file_by_name: Mapping[str, list[str]],
    ) -> str | None:
        """The manager's 工号 ("" when a name is ambiguous, None when unknown)."""
        compact = ref.replace(" ", "")
        if compact in file_rows or compact in ctx.employees:
            return compact
        numbers = set(file_by_name.get(ref, [])) | {
            e.employee_number for e in ctx.by_name.get(ref, [])
        }
        if len(numbers) == 1:
            return numbers.pop()
        return "" if numbers else None

    def _final_values(
        self,
        existing: Employee | None,
        values: Mapping[str, Any],
        objects: Mapping[str, Any],
        ctx: _Context,
    ) -> dict[str, Any]:
        final: dict[str, Any] = {}
        if existing is not None:
            for name in EMPLOYEE_AUDIT_FIELDS:
                if name in ("user", "custom_fields"):
                    continue
                final[name] = getattr(existing, name if name not in _RELATIONS else name + "_id")
        else:
            final.update(DEFAULTS)
            for name in ("department", "manager", "position", "work_location"):
                final[name] = None
        for key, value in values.items():
            if key.endswith("_id"):
                continue
            final[key] = value
        for name in _RELATIONS:
            if name + "_id" in values:
                final[name] = objects.get(name) if values[name + "_id"] is not None else None
            elif existing is not None:
                relation_id = getattr(existing, name + "_id")
                final[name] = (
                    _Ref(self.company.pk, relation_id) if relation_id is not None else None
                )
        if objects.get("department") is not None:
            final["department"] = objects["department"]
        return final

    @staticmethod
    def _duplicate_warnings(
        row: CleanRow,
        number: str,
        existing: Employee | None,
        ctx: _Context,
        column: Callable[[str], str],
    ) -> None:
        email = str(row.values.get("email") or "").lower()
        if email:
            other = ctx.by_email.get(email)
            if other is not None and other.employee_number != number:
                row.warn(
                    column("email"),
                    _("可能与已有员工%(n)s（工号 %(no)s）是同一人：邮箱相同，建议合并。")
                    % {"n": other.name, "no": other.employee_number},
                    "email",
                )
        name = row.values.get("name") or (existing.name if existing else "")
        phone = row.values.get("phone")
        if name and phone:
            other = ctx.by_name_phone.get((name, phone))
            if other is not None and other.employee_number != number:
                row.warn(
                    column("phone"),
                    _("可能与已有员工%(n)s（工号 %(no)s）是同一人：姓名和手机相同，建议合并。")
                    % {"n": other.name, "no": other.employee_number},
                    "phone",
                )

    @staticmethod
    def _file_duplicate_warnings(
        rows: list[CleanRow], file_rows: Mapping[str, CleanRow], column: Callable[[str], str]
    ) -> None:
        emails: dict[str, CleanRow] = {}
        people: dict[tuple[str, str], CleanRow] = {}
        for row in rows:
            number = row.values.get("employee_number")
            if not number or file_rows.get(number) is not row:
                continue
            email = str(row.values.get("email") or "").lower()
            if email:
                first = emails.setdefault(email, row)
                if first is not row:
                    row.warn(
                        column("email"),
                        _("可能与第 %(r)d 行（工号 %(no)s）是同一人：邮箱相同，建议合并。")
                        % {"r": first.number, "no": first.values["employee_number"]},
                        "email",
                    )
            name, phone = row.values.get("name"), row.values.get("phone")
            if name and phone:
                first = people.setdefault((name, phone), row)
                if first is not row:
                    row.warn(
                        column("phone"),
                        _("可能与第 %(r)d 行（工号 %(no)s）是同一人：姓名和手机相同，建议合并。")
                        % {"r": first.number, "no": first.values["employee_number"]},
                        "phone",
                    )

    @staticmethod
    def _check_cycles(
        rows: list[CleanRow],
        writes: list[EmployeeWrite],
        ctx: _Context,
        column: Callable[[str], str],
    ) -> None:
        """The final reporting lines (file over database) must not loop."""
        boss: dict[str, str | None] = {}
        for employee in ctx.employees.values():
            manager = ctx.employees_by_id.get(employee.manager_id or -1)
            boss[employee.employee_number] = manager.employee_number if manager else None
        for write in writes:
            if "manager_id" in write.values:
                boss[write.number] = write.manager_ref
        row_of = {row.number: row for row in rows}
        for write in writes:
            if "manager_id" not in write.values or write.manager_ref is None:
                continue
            seen = {write.number}
            current = boss.get(write.manager_ref)
            chain = [write.manager_ref]
            while current is not None and current not in seen and len(chain) < 10_000:
                if current == write.number:
                    break
                seen.add(current)
                chain.append(current)
                current = boss.get(current)
            if current == write.number:
                row_of[write.row].error(
                    column("manager"),
                    _("汇报关系形成循环：%(chain)s。")
                    % {"chain": " → ".join([write.number, *chain, write.number])},
                    "manager",
                )

    @staticmethod
    def _drop_broken_dependencies(
        rows: list[CleanRow], writes: list[EmployeeWrite], column: Callable[[str], str]
    ) -> None:
        """A new employee whose manager is a new employee on a failing row cannot be
        written either (matters for "valid rows only")."""
        row_of = {row.number: row for row in rows}
        new_numbers = {w.number: w for w in writes if w.existing is None}
        changed = True
        while changed:
            changed = False
            failing = {w.number for w in writes if row_of[w.row].has_errors}
            for write in writes:
                row = row_of[write.row]
                ref = write.manager_ref
                if row.has_errors or ref is None or "manager_id" not in write.values:
                    continue
                if not isinstance(write.values["manager_id"], tuple):
                    continue
                if ref not in new_numbers or ref in failing:
                    manager_row = new_numbers.get(ref)
                    row.error(
                        column("manager"),
                        _("直属上级（第 %(r)s 行，工号 %(no)s）有错误，本行无法导入。")
                        % {"r": manager_row.row if manager_row else "?", "no": ref},
                        "manager",
                    )
                    changed = True

    def _changes(
        self, write: EmployeeWrite, payload: EmployeePayload, labels: Mapping[str, str]
    ) -> dict[str, tuple[str, str]]:
        """{field label: (old, new)} of what the row changes ("" → new for a new employee)."""
        existing = write.existing
        changes: dict[str, tuple[str, str]] = {}
        for key, value in write.values.items():
            name = key.removesuffix("_id")
            old_raw = getattr(existing, key) if existing is not None else None
            if name == "phone" and existing is not None and _phone_key(old_raw or "") == value:
                continue
            new_display = self._value_display(name, value, payload)
            old_display = self._value_display(name, old_raw, payload) if existing else ""
            if existing is None or old_raw != value:
                if existing is not None and old_display == new_display:
                    continue
                changes[labels.get(name, name)] = (old_display, new_display)
        if write.tags is not None:
            old_ids = payload.existing_tags.get(existing.pk, set()) if existing else set()
            new_ids = {t for t in write.tags if isinstance(t, int)}
            new_names = [t.name for t in write.tags if isinstance(t, Tag)]
            if existing is None or old_ids != new_ids or new_names:
                old_text = "、".join(sorted(payload.tag_names.get(i, "") for i in old_ids))
                new_text = "、".join(
                    sorted([payload.tag_names.get(i, "") for i in new_ids] + new_names)
                )
                if existing is None or old_text != new_text:
                    changes[labels.get("tags", "tags")] = (old_text, new_text)
        if write.custom_fields is not None:
            old_custom = existing.custom_fields if existing is not None else {}
            for code in sorted(set(old_custom) | set(write.custom_fields)):
                old_value, new_value = old_custom.get(code), write.custom_fields.get(code)
                if old_value != new_value:
                    changes[payload.custom_labels.get(code, code)] = (
                        custom_value_display(old_value),
                        custom_value_display(new_value),
                    )
        if existing is None:
            changes = {k: v for k, v in changes.items() if v[1]}
        return changes

    @staticmethod
    def _value_display(name: str, value: Any, payload: EmployeePayload) -> str:
        if value is None:
            return ""
        if name == "department":
            if isinstance(value, NewDepartment):
                return value.path
            return payload.department_names.get(value, "")
        if name == "position":
            return (
                value.name if isinstance(value, Position) else payload.position_names.get(value, "")
            )
        if name == "work_location":
            return payload.location_names.get(value, "")
        if name == "manager":
            if isinstance(value, tuple):
                return str(value[1])
            return payload.employee_numbers.get(value, "")
        if name in CHOICE_FIELDS:
            return str(CHOICE_FIELDS[name][0](value).label)
        return _display(value)

    # -- writing ---------------------------------------------------------------------------

    @gc_paused()
    def commit(
        self, plan: ImportPlan, *, reason: str, progress: Progress | None = None
    ) -> CommitResult:
        payload: EmployeePayload = plan.payload
        company = self.company
        result = CommitResult()
        entries: list[AuditEntry] = []
        writes = [w for w in payload.writes if w.outcome and w.outcome.action != "unchanged"]
        result.unchanged = sum(
            1 for w in payload.writes if w.outcome and w.outcome.action == "unchanged"
        )
        total = len(writes)
        done = 0

        # Missing departments, positions and tags first (level by level for departments).
        pending = list(payload.new_departments)
        while pending:
            ready = [d for d in pending if not isinstance(d.anchor, NewDepartment) or d.anchor.obj]
            new_objs: list[Department] = []
            for node in ready:
                parent_id: int | None
                if isinstance(node.anchor, NewDepartment):
                    parent_id = node.anchor.obj.pk if node.anchor.obj else None
                else:
                    parent_id = node.anchor
                node.obj = Department(company=company, name=node.name, parent_id=parent_id)
                new_objs.append(node.obj)
            Department.objects.bulk_create(new_objs)
            if new_objs:
                departments_bulk_created.send(sender=Department, company_id=company.pk)
            for node in ready:
                assert node.obj is not None
                payload.department_names[node.obj.pk] = node.path
                entries.append(
                    AuditEntry(
                        "org.department.create",
                        "org.department",
                        str(node.obj.pk),
                        node.path,
                        {"name": [None, node.name], "parent": [None, node.obj.parent_id]},
                    )
                )
            pending = [d for d in pending if d.obj is None]
        if payload.new_positions:
            Position.objects.bulk_create(list(payload.new_positions.values()))
            for position in payload.new_positions.values():
                payload.position_names[position.pk] = position.name
                entries.append(
                    AuditEntry(
                        "org.position.create",
                        "org.position",
                        str(position.pk),
                        position.name,
                        {"name": [None, position.name]},
                    )
                )
        if payload.new_tags:
            Tag.objects.bulk_create(list(payload.new_tags.values()))
            for tag in payload.new_tags.values():
                entries.append(
                    AuditEntry(
                        "org.tag.create",
                        "org.tag",
                        str(tag.pk),
                        tag.name,
                        {"name": [None, tag.name]},
                    )
                )

        def resolve(value: Any, numbers: Mapping[str, int]) -> Any:
            if isinstance(value, NewDepartment):
                assert value.obj is not None
                return value.obj.pk
            if isinstance(value, Model):
                return value.pk
            if isinstance(value, tuple):
                return numbers[value[1]]
            return value

        created_ids: dict[str, int] = {}
        # New employees, managers before their reports.
        creates = [w for w in writes if w.existing is None]
        by_number = {w.number: w for w in creates}
        depth: dict[str, int] = {}

        def manager_in_file(write: EmployeeWrite) -> str | None:
            is_new = isinstance(write.values.get("manager_id"), tuple)
            return write.manager_ref if is_new else None

        def depth_of(number: str) -> int:
            chain: list[str] = []
            current: str | None = number
            while current in by_number and current not in depth and current not in chain:
                chain.append(current)
                current = manager_in_file(by_number[current])
            level = depth[current] if current is not None and current in depth else -1
            for item in reversed(chain):
                level += 1
                depth[item] = level
            return depth[number]

        levels: dict[int, list[EmployeeWrite]] = defaultdict(list)
        for write in creates:
            levels[depth_of(write.number)].append(write)
        now = timezone.now()
        created: list[tuple[EmployeeWrite, Employee]] = []
        builder = _EmployeeBuilder(company_id=company.pk, now=now)
        for level in sorted(levels):
            for chunk in chunks(levels[level], self.chunk_size):
                objs = [
                    builder.build(
                        number=write.number,
                        custom_fields=write.custom_fields or {},
                        values={k: resolve(v, created_ids) for k, v in write.values.items()},
                    )
                    for write in chunk
                ]
                _insert_employees(objs, company_id=company.pk)
                for write, obj in zip(chunk, objs, strict=True):
                    created_ids[write.number] = obj.pk
                    payload.employee_numbers[obj.pk] = write.number
                    created.append((write, obj))
                done += len(chunk)
                if progress:
                    progress(done, total)
        through = Employee.tags.through
        tag_rows: list[Any] = []
        for write, obj in created:
            tag_ids = sorted(resolve(t, created_ids) for t in (write.tags or []))
            tag_rows.extend(through(employee_id=obj.pk, tag_id=t) for t in tag_ids)
            after = {**_audit_values(obj), "tags": tag_ids}
            changes = {k: [None, v] for k, v in after.items() if v not in _EMPTY}
            entries.append(
                AuditEntry("org.employee.create", "org.employee", str(obj.pk), str(obj), changes)
            )
        result.created = len(created)

        # Updates: only the changed fields, with the history of tracked ones.
        updates = [w for w in writes if w.existing is not None]
        today = timezone.localdate(timezone=_zone(company))
        history: list[EmploymentChange] = []
        replaced_tags: list[int] = []
        for chunk in chunks(updates, self.chunk_size):
            changed_objs: list[Employee] = []
            fields: set[str] = set()
            for write in chunk:
                employee = write.existing
                assert employee is not None
                before = {
                    **_audit_values(employee),
                    "tags": sorted(payload.existing_tags.get(employee.pk, set())),
                }
                for key, value in write.values.items():
                    new = resolve(value, created_ids)
                    if key == "phone" and _phone_key(employee.phone or "") == new:
                        continue
                    old = getattr(employee, key)
                    if old != new:
                        name = key.removesuffix("_id")
                        if name in TRACKED_FIELDS:
                            history.append(
                                _history(
                                    company,
                                    employee,
                                    name,
                                    old,
                                    new,
                                    payload,
                                    today,
                                    reason,
                                    self.actor,
                                )
                            )
                        setattr(employee, key, new)
                        fields.add(key)
                if (
                    write.custom_fields is not None
                    and write.custom_fields != employee.custom_fields
                ):
                    employee.custom_fields = write.custom_fields
                    fields.add("custom_fields")
                tag_ids = before["tags"]
                if write.tags is not None:
                    new_tags = sorted({resolve(t, created_ids) for t in write.tags})
                    if new_tags != before["tags"]:
                        replaced_tags.append(employee.pk)
                        tag_rows.extend(
                            through(employee_id=employee.pk, tag_id=t) for t in new_tags
                        )
                        tag_ids = new_tags
                after = {**_audit_values(employee), "tags": tag_ids}
                changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
                if changes:
                    employee.updated_at = now
                    changed_objs.append(employee)
                    entries.append(
                        AuditEntry(
                            "org.employee.update",
                            "org.employee",
                            str(employee.pk),
                            str(employee),
                            changes,
                        )
                    )
            if changed_objs:
                Employee.objects.bulk_update(changed_objs, sorted(fields | {"updated_at"}))
            result.updated += len(changed_objs)
            result.unchanged += len(chunk) - len(changed_objs)
            done += len(chunk)
            if progress:
                progress(done, total)
        if replaced_tags:
            for ids in chunks(replaced_tags, 500):
                through.objects.filter(employee_id__in=list(ids)).delete()
        if tag_rows:
            through.objects.bulk_create(tag_rows, batch_size=self.chunk_size)
        if history:
            EmploymentChange.objects.bulk_create(history, batch_size=self.chunk_size)
        audit_record_many(company=company, actor=self.actor, entries=entries, reason=reason)
        return result


_RELATIONS = ("department", "manager", "position", "work_location")


class _EmployeeBuilder:
    """New ``Employee`` instances built from positional values (the fast path of
    ``Model.__init__``): a roster of thousands spent over a second in keyword
    construction. Unset fields take their defaults, ``DEFAULTS`` the importer's."""

    def __init__(self, *, company_id: int, now: dt.datetime) -> None:
        fields = Employee._meta.concrete_fields
        self.index = {f.attname: i for i, f in enumerate(fields)}
        base = [None if f.primary_key else f.get_default() for f in fields]
        for attname, value in {
            **DEFAULTS,
            "company_id": company_id,
            "created_at": now,
            "updated_at": now,
        }.items():
            base[self.index[attname]] = value
        self.base = base
        self.number_at = self.index["employee_number"]
        self.custom_at = self.index["custom_fields"]

    def build(
        self, *, number: str, custom_fields: dict[str, Any], values: Mapping[str, Any]
    ) -> Employee:
        row = self.base.copy()
        index = self.index
        for attname, value in values.items():
            row[index[attname]] = value
        row[self.number_at] = number
        row[self.custom_at] = custom_fields
        return Employee(*row)  # type: ignore[misc]  # the stubs check positional args one by one


def _insert_employees(objs: list[Employee], *, company_id: int) -> None:
    """Insert new employees with one ``executemany`` and give each its primary key.

    What ``bulk_create`` does (each field's ``pre_save`` and ``get_db_prep_save``)
    without compiling an SQL statement per 40 rows, which was most of an import's
    write time. Text and integer values, and ``None`` outside JSON, need no adapting
    on any backend and skip it. The keys are read back by 工号, unique in a company.
    """
    if not objs:
        return
    connection = connections[router.db_for_write(Employee)]
    ops = connection.ops
    fields = [f for f in Employee._meta.concrete_fields if not f.primary_key]
    columns = []
    for f in fields:
        target = f.target_field if f.is_relation else f  # type: ignore[attr-defined]
        internal = target.get_internal_type()
        plain: tuple[type, ...] = ()
        if internal in _TEXT_TYPES:
            plain = (str,)
        elif internal in _INTEGER_TYPES:
            plain = (int,)
        pre_save = f.pre_save if type(f).pre_save is not DjangoField.pre_save else None
        columns.append((f.attname, plain, internal != "JSONField", pre_save, f.get_db_prep_save))
    rows = []
    for obj in objs:
        row = []
        for attname, plain, none_ok, pre_save, prepare in columns:
            value = pre_save(obj, True) if pre_save else getattr(obj, attname)
            if not ((value is None and none_ok) or type(value) in plain):
                value = prepare(value, connection)
            row.append(value)
        rows.append(row)
    table = ops.quote_name(Employee._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
    keys: dict[str, int] = {}
    numbers = [obj.employee_number for obj in objs]
    for part in chunks(numbers, 500):
        keys.update(
            Employee._base_manager.using(connection.alias)
            .filter(company_id=company_id, employee_number__in=part)
            .values_list("employee_number", "pk")
        )
    for obj in objs:
        obj.pk = keys[obj.employee_number]
        obj._state.adding = False
        obj._state.db = connection.alias


_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})
_INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


_EMPTY: tuple[Any, ...] = (None, "", [], {})
_AUDIT_ATTRS = tuple(
    (name, getattr(Employee._meta.get_field(name), "attname", name))
    for name in EMPLOYEE_AUDIT_FIELDS
)


def _audit_values(employee: Employee) -> dict[str, Any]:
    """The audited fields, JSON-ready, as ``jixiao.audit.services.snapshot`` gives them."""
    result: dict[str, Any] = {}
    for name, attname in _AUDIT_ATTRS:
        value = getattr(employee, attname)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        result[name] = value
    return result


def _validate(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """``jixiao.org.services.employee_validate``'s rules for one row's final values,
    without its queries (numbers, managers and references are checked by the plan)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not values.get("employee_number"):
        add("employee_number", _("请填写工号。"))
    if not str(values.get("name") or "").strip():
        add("name", _("请填写姓名。"))
    if values.get("department") is None:
        add("department", _("请选择部门。"))
    hire = values.get("hire_date")
    termination = values.get("termination_date")
    if not isinstance(hire, dt.date):
        add("hire_date", _("请填写入职日期。"))
    else:
        if termination is not None and termination < hire:
            add("termination_date", _("离职日期不能早于入职日期。"))
        probation_end = values.get("probation_end_date")
        if probation_end is not None and probation_end < hire:
            add("probation_end_date", _("试用期结束日期不能早于入职日期。"))
        leave_start = values.get("leave_start_date")
        if leave_start is not None and leave_start < hire:
            add("leave_start_date", _("休假开始日期不能早于入职日期。"))
    status = values.get("status", EmployeeStatus.ACTIVE)
    if status == EmployeeStatus.LEFT and termination is None:
        add("termination_date", _("状态为已离职时必须填写离职日期。"))
    if status != EmployeeStatus.LEFT and termination is not None:
        add("termination_date", _("只有已离职的员工才有离职日期。"))
    if status == EmployeeStatus.ON_LEAVE and values.get("leave_start_date") is None:
        add("leave_start_date", _("状态为休假时必须填写休假开始日期。"))
    salary = values.get("base_salary")
    if isinstance(salary, Decimal) and salary > MAX_SALARY:
        add("base_salary", _("月基本工资最多两位小数、不超过 99 亿。"))
    return errors


@dataclass(frozen=True)
class _Ref:
    """Stands in for a related row in ``employee_validate``, which reads only its company."""

    company_id: int
    pk: int | None = None
    name: str = ""


def _zone(company: Any) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(company.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def _history(
    company: Any,
    employee: Employee,
    name: str,
    old: Any,
    new: Any,
    payload: EmployeePayload,
    today: dt.date,
    reason: str,
    actor: Any,
) -> EmploymentChange:
    def shown(value: Any) -> tuple[str, str]:
        if value is None or value == "":
            return "", "—"
        display = EmployeeImporter._value_display(name, value, payload)
        if name == "department":
            display = display.rsplit(PATH_JOIN, 1)[-1]
        if name == "base_salary":
            return str(value), str(value)
        return str(value), display or str(value)

    old_value, old_display = shown(old)
    new_value, new_display = shown(new)
    return EmploymentChange(
        company=company,
        employee=employee,
        field=name,
        old_value=old_value,
        new_value=new_value,
        old_display=old_display[:200],
        new_display=new_display[:200],
        effective_date=today,
        applied=True,
        applied_at=timezone.now(),
        reason=reason[:500],
        created_by=actor if actor is not None and getattr(actor, "pk", None) else None,
    )

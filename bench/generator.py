"""A deterministic generator of synthetic companies for benchmarks: any size, same seed, same rows.

The rows go straight in with ``bulk_create`` (no services, no audit events): this is
load for measuring reads, not a story. ``jixiao.demo`` holds the story companies.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditChainHead, AuditEvent
from jixiao.core.models import Company, Role, User
from jixiao.demo.names import random_person_name
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmployeeStatus,
    EmploymentType,
    JobFamily,
    Position,
    Tag,
    WorkingHourSystem,
    WorkLocation,
)

PASSWORD = "bench-password"  # noqa: S105 -- synthetic benchmark accounts in a scratch database
SLUG_PREFIX = "bench"

LOCATIONS = (
    ("总部", "CN", "Asia/Shanghai"),
    ("成都分公司", "CN", "Asia/Shanghai"),
    ("法兰克福办事处", "DE", "Europe/Berlin"),
    ("墨西哥城办事处", "MX", "America/Mexico_City"),
    ("胡志明市工厂", "VN", "Asia/Ho_Chi_Minh"),
    ("拉各斯办事处", "NG", "Africa/Lagos"),
)
DIVISIONS = ("销售", "研发", "运营", "生产", "职能", "客服", "供应链", "市场")
TAGS = ("老员工", "驻外", "倒班", "核心骨干", "导师", "新人", "内勤", "外勤")
STATUSES = (
    (EmployeeStatus.ACTIVE, 90),
    (EmployeeStatus.PROBATION, 5),
    (EmployeeStatus.ON_LEAVE, 2),
    (EmployeeStatus.LEFT, 3),
)
HOURS = (
    (WorkingHourSystem.STANDARD, 55),
    (WorkingHourSystem.FLEXIBLE, 20),
    (WorkingHourSystem.SHIFT, 15),
    (WorkingHourSystem.COMPREHENSIVE, 6),
    (WorkingHourSystem.UNFIXED, 4),
)
EMPLOYMENT = (
    (EmploymentType.FULL_TIME, 90),
    (EmploymentType.PART_TIME, 3),
    (EmploymentType.INTERN, 3),
    (EmploymentType.DISPATCHED, 3),
    (EmploymentType.REHIRED_RETIREE, 1),
)


@dataclass
class GeneratedCompany:
    """One generated company and the logins a benchmark acts as."""

    company: Company
    hr: User
    executive: User
    manager: User
    employee: User
    department_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    employees: int = 0


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*table, strict=True)
    return str(rng.choices(values, weights=weights)[0])


def bench_companies_remove(slug_prefix: str = SLUG_PREFIX) -> int:
    """Delete generated companies left by an earlier run on a shared database."""
    removed = 0
    with scopes_disabled(), transaction.atomic():
        for company in Company.objects.filter(slug__startswith=f"{slug_prefix}-"):
            # The audit trail is append-only except for removing a whole generated tenant.
            models.QuerySet(model=AuditEvent).filter(company=company).delete()
            AuditChainHead.objects.filter(company=company).delete()
            Employee.objects.filter(company=company).delete()
            Department.objects.filter(company=company).update(parent=None, head=None)
            Department.objects.filter(company=company).delete()
            User.objects.filter(company=company).delete()
            company.delete()
            removed += 1
    return removed


def _company_generate(
    index: int, employees: int, rng: random.Random, password_hash: str, slug_prefix: str
) -> GeneratedCompany:
    company = Company.objects.create(
        name=f"基准测试公司{index + 1}", slug=f"{slug_prefix}-{index + 1}", industry="基准测试"
    )
    with scope(company=company):
        locations = [
            WorkLocation.objects.create(company=company, name=n, country=c, time_zone=tz)
            for n, c, tz in LOCATIONS
        ]
        families = [f.value for f in JobFamily]
        positions = Position.objects.bulk_create(
            [
                Position(company=company, name=f"{division}岗位{i + 1}", job_family=families[i % 6])
                for division in DIVISIONS
                for i in range(4)
            ]
        )
        tags = Tag.objects.bulk_create([Tag(company=company, name=name) for name in TAGS])
        CustomField.objects.bulk_create(
            [
                CustomField(company=company, code="languages", label="语种"),
                CustomField(
                    company=company,
                    code="customer_tier",
                    label="客户等级",
                    field_type=CustomField.Type.CHOICE,
                    choices=["A", "B", "C"],
                ),
                CustomField(
                    company=company,
                    code="level",
                    label="职级",
                    field_type=CustomField.Type.CHOICE,
                    choices=["P4", "P5", "P6", "P7", "P8"],
                ),
            ]
        )
        root = Department.objects.create(company=company, name=company.name, code="ROOT")
        divisions = [
            Department.objects.create(
                company=company, name=f"{name}中心", code=f"D{i:02d}", parent=root, sort_order=i
            )
            for i, name in enumerate(DIVISIONS)
        ]
        teams_wanted = max(len(DIVISIONS), employees // 40)
        teams = Department.objects.bulk_create(
            [
                Department(
                    company=company,
                    name=f"{divisions[i % len(divisions)].name}{i // len(divisions) + 1}组",
                    code=f"T{i:04d}",
                    parent=divisions[i % len(divisions)],
                    sort_order=i,
                )
                for i in range(teams_wanted)
            ]
        )
        people: list[Employee] = []
        for number in range(1, employees + 1):
            name, _pinyin = random_person_name(rng)
            status = _weighted(rng, STATUSES)
            hired = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 15))
            people.append(
                Employee(
                    company=company,
                    employee_number=f"E{number:06d}",
                    name=name,
                    email=f"e{number:06d}@{company.slug}.bench",
                    hire_date=hired,
                    status=status,
                    termination_date=hired + dt.timedelta(days=400)
                    if status == EmployeeStatus.LEFT
                    else None,
                    department=root
                    if number == 1
                    else teams[number - 2]
                    if number - 2 < len(teams)
                    else rng.choice(teams),
                    position=rng.choice(positions),
                    work_location=locations[0] if rng.random() < 0.7 else rng.choice(locations),
                    employment_type=_weighted(rng, EMPLOYMENT),
                    working_hour_system=_weighted(rng, HOURS),
                    base_salary=Decimal(rng.randrange(4000, 60000, 100)),
                    custom_fields={
                        "languages": rng.choice(["英语", "英语、德语", "西班牙语", "越南语", ""]),
                        "customer_tier": rng.choice("ABC"),
                        "level": rng.choice(["P4", "P5", "P6", "P7"]),
                    },
                )
            )
        # Person 1 is the CEO in the root department; the next ones head one team each.
        # Everyone reports to their team's head, team heads to their division's head (the
        # head of its first team), division heads to the CEO. Inserting tier by tier gives
        # every manager a primary key before their reports are written.
        ceo, team_heads, rest = people[0], people[1 : len(teams) + 1], people[len(teams) + 1 :]
        head_of = {team.pk: head for team, head in zip(teams, team_heads, strict=True)}
        division_heads: dict[int, Employee] = {}
        for team in teams:
            division_heads.setdefault(team.parent_id, head_of[team.pk])  # type: ignore[arg-type]
        first_heads = list(division_heads.values())
        other_heads = [h for h in team_heads if all(h is not d for d in first_heads)]
        Employee.objects.bulk_create([ceo])
        for head in first_heads:
            head.manager = ceo
        Employee.objects.bulk_create(first_heads)
        for head in other_heads:
            head.manager = division_heads[head.department.parent_id]  # type: ignore[index]
        Employee.objects.bulk_create(other_heads, batch_size=2000)
        for person in rest:
            person.manager = head_of[person.department_id]
        Employee.objects.bulk_create(rest, batch_size=2000)
        heads = {root.pk: ceo, **head_of}
        for team in teams:
            team.head = head_of[team.pk]
        Department.objects.bulk_update(teams, ["head"])
        for division in divisions:
            division.head = division_heads[division.pk]
        Department.objects.bulk_update(divisions, ["head"])
        root.head = ceo
        root.save(update_fields=["head"])
        through = Employee.tags.through
        through.objects.bulk_create(
            [
                through(employee_id=person.pk, tag_id=tag.pk)
                for person in people
                for tag in rng.sample(tags, rng.choice((0, 0, 1, 1, 2)))
            ],
            batch_size=5000,
        )

        def login(role: str, person: Employee, handle: str) -> User:
            user = User.objects.create(
                username=f"{handle}@{company.slug}.bench",
                email=f"{handle}@{company.slug}.bench",
                password=password_hash,
                company=company,
                role=role,
                display_name=person.name,
            )
            Employee.objects.filter(pk=person.pk).update(user=user)
            return user

        team_sizes = Counter(p.department_id for p in rest)
        manager_person = heads[max(teams, key=lambda t: team_sizes[t.pk]).pk]
        plain = next(p for p in rest if p.manager_id == manager_person.pk)
        hr_person = next(p for p in people if p.pk not in {ceo.pk, manager_person.pk, plain.pk})
        generated = GeneratedCompany(
            company=company,
            executive=login(Role.EXECUTIVE, ceo, "ceo"),
            hr=login(Role.HR_ADMIN, hr_person, "hr"),
            manager=login(Role.MANAGER, manager_person, "manager"),
            employee=login(Role.EMPLOYEE, plain, "employee"),
            department_ids=[root.pk, *(d.pk for d in divisions), *(t.pk for t in teams)],
            tag_ids=[t.pk for t in tags],
            employees=len(people),
        )
    return generated


def generate(
    *, companies: int = 1, employees: int = 10_000, seed: int = 0, slug_prefix: str = SLUG_PREFIX
) -> list[GeneratedCompany]:
    """Create ``companies`` companies sharing ``employees`` people between them."""
    if companies < 1 or employees < companies * (len(DIVISIONS) + 12):
        raise ValueError("need at least one company and 20 employees per company")
    rng = random.Random(seed)
    password_hash = make_password(PASSWORD)
    share, extra = divmod(employees, companies)
    with transaction.atomic():
        return [
            _company_generate(i, share + (1 if i < extra else 0), rng, password_hash, slug_prefix)
            for i in range(companies)
        ]

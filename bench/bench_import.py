"""Benchmark: import N employees from an XLSX roster (parse + validate + commit).

``run(employees=10000, seed=1)`` creates a fresh company in the current database
(the caller has migrated it), writes a deterministic synthetic roster — Chinese
names, a department tree given as paths, managers referenced by 工号 inside the
file, custom fields — and times the three phases of the employee importer.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
import uuid
from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆帅旭宁龙林欣怡晨博文轩雨泽子涵梓萱思源佳琪嘉懿一诺睿"
DIVISIONS = {
    "销售部": ["外贸一组", "外贸二组", "国内销售组", "大客户组"],
    "研发部": ["后端组", "前端组", "测试组", "算法组"],
    "生产部": ["一车间", "二车间", "质检组"],
    "职能部": ["人力资源组", "财务组", "行政组"],
}
LOCATIONS = ["上海总部", "深圳办公室", "杜塞尔多夫"]
POSITIONS = ["外贸业务员", "软件工程师", "测试工程师", "操作工", "质检员", "HR专员", "会计", "经理"]
STATUSES = ["在职", "在职", "在职", "在职", "试用期"]
TYPES = ["全职", "全职", "全职", "兼职", "实习"]
HOURS = ["标准工时", "标准工时", "综合工时制", "不定时工作制", "排班制"]
HEADERS = [
    "工号",
    "姓名",
    "英文名",
    "邮箱",
    "手机",
    "入职日期",
    "状态",
    "部门",
    "岗位",
    "直属上级",
    "工作地点",
    "用工类型",
    "工时制度",
    "月基本工资",
    "语种",
]


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def build_roster(*, employees: int, seed: int, root: str) -> bytes:
    """A roster XLSX: 5% managers first-level, everyone else reports to one of them."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(HEADERS)
    divisions = list(DIVISIONS.items())
    managers: dict[str, list[str]] = {}
    head_count = max(1, employees // 20)
    start = dt.date(2015, 1, 1)
    for index in range(employees):
        number = f"BJ{index + 1:06d}"
        division, teams = divisions[index % len(divisions)]
        team = teams[(index // len(divisions)) % len(teams)]
        path = f"{root}/{division}/{team}"
        if index < head_count:
            manager = ""
            managers.setdefault(path, []).append(number)
        else:
            pool = managers.get(path) or [f"BJ{1:06d}"]
            manager = rng.choice(pool)
        hire = start + dt.timedelta(days=rng.randrange(0, 3800))
        sheet.append(
            [
                number,
                _name(rng),
                "",
                f"user{index + 1}@bench.example.com",
                f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}",
                hire,
                rng.choice(STATUSES),
                path,
                rng.choice(POSITIONS),
                manager,
                rng.choice(LOCATIONS),
                rng.choice(TYPES),
                rng.choice(HOURS),
                f"{rng.randrange(4000, 40000)}.00",
                rng.choice(["英语", "德语", "日语", ""]),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(*, employees: int = 10000, seed: int = 1) -> dict[str, Any]:
    """Time parse, validate (the dry run) and commit of one roster import."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.conf import settings
    from django.db import transaction
    from django_scopes import scope, scopes_disabled

    from jixiao.core.models import Company, Role, User
    from jixiao.imports.engine import clean_rows, columns_of, suggest_mapping, table_from_sheet
    from jixiao.imports.readers import read_file
    from jixiao.imports.services import importer_for
    from jixiao.org.models import CustomField, Department, Employee, Position, WorkLocation

    tag = uuid.uuid4().hex[:8]
    root_name = "北京远航贸易"
    with scopes_disabled():
        company = Company.objects.create(name=f"{root_name} bench {tag}", slug=f"bench-{tag}")
        actor = User.objects.create_user(
            username=f"bench-hr-{tag}",
            email=f"hr-{tag}@bench.example.com",
            company=company,
            role=Role.HR_ADMIN,
        )
    with scope(company=company):
        root = Department.objects.create(company=company, name=root_name)
        for division in DIVISIONS:
            Department.objects.create(company=company, name=division, parent=root)
        for location in LOCATIONS:
            WorkLocation.objects.create(company=company, name=location)
        for position in POSITIONS:
            Position.objects.create(company=company, name=position)
        CustomField.objects.create(
            company=company,
            code="language",
            label="语种",
            field_type=CustomField.Type.CHOICE,
            choices=["英语", "德语", "日语"],
        )
        data = build_roster(employees=employees, seed=seed, root=root_name)

        started = time.perf_counter()
        cpu_started = time.process_time()
        importer = importer_for(
            "employees", company=company, actor=actor, options={"create_departments": True}
        )
        sheet = read_file(
            file_name="roster.xlsx", data=data, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES
        )
        table = table_from_sheet(sheet, importer.fields())
        parsed = time.perf_counter()

        mapping = suggest_mapping(table.headers, importer.fields())
        rows = clean_rows(table, mapping, importer.fields())
        columns = columns_of(mapping)
        for row in rows:
            importer.validate_row(row, columns)
        plan = importer.plan(rows, columns)
        validated = time.perf_counter()

        with transaction.atomic():
            result = importer.commit(plan, reason="bench")
        committed = time.perf_counter()
        cpu = time.process_time() - cpu_started
        stored = Employee.objects.filter(company=company).count()

    errors = len(plan.error_rows)
    total = committed - started
    return {
        "employees": employees,
        "seed": seed,
        "file_bytes": len(data),
        "created": result.created,
        "stored": stored,
        "error_rows": errors,
        "seconds_parse": round(parsed - started, 3),
        "seconds_validate": round(validated - parsed, 3),
        "seconds_commit": round(committed - validated, 3),
        "seconds_total": round(total, 3),
        "rows_per_second": round(employees / total, 1) if total else None,
        "cpu_seconds_total": round(cpu, 3),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }


if __name__ == "__main__":
    import json
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao.settings")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    print(json.dumps(run(employees=count), ensure_ascii=False, indent=2))

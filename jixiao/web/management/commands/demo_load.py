"""``manage.py demo_load``: the four demo companies of the seeds, and a table of their logins."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jixiao.demo.builder import DemoLogin, demo_load, demo_logins
from jixiao.demo.companies import DEMO_PASSWORD


def display_width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def login_table(logins: list[DemoLogin]) -> str:
    header = ("公司", "角色", "姓名", "用户名 / 邮箱", "密码", "故事")
    rows = [header] + [
        (row.company, row.role, row.name, row.username, row.password, row.note) for row in logins
    ]
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [pad(cell, widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load the four demo companies (does nothing if they exist; --reset rebuilds them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo companies and build them again"
        )
        parser.add_argument(
            "--all", action="store_true", help="list every demo login, not only the story's roles"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load(reset=options["reset"])
        if result.created:
            self.stdout.write(self.style.SUCCESS("已创建演示公司 (demo companies created)."))
        else:
            self.stdout.write("演示公司已存在，未做改动；--reset 可重建 (demo already loaded).")
        logins = demo_logins(include_everyone=True) if options["all"] else result.logins
        self.stdout.write("")
        self.stdout.write(login_table(logins))
        self.stdout.write("")
        self.stdout.write(
            f"所有演示账号的密码都是 {DEMO_PASSWORD}；用户名即邮箱。"
            f" Every demo login uses the password {DEMO_PASSWORD!r}; the username is the e-mail."
        )
        if not options["all"]:
            self.stdout.write("每位员工都有账号：manage.py demo_load --all 列出全部。")

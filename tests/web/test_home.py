"""The home page by role: HR admin, executive, manager, employee, platform admin."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from django_scopes import scope

from jixiao.org.models import EmployeeStatus
from tests.conftest import World, login
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def chart_data(html: str) -> dict[str, list[object]]:
    match = re.search(r'<script id="headcount-data" type="application/json">(.*?)</script>', html)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


@time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
def test_hr_admin_sees_headcount_probation_chart_and_audit(world: World) -> None:
    with scope(company=world.company):
        EmployeeFactory(
            company=world.company,
            department=world.rd,
            name="新人小吴",
            status=EmployeeStatus.PROBATION,
            probation_end_date=dt.date(2026, 12, 10),
        )
        EmployeeFactory(
            company=world.company,
            department=world.rd,
            name="远期小钱",
            status=EmployeeStatus.PROBATION,
            probation_end_date=dt.date(2027, 3, 1),
        )
        EmployeeFactory(
            company=world.company,
            department=world.rd,
            name="已离职老孙",
            status=EmployeeStatus.LEFT,
        )
    response = login(world.hr).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"].headcount == 8  # 6 people + 2 on probation, not the leaver
    assert response.context["summary"].department_count == 3
    assert [p.name for p in response.context["probation_ending"]] == ["新人小吴"]
    data = chart_data(html)
    assert dict(zip(data["labels"], data["values"], strict=True)) == {
        "研发部": 3,
        "销售部": 3,
        "星海外贸": 2,
    }
    assert "vendor/echarts.min.js" in html and "web/charts.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    assert 'data-testid="probation-ending"' in html


def test_executive_sees_the_chart_but_not_hr_lists(world: World) -> None:
    response = login(world.executive).get("/")
    assert response.context["summary"].headcount == 6
    assert "probation_ending" not in response.context
    assert "headcount-data" in response.content.decode()


def test_manager_sees_their_team(world: World) -> None:
    response = login(world.manager).get("/")
    names = [p.name for p in response.context["team"]]
    assert names == ["王姐", "李哥"]
    html = response.content.decode()
    assert 'data-testid="team"' in html and "赵工" not in html
    assert "headcount-data" not in html


def test_employee_sees_their_profile_card(world: World) -> None:
    response = login(world.employee).get("/")
    html = response.content.decode()
    assert response.context["me"].name == "王姐"
    assert 'data-testid="profile-card"' in html
    assert "销售部" in html and "张经理" in html and "2020-03-01" in html
    assert "Asia/Shanghai" in html
    assert "team" not in response.context and "summary" not in response.context


def test_platform_admin_sees_company_counts(world: World) -> None:
    response = login(world.platform_admin).get("/")
    html = response.content.decode()
    assert response.context["platform"].companies == 2
    assert 'data-testid="company-count">2<' in html
    nav = [str(item["url"]) for item in response.context["nav_items"]]
    assert "/platform/companies/" in nav and "/users/" not in nav


def test_hr_nav_lists_user_management(world: World) -> None:
    response = login(world.hr).get("/users/")
    items = {str(i["url"]): i for i in response.context["nav_items"]}
    assert items["/users/"]["active"] is True
    assert 'aria-current="page"' in response.content.decode()


def test_platform_admin_navigation_holds_only_platform_pages(world: World) -> None:
    response = login(world.platform_admin).get("/")
    urls = {str(item["url"]) for item in response.context["nav_items"]}
    assert urls == {"/", "/platform/companies/"}


def test_employee_navigation_hides_admin_pages(world: World) -> None:
    response = login(world.employee).get("/")
    urls = {str(item["url"]) for item in response.context["nav_items"]}
    assert "/users/" not in urls and "/platform/companies/" not in urls
    assert "/account/tokens/" in urls


def test_employee_home_lists_unread_notifications(world: World) -> None:
    from jixiao.notifications.models import Category, Notification

    with scope(company=world.company):
        Notification.objects.create(
            company=world.company,
            recipient=world.employee,
            category=Category.choices[0][0],
            title="请完成 11 月自评",
            urgent=True,
        )
        Notification.objects.create(
            company=world.company,
            recipient=world.teammate,
            category=Category.choices[0][0],
            title="李哥的私信",
        )
    html = login(world.employee).get("/").content.decode()
    assert 'data-testid="home-notifications"' in html
    assert "请完成 11 月自评" in html and "李哥的私信" not in html

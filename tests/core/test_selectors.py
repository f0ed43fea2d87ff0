"""Reads for a viewer: only their company, only what their role may see."""

from __future__ import annotations

import pytest
from django.http import Http404
from django_scopes import scope

from jixiao.core import selectors, services
from jixiao.org.models import EmployeeStatus
from tests.conftest import World
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_company_users_are_only_the_hr_admins_own_company(world: World) -> None:
    names = {u.username for u in selectors.company_users(viewer=world.hr)}
    assert world.outsider.username not in names and len(names) == 6
    assert list(selectors.company_users(viewer=world.manager)) == []
    with pytest.raises(Http404):
        selectors.company_user_get(viewer=world.hr, user_id=world.outsider.pk)


def test_company_summary_is_for_hr_and_executives_only(world: World) -> None:
    with scope(company=world.company):
        summary = selectors.company_summary(viewer=world.executive)
        assert summary.headcount == 6
        with pytest.raises(Http404):
            selectors.company_summary(viewer=world.manager)


def test_companies_overview_counts_current_staff_only(world: World) -> None:
    with scope(company=world.other_company):
        EmployeeFactory(company=world.other_company, status=EmployeeStatus.LEFT)
    rows = {row.company.slug: row for row in selectors.companies_overview()}
    assert rows["other"].headcount == 2 and rows["other"].user_count == 2
    assert selectors.platform_summary().companies == 2


def test_tokens_are_only_the_viewers_own(world: World) -> None:
    mine, _raw = services.api_token_create(
        user=world.employee, name="mine", expires_at=None, actor=world.employee
    )
    services.api_token_create(
        user=world.teammate, name="theirs", expires_at=None, actor=world.teammate
    )
    with scope(company=world.company):
        assert list(selectors.api_tokens_of(viewer=world.employee)) == [mine]
        with pytest.raises(Http404):
            selectors.api_token_get(viewer=world.teammate, token_id=mine.pk)
    assert list(selectors.api_tokens_of(viewer=world.platform_admin)) == []


def test_manager_team_is_their_department_and_reports(world: World) -> None:
    with scope(company=world.company):
        team = [e.name for e in selectors.manager_team(viewer=world.manager)]
        assert team == ["王姐", "李哥"]
        assert list(selectors.manager_team(viewer=world.employee)) == []

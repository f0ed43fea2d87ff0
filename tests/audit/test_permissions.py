"""Permission matrix of every audit page and endpoint.

Only HR admins read the trail: role × event or object that is own / same team /
other team / other company. Other roles get 403, another company's ids 404,
anonymous visitors the login page (pages) or 401 (API).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.audit.services import audit_record
from jixiao.core.models import Company, User
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]
TARGETS = [
    ("own", "hr"),
    ("same_team", "teammate"),
    ("other_team", "other_team"),
    ("other_company", "outsider"),
]


def client_as(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def expected_status(role: str, target: str, *, api: bool) -> int:
    if role == "anonymous":
        return 401 if api else 302
    if role != "hr":
        return 403
    return 404 if target == "other_company" else 200


def _salary_event(company: Company, actor: User, person: User) -> AuditEvent:
    """HR's salary change of ``person``: the kind of event the trail holds."""
    employee = person.employee  # type: ignore[attr-defined]
    return audit_record(
        company=company,
        actor=actor,
        action="org.employee.update",
        obj=employee,
        changes={"base_salary": ["8000.00", "9000.00"]},
        reason="年度调薪",
    )


@pytest.fixture
def event_about() -> Callable[[World, str], AuditEvent]:
    def _event(world: World, target_attr: str) -> AuditEvent:
        person: User = getattr(world, target_attr)
        company = world.other_company if target_attr == "outsider" else world.company
        actor = world.other_hr if target_attr == "outsider" else world.hr
        with scopes_disabled():
            return _salary_event(company, actor, person)

    return _event


PAGES = ["/audit/", "/audit/verify/", "/audit/verify/?run=1", "/audit/export.xlsx"]
ENDPOINTS = [
    "/api/v1/audit/events",
    "/api/v1/audit/verify",
    "/api/v1/audit/export.xlsx",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world: World, role: str, path: str) -> None:
    response = client_as(world, role).get(path)
    expected = expected_status(role, "own", api=False)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_endpoint_matrix(world: World, role: str, path: str) -> None:
    response = client_as(world, role).get(path)
    assert response.status_code == expected_status(role, "own", api=True)


@pytest.mark.parametrize(("target", "target_attr"), TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_event_detail_page_matrix(
    world: World,
    event_about: Callable[[World, str], AuditEvent],
    role: str,
    target: str,
    target_attr: str,
) -> None:
    event = event_about(world, target_attr)
    response = client_as(world, role).get(f"/audit/events/{event.pk}/")
    assert response.status_code == expected_status(role, target, api=False)


@pytest.mark.parametrize(("target", "target_attr"), TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_event_detail_endpoint_matrix(
    world: World,
    event_about: Callable[[World, str], AuditEvent],
    role: str,
    target: str,
    target_attr: str,
) -> None:
    event = event_about(world, target_attr)
    response = client_as(world, role).get(f"/api/v1/audit/events/{event.pk}")
    assert response.status_code == expected_status(role, target, api=True)
    if response.status_code == 200:
        assert response.json()["sequence"] == event.sequence


@pytest.mark.parametrize(("target", "target_attr"), TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_object_history_matrix(
    world: World,
    event_about: Callable[[World, str], AuditEvent],
    role: str,
    target: str,
    target_attr: str,
) -> None:
    event_about(world, target_attr)
    employee = getattr(world, target_attr).employee
    response = client_as(world, role).get(
        "/audit/history/", {"type": "org.employee", "id": employee.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == expected_status(role, target, api=False)
    if response.status_code == 200:
        assert b'data-testid="history-row"' in response.content


@pytest.mark.parametrize(("target", "target_attr"), TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_event_filter_by_object_endpoint_matrix(
    world: World,
    event_about: Callable[[World, str], AuditEvent],
    role: str,
    target: str,
    target_attr: str,
) -> None:
    """Filtering by another company's object finds nothing: the list is the caller's company."""
    event_about(world, target_attr)
    employee = getattr(world, target_attr).employee
    response = client_as(world, role).get(
        "/api/v1/audit/events", {"object_type": "org.employee", "object_id": employee.pk}
    )
    expected = expected_status(role, "own", api=True)
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["count"] == (0 if target == "other_company" else 1)

"""Permission matrix for every import/export page and endpoint.

Only HR admins import (403 for every other role); another company's batch is 404;
exporting needs ``org.export_employees`` (HR admins and executives).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from jixiao.imports import services
from jixiao.imports.models import ImportBatch
from tests.conftest import World, login
from tests.imports.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db

ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
ROW = ["N1", "新人", "2024-03-01", "星海外贸/销售部", "", "", "", "在职", "8000"]


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def _batch(world: World, target: str) -> ImportBatch:
    company, actor = (
        (world.company, world.hr) if target == "company" else (world.other_company, world.other_hr)
    )
    with scope(company=company):
        batch = services.batch_upload(
            company=company,
            actor=actor,
            importer_name="employees",
            file_name="r.xlsx",
            data=xlsx_bytes([ROW, [*ROW[:2], "坏日期", *ROW[3:]]]),
        )
        services.batch_preview(batch=batch, actor=actor, mapping=batch.mapping)
    return batch


IMPORT_PAGE = {
    "hr": 200,
    "executive": 403,
    "manager": 403,
    "employee": 403,
    "platform_admin": 403,
    "anonymous": 302,
}
EXPORT_PAGE = {
    "hr": 200,
    "executive": 200,
    "manager": 403,
    "employee": 403,
    "platform_admin": 403,
    "anonymous": 302,
}
BATCH_PAGE = {
    ("hr", "company"): 200,
    ("hr", "other_company"): 404,
    ("executive", "company"): 403,
    ("executive", "other_company"): 404,
    ("manager", "company"): 403,
    ("manager", "other_company"): 404,
    ("employee", "company"): 403,
    ("employee", "other_company"): 404,
    ("platform_admin", "company"): 403,
    ("platform_admin", "other_company"): 403,
    ("anonymous", "company"): 302,
    ("anonymous", "other_company"): 302,
}


def _api(expected: dict[Any, int]) -> dict[Any, int]:
    return {key: (401 if status == 302 else status) for key, status in expected.items()}


@pytest.mark.parametrize(("role", "expected"), IMPORT_PAGE.items())
def test_start_page(world: World, role: str, expected: int) -> None:
    client = _client(world, role)
    assert client.get(reverse("imports:start")).status_code == expected
    upload = client.post(reverse("imports:start"), {})
    assert upload.status_code == (422 if expected == 200 else expected)


@pytest.mark.parametrize(("role", "target"), BATCH_PAGE.keys())
@pytest.mark.parametrize(
    "url_name",
    ["imports:batch_map", "imports:batch_preview", "imports:batch_result", "imports:error_report"],
)
def test_batch_pages(world: World, role: str, target: str, url_name: str) -> None:
    batch = _batch(world, target)
    response = _client(world, role).get(reverse(url_name, args=[batch.pk]))
    assert response.status_code == BATCH_PAGE[(role, target)]


@pytest.mark.parametrize(("role", "target"), BATCH_PAGE.keys())
def test_batch_commit_by_post(world: World, role: str, target: str) -> None:
    batch = _batch(world, target)
    response = _client(world, role).post(reverse("imports:batch_preview", args=[batch.pk]))
    expected = BATCH_PAGE[(role, target)]
    assert response.status_code == (302 if expected == 200 else expected)
    with scope(company=batch.company):
        batch.refresh_from_db()
    assert batch.status == ("failed" if expected == 200 else "previewed")


@pytest.mark.parametrize(("role", "expected"), EXPORT_PAGE.items())
def test_export_page(world: World, role: str, expected: int) -> None:
    response = _client(world, role).get(reverse("imports:employee_export"), {"format": "csv"})
    assert response.status_code == expected
    if expected == 200:
        text = response.content.decode("utf-8-sig")
        assert "A004" in text and "B001" not in text
        assert ("月基本工资" in text) == (role == "hr")


@pytest.mark.parametrize(("role", "expected"), _api(IMPORT_PAGE).items())
def test_api_import(world: World, role: str, expected: int) -> None:
    response = _client(world, role).post(
        "/api/v1/imports/employees",
        {"file": _upload()},
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "expected"), _api(IMPORT_PAGE).items())
def test_api_batch_list(world: World, role: str, expected: int) -> None:
    _batch(world, "company")
    _batch(world, "other_company")
    response = _client(world, role).get("/api/v1/imports/batches")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["count"] == 1


@pytest.mark.parametrize(("role", "target"), BATCH_PAGE.keys())
def test_api_batch_get(world: World, role: str, target: str) -> None:
    batch = _batch(world, target)
    response = _client(world, role).get(f"/api/v1/imports/batches/{batch.pk}")
    assert response.status_code == _api(BATCH_PAGE)[(role, target)]


@pytest.mark.parametrize(("role", "expected"), _api(EXPORT_PAGE).items())
def test_api_export(world: World, role: str, expected: int) -> None:
    response = _client(world, role).get("/api/v1/imports/employees/export", {"format": "xlsx"})
    assert response.status_code == expected


def _upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("roster.xlsx", xlsx_bytes([ROW]))

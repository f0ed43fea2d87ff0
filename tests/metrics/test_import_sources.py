"""Importing a file into a chosen source: 刘HR uploads the ERP's production export into "ERP 产量".

The column mapping is remembered per source, the dry run shows errors at their row and
column, and the file goes in all or nothing or with its valid rows only, as chosen.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.core.api_errors import ServiceError
from jixiao.imports import services
from jixiao.imports.models import ImportBatch
from jixiao.metrics.models import MetricEvent, MetricSource, SourceKind, SourceRun
from tests.conftest import World
from tests.imports.helpers import csv_bytes, xlsx_bytes
from tests.metrics.cast import ROLES, client_as

pytestmark = pytest.mark.django_db

HEADERS = ["操作员", "KPI", "数量", "生产日期", "流水号"]
ROWS = [
    ["A004", "output_units", "120", "2026-11-02", "P-1"],
    ["A005", "output_units", "一百", "2026-11-02", "P-2"],
    ["A999", "defective_units", "2", "2026-11-03", "P-3"],
    ["A006", "defective_units", "1", "2026-11-03", "P-4"],
]
MAPPING = {
    "操作员": "employee_number",
    "KPI": "indicator",
    "数量": "value",
    "生产日期": "occurred_at",
    "流水号": "source_event_id",
}


def _file() -> bytes:
    return csv_bytes(ROWS, HEADERS)


@pytest.fixture
def erp(metrics_world: World) -> MetricSource:
    return MetricSource.objects.create(
        company=metrics_world.company,
        name="ERP 产量",
        kind=SourceKind.ERP,
        config={"path": "erp/output.csv"},
    )


def _map_form(mode: str, mapping: dict[str, str] = MAPPING) -> dict[str, str]:
    form = {f"col_{i}": mapping.get(header, "") for i, header in enumerate(HEADERS)}
    form["mode"] = mode
    return form


def _upload(client: Client, source: MetricSource, data: bytes, name: str = "产量.csv") -> Any:
    return client.post(
        f"/metrics/sources/{source.pk}/import/", {"file": SimpleUploadedFile(name, data)}
    )


def _latest_batch() -> ImportBatch:
    with scopes_disabled():
        return ImportBatch.objects.order_by("-id").first()  # type: ignore[return-value]


def _events(source: MetricSource) -> list[tuple[str, str]]:
    with scopes_disabled():
        return sorted(
            (e.source_event_id, format(e.value.normalize(), "f"))
            for e in MetricEvent.objects.filter(source=source)
        )


def test_the_wizard_remembers_the_mapping_and_imports_all_or_nothing_or_valid_rows(
    metrics_world: World, erp: MetricSource
) -> None:
    hr = client_as(metrics_world, "hr")
    start = hr.get(f"/metrics/sources/{erp.pk}/import/").content.decode()
    assert 'data-testid="remembered-mapping"' not in start

    uploaded = _upload(hr, erp, _file())
    batch = _latest_batch()
    assert uploaded["Location"] == f"/metrics/sources/{erp.pk}/import/{batch.pk}/map/"
    assert batch.options == {"source": erp.pk}
    assert batch.mapping["操作员"] == ""  # not recognised: HR maps it by hand
    page = hr.get(uploaded["Location"]).content.decode()
    assert 'name="opt_source"' not in page and 'name="save_as"' not in page
    assert 'data-testid="remembered-mapping"' not in page

    previewed = hr.post(uploaded["Location"], _map_form("all_or_nothing"))
    assert previewed["Location"] == f"/metrics/sources/{erp.pk}/import/{batch.pk}/preview/"
    erp.refresh_from_db()
    assert erp.column_mapping == MAPPING
    preview = hr.get(previewed["Location"]).content.decode()
    assert 'data-testid="preview-errors"' in preview
    assert "数量" in preview and "工号 A999 不存在" in preview
    assert 'data-testid="cannot-commit"' in preview
    batch.refresh_from_db()
    errors = {(i["row"], i["column"]) for i in batch.errors if i["level"] == "error"}
    assert errors == {(3, "数量"), (4, "操作员")}
    assert batch.created_count == 2 and batch.error_row_count == 2

    # All or nothing: the errors keep every row out.
    hr.post(previewed["Location"])
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and _events(erp) == []
    result = hr.get(f"/metrics/sources/{erp.pk}/import/{batch.pk}/").content.decode()
    assert "没有写入任何数据" in result

    # The next file of this layout comes with the source's mapping.
    second = _upload(hr, erp, xlsx_bytes(ROWS, HEADERS), name="产量.xlsx")
    again = _latest_batch()
    assert again.mapping == MAPPING
    assert 'data-testid="remembered-mapping"' in hr.get(second["Location"]).content.decode()
    start = hr.get(f"/metrics/sources/{erp.pk}/import/").content.decode()
    assert 'data-testid="remembered-mapping"' in start and "流水号" in start
    hr.post(second["Location"], _map_form("valid_rows_only"))
    preview = hr.get(f"/metrics/sources/{erp.pk}/import/{again.pk}/preview/").content.decode()
    assert 'data-testid="commit-button"' in preview
    committed = hr.post(f"/metrics/sources/{erp.pk}/import/{again.pk}/preview/")
    assert committed["Location"] == f"/metrics/sources/{erp.pk}/import/{again.pk}/"
    again.refresh_from_db()
    assert again.status == ImportBatch.Status.COMMITTED and again.created_count == 2
    assert _events(erp) == [("P-1", "120"), ("P-4", "1")]
    with scopes_disabled():
        assert SourceRun.objects.filter(source=erp, created=2).exists()
        assert not MetricEvent.objects.filter(source__name="文件导入").exists()
    runs = hr.get(f"/metrics/sources/{erp.pk}/runs/").content.decode()
    assert 'data-testid="run-row"' in runs

    # The same file again counts nothing twice.
    _upload(hr, erp, _file())
    third = _latest_batch()
    hr.post(f"/metrics/sources/{erp.pk}/import/{third.pk}/map/", _map_form("valid_rows_only"))
    third.refresh_from_db()
    assert third.created_count == 0 and third.unchanged_count == 2  # the dry run says so
    hr.post(f"/metrics/sources/{erp.pk}/import/{third.pk}/preview/")
    assert _events(erp) == [("P-1", "120"), ("P-4", "1")]


def test_a_bad_mapping_is_refused_on_the_mapping_page(
    metrics_world: World, erp: MetricSource
) -> None:
    hr = client_as(metrics_world, "hr")
    location = _upload(hr, erp, _file())["Location"]
    refused = hr.post(location, _map_form("all_or_nothing", {"操作员": "employee_number"}))
    text = refused.content.decode()
    assert refused.status_code == 422 and 'data-testid="form-errors"' in text
    assert "指标编码" in text
    erp.refresh_from_db()
    assert erp.column_mapping == {}  # only an accepted mapping is remembered


def test_only_file_erp_and_crm_sources_of_the_company_take_files(
    metrics_world: World, erp: MetricSource
) -> None:
    w = metrics_world
    pushed = MetricSource.objects.create(company=w.company, name="推送", kind=SourceKind.PUSH)
    with scope(company=w.other_company):
        foreign = MetricSource.objects.create(
            company=w.other_company, name="别家 ERP", kind=SourceKind.ERP
        )
    for source_id, code, status in (
        (pushed.pk, "source_not_importable", 422),
        (foreign.pk, "not_found", 404),
        ("abc", "bad_source", 422),
    ):
        with pytest.raises(ServiceError) as caught:
            services.batch_upload(
                company=w.company, actor=w.hr, importer_name="metric_events",
                file_name="x.csv", data=_file(), options={"source": source_id},
            )  # fmt: skip
        assert (caught.value.code, caught.value.status) == (code, status)
    crm = MetricSource.objects.create(company=w.company, name="CRM", kind=SourceKind.CRM)
    batch = services.batch_upload(
        company=w.company, actor=w.hr, importer_name="metric_events", file_name="x.csv",
        data=_file(), options={"source": crm.pk},
    )  # fmt: skip
    assert batch.options == {"source": crm.pk}
    hr = client_as(w, "hr")
    assert hr.get(f"/metrics/sources/{pushed.pk}/import/").status_code == 404
    assert hr.get(f"/metrics/sources/{foreign.pk}/import/").status_code == 404
    # A batch of one source is not reachable through another source's pages.
    assert hr.get(f"/metrics/sources/{erp.pk}/import/{batch.pk}/map/").status_code == 404
    assert hr.get(f"/metrics/sources/{crm.pk}/import/{batch.pk}/map/").status_code == 200


def test_a_disabled_source_takes_no_file(metrics_world: World, erp: MetricSource) -> None:
    hr = client_as(metrics_world, "hr")
    location = _upload(hr, erp, _file())["Location"]
    hr.post(location, _map_form("valid_rows_only"))
    MetricSource.objects.filter(pk=erp.pk).update(enabled=False)
    refused = _upload(hr, erp, _file())
    assert refused.status_code == 422 and "已停用" in refused.content.decode()
    batch = _latest_batch()
    hr.post(f"/metrics/sources/{erp.pk}/import/{batch.pk}/preview/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED and _events(erp) == []


def test_without_a_source_the_file_goes_into_the_file_import_source_as_before(
    metrics_world: World, erp: MetricSource
) -> None:
    w = metrics_world
    erp.column_mapping = MAPPING
    erp.save()
    batch = services.batch_upload(
        company=w.company, actor=w.hr, importer_name="metric_events", file_name="x.csv",
        data=_file(),
    )  # fmt: skip
    assert batch.options == {"source": None}
    assert batch.mapping["操作员"] == ""  # another source's mapping is not used
    services.batch_preview(batch=batch, actor=w.hr, mapping=MAPPING, mode="valid_rows_only")
    services.batch_commit(batch=batch, actor=w.hr)
    assert list(
        MetricEvent.objects.filter(company=w.company).values_list("source__name", flat=True)
    ) == ["文件导入", "文件导入"]


# --- The API -----------------------------------------------------------------------------


def _api_upload(client: Client, source_id: int, **form: Any) -> Any:
    data = {"file": SimpleUploadedFile("产量.csv", _file()), **form}
    return client.post(f"/api/v1/metrics/sources/{source_id}/import", data)


def test_the_api_dry_runs_previews_again_and_commits(
    metrics_world: World, erp: MetricSource
) -> None:
    hr = client_as(metrics_world, "hr")
    dry = _api_upload(hr, erp.pk, mapping=json.dumps(MAPPING, ensure_ascii=False))
    body = dry.json()
    assert dry.status_code == 200, body
    assert body["status"] == "previewed" and body["options"] == {"source": erp.pk}
    assert {(i["row"], i["column"]) for i in body["issues"] if i["level"] == "error"} == {
        (3, "数量"),
        (4, "操作员"),
    }
    assert _events(erp) == []
    source = hr.get(f"/api/v1/metrics/sources/{erp.pk}").json()
    assert source["column_mapping"] == MAPPING and source["importable"] is True
    batch_id = body["id"]
    again = hr.post(
        f"/api/v1/metrics/sources/{erp.pk}/imports/{batch_id}/preview",
        {"mode": "valid_rows_only"},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["mode"] == "valid_rows_only"
    committed = hr.post(f"/api/v1/metrics/sources/{erp.pk}/imports/{batch_id}/commit")
    assert committed.status_code == 200, committed.content
    assert committed.json()["status"] == "committed" and committed.json()["created_count"] == 2
    assert _events(erp) == [("P-1", "120"), ("P-4", "1")]
    twice = hr.post(f"/api/v1/metrics/sources/{erp.pk}/imports/{batch_id}/commit")
    assert twice.status_code == 409
    listing = hr.get(f"/api/v1/metrics/sources/{erp.pk}/imports").json()
    assert [item["id"] for item in listing["items"]] == [batch_id]
    # Without a mapping the source's remembered one is used; all or nothing writes nothing.
    second = _api_upload(hr, erp.pk, dry_run="false")
    assert second.status_code == 200, second.content
    assert second.json()["mapping"]["KPI"] == "indicator"
    assert second.json()["status"] == "failed"


def test_the_api_refuses_a_source_that_takes_no_files(metrics_world: World) -> None:
    w = metrics_world
    pushed = MetricSource.objects.create(company=w.company, name="推送", kind=SourceKind.PUSH)
    response = _api_upload(client_as(w, "hr"), pushed.pk)
    assert response.status_code == 422 and response.json()["code"] == "source_not_importable"
    file_source = MetricSource.objects.create(company=w.company, name="文件", kind=SourceKind.FILE)
    no_file = client_as(w, "hr").post(f"/api/v1/metrics/sources/{file_source.pk}/import", {})
    assert no_file.status_code == 422 and no_file.json()["fields"] == {
        "file": ["请选择要上传的文件。"]
    }
    disabled = MetricSource.objects.create(
        company=w.company, name="停用", kind=SourceKind.FILE, enabled=False
    )
    response = _api_upload(client_as(w, "hr"), disabled.pk)
    assert response.status_code == 409 and response.json()["code"] == "source_disabled"


@pytest.fixture
def batches(metrics_world: World) -> dict[str, tuple[MetricSource, ImportBatch]]:
    found = {}
    for company, hr, key in (
        (metrics_world.company, metrics_world.hr, "home"),
        (metrics_world.other_company, metrics_world.other_hr, "foreign"),
    ):
        with scope(company=company):
            source = MetricSource.objects.create(company=company, name="文件", kind="file")
            batch = services.batch_upload(
                company=company, actor=hr, importer_name="metric_events", file_name="x.csv",
                data=_file(), options={"source": source.pk},
            )  # fmt: skip
            services.batch_preview(batch=batch, actor=hr, mapping=MAPPING, mode="valid_rows_only")
            found[key] = (source, batch)
    return found


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["home", "foreign"])
def test_permission_matrix_of_source_imports(
    metrics_world: World,
    batches: dict[str, tuple[MetricSource, ImportBatch]],
    role: str,
    where: str,
    subtests: Any,
) -> None:
    client = client_as(metrics_world, role)
    source, batch = batches[where]
    base = f"/api/v1/metrics/sources/{source.pk}"
    page = f"/metrics/sources/{source.pk}/import"
    calls = {
        "api_list": (lambda: client.get(f"{base}/imports"), 200),
        "api_get": (lambda: client.get(f"{base}/imports/{batch.pk}"), 200),
        "api_preview": (
            lambda: client.post(
                f"{base}/imports/{batch.pk}/preview", {}, content_type="application/json"
            ),
            200,
        ),
        "api_upload": (lambda: _api_upload(client, source.pk), 200),
        "page_start": (lambda: client.get(f"{page}/"), 200),
        "page_map": (lambda: client.get(f"{page}/{batch.pk}/map/"), 200),
        "page_preview": (lambda: client.get(f"{page}/{batch.pk}/preview/"), 200),
        "page_result": (lambda: client.get(f"{page}/{batch.pk}/"), 200),
        "api_commit": (lambda: client.post(f"{base}/imports/{batch.pk}/commit"), 200),
    }
    for name, (call, allowed) in calls.items():  # the commit last
        api = name.startswith("api")
        if role == "anonymous":
            expected = 401 if api else 302
        elif role != "hr":
            expected = 403
        else:
            expected = 404 if where == "foreign" else allowed
        with subtests.test(call=name):
            response = call()
            assert response.status_code == expected, response.content[:300]


def test_a_source_gone_before_the_commit_fails_the_batch_cleanly(
    metrics_world: World, erp: MetricSource
) -> None:
    w = metrics_world
    batch = services.batch_upload(
        company=w.company, actor=w.hr, importer_name="metric_events", file_name="x.csv",
        data=_file(), options={"source": erp.pk},
    )  # fmt: skip
    services.batch_preview(batch=batch, actor=w.hr, mapping=MAPPING, mode="valid_rows_only")
    erp.delete()
    done = services.batch_commit(batch=batch, actor=w.hr)
    assert done.status == ImportBatch.Status.FAILED and "数据源不存在" in done.message
    assert not MetricEvent.objects.filter(company=w.company).exists()

"""The source set-up screens: 刘HR sets up Jira and a push source, tests, syncs, rotates; 陈总 reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.metrics import push
from jixiao.metrics.models import MetricEvent, MetricSource, SourceKind, SourceRun
from tests.conftest import World
from tests.metrics.cast import ROLES, client_as
from tests.metrics.connectors.jira_fake import FakeJira, issue
from tests.metrics.connectors.servers import JsonServer, json_server

pytestmark = pytest.mark.django_db

ZHAO = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": "a006@xinghai.example"}


@pytest.fixture
def jira() -> Iterator[JsonServer]:
    with json_server() as server:
        FakeJira(
            [
                issue(
                    "SHOP-1",
                    assignee=ZHAO,
                    created=dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC),
                    resolved=dt.datetime(2026, 11, 4, 13, tzinfo=dt.UTC),
                    points=3,
                ),
                issue(
                    "SHOP-2",
                    assignee=ZHAO,
                    created=dt.datetime(2026, 11, 3, 1, tzinfo=dt.UTC),
                    resolved=dt.datetime(2026, 11, 5, 1, tzinfo=dt.UTC),
                    kind="Bug",
                ),
            ]
        ).install(server)
        yield server


def _jira_form(server: JsonServer, **extra: str) -> dict[str, str]:
    return {
        "name": "Jira",
        "schedule_minutes": "60",
        "config_base_url": server.url,
        "config_jql": "project = SHOP",
        "config_username": "jira-bot",
        "config_api_token": "tok-123",
        "config_story_points_field": "customfield_10016",
        "config_bug_issue_types": "Bug, 缺陷",
        "config_time_zone": "Asia/Shanghai",
        "config_page_size": "50",
        "config_timeout_seconds": "2",
        **extra,
    }


def _source(world: World, name: str) -> MetricSource:
    with scopes_disabled():
        return MetricSource.objects.get(company=world.company, name=name)


def _trail(action_prefix: str) -> list[tuple[str, Any]]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(action__startswith=action_prefix)
            .order_by("id")
            .values_list("action", "changes")
        )


def test_hr_sets_up_jira_tests_the_connection_and_syncs_now(
    metrics_world: World, jira: JsonServer
) -> None:
    hr = client_as(metrics_world, "hr")
    page = hr.get("/metrics/sources/new/issue_tracker/")
    assert page.status_code == 200
    assert 'name="config_base_url"' in page.content.decode()
    created = hr.post("/metrics/sources/new/issue_tracker/", _jira_form(jira))
    source = _source(metrics_world, "Jira")
    assert created.status_code == 302 and created["Location"] == f"/metrics/sources/{source.pk}/"
    assert source.config["api_token"] == "tok-123"
    assert source.config["bug_issue_types"] == ["Bug", "缺陷"]
    detail = hr.get(f"/metrics/sources/{source.pk}/").content.decode()
    assert "tok-123" not in detail and "***" in detail

    tested = hr.post(f"/metrics/sources/{source.pk}/test/", HTTP_HX_REQUEST="true")
    text = tested.content.decode()
    assert tested.status_code == 200
    assert 'data-ok="true"' in text and "连接成功" in text
    assert "<html" not in text  # the htmx partial only

    synced = hr.post(f"/metrics/sources/{source.pk}/sync/")
    assert synced.status_code == 302 and synced["Location"] == f"/metrics/sources/{source.pk}/runs/"
    runs = hr.get(f"/metrics/sources/{source.pk}/runs/").content.decode()
    assert 'data-testid="run-row"' in runs and "成功" in runs
    with scopes_disabled():
        run = SourceRun.objects.get(source=source)
        keys = set(
            MetricEvent.objects.filter(source=source).values_list("source_event_id", flat=True)
        )
    assert run.status == SourceRun.Status.SUCCEEDED and run.received >= 2
    assert any(key.startswith("SHOP-1") for key in keys)
    listing = hr.get("/metrics/sources/").content.decode()
    assert "Jira" in listing and 'data-testid="run-status"' in listing


def test_a_failed_connection_test_says_what_failed(metrics_world: World, jira: JsonServer) -> None:
    hr = client_as(metrics_world, "hr")
    hr.post("/metrics/sources/new/issue_tracker/", _jira_form(jira, config_api_token="wrong-token"))
    source = _source(metrics_world, "Jira")
    tested = hr.post(f"/metrics/sources/{source.pk}/test/", HTTP_HX_REQUEST="true")
    text = tested.content.decode()
    assert 'data-ok="false"' in text and "连接失败" in text and "认证" in text
    assert "wrong-token" not in text
    # Without htmx the whole page comes back with the report in it.
    full = hr.post(f"/metrics/sources/{source.pk}/test/").content.decode()
    assert "<html" in full and 'data-testid="connection-report"' in full


def test_a_closed_port_is_reported_as_unreachable(metrics_world: World) -> None:
    with json_server() as server:
        url = server.url  # the server stops at the end of the block: nobody listens there
    hr = client_as(metrics_world, "hr")
    form = {"name": "Jira", "config_base_url": url, "config_username": "bot",
            "config_api_token": "t", "config_timeout_seconds": "1"}  # fmt: skip
    assert hr.post("/metrics/sources/new/issue_tracker/", form).status_code == 302
    source = _source(metrics_world, "Jira")
    text = hr.post(f"/metrics/sources/{source.pk}/test/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-ok="false"' in text and "无法连接" in text


def test_settings_are_tried_before_they_are_saved(metrics_world: World, jira: JsonServer) -> None:
    """ "测试连接（不保存）": the typed settings are tried, the form comes back as typed with
    the report, and nothing is saved or audited; on an edit "***" stands for the stored
    token and the stored settings stay as they were."""
    hr = client_as(metrics_world, "hr")
    form = hr.get("/metrics/sources/new/issue_tracker/").content.decode()
    assert 'data-testid="try-settings"' in form
    tried = hr.post("/metrics/sources/new/issue_tracker/", {**_jira_form(jira), "action": "test"})
    text = tried.content.decode()
    assert tried.status_code == 200
    assert 'data-ok="true"' in text and "连接成功" in text
    assert f'value="{jira.url}"' in text  # the form as typed
    with scopes_disabled():
        assert not MetricSource.objects.filter(company=metrics_world.company).exists()
    assert _trail("metrics.source") == []

    wrong = hr.post(
        "/metrics/sources/new/issue_tracker/",
        {**_jira_form(jira, config_api_token="wrong-token"), "action": "test"},
    ).content.decode()
    report = wrong[wrong.index('data-testid="connection-report"') :]
    report = report[: report.index("</div>")]
    assert 'data-ok="false"' in wrong and "认证" in report and "wrong-token" not in report
    bad = hr.post(
        "/metrics/sources/new/issue_tracker/",
        {**_jira_form(jira, config_page_size="0"), "action": "test"},
    )
    assert bad.status_code == 422
    assert 'data-testid="error-config_page_size"' in bad.content.decode()
    assert 'data-testid="connection-report"' not in bad.content.decode()

    hr.post("/metrics/sources/new/issue_tracker/", _jira_form(jira))
    source = _source(metrics_world, "Jira")
    edit = hr.post(
        f"/metrics/sources/{source.pk}/edit/",
        {**_jira_form(jira, name="改名", config_api_token="***"), "action": "test"},
    )
    assert edit.status_code == 200 and 'data-ok="true"' in edit.content.decode()
    source.refresh_from_db()
    assert source.name == "Jira" and source.config["api_token"] == "tok-123"
    assert [action for action, _c in _trail("metrics.source")] == ["metrics.source.create"]


def test_form_errors_are_shown_at_their_fields(metrics_world: World) -> None:
    hr = client_as(metrics_world, "hr")
    response = hr.post(
        "/metrics/sources/new/issue_tracker/",
        {"name": "Jira", "config_base_url": "ftp://jira", "config_since": "2026-13-01",
         "schedule_minutes": "2"},
    )  # fmt: skip
    text = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="error-schedule_minutes"' in text
    refused = hr.post(
        "/metrics/sources/new/issue_tracker/",
        {"name": "Jira", "config_base_url": "ftp://jira", "config_since": "2026-13-01"},
    )
    text = refused.content.decode()
    assert refused.status_code == 422
    assert 'data-testid="error-config_base_url"' in text and "http://" in text
    assert 'data-testid="error-config_since"' in text and "YYYY-MM-DD" in text
    with scopes_disabled():
        assert not MetricSource.objects.filter(name="Jira").exists()
    required = hr.post("/metrics/sources/new/git/", {"name": "代码"})
    assert (
        required.status_code == 422
        and 'data-testid="error-config_url"' in required.content.decode()
    )


def test_a_duplicate_name_is_an_error_on_the_name(metrics_world: World) -> None:
    hr = client_as(metrics_world, "hr")
    assert hr.post("/metrics/sources/new/push/", {"name": "CRM 推送"}).status_code == 200
    again = hr.post("/metrics/sources/new/push/", {"name": "CRM 推送"})
    assert again.status_code == 422 and 'data-testid="error-name"' in again.content.decode()


def test_editing_keeps_a_masked_secret_and_the_trail_never_holds_it(
    metrics_world: World, jira: JsonServer
) -> None:
    hr = client_as(metrics_world, "hr")
    hr.post("/metrics/sources/new/issue_tracker/", _jira_form(jira))
    source = _source(metrics_world, "Jira")
    form = hr.get(f"/metrics/sources/{source.pk}/edit/").content.decode()
    assert "tok-123" not in form and 'value="***"' in form
    saved = hr.post(
        f"/metrics/sources/{source.pk}/edit/",
        _jira_form(jira, name="Jira 商城", config_api_token="***", config_jql="project = MALL"),
    )
    assert saved.status_code == 302
    source.refresh_from_db()
    assert source.name == "Jira 商城"
    assert source.config["api_token"] == "tok-123" and source.config["jql"] == "project = MALL"
    trail = _trail("metrics.source")
    assert [action for action, _c in trail] == ["metrics.source.create", "metrics.source.update"]
    assert "tok-123" not in json.dumps([changes for _a, changes in trail])
    assert trail[1][1]["config"][1]["api_token"] == "***"
    # Clearing the secret removes it; a bad value is refused at its field.
    hr.post(f"/metrics/sources/{source.pk}/edit/", _jira_form(jira, config_api_token=""))
    source.refresh_from_db()
    assert "api_token" not in source.config
    bad = hr.post(f"/metrics/sources/{source.pk}/edit/", _jira_form(jira, config_page_size="0"))
    assert bad.status_code == 422 and 'data-testid="error-config_page_size"' in bad.content.decode()


def test_enable_and_disable_are_audited_and_a_disabled_source_is_not_synced(
    metrics_world: World, jira: JsonServer
) -> None:
    hr = client_as(metrics_world, "hr")
    hr.post("/metrics/sources/new/issue_tracker/", _jira_form(jira))
    source = _source(metrics_world, "Jira")
    assert hr.post(f"/metrics/sources/{source.pk}/enabled/", {"enabled": "0"}).status_code == 302
    source.refresh_from_db()
    assert not source.enabled
    hr.post(f"/metrics/sources/{source.pk}/sync/")
    with scopes_disabled():
        assert not SourceRun.objects.filter(source=source).exists()
    hr.post(f"/metrics/sources/{source.pk}/enabled/", {"enabled": "1"})
    source.refresh_from_db()
    assert source.enabled
    actions = [action for action, _c in _trail("metrics.source")]
    assert actions[-2:] == ["metrics.source.disable", "metrics.source.enable"]
    assert _trail("metrics.source.disable")[0][1] == {"enabled": [True, False]}


def _signed_push(client: Client, source: MetricSource, secret: str) -> int:
    body = json.dumps({"items": [{"indicator": "orders", "value": "1",
                                  "occurred_at": "2026-11-02T10:00:00+08:00",
                                  "source_event_id": f"o-{secret[:6]}",
                                  "employee_number": "A004"}]}).encode()  # fmt: skip
    stamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    response = client.post(
        f"/api/v1/metrics/sources/{source.pk}/events",
        body,
        content_type="application/json",
        HTTP_X_JIXIAO_TIMESTAMP=stamp,
        HTTP_X_JIXIAO_SIGNATURE=push.signature_for(secret, stamp, body),
    )
    return response.status_code


def test_a_push_secret_is_shown_once_on_creation_and_on_rotation(metrics_world: World) -> None:
    hr = client_as(metrics_world, "hr")
    created = hr.post("/metrics/sources/new/push/", {"name": "CRM 推送"})
    source = _source(metrics_world, "CRM 推送")
    first = created.content.decode()
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    assert source.secret in first
    assert f"/api/v1/metrics/sources/{source.pk}/events" in first
    detail = hr.get(f"/metrics/sources/{source.pk}/").content.decode()
    assert source.secret not in detail
    assert (
        "X-Jixiao-Signature" in detail and f"/api/v1/metrics/sources/{source.pk}/events" in detail
    )
    old = source.secret

    rotated = hr.post(f"/metrics/sources/{source.pk}/secret/")
    source.refresh_from_db()
    text = rotated.content.decode()
    assert rotated.status_code == 200 and source.secret != old
    assert source.secret in text and 'data-testid="new-secret"' in text
    assert source.secret not in hr.get(f"/metrics/sources/{source.pk}/").content.decode()
    # The shown secret signs pushes; the old one no longer does.
    assert _signed_push(Client(), source, source.secret) == 200
    assert _signed_push(Client(), source, old) == 401
    trail = _trail("metrics.source.rotate_secret")
    assert (
        len(trail) == 1 and old not in json.dumps(trail) and source.secret not in json.dumps(trail)
    )


def test_a_source_without_events_can_be_deleted_one_with_events_cannot(
    metrics_world: World,
) -> None:
    hr = client_as(metrics_world, "hr")
    hr.post("/metrics/sources/new/push/", {"name": "CRM 推送"})
    source = _source(metrics_world, "CRM 推送")
    _signed_push(Client(), source, source.secret)
    kept = hr.post(f"/metrics/sources/{source.pk}/delete/", follow=True)
    assert "不能删除" in kept.content.decode()
    hr.post("/metrics/sources/new/file/", {"name": "空的"})
    empty = _source(metrics_world, "空的")
    assert hr.post(f"/metrics/sources/{empty.pk}/delete/")["Location"] == "/metrics/sources/"
    with scopes_disabled():
        assert not MetricSource.objects.filter(pk=empty.pk).exists()


def test_the_run_history_shows_counts_and_error_detail(metrics_world: World) -> None:
    with scope(company=metrics_world.company):
        source = MetricSource.objects.create(
            company=metrics_world.company, name="ERP", kind=SourceKind.ERP,
            config={"path": "erp/output.csv"},
        )  # fmt: skip
        SourceRun.objects.create(
            company=metrics_world.company, source=source, status=SourceRun.Status.PARTIAL,
            received=5, created=3, duplicates=1, unmatched=0, errors=1,
            error_detail=[{"code": "skipped_record", "message": "第 7 行：缺少人员或日期。"}],
        )  # fmt: skip
    text = client_as(metrics_world, "executive").get(f"/metrics/sources/{source.pk}/runs/")
    body = text.content.decode()
    assert text.status_code == 200
    assert "第 7 行：缺少人员或日期。" in body and "部分成功" in body
    assert "立即同步" not in body  # executives read only


# --- The permission matrix -----------------------------------------------------------

Call = Callable[[Client, dict[str, MetricSource]], Any]


@pytest.fixture
def sources(metrics_world: World) -> dict[str, MetricSource]:
    found: dict[str, MetricSource] = {}
    for company, key in ((metrics_world.company, "home"), (metrics_world.other_company, "foreign")):
        with scope(company=company):
            found[f"{key}-push"] = MetricSource.objects.create(
                company=company, name="推送", kind=SourceKind.PUSH
            )
            found[f"{key}-file"] = MetricSource.objects.create(
                company=company, name="文件", kind=SourceKind.FILE
            )
            found[f"{key}-spare"] = MetricSource.objects.create(
                company=company, name="备用", kind=SourceKind.FILE
            )
    return found


def _calls(where: str) -> dict[str, tuple[Call, str]]:
    """{name: (call, kind of access)}: "read" for HR and executives, "admin" for HR."""

    def src(s: dict[str, MetricSource], kind: str) -> int:
        return s[f"{where}-{kind}"].pk

    return {
        "detail": (lambda c, s: c.get(f"/metrics/sources/{src(s, 'push')}/"), "read"),
        "runs": (lambda c, s: c.get(f"/metrics/sources/{src(s, 'push')}/runs/"), "read"),
        "edit": (lambda c, s: c.get(f"/metrics/sources/{src(s, 'push')}/edit/"), "admin"),
        "edit_post": (
            lambda c, s: c.post(f"/metrics/sources/{src(s, 'push')}/edit/", {"name": "推送 2"}),
            "admin-302",
        ),
        "enabled": (
            lambda c, s: c.post(f"/metrics/sources/{src(s, 'push')}/enabled/", {"enabled": "0"}),
            "admin-302",
        ),
        "test": (lambda c, s: c.post(f"/metrics/sources/{src(s, 'file')}/test/"), "admin"),
        # Trying settings of a file source: there is nothing to connect to (422 for HR).
        "try_settings": (
            lambda c, s: c.post(
                f"/metrics/sources/{src(s, 'file')}/edit/", {"name": "文件", "action": "test"}
            ),
            "admin-422",
        ),
        "sync": (lambda c, s: c.post(f"/metrics/sources/{src(s, 'file')}/sync/"), "admin-302"),
        "secret": (lambda c, s: c.post(f"/metrics/sources/{src(s, 'push')}/secret/"), "admin"),
        "import": (lambda c, s: c.get(f"/metrics/sources/{src(s, 'file')}/import/"), "admin"),
        "import_direct": (
            lambda c, s: c.post(
                f"/metrics/sources/{src(s, 'file')}/import/",
                {
                    "file": SimpleUploadedFile("e.csv", DIRECT_CSV),
                    "direct": "on",
                    "mode": "valid_rows_only",
                },
            ),
            "admin",
        ),
        "delete": (lambda c, s: c.post(f"/metrics/sources/{src(s, 'spare')}/delete/"), "admin-302"),
    }


DIRECT_CSV = "工号,指标编码,数值,发生时间,来源编号\nA004,orders,1,2026-11-02 10:00,D-1\n".encode()


def _expected(role: str, where: str, access: str) -> int:
    if role == "anonymous":
        return 302  # to the login page
    allowed = role == "hr" or (role == "executive" and access == "read")
    if not allowed:
        return 403
    if where == "foreign":
        return 404
    return int(access.split("-")[1]) if "-" in access else 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["home", "foreign"])
def test_permission_matrix_of_the_source_pages(
    metrics_world: World, sources: dict[str, MetricSource], role: str, where: str, subtests: Any
) -> None:
    client = client_as(metrics_world, role)
    for name, (call, access) in sorted(_calls(where).items()):
        with subtests.test(page=name):
            response = call(client, sources)
            assert response.status_code == _expected(role, where, access), response.content[:300]
            if role == "anonymous":
                assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_list_and_create_pages(metrics_world: World, role: str) -> None:
    client = client_as(metrics_world, role)
    listing = client.get("/metrics/sources/")
    create = client.get("/metrics/sources/new/git/")
    expected_list = {"hr": 200, "executive": 200, "anonymous": 302}.get(role, 403)
    expected_create = {"hr": 200, "anonymous": 302}.get(role, 403)
    assert listing.status_code == expected_list
    assert create.status_code == expected_create
    if role == "executive":
        text = listing.content.decode()
        assert "新建数据源" not in text


def test_pages_of_kinds_that_do_not_apply_are_404(
    metrics_world: World, sources: dict[str, MetricSource]
) -> None:
    hr = client_as(metrics_world, "hr")
    assert hr.get("/metrics/sources/new/attendance/").status_code == 404
    assert hr.get("/metrics/sources/new/nonsense/").status_code == 404
    assert hr.post(f"/metrics/sources/{sources['home-file'].pk}/secret/").status_code == 404
    assert hr.get(f"/metrics/sources/{sources['home-push'].pk}/import/").status_code == 404


def test_the_form_is_generated_from_the_connector_config(metrics_world: World) -> None:
    """Lists, choices, numbers and tick boxes of the email connector's config."""
    hr = client_as(metrics_world, "hr")
    page = hr.get("/metrics/sources/new/email/").content.decode()
    assert 'name="config_mode"' in page and 'type="checkbox" name="config_use_ssl"' in page
    assert 'type="password" name="config_password"' in page
    created = hr.post(
        "/metrics/sources/new/email/",
        {"name": "销售邮件", "config_mode": "mbox", "config_mbox_path": "mail/sales.mbox",
         "config_internal_domains": "xinghai.example，xinghai.cn",
         "config_mailboxes": "Sent", "config_timeout_seconds": "5", "config_port": "0"},
    )  # fmt: skip
    assert created.status_code == 302, created.content.decode()[:2000]
    source = _source(metrics_world, "销售邮件")
    assert source.config["internal_domains"] == ["xinghai.example", "xinghai.cn"]
    assert source.config["mode"] == "mbox" and source.config["use_ssl"] is False
    assert source.config["timeout_seconds"] == 5.0
    edit = hr.get(f"/metrics/sources/{source.pk}/edit/").content.decode()
    assert 'value="xinghai.example, xinghai.cn"' in edit
    assert '<option value="mbox" selected>' in edit
    refused = hr.post(
        "/metrics/sources/new/email/",
        {"name": "邮件 2", "config_mode": "imap", "config_internal_domains": "xinghai.example"},
    )
    text = refused.content.decode()
    assert refused.status_code == 422
    for name in ("host", "username", "password"):
        assert f'data-testid="error-config_{name}"' in text


@pytest.mark.parametrize(
    ("role", "shown"),
    [("hr", True), ("executive", True), ("manager", False), ("employee", False)],
)
def test_the_menu_offers_the_sources_page_to_those_who_may_read_it(
    metrics_world: World, role: str, shown: bool
) -> None:
    page = client_as(metrics_world, role).get("/").content.decode()
    assert (reverse("metrics:source_list") in page) is shown

"""The audit pages as 刘HR uses them: filter the list, read an event, verify the
chain, export the report, embed an object's history."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from jixiao.audit import report
from jixiao.audit.models import AuditEvent
from jixiao.audit.services import audit_record
from jixiao.core.models import User
from tests.audit.conftest import Recorder
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

# 2026-11-22 16:30 UTC is already 00:30 on 23 November in Shanghai.
LATE_EVENING_UTC = dt.datetime(2026, 11, 22, 16, 30, tzinfo=dt.UTC)


def _salary_change(world: World, person: User, *, reason: str = "年度调薪") -> AuditEvent:
    with scopes_disabled():
        return audit_record(
            company=world.company,
            actor=world.hr,
            action="org.employee.update",
            obj=person.employee,  # type: ignore[attr-defined]
            changes={"base_salary": ["8000.00", "9500.00"], "position": [None, "销售主管"]},
            reason=reason,
            ip_address="203.0.113.7",
        )


def test_list_shows_the_companys_events_and_the_explanation(world: World, record: Recorder) -> None:
    record(world.company, 3, actor=world.hr)
    record(world.other_company, 2)
    response = login(world.hr).get("/audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="audit-row"') == 3
    assert 'data-testid="chain-explanation"' in body
    assert "哈希" in body


def test_htmx_request_gets_only_the_table(world: World, record: Recorder) -> None:
    record(world.company, 2)
    response = login(world.hr).get("/audit/", {"q": "王姐 1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert body.count('data-testid="audit-row"') == 1
    assert 'id="audit-table"' in body
    assert "export.xlsx?q=" in body


def test_list_filters_by_day_in_the_viewers_time_zone(world: World) -> None:
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        _salary_change(world, world.employee)
    client = login(world.hr)  # 刘HR sees Asia/Shanghai: the event is on 23 November
    assert client.get("/audit/", {"date_from": "2026-11-23"}).content.count(b"audit-row") == 1
    assert client.get("/audit/", {"date_to": "2026-11-22"}).content.count(b"audit-row") == 0
    world.hr.time_zone = "Europe/Berlin"  # for Berlin it was still 22 November
    world.hr.save()
    client = login(world.hr)
    assert client.get("/audit/", {"date_to": "2026-11-22"}).content.count(b"audit-row") == 1
    assert client.get("/audit/", {"date_from": "2026-11-23"}).content.count(b"audit-row") == 0


def test_list_filters_by_actor_action_object_and_text(world: World, record: Recorder) -> None:
    record(world.company, 2, actor=world.hr)
    record(world.company, 1, actor=world.manager, action="goals.target.update")
    _salary_change(world, world.teammate, reason="李哥业绩突出")
    client = login(world.hr)

    def rows(**params: object) -> int:
        return client.get("/audit/", params).content.count(b'data-testid="audit-row"')

    assert rows() == 4
    assert rows(actor=world.manager.pk) == 1
    assert rows(action="goals.target.update") == 1
    assert rows(action="org.*") == 3
    assert rows(action="org.") == 3
    assert rows(action="org") == 0
    assert rows(object_type="org.employee", object_id=world.teammate.employee.pk) == 1
    assert rows(q="业绩突出") == 1
    assert rows(q="王姐") == 3
    # an end before the start is flagged and left out; the start still applies
    assert rows(date_from="2000-01-01", date_to="1999-01-01") == 4
    assert (
        "结束日期不能早于开始日期"
        in client.get(
            "/audit/", {"date_from": "2000-01-01", "date_to": "1999-01-01"}
        ).content.decode()
    )


def test_list_is_paged(world: World, record: Recorder) -> None:
    record(world.company, 55)
    client = login(world.hr)
    first = client.get("/audit/").content.decode()
    assert first.count('data-testid="audit-row"') == 50
    assert "#55" in first and 'data-testid="page-next"' in first
    second = client.get("/audit/", {"page": 2}).content.decode()
    assert second.count('data-testid="audit-row"') == 5
    assert ">#1<" in second
    assert client.get("/audit/", {"page": "x"}).status_code == 200


def test_detail_shows_before_and_after_per_field(world: World) -> None:
    event = _salary_change(world, world.employee)
    with scopes_disabled():
        event.refresh_from_db()
    body = login(world.hr).get(f"/audit/events/{event.pk}/").content.decode()
    assert "base_salary" in body and "8000.00" in body and "9500.00" in body
    assert "销售主管" in body
    assert "年度调薪" in body
    assert "203.0.113.7" in body
    assert event.hash in body and event.previous_hash in body
    assert f"?type=org.employee&amp;id={world.employee.employee.pk}" in body


def test_verify_page_shows_ok_then_the_break(world: World, record: Recorder) -> None:
    record(world.company, 4)
    client = login(world.hr)
    page = client.get("/audit/verify/").content.decode()
    assert 'data-testid="chain-head"' in page and "#4" in page
    assert "verify-ok" not in page  # nothing runs until asked
    ok = client.get("/audit/verify/", {"run": 1}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="verify-ok"' in ok and "<html" not in ok
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE company_id = %s AND sequence = 2",
            [world.company.pk],
        )
    broken = client.get("/audit/verify/", {"run": 1}).content.decode()
    assert 'data-testid="verify-broken"' in broken
    assert broken.count('data-testid="verify-break"') == 2
    assert "#3" in broken and "missing events 2..2" in broken


def _sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    """The report's rows without the empty cells openpyxl pads them with."""
    workbook = load_workbook(io.BytesIO(content))
    rows = []
    for row in workbook["审计报告"].iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(tuple(values))
    return rows


def test_export_is_an_audit_report_in_the_viewers_time_zone(world: World, record: Recorder) -> None:
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        _salary_change(world, world.employee)
        _salary_change(world, world.teammate, reason='=HYPERLINK("http://evil")')
    record(world.company, 2, action="goals.target.update")
    response = login(world.hr).get("/audit/export.xlsx", {"action": "org.employee.update"})
    assert response.status_code == 200
    assert response["Content-Type"] == report.XLSX_CONTENT_TYPE
    assert "audit-report-xinghai-" in response["Content-Disposition"]
    rows = _sheet_rows(response.content)
    assert rows[0] == ("审计报告", "星海外贸")
    assert ("时区", "Asia/Shanghai") in rows
    assert ("事件数", 2) in rows
    header_index = rows.index(
        (
            "序号",
            "时间",
            "操作人",
            "动作",
            "对象类型",
            "对象ID",
            "对象",
            "变更",
            "原因",
            "IP 地址",
            "哈希",
            "前一哈希",
        )
    )
    data = rows[header_index + 1 :]
    assert [row[0] for row in data] == [2, 1]
    assert data[1][1] == dt.datetime(2026, 11, 23, 0, 30)
    assert "base_salary: 8000.00 → 9500.00" in str(data[1][7])
    assert data[0][8] == '=HYPERLINK("http://evil")'
    sheet = load_workbook(io.BytesIO(response.content))["审计报告"]
    reason_cell = sheet.cell(row=header_index + 2, column=9)
    assert reason_cell.data_type == "s"  # kept as text, never a formula
    with scopes_disabled():
        exported = AuditEvent.objects.get(company=world.company, action="audit.report.export")
    assert exported.actor_id == world.hr.pk
    assert exported.changes["rows"] == [None, 2]


def test_export_refuses_too_many_rows(
    world: World, record: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "EXPORT_MAX_ROWS", 2)
    record(world.company, 3)
    client = login(world.hr)
    response = client.get("/audit/export.xlsx", {"q": "王姐"}, follow=True)
    assert response.redirect_chain[0][0] == "/audit/?q=%E7%8E%8B%E5%A7%90"
    assert "超过导出上限" in response.content.decode()


def test_object_history_embeds_as_partial_or_stands_alone(world: World) -> None:
    _salary_change(world, world.employee)
    _salary_change(world, world.employee, reason="晋升")
    _salary_change(world, world.teammate)
    client = login(world.hr)
    params = {"type": "org.employee", "id": world.employee.employee.pk}
    partial = client.get("/audit/history/", params, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert partial.count('data-testid="history-row"') == 2
    assert "晋升" in partial
    page = client.get("/audit/history/", params).content.decode()
    assert "<html" in page and page.count('data-testid="history-row"') == 2


def test_object_history_of_a_deleted_object_is_kept(world: World) -> None:
    with scopes_disabled():
        audit_record(
            company=world.company,
            actor=world.hr,
            action="org.position.delete",
            object_type="org.position",
            object_id="999999",
            object_repr="旧岗位",
            reason="合并岗位",
        )
    response = login(world.hr).get("/audit/history/", {"type": "org.position", "id": "999999"})
    assert response.status_code == 200
    assert "合并岗位" in response.content.decode()


def test_object_history_needs_type_and_id(world: World) -> None:
    assert login(world.hr).get("/audit/history/", {"type": "org.employee"}).status_code == 404

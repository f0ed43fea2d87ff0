"""The demo loader recreates the seeds' four companies with working logins and a valid audit trail."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import QuerySet
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.audit.chain import chain_breaks
from jixiao.audit.models import AuditEvent
from jixiao.audit.services import event_link
from jixiao.core.models import Company, Role, User
from jixiao.demo.builder import (
    DemoLoadResult,
    company_people,
    demo_companies,
    demo_load,
    demo_logins,
)
from jixiao.demo.companies import COMPANIES, DEMO_PASSWORD, HAIXING, HUARUI, LANHE, YUNFAN
from jixiao.org.models import Department, Employee

pytestmark = pytest.mark.django_db


def _company(slug: str) -> Company:
    return Company.objects.get(slug=slug)


def _chain_breaks(company: Company) -> list[object]:
    with scopes_disabled():
        events = AuditEvent.objects.filter(company=company).order_by("sequence")
        return list(chain_breaks([(event_link(e), e.hash) for e in events]))


def test_creates_the_four_seed_companies_with_their_headcounts(
    demo_loaded: DemoLoadResult,
) -> None:
    assert demo_loaded.created
    assert [c.slug for c in demo_companies()] == ["haixing", "huarui", "lanhe", "yunfan"]
    with scopes_disabled():
        counts = Counter(Employee.objects.values_list("company__slug", flat=True))
    assert counts["haixing"] == 20
    assert counts["yunfan"] == 50
    for spec in COMPANIES:
        assert counts[spec.slug] == len(company_people(spec))


def test_haixing_is_eighty_percent_veterans_with_wang_jie_and_li_ge(
    demo_loaded: DemoLoadResult,
) -> None:
    company = _company("haixing")
    with scope(company=company):
        staff = Employee.objects.filter(company=company)
        veterans = staff.filter(tags__name="老员工").count()
        assert veterans / staff.count() == pytest.approx(0.8)
        wang = Employee.objects.get(user__username="wangjie@haixing.demo")
        li = Employee.objects.get(user__username="lige@haixing.demo")
        assert wang.name == "王秀兰" and wang.department.name == "销售部"
        assert {t.name for t in wang.tags.all()} == {"老员工", "带教师傅"}
        # 李哥 works from Ningbo on Shanghai time while his customers are in Germany.
        assert li.time_zone == "Asia/Shanghai"
        assert li.custom_fields["customer_time_zone"] == "Europe/Berlin"
        assert li.working_hour_system == "flexible"
        xiao_li = Employee.objects.get(user__username="xiaoli@haixing.demo")
        assert xiao_li.manager == wang
        assert {d.name for d in Department.objects.all()} >= {"销售部", "运营部", "单证部"}


def test_huarui_posts_fifteen_people_abroad_in_five_time_zones_and_runs_shifts(
    demo_loaded: DemoLoadResult,
) -> None:
    company = _company("huarui")
    with scope(company=company):
        abroad = Employee.objects.filter(tags__name="驻外").select_related("work_location")
        assert abroad.count() == 15
        zones = {e.work_location.time_zone for e in abroad}  # type: ignore[union-attr]
        assert zones == {
            "Europe/Berlin",
            "America/Mexico_City",
            "Asia/Ho_Chi_Minh",
            "Asia/Riyadh",
            "Africa/Lagos",
        }
        assert all(e.manager is not None for e in abroad)
        assert Employee.objects.filter(working_hour_system="shift").count() >= 15
        assert Employee.objects.filter(working_hour_system="comprehensive").exists()
        # The overseas director sits at head office and heads the whole overseas department.
        director = Employee.objects.get(user__username="zhengzhigang@huarui.demo")
        assert director.work_location.time_zone == "Asia/Shanghai"  # type: ignore[union-attr]
        assert Department.objects.get(name="海外业务部").head == director


def test_lanhe_field_staff_work_flexible_or_unfixed_hours(demo_loaded: DemoLoadResult) -> None:
    company = _company("lanhe")
    with scope(company=company):
        field = Employee.objects.filter(tags__name="外勤")
        office = Employee.objects.filter(tags__name="内勤")
        assert field.exists() and office.exists()
        assert set(field.values_list("working_hour_system", flat=True)) <= {"flexible", "unfixed"}
        assert set(office.values_list("working_hour_system", flat=True)) == {"standard"}


def test_yunfan_has_sales_rd_and_operations_with_heads_and_managers(
    demo_loaded: DemoLoadResult,
) -> None:
    company = _company("yunfan")
    with scope(company=company):
        for name in ("销售部", "研发部", "运营部"):
            department = Department.objects.get(name=name)
            assert department.head is not None
            assert department.head.user.role == Role.MANAGER  # type: ignore[union-attr]
        ceo = Employee.objects.get(user__role=Role.EXECUTIVE)
        others = Employee.objects.exclude(pk=ceo.pk)
        assert ceo.manager is None
        assert not others.filter(manager__isnull=True).exists()
        assert all(e.base_salary > 0 for e in others)


def test_every_demo_login_works_and_opens_its_home_page(demo_loaded: DemoLoadResult) -> None:
    logins = demo_logins()
    roles = Counter((row.company, row.role) for row in logins)
    for spec in COMPANIES:
        for role in (Role.HR_ADMIN, Role.EXECUTIVE, Role.MANAGER, Role.EMPLOYEE):
            assert roles[(spec.name, str(role.label))] >= 1, (spec.name, role)
    for row in logins:
        client = Client()
        response = client.post("/login/", {"username": row.username, "password": row.password})
        assert response.status_code == 302, row.username
        assert client.get("/").status_code == 200, row.username
    assert User.objects.get(username="platform-admin").role == Role.PLATFORM_ADMIN


def test_every_employee_has_a_login_linked_to_the_employee_row(demo_loaded: DemoLoadResult) -> None:
    rows = demo_logins(include_everyone=True)
    assert len(rows) == 1 + sum(len(company_people(spec)) for spec in COMPANIES)
    with scopes_disabled():
        assert not Employee.objects.filter(user__isnull=True).exists()
        for employee in Employee.objects.select_related("user", "company"):
            assert employee.user.company_id == employee.company_id  # type: ignore[union-attr]
    response = Client().post(
        "/login/", {"username": "caodan@huarui.demo", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_is_idempotent_and_reset_rebuilds_after_people_used_the_demo(
    demo_loaded: DemoLoadResult,
) -> None:
    """Loading again changes nothing; 王姐 gets a raise through the real service; a reset rebuilds."""
    from decimal import Decimal

    from jixiao.org.services import employee_update

    with scopes_disabled():
        before = (Company.objects.count(), User.objects.count(), Employee.objects.count())
    assert not demo_load().created
    with scopes_disabled():
        assert (Company.objects.count(), User.objects.count(), Employee.objects.count()) == before
    company = _company("haixing")
    hr = User.objects.get(username="chenjing@haixing.demo")
    with scope(company=company):
        wang = Employee.objects.get(user__username="wangjie@haixing.demo")
        employee_update(employee=wang, actor=hr, base_salary=Decimal("15000"), reason="年度调薪")
    old_ids = {c.pk for c in demo_companies()}
    rebuilt = demo_load(reset=True)
    assert rebuilt.created
    assert {c.pk for c in demo_companies()}.isdisjoint(old_ids)
    with scopes_disabled():
        assert (Company.objects.count(), User.objects.count(), Employee.objects.count()) == before
    for demo_company in demo_companies():
        assert _chain_breaks(demo_company) == []
    with scope(company=_company("haixing")):
        wang = Employee.objects.get(user__username="wangjie@haixing.demo")
        assert wang.base_salary == Decimal("14000.00")
        assert not wang.changes.exists()


def test_each_company_audit_trail_starts_valid_and_covers_every_employee(
    demo_loaded: DemoLoadResult,
) -> None:
    for spec in (HAIXING, HUARUI, LANHE, YUNFAN):
        company = _company(spec.slug)
        assert _chain_breaks(company) == []
        with scopes_disabled():
            created = AuditEvent.objects.filter(company=company, action="org.employee.create")
            assert created.count() == len(company_people(spec))
            wang = created.filter(object_repr__startswith="王秀兰").first()
        if spec is HAIXING:
            assert wang is not None and wang.changes["base_salary"] == [None, "14000.00"]


def test_tampering_with_a_demo_event_is_detected(demo_loaded: DemoLoadResult) -> None:
    company = _company("haixing")
    with scopes_disabled():
        event = AuditEvent.objects.filter(company=company, action="org.employee.create").first()
        assert event is not None
        # Someone with direct database access edits the row, past the model's guard.
        QuerySet(model=AuditEvent).filter(pk=event.pk).update(reason="改过了")
    assert _chain_breaks(company) != []


def test_command_prints_the_login_table_and_the_password(demo_loaded: DemoLoadResult) -> None:
    out = StringIO()
    call_command("demo_load", stdout=out)
    text = out.getvalue()
    assert "已存在" in text
    assert "wangjie@haixing.demo" in text and "lige@haixing.demo" in text
    assert DEMO_PASSWORD in text and "platform-admin" in text

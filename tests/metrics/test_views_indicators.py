"""The indicator library editor: 刘HR creates indicators without code, edits them into new
versions (the old ones stay), switches them off and on, compares versions, and sees formula
mistakes at the field while typing; everyone else reads. Another company's ids are 404."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.metrics.models import Indicator, IndicatorVersion
from tests.conftest import World
from tests.metrics.cast import ROLES, client_as

pytestmark = pytest.mark.django_db

MEMBERS = ("hr", "executive", "manager", "employee")


def _indicator(w: World, where: str, code: str = "order_amount") -> Indicator:
    company = w.company if where == "home" else w.other_company
    with scopes_disabled():
        return Indicator.objects.get(company=company, code=code)


def definition(**overrides: Any) -> dict[str, Any]:
    data = {
        "name_zh": "赢单率",
        "name_en": "Win rate",
        "unit": "%",
        "category": "outcome",
        "direction": "higher",
        "aggregation": "ratio",
        "numerator_code": "orders",
        "denominator_code": "customer_visits",
        "distinct_key": "",
        "formula": "",
        "plausible_min": "0",
        "plausible_max": "100",
        "scale": "1",
        "description": "",
    }
    data.update(overrides)
    return data


# --- Permission matrix ------------------------------------------------------------------

READ = {role: {"home": 200, "foreign": 404} for role in MEMBERS}
READ["platform_admin"] = {"home": 403, "foreign": 403}
READ["anonymous"] = {"home": 302, "foreign": 302}
WRITE = {"hr": {"home": 200, "foreign": 404}}
for _role in ("executive", "manager", "employee", "platform_admin"):
    WRITE[_role] = {"home": 403, "foreign": 403}
WRITE["anonymous"] = {"home": 302, "foreign": 302}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["home", "foreign"])
def test_indicator_pages_permission_matrix(
    metrics_world: World, role: str, where: str, subtests: Any
) -> None:
    w = metrics_world
    pk = _indicator(w, where).pk
    client = client_as(w, role)
    checks = {
        "detail": (client.get(f"/metrics/indicators/{pk}/"), READ[role][where]),
        "edit": (client.get(f"/metrics/indicators/{pk}/edit/"), WRITE[role][where]),
        "edit-post": (
            client.post(f"/metrics/indicators/{pk}/edit/", definition(reason="x")),
            {200: 302}.get(WRITE[role][where], WRITE[role][where]),
        ),
        "active": (
            client.post(f"/metrics/indicators/{pk}/active/", {"active": "0"}),
            {200: 302}.get(WRITE[role][where], WRITE[role][where]),
        ),
        "formula-check": (
            client.get(f"/metrics/indicators/formula-check/?indicator={pk}&formula=1"),
            WRITE[role][where],
        ),
    }
    for name, (response, expected) in checks.items():
        with subtests.test(page=name):
            assert response.status_code == expected, name
    with scopes_disabled():
        stopped = not Indicator.objects.get(pk=pk).is_active
    assert stopped == (role == "hr" and where == "home")


CREATE = {"hr": 200, "executive": 403, "manager": 403, "employee": 403,
          "platform_admin": 403, "anonymous": 302}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_only_hr_creates_indicators(metrics_world: World, role: str) -> None:
    client = client_as(metrics_world, role)
    assert client.get("/metrics/indicators/new/").status_code == CREATE[role]
    response = client.post("/metrics/indicators/new/", {"code": "win_rate", **definition()})
    assert response.status_code == {200: 302}.get(CREATE[role], CREATE[role])
    with scopes_disabled():
        made = Indicator.objects.filter(company=metrics_world.company, code="win_rate").exists()
    assert made == (role == "hr")


# --- Creating, with errors at the fields ------------------------------------------------


def test_create_shows_each_mistake_at_its_field(metrics_world: World) -> None:
    client = client_as(metrics_world, "hr")
    response = client.post(
        "/metrics/indicators/new/",
        {"code": "Win Rate", **definition(name_zh="", scale="9", plausible_min="x")},
    )
    assert response.status_code == 422
    body = response.content.decode()
    for field in ("code", "name_zh", "scale", "plausible_min"):
        assert f'data-testid="error-{field}"' in body, field
    ratio = client.post(
        "/metrics/indicators/new/",
        {"code": "win_rate", **definition(numerator_code="", plausible_min="5",
                                         plausible_max="1")},
    )  # fmt: skip
    assert ratio.status_code == 422
    errors = ratio.context["form"].errors
    assert errors["numerator_code"] == ["比率指标需要分子和分母指标。"]
    assert errors["plausible_max"] == ["合理上限不能小于合理下限。"]
    taken = client.post("/metrics/indicators/new/", {"code": "orders", **definition()})
    assert taken.context["form"].errors["code"] == ["指标编码已存在。"]
    distinct = client.post(
        "/metrics/indicators/new/",
        {"code": "countries", **definition(aggregation="distinct_count", unit="个")},
    )
    assert "distinct_key" in distinct.context["form"].errors


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("orders / nothing_here", "公式引用了不存在的指标：nothing_here"),
        ("win_rate * 2", "公式不能引用指标自身（win_rate）。"),
        ("__import__('os')", "公式只能调用 min、max、round、abs。"),
        ("orders.real", "不允许：Attribute"),
        ("orders +", "公式语法有误"),
    ],
)
def test_formula_mistakes_block_saving_and_show_at_the_field(
    metrics_world: World, formula: str, message: str
) -> None:
    client = client_as(metrics_world, "hr")
    response = client.post(
        "/metrics/indicators/new/",
        {"code": "win_rate", **definition(aggregation="formula", formula=formula)},
    )
    assert response.status_code == 422
    assert message in response.context["form"].errors["formula"][0]
    assert 'data-testid="error-formula"' in response.content.decode()


def test_a_formula_indicator_is_created_and_lists_in_the_library(metrics_world: World) -> None:
    client = client_as(metrics_world, "hr")
    response = client.post(
        "/metrics/indicators/new/",
        {"code": "savings_per_suggestion",
         **definition(name_zh="单条建议节省", unit="元", category="process",
                      aggregation="formula", formula="process_savings / process_suggestions",
                      plausible_min="", plausible_max="")},
    )  # fmt: skip
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="savings_per_suggestion")
    assert response["Location"] == f"/metrics/indicators/{indicator.pk}/"
    version = indicator.current_version
    assert version is not None and version.formula == "process_savings / process_suggestions"
    assert AuditEvent.objects.filter(action="metrics.indicator.create").exists()
    listing = client.get("/metrics/indicators/?category=process").content.decode()
    assert "savings_per_suggestion" in listing and "order_amount" not in listing


# --- Live formula check (htmx) ----------------------------------------------------------


def test_live_formula_check_names_the_problem(metrics_world: World) -> None:
    w = metrics_world
    client = client_as(w, "hr")
    rate = _indicator(w, "home", "amount_per_visit")

    def check(formula: str, **extra: str) -> str:
        params = {"formula": formula, "aggregation": "formula", **extra}
        response = client.get("/metrics/indicators/formula-check/", params, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response.content.decode()

    assert "公式有效" in check("orders / customer_visits", code="new_one")
    assert "<code>customer_visits</code>" in check("orders / customer_visits", code="new_one")
    assert "不存在的指标：visitz" in check("orders / visitz", code="new_one")
    assert "不能引用指标自身（amount_per_visit）" in check(
        "amount_per_visit + 1", indicator=str(rate.pk)
    )
    assert "min、max、round、abs" in check("open('x')", code="new_one")
    # A cycle through another formula: f_a uses amount_per_visit; amount_per_visit may not use f_a.
    client.post(
        "/metrics/indicators/new/",
        {"code": "f_a", **definition(aggregation="formula", formula="amount_per_visit * 2",
                                     unit="元", plausible_min="", plausible_max="")},
    )  # fmt: skip
    assert "循环引用：amount_per_visit → f_a → amount_per_visit" in check(
        "f_a + 1", indicator=str(rate.pk)
    )
    params = {"formula": "orders", "aggregation": "sum", "code": "x"}
    assert (
        "只有汇总方式为“公式”"
        in client.get("/metrics/indicators/formula-check/", params).content.decode()
    )
    assert check("", code="x").strip() == ""


def test_the_form_wires_the_live_check(metrics_world: World) -> None:
    body = client_as(metrics_world, "hr").get("/metrics/indicators/new/").content.decode()
    assert 'hx-get="/metrics/indicators/formula-check/"' in body
    assert 'id="formula-check"' in body
    assert "metrics/indicator_form.js" in body


# --- Versions ---------------------------------------------------------------------------


def test_editing_adds_a_version_and_keeps_the_old_one(metrics_world: World) -> None:
    w = metrics_world
    client = client_as(w, "hr")
    rate = _indicator(w, "home", "conversion_rate")
    first = rate.current_version
    assert first is not None
    url = f"/metrics/indicators/{rate.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'value="项目转化率"' in page  # prefilled from the current version
    changed = definition(name_zh="项目转化率（含线上）", unit="%", numerator_code="orders",
                         denominator_code="customer_visits", scale="2")  # fmt: skip
    missing = client.post(url, changed)
    assert missing.status_code == 422
    assert 'data-testid="error-reason"' in missing.content.decode()
    assert IndicatorVersion.objects.filter(indicator=rate).count() == 1
    done = client.post(url, {**changed, "reason": "把线上咨询算作拜访"})
    assert done.status_code == 302
    rate.refresh_from_db()
    versions = list(IndicatorVersion.objects.filter(indicator=rate).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].name_zh == "项目转化率"  # the version plans agreed on is untouched
    assert rate.current_version == versions[1]
    assert versions[1].change_reason == "把线上咨询算作拜访"
    assert AuditEvent.objects.filter(action="metrics.indicator.version").exists()
    detail = client.get(f"/metrics/indicators/{rate.pk}/").content.decode()
    assert "版本对比" in detail and "把线上咨询算作拜访" in detail
    assert "<del>项目转化率</del>" in detail and "<ins>项目转化率（含线上）</ins>" in detail
    assert "<del>Conversion rate</del>" in detail
    assert "合理上限" not in detail  # unchanged fields are not listed
    reversed_diff = client.get(f"/metrics/indicators/{rate.pk}/?a=2&b=1").content.decode()
    assert "<del>项目转化率（含线上）</del>" in reversed_diff
    same = client.get(f"/metrics/indicators/{rate.pk}/?a=2&b=2").content.decode()
    assert "两个版本的定义相同。" in same


def test_deactivate_and_reactivate(metrics_world: World) -> None:
    w = metrics_world
    client = client_as(w, "hr")
    orders = _indicator(w, "home", "orders")
    assert (
        client.post(f"/metrics/indicators/{orders.pk}/active/", {"active": "0"}).status_code == 302
    )
    orders.refresh_from_db()
    assert not orders.is_active
    page = client.get(f"/metrics/indicators/{orders.pk}/").content.decode()
    assert 'data-testid="inactive"' in page and "重新启用" in page
    stopped = client.get("/metrics/indicators/?status=inactive").content.decode()
    assert "<code>orders</code>" in stopped and "<code>order_amount</code>" not in stopped
    client.post(f"/metrics/indicators/{orders.pk}/active/", {"active": "1"})
    orders.refresh_from_db()
    assert orders.is_active
    actions = set(
        AuditEvent.objects.filter(object_id=str(orders.pk)).values_list("action", flat=True)
    )
    assert {"metrics.indicator.deactivate", "metrics.indicator.activate"} <= actions


def test_library_list_searches_and_offers_hr_the_tools(metrics_world: World) -> None:
    w = metrics_world
    hr = client_as(w, "hr").get("/metrics/indicators/?q=复购").content.decode()
    assert "repeat_purchase_rate" in hr and "order_amount" not in hr
    assert "新建指标" in hr and "安装内置指标库" in hr
    employee = client_as(w, "employee").get("/metrics/indicators/").content.decode()
    assert "新建指标" not in employee
    assert f'href="/metrics/indicators/{_indicator(w, "home").pk}/"' in employee
    with scope(company=w.company):
        nothing = client_as(w, "employee").get("/metrics/indicators/?q=zzz").content.decode()
    assert "没有符合条件的指标。" in nothing


FORMULA_API = {"hr": 200, "executive": 403, "manager": 403, "employee": 403,
               "platform_admin": 403, "anonymous": 401}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_formula_check_api(metrics_world: World, role: str) -> None:
    client = client_as(metrics_world, role)

    def check(formula: str, code: str = "new_one") -> Any:
        return client.post(
            "/api/v1/metrics/formula-check",
            {"formula": formula, "code": code},
            content_type="application/json",
        )

    response = check("orders / customer_visits")
    assert response.status_code == FORMULA_API[role]
    if role != "hr":
        return
    assert response.json() == {"valid": True, "names": ["customer_visits", "orders"],
                               "message": ""}  # fmt: skip
    assert (
        check("orders + 1", code="orders").json()["message"] == "公式不能引用指标自身（orders）。"
    )
    refused = check("().__class__")
    assert not refused.json()["valid"] and "不允许" in refused.json()["message"]

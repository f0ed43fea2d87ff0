"""The error contract: every API error is JSON ``{code, message, fields}``, whoever raised it."""

from __future__ import annotations

import json
import logging

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from jixiao.core.api_errors import ApiErrorMiddleware
from tests.api.conftest import assert_error, bearer, token_for
from tests.conftest import World, login

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.probe_urls")]


@pytest.fixture
def hr(world: World) -> Client:
    """刘HR calling with her API token, as an integration script would."""
    return Client(**bearer(token_for(world.hr)))


# --- Outside any endpoint ----------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/api/v1/org/no/such/path", "/api/nothing-here"]
)
def test_unknown_api_path_is_a_json_404(hr: Client, path: str) -> None:
    assert_error(hr.get(path), 404, "not_found")


def test_unknown_api_path_is_json_for_anonymous_callers_too(world: World) -> None:
    assert_error(Client().get("/api/v1/no-such-thing"), 404, "not_found")


def test_unknown_web_path_stays_an_html_page(world: World) -> None:
    response = login(world.employee).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_is_a_json_405_with_allow(hr: Client) -> None:
    response = hr.delete("/api/v1/me")
    body = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert body["fields"] == {}


def test_anonymous_call_is_a_json_401(world: World) -> None:
    assert_error(Client().get("/api/v1/me"), 401, "unauthenticated")


# --- ninja's own validation --------------------------------------------------


def test_query_validation_names_the_parameter(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/raw-things?page=abc"), 422, "invalid")
    assert list(body["fields"]) == ["page"]


def test_query_schema_validation_names_the_parameter(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/things?page=0&page_size=100000"), 422, "invalid")
    assert set(body["fields"]) == {"page", "page_size"}


def test_path_validation_names_the_parameter(hr: Client) -> None:
    response = hr.get("/api/probe/departments/abc")
    if response.status_code == 404:
        assert_error(response, 404, "not_found")
    else:
        body = assert_error(response, 422, "invalid")
        assert list(body["fields"]) == ["department_id"]


def test_body_validation_is_keyed_by_field_name(hr: Client) -> None:
    response = hr.post(
        "/api/probe/things", {"name": "", "size": "big"}, content_type="application/json"
    )
    body = assert_error(response, 422, "invalid")
    assert set(body["fields"]) == {"name", "size"}


def test_missing_body_is_a_422_for_the_whole_request(hr: Client) -> None:
    body = assert_error(hr.post("/api/probe/things", content_type="application/json"), 422)
    assert body["fields"]


def test_body_that_is_not_an_object_is_a_422(hr: Client) -> None:
    body = assert_error(
        hr.post("/api/probe/things", "[1, 2]", content_type="application/json"), 422, "invalid"
    )
    assert set(body["fields"]) == {"name", "size"}


def test_malformed_json_is_a_400(hr: Client) -> None:
    response = hr.post("/api/probe/things", '{"name": "x",', content_type="application/json")
    assert_error(response, 400, "malformed_body")


def test_a_form_post_to_a_json_endpoint_is_a_415(hr: Client) -> None:
    response = hr.post("/api/probe/things", {"name": "x", "size": "1"})
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_a_vendor_suffix_is_accepted(hr: Client) -> None:
    response = hr.post(
        "/api/probe/things", {"name": "x", "size": 1}, content_type="application/merge-patch+json"
    )
    assert response.status_code == 201
    assert response.json() == {"name": "x", "size": 1}


# --- What endpoints raise ----------------------------------------------------


def test_service_error_keeps_its_code_status_and_fields(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/raise/service"), 409, "refused")
    assert body == {"code": "refused", "message": "不行", "fields": {"name": ["重复了"]}}


def test_service_error_of_a_real_endpoint(hr: Client) -> None:
    response = hr.post("/api/v1/tokens", {"name": "   "}, content_type="application/json")
    body = assert_error(response, 422, "invalid")
    assert list(body["fields"]) == ["name"]


def test_django_validation_error_with_fields(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/raise/django-fields"), 422, "invalid")
    assert body["fields"] == {"end": ["结束日期早于开始日期"], "start": ["必填"]}


def test_django_validation_error_without_fields(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/raise/django-plain"), 422, "invalid")
    assert body["fields"] == {"__all__": ["整个请求不对"]}


def test_permission_denied_is_a_403(hr: Client) -> None:
    assert_error(hr.get("/api/probe/raise/forbidden"), 403, "forbidden")


def test_permission_denied_of_a_real_endpoint(world: World) -> None:
    employee = Client(**bearer(token_for(world.employee)))
    assert_error(employee.get("/api/v1/users"), 403, "forbidden")


def test_get_object_or_404_across_companies_is_a_404(world: World, hr: Client) -> None:
    own = hr.get(f"/api/probe/departments/{world.sales.pk}")
    assert own.status_code == 200 and own.json()["name"] == "销售部"
    from django_scopes import scopes_disabled

    from jixiao.org.models import Department

    with scopes_disabled():
        other = Department.objects.filter(company=world.other_company).first()
    assert other is not None
    assert_error(hr.get(f"/api/probe/departments/{other.pk}"), 404, "not_found")


def test_http404_of_a_real_endpoint(hr: Client) -> None:
    assert_error(hr.get("/api/v1/users/987654"), 404, "not_found")


def test_throttling_is_a_429_with_retry_after(hr: Client) -> None:
    response = hr.get("/api/probe/raise/throttled")
    assert_error(response, 429, "throttled")


def test_platform_admin_without_company_gets_403_on_company_data(world: World) -> None:
    response = login(world.platform_admin).get("/api/v1/users")
    assert response.status_code == 403
    assert_error(response, 403)


def test_suspicious_operation_is_a_400_not_a_crash(hr: Client) -> None:
    assert_error(hr.get("/api/probe/raise/suspicious"), 400, "bad_request")


def test_bad_request_keeps_its_message(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/raise/bad-request"), 400, "bad_request")
    assert body["message"] == "缺少参数"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_body_over_the_upload_limit_is_a_413(hr: Client) -> None:
    big = {"name": "x" * 500, "size": 1}
    response = hr.post("/api/probe/things", big, content_type="application/json")
    assert_error(response, 413, "too_large")


# --- Crashes -----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_is_a_json_500_without_traceback(
    world: World, caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    client = Client(raise_request_exception=False, **bearer(token_for(world.hr)))
    with override_settings(DEBUG=debug), caplog.at_level(logging.ERROR, "django.request"):
        response = client.get("/api/probe/raise/crash")
    assert_error(response, 500, "server_error")
    assert b"hunter2" not in response.content and b"Traceback" not in response.content
    assert any("hunter2" in str(r.exc_info) for r in caplog.records), "the crash is logged"


def test_a_crash_reaches_the_test_client_like_any_django_error(world: World) -> None:
    client = Client(**bearer(token_for(world.hr)))
    with pytest.raises(RuntimeError, match="secret internals"):
        client.get("/api/probe/raise/crash")


# --- The middleware's safety net ---------------------------------------------


def _through_middleware(path: str, response: HttpResponse) -> HttpResponse:
    def get_response(request: HttpRequest) -> HttpResponse:
        return response

    return ApiErrorMiddleware(get_response)(RequestFactory().get(path))


def test_middleware_replaces_an_html_500_page() -> None:
    page = HttpResponse("<h1>Traceback ... password=hunter2</h1>", status=500)
    result = _through_middleware("/api/v1/me", page)
    assert_error(result, 500, "server_error")
    assert b"hunter2" not in result.content


def test_middleware_completes_an_error_without_fields() -> None:
    partial = HttpResponse(
        json.dumps({"code": "invalid_token", "message": "令牌无效"}),
        status=401,
        content_type="application/json",
    )
    body = assert_error(_through_middleware("/api/v1/me", partial), 401, "invalid_token")
    assert body["message"] == "令牌无效"


def test_middleware_leaves_complete_errors_successes_and_web_pages_alone() -> None:
    complete = HttpResponse(
        json.dumps({"code": "x", "message": "y", "fields": {"a": ["b"]}}),
        status=422,
        content_type="application/json",
    )
    assert _through_middleware("/api/v1/me", complete) is complete
    ok = HttpResponse("<p>fine</p>")
    assert _through_middleware("/api/v1/me", ok) is ok
    page = HttpResponse("<h1>nope</h1>", status=404)
    assert _through_middleware("/org/employees/1/", page) is page


@pytest.mark.parametrize("bad", ["a\x00b", "tab\x01", "\x1b[31mred"])
def test_control_characters_in_a_body_string_are_a_422_naming_the_field(
    hr: Client, bad: str
) -> None:
    """PostgreSQL cannot store NUL, and no name or reason needs an escape character."""
    response = hr.post(
        "/api/probe/things", {"name": bad, "size": 1}, content_type="application/json"
    )
    body = assert_error(response, 422, "invalid")
    assert list(body["fields"]) == ["name"]


def test_tabs_and_line_breaks_in_a_body_string_are_fine(hr: Client) -> None:
    response = hr.post(
        "/api/probe/things",
        {"name": "两行\n\t说明\r\n", "size": 1},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


def test_control_characters_in_a_query_parameter_are_a_422_naming_it(hr: Client) -> None:
    body = assert_error(hr.get("/api/probe/raw-things?page=1%00"), 422, "invalid")
    assert list(body["fields"]) == ["page"]

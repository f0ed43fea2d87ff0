"""``paginate`` and ``Page[T]``: every list endpoint pages the same way."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from django_scopes import scope
from hypothesis import given
from hypothesis import strategies as st

from jixiao.core.api_errors import ServiceError
from jixiao.core.pagination import paginate
from jixiao.org.models import Department
from tests.api.conftest import assert_error, bearer, token_for
from tests.conftest import World

SEVEN = [{"name": f"thing {n}", "size": n} for n in range(7)]


@given(
    items=st.lists(st.integers(), max_size=60),
    page_size=st.integers(min_value=1, max_value=200),
)
def test_pages_put_together_give_back_the_list(items: list[int], page_size: int) -> None:
    collected: list[int] = []
    page = 1
    while True:
        result = paginate(items, page, page_size)
        assert result["count"] == len(items)
        assert result["page"] == page and result["page_size"] == page_size
        collected += result["items"]
        if len(result["items"]) < page_size:
            break
        page += 1
    assert collected == items


def test_a_page_past_the_end_is_empty_not_an_error() -> None:
    assert paginate(SEVEN, 5, 3) == {"items": [], "count": 7, "page": 5, "page_size": 3}


@pytest.mark.parametrize(
    ("page", "page_size", "fields"),
    [
        (0, 10, {"page"}),
        (-3, 10, {"page"}),
        (1, 0, {"page_size"}),
        (1, 201, {"page_size"}),
        (0, 0, {"page", "page_size"}),
    ],
)
def test_out_of_range_parameters_are_a_422_naming_them(
    page: int, page_size: int, fields: set[str]
) -> None:
    with pytest.raises(ServiceError) as caught:
        paginate(SEVEN, page, page_size)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_page"
    assert set(caught.value.fields) == fields


@override_settings(API_PAGE_SIZE_MAX=5)
def test_the_largest_page_size_comes_from_settings() -> None:
    assert len(paginate(SEVEN, 1, 5)["items"]) == 5
    with pytest.raises(ServiceError):
        paginate(SEVEN, 1, 6)


@pytest.mark.django_db
def test_a_queryset_is_counted_and_sliced_in_the_database(world: World) -> None:
    with scope(company=world.company):
        departments = Department.objects.order_by("name")
        names = list(departments.values_list("name", flat=True))
        second = paginate(departments, 2, 2)
    assert second["count"] == len(names) == 3
    assert [d.name for d in second["items"]] == names[2:]


@pytest.mark.django_db
def test_a_page_far_past_the_end_of_a_queryset_is_empty(world: World) -> None:
    """A fuzzer found this: slicing at offset 10**17 overflows SQLite's integers."""
    with scope(company=world.company):
        page = paginate(Department.objects.order_by("pk"), 184467440737095518, 200)
    assert page["items"] == [] and page["count"] == 3


@pytest.mark.django_db
@pytest.mark.urls("tests.api.probe_urls")
class TestOverHttp:
    def test_a_page_has_items_count_page_and_page_size(self, world: World) -> None:
        client = Client(**bearer(token_for(world.hr)))
        body = client.get("/api/probe/things?page=3&page_size=3").json()
        assert body == {"items": [SEVEN[6]], "count": 7, "page": 3, "page_size": 3}

    def test_defaults_are_page_one_of_fifty(self, world: World) -> None:
        client = Client(**bearer(token_for(world.hr)))
        body = client.get("/api/probe/things").json()
        assert (body["page"], body["page_size"], len(body["items"])) == (1, 50, 7)

    def test_page_zero_is_a_422_naming_the_field(self, world: World) -> None:
        client = Client(**bearer(token_for(world.hr)))
        body = assert_error(client.get("/api/probe/raw-things?page=0"), 422, "invalid_page")
        assert list(body["fields"]) == ["page"]

    def test_the_openapi_schema_shows_the_page_shape_and_bounds(self, world: World) -> None:
        client = Client(**bearer(token_for(world.hr)))
        schema = json.loads(client.get("/api/probe/openapi.json").content)
        operation = schema["paths"]["/api/probe/things"]["get"]
        parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
        assert parameters["page"]["minimum"] == 1
        assert parameters["page_size"]["maximum"] == 200
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page_schema = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(page_schema["required"]) == {"items", "count", "page", "page_size"}

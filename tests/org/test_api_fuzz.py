"""Arbitrary JSON at the org write endpoints: refused cleanly (4xx), never a server error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import World, login

pytestmark = pytest.mark.django_db

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["2026-02-30", "2026-03-01", "Europe/Berlin", "left", "choice", "-1", "1e99"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = {
    "/employees": [
        "employee_number",
        "name",
        "hire_date",
        "department_id",
        "manager_id",
        "status",
        "termination_date",
        "base_salary",
        "tag_ids",
        "custom_fields",
    ],
    "/departments": ["name", "code", "parent_id", "head_id", "sort_order"],
    "/work-locations": [
        "name",
        "country",
        "time_zone",
        "latitude",
        "longitude",
        "geofence_radius_m",
    ],
    "/custom-fields": ["code", "label", "field_type", "choices", "required"],
    "/changes": ["field", "value", "effective_date", "reason"],
}


class _Rollback(Exception):
    pass


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(sorted(FIELDS)),
    method=st.sampled_from(["post", "patch"]),
    data=st.data(),
)
def test_org_writes_never_answer_500(
    world: World, target: str, method: str, data: st.DataObject
) -> None:
    body: dict[str, Any] = data.draw(
        st.fixed_dictionaries({}, optional={k: values for k in FIELDS[target]})
    )
    wang_id = world.employee.employee.pk
    if target == "/changes":
        method, url = "post", f"/api/v1/org/employees/{wang_id}/changes"
    elif method == "patch":
        obj_id = {"/employees": wang_id, "/departments": world.rd.pk}.get(target, 999)
        url = f"/api/v1/org{target}/{obj_id}"
    else:
        url = f"/api/v1/org{target}"
    client = login(world.hr)
    try:
        with transaction.atomic():
            response = getattr(client, method)(
                url, data=json.dumps(body), content_type="application/json"
            )
            assert response.status_code < 500, (url, body, response.content[:400])
            if response.status_code >= 400:
                assert set(response.json()) == {"code", "message", "fields"}
            raise _Rollback
    except _Rollback:
        pass


HUGE = 2**70


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/work-locations", {"name": "x", "latitude": "1e99", "longitude": 1}),
        ("post", "/work-locations", {"name": "x", "latitude": 1e300, "longitude": 1}),
        ("post", "/work-locations", {"name": "x", "geofence_radius_m": HUGE}),
        ("post", "/departments", {"name": "x", "sort_order": HUGE}),
        ("post", "/departments", {"name": "x", "parent_id": HUGE}),
        ("post", "/custom-fields", {"code": "n", "label": "n", "sort_order": HUGE}),
        ("get", f"/employees/{HUGE}", None),
        ("get", f"/employees?department={HUGE}&tag={HUGE}", None),
        ("patch", "/employees/{wang}", {"manager_id": HUGE}),
        ("patch", "/employees/{wang}", {"base_salary": "1e99"}),
        ("patch", "/employees/{wang}", {"tag_ids": [HUGE]}),
        (
            "post",
            "/employees/{wang}/changes",
            {
                "field": "base_salary",
                "value": "1e99",
                "effective_date": "2026-01-01",
                "reason": "x",
            },
        ),
        (
            "post",
            "/employees/{wang}/changes",
            {"field": "department", "value": HUGE, "effective_date": "2026-01-01", "reason": "x"},
        ),
    ],
)
def test_out_of_range_numbers_are_refused_not_crashing(
    world: World, method: str, path: str, body: Any
) -> None:
    path = path.replace("{wang}", str(world.employee.employee.pk))
    client = login(world.hr)
    kwargs = {} if body is None else {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(client, method)("/api/v1/org" + path, **kwargs)
    assert 400 <= response.status_code < 500, response.content[:300]

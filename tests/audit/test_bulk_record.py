"""Bulk audit writes hash exactly what a single write would: same JSON, same chain."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.audit.chain import GENESIS_HASH, chain_breaks, link_hash
from jixiao.audit.models import AuditChainHead, AuditEvent
from jixiao.audit.services import (
    AuditEntry,
    _json_changes,
    _json_value,
    audit_record,
    audit_record_many,
    event_link,
)
from tests.conftest import World

_plain = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_other = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.decimals(allow_nan=False, places=2)
)
_value = st.recursive(
    _plain | _other,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    ),
    max_leaves=6,
)
_changes = st.dictionaries(
    st.text(max_size=4) | st.integers(),
    st.tuples(_value, _value).map(list) | st.tuples(_value, _value) | _value,
    max_size=6,
)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@settings(max_examples=300, deadline=None)
@given(_changes)
def test_the_fast_path_gives_what_the_general_normaliser_gives(changes: dict[Any, Any]) -> None:
    fast = _json_changes(changes)
    general = _json_value(dict(changes))
    assert fast == general
    assert list(fast) == list(general)
    assert _canonical(fast) == _canonical(general)


def test_empty_changes_become_an_empty_dict() -> None:
    assert _json_changes(None) == {} == _json_changes({})


ENTRIES = [
    AuditEntry("org.employee.create", "org.employee", "1", "王姐 (A004)", {"name": [None, "王姐"]}),
    AuditEntry(
        "org.employee.update",
        "org.employee",
        "2",
        "长" * 400,  # cut to 300 like a single write
        {
            "hire_date": [dt.date(2020, 1, 1), dt.date(2021, 2, 3)],
            "base_salary": (decimal.Decimal("8000.00"), decimal.Decimal("9000.50")),
            "tags": [[1, 2], [3]],
            7: [None, True],
            "custom_fields": [{}, {"language": "德语", "level": 3}],
            "ratio": [1e20, float("inf")],
        },
    ),
    AuditEntry("org.department.create", "org.department", "3", "销售部"),
    AuditEntry("org.employee.update", "org.employee", "4", "x", {"odd": [1, 2, 3]}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("ip_address", [None, "2001:0db8::0001", "10.0.0.8"])
def test_bulk_events_hash_like_single_events_and_verify(world: World, ip_address: str) -> None:
    first = audit_record(company=world.company, actor=world.hr, action="core.test", object_id="0")
    before = timezone.now()
    written = audit_record_many(
        company=world.company,
        actor=world.hr,
        entries=ENTRIES,
        reason="导入",
        ip_address=ip_address,
    )
    assert written == len(ENTRIES)
    with scopes_disabled():
        events = list(AuditEvent.objects.filter(company=world.company).order_by("sequence"))
        head = AuditChainHead.objects.get(company=world.company)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].pk == first.pk and events[1].previous_hash == first.hash
    # What a single write would have hashed for the same entry, built the general way.
    previous = first.hash
    for stored, entry in zip(events[1:], ENTRIES, strict=True):
        expected = AuditEvent(
            company=world.company,
            sequence=stored.sequence,
            occurred_at=stored.occurred_at,
            actor=world.hr,
            actor_label=str(world.hr)[:200],
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_repr=entry.object_repr[:300],
            changes=_json_value(dict(entry.changes or {})),
            reason="导入",
            ip_address="2001:db8::1" if ip_address and ":" in ip_address else ip_address,
            previous_hash=previous,
        )
        assert stored.occurred_at >= before
        assert stored.changes == expected.changes
        assert stored.hash == link_hash(event_link(expected))
        previous = stored.hash
    assert chain_breaks([(event_link(e), e.hash) for e in events]) == []
    assert (head.last_sequence, head.last_hash) == (5, events[-1].hash)


@pytest.mark.django_db
def test_no_entries_leave_the_head_alone(world: World) -> None:
    assert audit_record_many(company=world.company, actor=None, entries=[]) == 0
    with scopes_disabled():
        head = AuditChainHead.objects.get(company=world.company)
    assert (head.last_sequence, head.last_hash) == (0, GENESIS_HASH)

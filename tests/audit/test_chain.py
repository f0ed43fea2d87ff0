"""The audit chain detects edits, deletions and reordering (pure, no database)."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from jixiao.audit.chain import GENESIS_HASH, ChainLink, chain_breaks, link_hash


def _chain(actions: list[str]) -> list[tuple[ChainLink, str]]:
    links: list[tuple[ChainLink, str]] = []
    previous = GENESIS_HASH
    for i, action in enumerate(actions, start=1):
        link = ChainLink(
            company_id=1,
            sequence=i,
            occurred_at=f"2026-11-23T00:00:0{i % 10}+00:00",
            actor_id=7,
            actor_label="刘HR",
            action=action,
            object_type="org.employee",
            object_id=str(i),
            object_repr="王姐",
            changes={"base_salary": ["8000", "9000"]},
            reason="调薪",
            ip_address="127.0.0.1",
            previous_hash=previous,
        )
        stored = link_hash(link)
        links.append((link, stored))
        previous = stored
    return links


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30))
def test_an_untouched_chain_has_no_breaks(actions: list[str]) -> None:
    assert chain_breaks(_chain(actions)) == []


@given(st.lists(st.text(min_size=1, max_size=20), min_size=2, max_size=30), st.data())
def test_editing_any_event_is_detected(actions: list[str], data: st.DataObject) -> None:
    chain = _chain(actions)
    index = data.draw(st.integers(0, len(chain) - 1))
    link, stored = chain[index]
    chain[index] = (dataclasses.replace(link, reason=link.reason + "（改）"), stored)
    breaks = chain_breaks(chain)
    assert [b.sequence for b in breaks] == [index + 1]


@given(st.lists(st.text(min_size=1, max_size=20), min_size=3, max_size=30), st.data())
def test_deleting_any_event_is_detected(actions: list[str], data: st.DataObject) -> None:
    chain = _chain(actions)
    index = data.draw(st.integers(0, len(chain) - 2))
    del chain[index]
    assert chain_breaks(chain)

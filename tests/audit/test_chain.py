"""The audit chain detects edits, deletions and reordering (pure, no database)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.audit.chain import (
    GENESIS_HASH,
    BreakKind,
    ChainLink,
    ChainWalk,
    chain_breaks,
    link_hash,
)


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


@settings(deadline=None)  # pure and fast; a busy test machine must not fail it
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30))
def test_an_untouched_chain_has_no_breaks(actions: list[str]) -> None:
    assert chain_breaks(_chain(actions)) == []


@settings(deadline=None)  # pure and fast; a busy test machine must not fail it
@given(st.lists(st.text(min_size=1, max_size=20), min_size=2, max_size=30), st.data())
def test_editing_any_event_is_detected(actions: list[str], data: st.DataObject) -> None:
    chain = _chain(actions)
    index = data.draw(st.integers(0, len(chain) - 1))
    link, stored = chain[index]
    chain[index] = (dataclasses.replace(link, reason=link.reason + "（改）"), stored)
    breaks = chain_breaks(chain)
    assert [b.sequence for b in breaks] == [index + 1]


@settings(deadline=None)  # pure and fast; a busy test machine must not fail it
@given(st.lists(st.text(min_size=1, max_size=20), min_size=3, max_size=30), st.data())
def test_deleting_any_event_is_detected(actions: list[str], data: st.DataObject) -> None:
    chain = _chain(actions)
    index = data.draw(st.integers(0, len(chain) - 2))
    del chain[index]
    assert chain_breaks(chain)


@settings(deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=2, max_size=30), st.data())
def test_cutting_off_the_newest_events_is_caught_by_the_head(
    actions: list[str], data: st.DataObject
) -> None:
    chain = _chain(actions)
    head_sequence, head_hash = chain[-1][0].sequence, chain[-1][1]
    keep = data.draw(st.integers(0, len(chain) - 1))
    walk = ChainWalk()
    for link, stored in chain[:keep]:
        assert walk.step(link, stored) == []
    breaks = walk.finish(head_sequence, head_hash)
    assert [(b.sequence, b.kind) for b in breaks] == [(head_sequence, BreakKind.GAP)]


@settings(deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30))
def test_a_whole_chain_matches_its_head(actions: list[str]) -> None:
    chain = _chain(actions)
    walk = ChainWalk()
    for link, stored in chain:
        walk.step(link, stored)
    assert walk.finish(chain[-1][0].sequence, chain[-1][1]) == []
    assert [b.kind for b in walk.finish(chain[-1][0].sequence, "f" * 64)] == [BreakKind.HEAD]

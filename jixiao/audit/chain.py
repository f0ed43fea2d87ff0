"""The pure hashing rule of the audit chain: no ORM, no clock."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainLink:
    """The fields of an event that its hash covers."""

    company_id: int
    sequence: int
    occurred_at: str
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: Any
    reason: str
    ip_address: str | None
    previous_hash: str


def link_hash(link: ChainLink) -> str:
    """SHA-256 over a canonical JSON of the link (sorted keys, no whitespace)."""
    payload = json.dumps(
        link.__dict__, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    problem: str


def chain_breaks(links: list[tuple[ChainLink, str]]) -> list[ChainBreak]:
    """Walk (link, stored hash) pairs in sequence order and report every break."""
    breaks: list[ChainBreak] = []
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    for link, stored_hash in links:
        if link.sequence != expected_sequence:
            breaks.append(
                ChainBreak(
                    link.sequence,
                    f"missing events {expected_sequence}..{link.sequence - 1}"
                    if link.sequence > expected_sequence
                    else f"sequence {link.sequence} out of order",
                )
            )
        if link.previous_hash != expected_previous:
            breaks.append(ChainBreak(link.sequence, "previous hash does not match"))
        if link_hash(link) != stored_hash:
            breaks.append(ChainBreak(link.sequence, "content was changed after it was written"))
        expected_previous = stored_hash
        expected_sequence = link.sequence + 1
    return breaks

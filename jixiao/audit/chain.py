"""The pure hashing rule of the audit chain: no ORM, no clock."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
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


class BreakKind:
    """What went wrong at a break; the UI turns these into sentences."""

    GAP = "gap"
    ORDER = "order"
    PREVIOUS_HASH = "previous_hash"
    CONTENT = "content"
    HEAD = "head"


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    problem: str
    kind: str = ""


class ChainWalk:
    """Checks (link, stored hash) pairs one at a time, so a chain of any length
    is verified in constant memory; ``finish`` compares the end with the head row."""

    def __init__(self) -> None:
        self.expected_previous = GENESIS_HASH
        self.expected_sequence = 1
        self.checked = 0
        self.last_sequence = 0
        self.last_hash = GENESIS_HASH

    def step(self, link: ChainLink, stored_hash: str) -> list[ChainBreak]:
        breaks: list[ChainBreak] = []
        if link.sequence != self.expected_sequence:
            if link.sequence > self.expected_sequence:
                breaks.append(
                    ChainBreak(
                        link.sequence,
                        f"missing events {self.expected_sequence}..{link.sequence - 1}",
                        BreakKind.GAP,
                    )
                )
            else:
                breaks.append(
                    ChainBreak(
                        link.sequence, f"sequence {link.sequence} out of order", BreakKind.ORDER
                    )
                )
        if link.previous_hash != self.expected_previous:
            breaks.append(
                ChainBreak(link.sequence, "previous hash does not match", BreakKind.PREVIOUS_HASH)
            )
        if link_hash(link) != stored_hash:
            breaks.append(
                ChainBreak(
                    link.sequence, "content was changed after it was written", BreakKind.CONTENT
                )
            )
        self.expected_previous = stored_hash
        self.expected_sequence = link.sequence + 1
        self.checked += 1
        self.last_sequence = link.sequence
        self.last_hash = stored_hash
        return breaks

    def finish(self, head_sequence: int, head_hash: str) -> list[ChainBreak]:
        """The head row records the newest event: deleting the newest rows shows up here."""
        if head_sequence > self.last_sequence:
            return [
                ChainBreak(
                    head_sequence,
                    f"missing newest events {self.last_sequence + 1}..{head_sequence}",
                    BreakKind.GAP,
                )
            ]
        if head_sequence < self.last_sequence:
            return [
                ChainBreak(
                    self.last_sequence,
                    f"events after the chain head ({head_sequence})",
                    BreakKind.HEAD,
                )
            ]
        if head_hash != self.last_hash:
            return [
                ChainBreak(
                    head_sequence, "chain head hash does not match the last event", BreakKind.HEAD
                )
            ]
        return []


def chain_breaks(links: Iterable[tuple[ChainLink, str]]) -> list[ChainBreak]:
    """Walk (link, stored hash) pairs in sequence order and report every break."""
    walk = ChainWalk()
    breaks: list[ChainBreak] = []
    for link, stored_hash in links:
        breaks.extend(walk.step(link, stored_hash))
    return breaks

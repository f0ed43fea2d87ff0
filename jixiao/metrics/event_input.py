"""What every source hands to the metric-event store: one plain record per data point.

Connectors, file imports, the push API, attendance summaries and manual entries all
produce ``EventInput`` and nothing else, so one ingest path decides identity,
idempotency, corrections and evidence for all of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

EvidenceValue = str | int | float | bool | None

CorrectionKind = Literal["", "reverse", "replace"]


@dataclass(frozen=True, slots=True)
class EventInput:
    """One data point as a source reports it, before it is matched to an employee.

    ``source_event_id`` is the source's own id: sending the same id again never
    counts twice. ``identity`` is the person as the source knows them (email, CRM
    user id, Git author, Jira account, device number); ``employee_number`` may be
    given instead when the source already uses Jixiao's 工号. ``corrects`` names
    the ``source_event_id`` of an earlier event that this one reverses or replaces.
    """

    indicator_code: str
    value: Decimal
    occurred_at: dt.datetime
    source_event_id: str
    identity: str = ""
    employee_number: str = ""
    department_code: str = ""
    evidence_url: str = ""
    evidence: dict[str, EvidenceValue] = field(default_factory=dict)
    correction: CorrectionKind = ""
    corrects: str = ""

"""Check-in photos: who may look at one, and the audit trail each look leaves.

A punch photo is personal data collected with the employee's separate consent
(PIPL Art. 28): it is never served from a public media URL. The person, their
manager and HR may see it; every viewing is an audit event, like a change.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jixiao.attendance.models import Punch
from jixiao.audit.services import audit_record
from jixiao.org.models import Employee

#: Photos are checked to be images on upload; anything else is served as bytes.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/heic"})


@dataclass(frozen=True)
class PunchPhoto:
    name: str
    content_type: str
    content: bytes


def punch_photo_allowed(viewer: Any, employee: Employee) -> bool:
    """The person themself, the manager deciding their attendance, or HR (not executives:
    a face is more than the attendance figures they read)."""
    return bool(
        viewer.has_perm("attendance.punch", employee)
        or viewer.has_perm("attendance.manage_attendance", employee)
    )


@transaction.atomic
def punch_photo_read(*, punch: Punch, actor: Any) -> PunchPhoto:
    """The photo's bytes for ``actor`` (permission checked by the caller), audited as
    ``attendance.punch.photo_view``."""
    name = punch.photo.name.rsplit("/", 1)[-1]
    with punch.photo.open("rb") as stored:
        content = stored.read()
    guessed = mimetypes.guess_type(name)[0] or ""
    audit_record(
        company=punch.employee.company,
        actor=actor,
        action="attendance.punch.photo_view",
        obj=punch,
        object_repr=f"{punch.employee.name} {punch.at.isoformat()}",
    )
    return PunchPhoto(
        name=name,
        content_type=guessed if guessed in PHOTO_TYPES else "application/octet-stream",
        content=content,
    )

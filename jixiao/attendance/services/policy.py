"""The company's attendance rules (AttendancePolicy): one row per company, edited by HR."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jixiao.attendance.models import AttendancePolicy
from jixiao.audit.services import audit_record, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User

POLICY_FIELDS = (
    "lates_per_half_day_absence",
    "late_free_count",
    "monthly_overtime_cap_minutes",
    "daily_overtime_cap_minutes",
    "comp_leave_expiry_days",
    "monthly_correction_limit",
    "future_punch_tolerance_minutes",
)
#: Labour Law Art. 41: overtime at most 3 hours a day and 36 hours a month.
LEGAL_DAILY_CAP_MINUTES = 180
LEGAL_MONTHLY_CAP_MINUTES = 36 * 60
LIMITS: dict[str, int] = {
    "lates_per_half_day_absence": 31,
    "late_free_count": 31,
    "monthly_overtime_cap_minutes": LEGAL_MONTHLY_CAP_MINUTES,
    "daily_overtime_cap_minutes": LEGAL_DAILY_CAP_MINUTES,
    "comp_leave_expiry_days": 3660,
    "monthly_correction_limit": 31,
    "future_punch_tolerance_minutes": 1440,
}


def policy_get(company: Company) -> AttendancePolicy:
    """The company's policy, created with the defaults on first use (3 lates → half a day,
    3 h/day and 36 h/month caps, comp leave valid 180 days, 3 corrections a month)."""
    policy = AttendancePolicy.objects.filter(company=company).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return AttendancePolicy.objects.create(company=company)
    except IntegrityError:  # created concurrently
        return AttendancePolicy.objects.get(company=company)


@transaction.atomic
def policy_update(
    *, company: Company, actor: User | None, reason: str = "", **fields: Any
) -> AttendancePolicy:
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise ValueError(f"unknown fields: {unknown}")
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.setdefault(key, []).append(_("请填写不小于 0 的整数。"))
        elif value > LIMITS[key]:
            if key == "daily_overtime_cap_minutes":
                message = _("《劳动法》第四十一条：每日加班不得超过 3 小时（180 分钟）。")
            elif key == "monthly_overtime_cap_minutes":
                message = _("《劳动法》第四十一条：每月加班不得超过 36 小时（2160 分钟）。")
            else:
                message = _("不能超过 %(n)d。") % {"n": LIMITS[key]}
            errors.setdefault(key, []).append(message)
    if errors:
        raise ServiceError(_("考勤规则填写有误，请检查标出的项目。"), fields=errors)
    policy_get(company)
    policy = AttendancePolicy.objects.select_for_update().get(company=company)
    before = snapshot(policy, POLICY_FIELDS)
    for key, value in fields.items():
        setattr(policy, key, value)
    policy.save()
    changes = diff(before, snapshot(policy, POLICY_FIELDS))
    if changes:
        audit_record(
            company=company,
            actor=actor,
            action="attendance.policy.update",
            obj=policy,
            changes=changes,
            reason=reason,
        )
    return policy

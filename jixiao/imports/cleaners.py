"""Pure cell cleaners: one spreadsheet cell in, one typed value out, or ``CleanError``.

They accept what people actually type into Chinese spreadsheets: full-width digits,
``2024年3月1日``, Excel serial dates, ``¥8,000.00``, ``+86 138-0013-8000``.
No ORM, no settings, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


class CleanError(ValueError):
    """The cell's value is unusable; the message is shown next to row and column."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space
_FULL_WIDTH[0x00A0] = 0x20  # no-break space


def half_width(text: str) -> str:
    """Full-width ASCII (１２３ＡＢＣ，) to half-width, ideographic space to space."""
    return text.translate(_FULL_WIDTH)


def _numeric_text(text: str) -> str:
    """Half-width, with 。 typed for a decimal point read as one."""
    return half_width(text).replace("。", ".")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_text(value: Any, *, max_length: int | None = None) -> str:
    """Trimmed text; a number Excel stored for a code (1001.0) becomes "1001"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = " ".join(half_width(text).split())
    if max_length is not None and len(text) > max_length:
        raise CleanError(_("不能超过 %(n)d 个字符。") % {"n": max_length})
    return text


def clean_code(value: Any, *, max_length: int | None = None) -> str:
    """An identifier such as an employee number: text without any inner spaces."""
    return clean_text(value, max_length=max_length).replace(" ", "")


# --- Dates ---------------------------------------------------------------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 with Excel's 1900 leap-year bug
EXCEL_SERIAL_MIN = 1
EXCEL_SERIAL_MAX = 2958465  # 9999-12-31

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_DATE_HINT = "2024-03-01"


def excel_serial_to_date(serial: float) -> dt.date:
    if not EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX:
        raise CleanError(_("日期格式无法识别，请写成 %(example)s。") % {"example": _DATE_HINT})
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def date_to_excel_serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def clean_date(value: Any) -> dt.date | None:
    """Dates as typed in Chinese spreadsheets; ``None`` for an empty cell."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CleanError(_("日期格式无法识别，请写成 %(example)s。") % {"example": _DATE_HINT})
    if isinstance(value, int | float):
        return excel_serial_to_date(float(value))
    text = _numeric_text(str(value)).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as exc:
                raise CleanError(
                    _("日期“%(value)s”不存在。") % {"value": str(value).strip()}
                ) from exc
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text):
        return excel_serial_to_date(float(text))
    raise CleanError(_("日期格式无法识别，请写成 %(example)s。") % {"example": _DATE_HINT})


# --- Numbers and money ----------------------------------------------------------------

_MONEY_NOISE = re.compile(r"(?i)(人民币|rmb|cny|元|[¥￥$,\s])")


def clean_decimal(value: Any, *, places: int = 2, minimum: Decimal | None = None) -> Decimal | None:
    """Money and other amounts: "8,000.00", "¥8000", "8000元", 8000.5 → Decimal, 2 places."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CleanError(_("必须是数字。"))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        text = _MONEY_NOISE.sub("", _numeric_text(str(value)))
        if text.startswith("(") and text.endswith(")"):
            text = "-" + text[1:-1]
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise CleanError(_("必须是数字。")) from exc
    if not number.is_finite():
        raise CleanError(_("必须是数字。"))
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum)
    if rounded != number:
        raise CleanError(_("最多 %(n)d 位小数。") % {"n": places})
    if minimum is not None and rounded < minimum:
        raise CleanError(_("不能小于 %(min)s。") % {"min": minimum})
    return rounded


def clean_number(value: Any) -> Decimal | None:
    """Any number (no place limit), full-width digits and thousands separators allowed."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CleanError(_("必须是数字。"))
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    text = _numeric_text(str(value)).replace(",", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CleanError(_("必须是数字。")) from exc
    if not number.is_finite():
        raise CleanError(_("必须是数字。"))
    return number


# --- Phones and e-mail ------------------------------------------------------------------

_CN_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_PHONE_NOISE = re.compile(r"[\s\-()（）.]")


def clean_phone(value: Any, *, region: str = "CN") -> str:
    """A phone number as stored: Chinese numbers as dialled at home (13800138000,
    01012345678), foreign ones in E.164 (+4915112345678); "" for an empty cell."""
    if is_blank(value):
        return ""
    text = clean_text(value)
    compact = _PHONE_NOISE.sub("", text)
    if compact.startswith("0086"):
        compact = "+86" + compact[4:]
    fast = _CN_MOBILE.match(compact)
    if fast:
        return fast.group(1)
    import phonenumbers

    try:
        parsed = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException as exc:
        raise CleanError(_("电话号码“%(value)s”无效。") % {"value": text}) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise CleanError(_("电话号码“%(value)s”无效。") % {"value": text})
    if parsed.country_code == 86:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", national)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def clean_email(value: Any) -> str:
    if is_blank(value):
        return ""
    text = clean_text(value).replace(" ", "")
    try:
        validate_email(text)
    except ValidationError as exc:
        raise CleanError(_("邮箱“%(value)s”格式不对。") % {"value": text}) from exc
    return text


# --- Choices ----------------------------------------------------------------------------


def choice_key(text: str) -> str:
    """What two spellings of one choice have in common: case, spaces, _ and - ignored."""
    return re.sub(r"[\s_\-/]", "", half_width(text).lower())


def choice_lookup(
    choices: Iterable[tuple[str, str]], aliases: Mapping[str, Iterable[str]] | None = None
) -> dict[str, str]:
    """{normalised spelling: code} from codes, labels and extra aliases (e.g. English)."""
    lookup: dict[str, str] = {}
    for code, label in choices:
        lookup[choice_key(code)] = code
        lookup[choice_key(str(label))] = code
    for code, words in (aliases or {}).items():
        for word in words:
            lookup.setdefault(choice_key(word), code)
    return lookup


def clean_choice(value: Any, lookup: Mapping[str, str], labels: Iterable[str]) -> str | None:
    """A choice by its code or label in either language; ``None`` for an empty cell."""
    if is_blank(value):
        return None
    text = clean_text(value)
    code = lookup.get(choice_key(text))
    if code is None:
        raise CleanError(
            _("“%(value)s”不是可选值，可选：%(choices)s。")
            % {"value": text, "choices": "、".join(str(label) for label in labels)}
        )
    return code


def split_list(value: Any) -> list[str]:
    """A cell holding several names: "老员工、外派, 销售" → ["老员工", "外派", "销售"]."""
    if is_blank(value):
        return []
    text = clean_text(value)
    parts = re.split(r"[,，、;；|]", text)
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)

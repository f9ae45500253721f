"""Reading one old value the way the new tables need it (docs/switch-over.md, "Rules").

Every converter takes whatever the driver returned (a SQLite copy can hold a text in an
integer column) and answers a clean value or `None` for "not readable"; the importer
decides what `None` means for that column (a skipped row, or a default it notes).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from reedsailing.activities.services.keywords import stored_keywords
from reedsailing.core.timeutil import BEIJING

MIN_YEAR, MAX_YEAR = 1000, 9999  # what a MariaDB DATETIME holds
SCORE_MIN, SCORE_MAX, SCORE_STEP = Decimal(0), Decimal(5), Decimal("0.5")  # comments/schemas.py Score
COORDINATE_PLACES = Decimal("0.000001")  # addresses.longitude/latitude: Numeric(10, 6)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, (str, bytes)):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def as_id(value: Any) -> int | None:
    """A usable row id (1..2^31-1), or None."""
    number = as_int(value)
    return number if number is not None and 0 < number < 2**31 else None


def as_bool(value: Any) -> bool:
    if isinstance(value, bytes):  # a BIT(1) column
        return any(value)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "t", "yes", "y"}
    return bool(value)


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return str(value)


def as_time(value: Any) -> datetime | None:
    """A naive Beijing time, to the second (both systems store naive Asia/Shanghai
    time; the new columns keep no fractions), or None."""
    if isinstance(value, (str, bytes)):
        text = as_text(value) or ""
        try:
            value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(BEIJING).replace(tzinfo=None)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return value.replace(microsecond=0)


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(as_text(value)).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def cut(text: str | None, limit: int) -> tuple[str | None, bool]:
    """`text` within `limit` characters; True when something was cut off."""
    if text is None or len(text) <= limit:
        return text, False
    return text[:limit], True


def score(value: Any) -> tuple[Decimal, bool]:
    """A comment score in the app's range (0-5 in steps of 0.5, 0 = not rated): below 0
    (nothing stopped negative values) is 0, above 5 is 5, other values go to the
    nearest half point; True when it changed."""
    number = as_decimal(value)
    if number is None:
        return Decimal("0.0"), True
    clamped = min(max(number, SCORE_MIN), SCORE_MAX)
    stepped = (clamped / SCORE_STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP) * SCORE_STEP
    stepped = stepped.quantize(Decimal("0.1"))
    return stepped, stepped != number


def coordinate(value: Any, limit: int) -> Decimal | None:
    """A longitude (limit 180) or latitude (90) with 6 places, or None when out of range."""
    number = as_decimal(value)
    if number is None or abs(number) > limit:
        return None
    return number.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


def keywords(text: str | None, limit: int) -> str:
    """Stored jieba keywords as the new system keeps them: lowercase, each once, single
    spaces, whole words within `limit` characters."""
    return stored_keywords((text or "").split(), limit)


def email(value: Any, limit: int) -> str | None:
    """A verified address as the new system stores it (trimmed, lowercase), or None
    when it cannot be one."""
    text = (as_text(value) or "").strip().lower()
    if not text or len(text) > limit or text.count("@") != 1 or " " in text:
        return None
    local, domain = text.split("@")
    return text if local and "." in domain else None


def fold(text: str) -> str:
    """The comparison key of a unique name: MariaDB's utf8mb4_unicode_ci ignores case
    and trailing spaces."""
    return text.rstrip().casefold()

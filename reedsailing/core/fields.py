"""Marshmallow building blocks shared by every feature: a base schema that ignores
unknown keys, lenient fields for what the mini-program sends (ids and numbers as
strings, times without seconds) and the DRF-style Chinese messages the app shows."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields, validate
from marshmallow import Schema as _Schema

from reedsailing.core.timeutil import format_time, parse_time

MAX_ID = 2**31 - 1

# The messages the first version (DRF, zh-hans) answered; the app shows them as they are.
fields.Field.default_error_messages.update(
    {
        "required": "该字段是必填项。",
        "null": "该字段不能为 null。",
        "validator_failed": "该值无效。",
    }
)
fields.Integer.default_error_messages.update({"invalid": "请填写合法的整数值。"})
fields.Number.default_error_messages.update({"invalid": "请填写合法的数字。", "too_large": "数值过大。"})
fields.Float.default_error_messages.update({"special": "请填写合法的数字。"})
fields.String.default_error_messages.update({"invalid": "请填写合法的字符串。"})
fields.Boolean.default_error_messages.update({"invalid": "必须是合法的布尔值。"})
fields.List.default_error_messages.update({"invalid": "请填写一个列表。"})


# A lone UTF-16 surrogate ("\ud800", which a JSON `\u` escape can carry) is a Python str
# that no database driver can encode: it is refused as bad input, never stored.
NOT_ENCODABLE = "请填写合法的字符串：其中有无法编码的字符。"


def encodable(text: str) -> bool:
    """True when `text` can be written as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def holds_unencodable(value: Any) -> bool:
    """True when a string anywhere in `value` (a loaded JSON value: dict keys too) is not
    `encodable`. Iterative, so any nesting the JSON parser accepted is walked."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not encodable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _encodable_text(value: str) -> None:
    if isinstance(value, str) and not encodable(value):
        raise ValidationError(NOT_ENCODABLE)


class Schema(_Schema):
    """Base schema: unknown keys are ignored (the app sends extra ones, e.g. `id: -1`)."""

    class Meta:
        unknown = EXCLUDE


DIGITS = re.compile(r"\s*[+-]?[0-9]+\s*")


class WholeNumber(fields.Integer):
    """An integer as the clients send one: a JSON number without a fraction (`15`, also
    `15.0`) or a string of ASCII digits (`"15"`, an optional sign, blanks around it).
    `1.5`, `"1.5"`, `"1e1"`, `"1_000"` and other scripts' digits (`"１５"`) are refused
    with the field's message instead of being cut or read to some integer."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        if isinstance(value, str) and not DIGITS.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def Id(**kwargs):  # noqa: N802 - a field factory reads like a field class
    """A database id; the app sends ids as numbers or as strings of digits."""
    return WholeNumber(
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error="请填写合法的 id。"),
        **kwargs,
    )


def Text(max_length, *, min_length=0, blank_message="该字段不能为空。", **kwargs):  # noqa: N802
    """A string with the DRF messages for blank and too long values; one that UTF-8 cannot
    encode (a lone surrogate) is a field error too."""
    validators = [
        _encodable_text,
        validate.Length(max=max_length, error=f"请确保这个字段不超过 {max_length} 个字符。"),
    ]
    if min_length:
        validators.append(validate.Length(min=min_length, error=blank_message))
    return fields.String(validate=validators, **kwargs)


class LenientInteger(WholeNumber):
    """An int that may come as a string of digits ("30"), within a sane range."""

    def __init__(self, *, minimum=None, maximum=MAX_ID, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        if minimum is not None:
            validators.append(validate.Range(min=minimum, error=f"请确保该值大于或者等于 {minimum}。"))
        validators.append(validate.Range(max=maximum, error=f"请确保该值小于或者等于 {maximum}。"))
        super().__init__(strict=False, validate=validators, **kwargs)


class DateTime(fields.Field):
    """Naive Beijing time: in as `YYYY-MM-DD[T ]HH:MM[:SS]`, out as `YYYY-MM-DDTHH:MM:SS`."""

    default_error_messages = {"invalid": "日期时间格式错误，应为 YYYY-MM-DDTHH:MM[:SS]。"}
    # What the API document shows for this field (read by apidocs/spec.py).
    openapi = {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$",
        "example": "2026-12-01T19:00:00",
        "description": "Beijing time without a zone; answers always `YYYY-MM-DDTHH:MM:SS`, "
        "requests may leave out the seconds or use a space for the `T`.",
    }

    def _serialize(self, value, attr, obj, **kwargs):
        return format_time(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            parsed = parse_time(value)
        except ValueError as error:
            raise self.make_error("invalid") from error
        if not 1900 <= parsed.year <= 9999:
            raise self.make_error("invalid")
        return parsed


class DecimalString(fields.Field):
    """A decimal in as a number or numeric string, out as a string (as DRF did)."""

    default_error_messages = {"invalid": "请填写合法的数字。", "range": "数值超出范围。"}
    openapi = {
        "type": "string",
        "example": "116.344000",
        "description": "A decimal (coordinates: degrees) as a string with fixed places; requests "
        "may send a number or a numeric string.",
    }

    def __init__(self, *, places=6, minimum=None, maximum=None, **kwargs):
        super().__init__(**kwargs)
        self.quantum = Decimal(1).scaleb(-places)
        self.minimum = minimum
        self.maximum = maximum

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(Decimal(value).quantize(self.quantum))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.make_error("invalid")
        if isinstance(value, str) and len(value) > 40:
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as error:
            raise self.make_error("invalid") from error
        if not number.is_finite():
            raise self.make_error("invalid")
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise self.make_error("range")
        return number.quantize(self.quantum)

"""JSON answers encoded with orjson (C) instead of the standard library encoder.

Why: a list answer of ~300 activities is ~270 KB of JSON; `json.dumps` took ~25% of
such a request (py-spy, bench/RESULTS.md). orjson produces the same JSON values: keys
sorted and compact as Flask's provider does, datetimes / Decimal / dataclasses through
Flask's own `default`, and UTF-8 text instead of `\\uXXXX` escapes (Chinese stays
readable and a third shorter). Anything
orjson refuses (an int beyond 64 bits) falls back to the standard encoder; a float NaN
becomes `null` (the standard encoder writes `NaN`, which is not JSON). Pretty printing
(`indent`, debug mode) stays with the standard encoder.
"""

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME  # Flask answers datetimes as HTTP dates: keep its default()
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
_FAST_ARGS = {"default", "sort_keys", "ensure_ascii", "separators"}


class OrjsonProvider(DefaultJSONProvider):
    ensure_ascii = False

    def dumps(self, obj, **kwargs):
        if set(kwargs) <= _FAST_ARGS and kwargs.get("separators", (",", ":")) == (",", ":"):
            try:
                return orjson.dumps(
                    obj, default=kwargs.get("default", self.default), option=_OPTIONS
                ).decode()
            except (TypeError, orjson.JSONEncodeError):
                pass
        return super().dumps(obj, **kwargs)

"""JSON read from requests: nesting depth bounded before parsing, only finite numbers.

Python's ``json`` parses nested arrays by recursion: a body of ten thousand ``[`` raises
RecursionError (a 500) after burning the stack, and a number past 4,300 digits a ValueError
that body parsers do not expect. ``JSONProvider.loads`` — used by ``request.get_json``, by
the API's argument parser and by forms that carry JSON — first counts the nesting with a
cheap scan of the raw text, then parses with ``NaN``/``Infinity`` and numbers that overflow
a float (``1E+999999``) refused, so every such body is a 400.
"""

import json
import math
import re

from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l

from lms.core.errors import DomainError

#: A JSON string literal (the brackets inside strings do not nest anything).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


class JSONTooDeep(DomainError):
    code = "json_too_deep"


def exceeds_depth(data: bytes | str, limit: int) -> bool:
    """Whether arrays and objects in ``data`` nest deeper than ``limit``.

    Counts brackets outside string literals; does not validate the JSON (the parser does).
    Bodies with at most ``limit`` opening brackets (nearly all) are answered at once."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _STRING.sub(b"", raw).translate(None, _NOT_BRACKET):
        depth += 1 if byte in _OPENING else -1
        if depth > limit:
            return True
    return False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class JSONProvider(DefaultJSONProvider):
    """Flask's provider with the limits above; the depth limit is ``JSON_MAX_DEPTH``."""

    def loads(self, s, **kwargs):
        limit = int(self._app.config["JSON_MAX_DEPTH"])
        if exceeds_depth(s, limit):
            raise JSONTooDeep(_l("Dữ liệu JSON lồng nhau quá %(n)s cấp.", n=limit),
                              details={"max_depth": limit})
        kwargs.setdefault("parse_float", _finite_float)
        kwargs.setdefault("parse_constant", _no_constant)
        try:
            return super().loads(s, **kwargs)
        except json.JSONDecodeError:
            raise
        except UnicodeDecodeError:
            raise
        except ValueError as error:  # too many digits, a non-finite number
            raise json.JSONDecodeError(str(error), str(error), 0) from None

"""Bodies from the network parsed without trusting them: a JSON object of sane depth whose
integers fit a signed 64-bit column and whose strings are valid Unicode.

Both doors into the bot (the Telegram webhook and the Siskohat push endpoint) use it, so a
hostile body gets a 400 at the door instead of a traceback deep inside (Python's json
recurses per nesting level; the database refuses ints beyond 64 bits and lone surrogates).
"""

from __future__ import annotations

import json
import math
from typing import Any

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
MAX_DEPTH = 32  # a Telegram update nests about 6 deep; a push event 3


class BadBody(ValueError):
    """The body is not an acceptable JSON object; the message says why (no body text)."""


def load_object(body: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise BadBody("nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise BadBody("not JSON") from None
    if not isinstance(payload, dict):
        raise BadBody("not a JSON object")
    check_value(payload, max_depth=max_depth)
    return payload


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Walk `value` without recursion; raise BadBody on depth, int range or invalid text."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise BadBody("nested too deeply")
            for key, item in node.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                raise BadBody("nested too deeply")
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            _check_text(node)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                raise BadBody("integer out of 64-bit range")
        elif isinstance(node, float) and not math.isfinite(node):  # NaN/Infinity: not JSON
            raise BadBody("not JSON")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody("invalid text (lone surrogate)") from None

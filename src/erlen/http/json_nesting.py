"""How deeply a JSON document nests, checked before it is decoded.

The standard library's decoder recurses once per array or object, and where
it gives up depends on the interpreter: about 1,000 levels on Python 3.10
and 3.11, 1,500 on 3.12.1, 10,000 on 3.13.0. A request body's fate must not
depend on which Python serves it, so erlen refuses documents nested deeper
than a fixed limit before the decoder sees them.
"""

from __future__ import annotations

import json
from itertools import accumulate

__all__ = ["DEFAULT_MAX_JSON_NESTING", "json_nesting_exceeds"]

# Below the smallest limit of every supported interpreter, with room left
# for the frames of the app and its middleware under the request.
DEFAULT_MAX_JSON_NESTING = 512

_STRUCTURE = b'[]{}"'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _STRUCTURE)
# Both openers become "(" and both closers ")".
_UNIFORM = bytes.maketrans(b"[{]}", b"(())")
_STEP = {ord("("): 1, ord(")"): -1}
# Innermost pairs removed before the exact scan; enough for most documents.
_PEEL_PASSES = 16


def _depth(brackets: bytes) -> int:
    if not brackets:
        return 0
    return max(accumulate(map(_STEP.__getitem__, brackets)))


def json_nesting_exceeds(data: bytes | str, limit: int) -> bool:
    """True if arrays and objects in ``data`` nest more than ``limit`` levels deep.

    Exact for valid JSON (brackets inside strings do not count); for invalid
    JSON it may answer either way, and the decoder rejects the body anyway.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    # PERF: counting is C-speed and settles every body with few brackets;
    # only the others are scanned, with C-speed steps where possible.
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    encoding = json.detect_encoding(raw)
    if encoding != "utf-8":
        # UTF-16 and UTF-32 bodies: scan their UTF-8 form.
        raw = raw.decode(encoding, "replace").encode("utf-8", "surrogatepass")
    # Outside strings valid JSON has no backslash: dropping escaped
    # backslashes, then escaped quotes, leaves quotes that delimit strings.
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    kept = raw.translate(None, _NOT_STRUCTURE)
    # Dropping two adjacent quotes keeps every later quote's parity, and most
    # strings hold no bracket: what is left to split is small.
    kept = kept.replace(b'""', b"")
    if b'"' in kept:
        kept = b"".join(kept.split(b'"')[::2])
    brackets = kept.translate(_UNIFORM)
    if brackets.count(b"(") <= limit:
        return False
    # Removing adjacent "()" keeps every other bracket's depth, and each pass
    # lowers the deepest level by at most one.
    original = brackets
    for passes in range(1, _PEEL_PASSES + 1):
        peeled = brackets.replace(b"()", b"")
        if len(peeled) == len(brackets):
            passes -= 1
            break
        brackets = peeled
    remaining = _depth(brackets)
    if remaining > limit:
        return True
    if remaining + passes <= limit:
        return False
    return _depth(original) > limit

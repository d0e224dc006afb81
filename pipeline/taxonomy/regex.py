"""Analyst regular expressions, compiled on RE2: matching time is linear in the text, whatever the pattern.

Python's `re` backtracks: a rule like `(响+)+$` takes exponential time on a long clause and hangs the
run. RE2 (package `google-re2`) never backtracks, so no pattern an analyst writes can hang a run; it
refuses the few features that need backtracking (back-references, look-ahead and look-behind), and
lint reports those with the reason. Rejecting "nested quantifiers" in `re` patterns instead would
need a pattern analyser of our own and still miss other slow shapes (overlapping alternations).
"""

from __future__ import annotations

from typing import Any

import re2

# RE2's program size limit, in bytes: large enough for long alternations of terms, small enough
# that one pattern cannot take the machine's memory.
MAX_PROGRAM_BYTES = 8 << 20
_UNSUPPORTED = {
    "invalid escape sequence": "back-references (\\1) are not supported",
    "invalid perl operator": "look-ahead and look-behind ((?=...), (?!...), (?<=...), (?<!...)) are not supported",
    "invalid named capture group": "named groups are written (?P<name>...)",
}


class RuleRegexError(ValueError):
    """A rule regex RE2 cannot compile; the message says why and what to write instead."""


def compile_rule_regex(pattern: str) -> Any:
    """Compile one taxonomy `regex` rule, case-insensitive, on the linear-time engine.

    Returns:
        A compiled RE2 pattern (`search(text)` -> match with `group(0)` and `span()` in characters).

    Raises:
        RuleRegexError: the pattern is invalid or uses a feature that needs backtracking.
    """
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = MAX_PROGRAM_BYTES
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if isinstance(exc.args[0], bytes) else str(exc)
        hint = next((h for key, h in _UNSUPPORTED.items() if key in detail), "")
        message = f"{detail}" + (f"; {hint} (rules run on RE2, which never backtracks)" if hint else "")
        raise RuleRegexError(message) from None

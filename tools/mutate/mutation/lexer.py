"""Which characters of a C++ source are code.

The mutation operators must never touch comments, string or character literals, or preprocessor
lines: a mutant there is either not compiling or changes nothing. This is not a C++ parser; it
knows exactly the lexical forms that hide code (//, /* */, "…" with escapes, raw strings
R"delim(…)delim", '…', and # lines with their backslash continuations) and marks everything else
as code.
"""

import re

_RAW_STRING_START = re.compile(r'(?:u8|u|U|L)?R"([^()\\ ]{0,16})\(')


def code_mask(text: str) -> list[bool]:
    """mask[i] is True when text[i] is code (not comment, literal or preprocessor line)."""
    n = len(text)
    mask = [True] * n
    i = 0
    at_line_start = True  # only whitespace since the last newline

    def hide(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            mask[k] = False

    while i < n:
        c = text[i]
        if c == "\n":
            at_line_start = True
            i += 1
            continue
        if at_line_start and c == "#":
            end = i
            while end < n:
                newline = text.find("\n", end)
                if newline == -1:
                    end = n
                    break
                if newline > 0 and text[newline - 1] == "\\":
                    end = newline + 1
                    continue
                end = newline
                break
            hide(i, end)
            i = end
            continue
        if not c.isspace():
            at_line_start = False
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            hide(i, end)
            i = end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            hide(i, end)
            i = end
            continue
        raw = _RAW_STRING_START.match(text, i)
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            closing = ")" + raw.group(1) + '"'
            end = text.find(closing, raw.end())
            end = n if end == -1 else end + len(closing)
            hide(i, end)
            i = end
            continue
        if c == '"' or (c == "'" and not _is_digit_separator(text, i)):
            end = i + 1
            while end < n and text[end] != c:
                if text[end] == "\\":
                    end += 1
                elif text[end] == "\n":
                    break
                end += 1
            hide(i, end + 1)
            i = end + 1
            continue
        i += 1
    return mask


def _is_digit_separator(text: str, i: int) -> bool:
    """1'000'000: a quote between two digits of a number is not a character literal."""
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isalnum()


def line_starts(text: str) -> list[int]:
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """1-based line number of a character offset."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1


def matching_close(text: str, mask: list[bool], open_at: int) -> int:
    """Offset of the bracket closing the one at open_at (code only), or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opener = text[open_at]
    closer = pairs[opener]
    depth = 0
    for k in range(open_at, len(text)):
        if not mask[k]:
            continue
        if text[k] == opener:
            depth += 1
        elif text[k] == closer:
            depth -= 1
            if depth == 0:
                return k
    return -1

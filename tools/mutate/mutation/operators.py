"""The mutation operators: each finds the places in a source where it applies and yields one
Mutant per change. A mutant is a single edit (replace text[start:end] with `replacement`).

Operators (names as printed in reports):
  ror        relational boundary and equality flips:  < ↔ <=,  > ↔ >=,  == ↔ !=
  logical    && ↔ ||
  negate     if (c) / while (c)  →  if (!(c))
  literal    an integer literal n → n+1 and n−1 (boundaries of thresholds and limits)
  delete     a statement with a side effect (call, assignment, ++/--, push, erase…) removed
  return     return true ↔ return false
  early      a void / bool / Status function returns at once (void: return; bool: both values;
             Status: Status::ok())

Binary operators are recognised by the spacing clang-format gives them (`a < b`, never
`vector<int>`), so template brackets, `->`, `<<` and `&&` in `T&&` are never taken for them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .lexer import code_mask, line_of, line_starts, matching_close


@dataclass
class Mutant:
    op: str
    start: int
    end: int
    replacement: str
    line: int
    before: str  # the original text replaced
    key: str = ""  # stable across edits elsewhere in the file (see assign_keys)
    line_text: str = field(default="", repr=False)

    def describe(self) -> str:
        before = " ".join(self.before.split())
        after = " ".join(self.replacement.split()) or "(deleted)"
        if len(before) > 70:
            before = before[:67] + "..."
        return f"{self.op}: `{before}` → `{after}`"

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]


def _code_at(mask: list[bool], start: int, end: int) -> bool:
    return all(mask[start:end])


_ROR = re.compile(r"(?<= )(<=|>=|==|!=|<|>)(?= )")
_ROR_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}


def ror(text, mask):
    for m in _ROR.finditer(text):
        if _code_at(mask, m.start(), m.end()):
            yield "ror", m.start(), m.end(), _ROR_SWAP[m.group(1)]


_LOGICAL = re.compile(r"(?<= )(&&|\|\|)(?= )")


def logical(text, mask):
    for m in _LOGICAL.finditer(text):
        if _code_at(mask, m.start(), m.end()):
            yield "logical", m.start(), m.end(), "||" if m.group(1) == "&&" else "&&"


_CONDITION = re.compile(r"\b(if|while) \(")
_DECLARATION = re.compile(r"\s*(?:auto\b|const\b|[\w:]+(?:<[^>]*>)?[\s*&]+\w+\s*=(?!=))")


def negate(text, mask):
    for m in _CONDITION.finditer(text):
        open_at = m.end() - 1
        if not _code_at(mask, m.start(), m.end()):
            continue
        close_at = matching_close(text, mask, open_at)
        if close_at == -1:
            continue
        inner = text[open_at + 1 : close_at]
        if ";" in inner:  # C++17 if (init; cond): not a plain condition
            continue
        if _DECLARATION.match(inner):  # if (auto x = f()): a declaration cannot be negated
            continue
        yield "negate", open_at + 1, close_at, "!(" + inner + ")"


_INT = re.compile(r"(?<![\w.'])(\d+)([uUlL]*)(?![\w.'])")


def literal(text, mask):
    # Literals inside [] are array sizes or indexes of fixed buffers: a size one larger or smaller
    # is equivalent or undefined, not a behaviour.
    bracket_depth = _bracket_depths(text, mask)
    for m in _INT.finditer(text):
        if not _code_at(mask, m.start(), m.end()) or bracket_depth[m.start()] > 0:
            continue
        digits, suffix = m.group(1), m.group(2)
        octal = len(digits) > 1 and digits.startswith("0")  # file modes: 0700 → 0701 / 0677
        value = int(digits, 8 if octal else 10)
        for changed in (value + 1, value - 1):
            if changed >= 0:
                shown = f"0{changed:o}" if octal else str(changed)
                yield "literal", m.start(), m.end(), shown + suffix


def _bracket_depths(text, mask):
    depth = 0
    out = [0] * len(text)
    for k, ch in enumerate(text):
        if mask[k]:
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth = max(0, depth - 1)
        out[k] = depth
    return out


# A statement that is only done for its effect: `f(x);`, `a.b(c);`, `p->q = r;`, `x += 1;`,
# `++n;`, `v[i] = w;`. A declaration (`Type name = …;`) has two names before its `=` or `(` and
# is never matched; neither are return/break/continue/throw.
_EFFECT_START = re.compile(
    r"(?:\+\+|--)?[A-Za-z_][\w:]*(?:<[\w:, ]*>)?"  # name (maybe qualified or templated)
    r"(?:(?:\.|->)[A-Za-z_]\w*|\[[^\]]*\]|\(\))*"  # member / index / call chains
    r"\s*(?:\(|=(?!=)|\+=|-=|\*=|/=|\|=|&=|\^=|<<=|>>=|\+\+|--|\.|->)"
)
_NOT_EFFECT = re.compile(r"(return|break|continue|throw|co_return|goto|case|default|else|do)\b")
_GUARD = re.compile(r"\b(if|for|while) \(")


def delete(text, mask):
    starts = line_starts(text)
    for ln, start in enumerate(starts):
        stop = starts[ln + 1] if ln + 1 < len(starts) else len(text)
        line = text[start:stop]
        indent = len(line) - len(line.lstrip(" \t"))
        begin = start + indent
        if begin >= len(text) or not mask[begin]:
            continue
        # `if (cond) stmt;` / `for (…) stmt;` on one line: delete the controlled statement.
        guard = _GUARD.match(text, begin)
        replacement = ""
        if guard:
            replacement = "{}"  # `if (c) {}`: an empty statement there would not compile
            close_at = matching_close(text, mask, guard.end() - 1)
            if close_at == -1 or close_at > stop:
                continue
            body = close_at + 1
            while body < stop and text[body] == " ":
                body += 1
            begin = body
            if begin >= stop or text[begin] == "{":
                continue
        elif not _starts_statement(text, mask, begin):
            continue  # the continuation of a statement begun on an earlier line
        if _NOT_EFFECT.match(text, begin) or not _EFFECT_START.match(text, begin):
            continue
        end = _statement_end(text, mask, begin)
        if end == -1:
            continue
        yield "delete", begin, end + 1, replacement


def _starts_statement(text, mask, begin):
    """The last code character before begin ends a statement or opens/closes a block."""
    k = begin - 1
    while k >= 0 and (not mask[k] or text[k].isspace()):
        k -= 1
    return k < 0 or text[k] in ";{}"


def _statement_end(text, mask, begin):
    """Offset of the ';' that ends the statement at begin, or -1 if it opens a block."""
    depth = 0
    for k in range(begin, len(text)):
        if not mask[k]:
            continue
        ch = text[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "{" and depth == 0:
            return -1
        elif ch == ";" and depth == 0:
            return k
        elif ch == "{":
            # A lambda or braced initialiser inside the call: still one statement.
            close_at = matching_close(text, mask, k)
            if close_at == -1:
                return -1
    return -1


_RETURN_BOOL = re.compile(r"\breturn (true|false);")


def return_value(text, mask):
    for m in _RETURN_BOOL.finditer(text):
        if _code_at(mask, m.start(), m.end()):
            flipped = "false" if m.group(1) == "true" else "true"
            yield "return", m.start(1), m.end(1), flipped


# A function definition at column 0 (clang-format keeps them there in .cpp files), possibly
# `static`, possibly a member (`void Foo::bar(`), returning void, bool or Status.
_FUNCTION = re.compile(
    r"^(?:static |inline )*(void|bool|Status) [A-Za-z_][\w:]*\(", re.MULTILINE
)


def early_return(text, mask):
    for m in _FUNCTION.finditer(text):
        if not _code_at(mask, m.start(), m.end()):
            continue
        close_at = matching_close(text, mask, m.end() - 1)
        if close_at == -1:
            continue
        k = close_at + 1
        # Past qualifiers (const, noexcept, override) to the body's '{'; a ';' is a declaration.
        while k < len(text) and text[k] not in "{;":
            k += 1
        if k >= len(text) or text[k] != "{" or not mask[k]:
            continue
        kind = m.group(1)
        bodies = {
            "void": [" return;"],
            "bool": [" return false;", " return true;"],
            "Status": [" return Status::ok();"],
        }[kind]
        for body in bodies:
            yield "early", k + 1, k + 1, body


OPERATORS = {
    "ror": ror,
    "logical": logical,
    "negate": negate,
    "literal": literal,
    "delete": delete,
    "return": return_value,
    "early": early_return,
}


def generate(text: str, operators=None) -> list[Mutant]:
    mask = code_mask(text)
    starts = line_starts(text)
    mutants = []
    for name, finder in OPERATORS.items():
        if operators and name not in operators:
            continue
        for op, start, end, replacement in finder(text, mask):
            line = line_of(starts, start)
            line_begin = starts[line - 1]
            line_end = text.find("\n", line_begin)
            mutants.append(
                Mutant(
                    op=op,
                    start=start,
                    end=end,
                    replacement=replacement,
                    line=line,
                    before=text[start:end],
                    line_text=text[line_begin : line_end if line_end != -1 else len(text)],
                )
            )
    mutants.sort(key=lambda mu: (mu.start, mu.op, mu.replacement))
    assign_keys(mutants)
    return mutants


def assign_keys(mutants: list[Mutant]) -> None:
    """A key from the mutated line's text and the change, plus its occurrence count among
    mutants with the same line text and change (same line at other columns, or identical lines):
    unchanged by edits on other lines, so a recorded equivalent mutant is recognised after the
    file moves around it."""
    seen: dict[str, int] = {}
    for mu in mutants:
        basis = "|".join([mu.op, mu.line_text.strip(), mu.before, mu.replacement])
        n = seen.get(basis, 0)
        seen[basis] = n + 1
        mu.key = hashlib.sha1(f"{basis}|{n}".encode()).hexdigest()[:10]

"""Tests of tools/mutate's operators and records (run by ctest as mutate_operators):
python3 -m unittest discover -s tools/mutate -p 'test_*.py'."""

import tempfile
import unittest
from pathlib import Path

from mutation.lexer import code_mask
from mutation.operators import generate
from mutation.records import read_equivalents


def changes(text, op=None):
    return [(m.op, m.before, m.replacement) for m in generate(text) if op is None or m.op == op]


class LexerTest(unittest.TestCase):
    def test_comments_strings_and_preprocessor_are_not_code(self):
        text = '#include <a>\nint x = 1; // y < z\nauto s = "a < b"; /* c == d */ char c = \'<\';\n'
        mask = code_mask(text)
        code = "".join(ch for ch, is_code in zip(text, mask) if is_code)
        self.assertNotIn("include", code)
        self.assertNotIn("y < z", code)
        self.assertNotIn("a < b", code)
        self.assertNotIn("c == d", code)
        self.assertIn("int x = 1;", code)

    def test_raw_strings_and_digit_separators(self):
        text = 'auto q = R"sql(SELECT 1 < 2)sql"; int n = 1\'000;\n'
        mask = code_mask(text)
        code = "".join(ch for ch, is_code in zip(text, mask) if is_code)
        self.assertNotIn("SELECT", code)
        self.assertIn("1'000", code)


class OperatorTest(unittest.TestCase):
    def test_relational_and_equality_flips_only_on_binary_operators(self):
        text = "bool f(std::vector<int> v) { return a < b && c >= d && e == f; }\n"
        self.assertEqual(
            changes(text, "ror"), [("ror", "<", "<="), ("ror", ">=", ">"), ("ror", "==", "!=")]
        )

    def test_shifts_arrows_and_rvalue_references_are_not_operators(self):
        text = "void f(T&& t) { x = a << 2; p->q = b >> 1; }\n"
        self.assertEqual(changes(text, "ror"), [])
        self.assertEqual(changes(text, "logical"), [])

    def test_logical_swap_and_negated_condition(self):
        text = "void f() {\n  if (a && b) g();\n  while (c) h();\n}\n"
        self.assertIn(("logical", "&&", "||"), changes(text))
        negated = changes(text, "negate")
        self.assertIn(("negate", "a && b", "!(a && b)"), negated)
        self.assertIn(("negate", "c", "!(c)"), negated)

    def test_a_declaration_in_a_condition_is_not_negated(self):
        text = "void f() {\n  if (auto x = g()) h();\n  if (Foo* p = q()) h();\n  if (a == b) h();\n}\n"
        self.assertEqual(changes(text, "negate"), [("negate", "a == b", "!(a == b)")])

    def test_literals_move_by_one_but_not_inside_brackets_and_octal_stays_octal(self):
        text = "void f() { char buf[24]; x = 60; chmod(p, 0700); }\n"
        literal = changes(text, "literal")
        self.assertIn(("literal", "60", "61"), literal)
        self.assertIn(("literal", "60", "59"), literal)
        self.assertIn(("literal", "0700", "0701"), literal)
        self.assertIn(("literal", "0700", "0677"), literal)
        self.assertNotIn("24", [before for _, before, _ in literal])

    def test_statements_with_effects_are_deleted_but_not_declarations_or_returns(self):
        text = (
            "void f() {\n  int n = g();\n  out.push_back(n);\n  n += 2;\n  return;\n"
            "  if (n) count(n);\n  call(a,\n       b);\n}\n"
        )
        deleted = changes(text, "delete")
        self.assertIn(("delete", "out.push_back(n);", ""), deleted)
        self.assertIn(("delete", "n += 2;", ""), deleted)
        self.assertIn(("delete", "count(n);", "{}"), deleted)  # guarded: an empty block
        self.assertIn(("delete", "call(a,\n       b);", ""), deleted)  # a statement on two lines
        befores = [before for _, before, _ in deleted]
        self.assertFalse(any("int n" in b for b in befores))
        self.assertFalse(any("return" in b for b in befores))
        self.assertFalse(any(b.startswith("b);") for b in befores))  # never a continuation line

    def test_early_returns_by_return_type(self):
        text = "void a() {\n}\nbool b() {\n}\nStatus c(int x) const {\n}\nint d() {\n}\n"
        early = changes(text, "early")
        self.assertEqual(
            [r for _, _, r in early],
            [" return;", " return false;", " return true;", " return Status::ok();"],
        )

    def test_keys_survive_edits_on_other_lines(self):
        before = "bool f() {\n  return a < b;\n}\n"
        after = "// a new comment\n\nbool f() {\n  return a < b;\n}\n"
        key = [m.key for m in generate(before) if m.op == "ror"]
        self.assertEqual(key, [m.key for m in generate(after) if m.op == "ror"])

    def test_identical_lines_get_distinct_keys(self):
        text = "void f() {\n  x = a < b;\n  x = a < b;\n}\n"
        keys = [m.key for m in generate(text) if m.op == "ror"]
        self.assertEqual(len(set(keys)), 2)


class EquivalentsTest(unittest.TestCase):
    def test_a_record_needs_its_reason(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "equivalent.txt"
            path.write_text("# comment\nsrc/a.cpp 0123456789 ror: `<` → `<=` -- n is never 5\n")
            found = read_equivalents(path)
            self.assertEqual(found[("src/a.cpp", "0123456789")].reason, "n is never 5")
            path.write_text("src/a.cpp 0123456789 ror: `<` → `<=`\n")
            with self.assertRaises(ValueError):
                read_equivalents(path)


if __name__ == "__main__":
    unittest.main()

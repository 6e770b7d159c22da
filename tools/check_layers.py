#!/usr/bin/env python3
"""The layers of src/ (docs/DESIGN.md, "Layers"), checked: no source includes a header of a layer
above its own. Run by ctest as `layers`; `--self-test` shows that a violation is reported.

Each file belongs to one layer by its path (the first rule that matches). A file may include
headers of its own layer, of the layers listed below it, and the public headers
(include/cachedata/, the library's interface). KNOWN lists the includes that break the rule
today, each with the step that removes it: a new break fails the check, and so does a KNOWN
entry that is gone (so the list only shrinks).
"""

import argparse
import re
import sys
import tempfile
from pathlib import Path

# (layer, path prefixes relative to src/), lowest first.
LAYERS = [
    ("base", ["base/"]),
    ("crypto", ["crypto/"]),
    ("core", ["core/", "store/memory_store."]),
    ("local_store", ["store/local_store.", "store/sqlite_db.", "store/file_calls."]),
    ("http", ["http/"]),
    ("aws", ["aws/", "store/aws_store."]),
    ("wiring", ["store/open_store.", "open/"]),
    ("cli", ["cli/"]),
]

# What each layer may include besides itself (and include/cachedata/).
ALLOWED = {
    "base": set(),
    "crypto": {"base"},
    "core": {"base", "crypto"},
    "local_store": {"base", "crypto", "core"},
    "http": {"base"},
    "aws": {"base", "crypto", "core", "http"},
    "wiring": {"base", "crypto", "core", "local_store", "http", "aws"},
    "cli": {"base", "crypto", "core", "local_store", "http", "aws", "wiring"},
}

# Breaks that exist today: (file, included header) -> the step of issue 11 that removes it.
KNOWN: dict = {}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel: str):
    for name, prefixes in LAYERS:
        if any(rel.startswith(p) for p in prefixes):
            return name
    return None


def check(src: Path):
    """Returns (breaks, unclassified, stale_known) for the tree under `src`."""
    breaks, unclassified, seen_known = [], [], set()
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h", ".cc") or not path.is_file():
            continue
        rel = path.relative_to(src).as_posix()
        own = layer_of(rel)
        if own is None:
            unclassified.append(rel)
            continue
        for header in INCLUDE.findall(path.read_text(encoding="utf-8", errors="replace")):
            if header.startswith("cachedata/"):
                continue
            target = layer_of(header)
            if target is None or target == own or target in ALLOWED[own]:
                continue
            if (rel, header) in KNOWN:
                seen_known.add((rel, header))
                continue
            breaks.append(f"src/{rel} ({own}) includes {header} ({target})")
    stale = [f"src/{f} no longer includes {h}: remove it from KNOWN"
             for (f, h) in KNOWN if (f, h) not in seen_known and (src / f).exists()]
    return breaks, unclassified, stale


def report(src: Path) -> int:
    breaks, unclassified, stale = check(src)
    for line in breaks:
        print("layer break:", line)
    for rel in unclassified:
        print(f"no layer for src/{rel}: add its path to LAYERS in tools/check_layers.py")
    for line in stale:
        print(line)
    if breaks or unclassified or stale:
        return 1
    print(f"layers: no include reaches upward ({len(KNOWN)} known breaks left, listed in "
          "tools/check_layers.py)")
    return 0


def self_test() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        (src / "base").mkdir()
        (src / "core").mkdir()
        (src / "aws").mkdir()
        (src / "base" / "a.hpp").write_text('#include "core/x.hpp"\n')  # upward: a break
        (src / "core" / "x.hpp").write_text('#include "base/a.hpp"\n#include "cachedata/s.hpp"\n')
        (src / "aws" / "y.cpp").write_text('#include "core/x.hpp"\n#include "base/a.hpp"\n')
        (src / "weird").mkdir()
        (src / "weird" / "z.cpp").write_text("")
        breaks, unclassified, _ = check(src)
        ok = (breaks == ["src/base/a.hpp (base) includes core/x.hpp (core)"]
              and unclassified == ["weird/z.cpp"])
    print("self-test:", "ok" if ok else f"FAILED: {breaks} {unclassified}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parent.parent / "src")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    return self_test() if args.self_test else report(args.src)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The layers, checked at the symbol level on the built libraries (docs/DESIGN.md, "Layers"): no
layer's archive uses a symbol that only a layer above it defines. tools/check_layers.py checks the
includes; this catches what includes cannot see (a function declared in a public header and
defined in an upper layer). Run by ctest as `layer_links` with the build directory; `--self-test`
shows that a reach upward is reported.

A symbol counts as provided by a layer when that layer's archive defines it (strong or weak). An
undefined symbol of layer L is fine when L itself, a layer L may link, or no layer of ours defines
it (the C++ runtime, OpenSSL, libcurl…).
"""

import argparse
import subprocess
import sys
from pathlib import Path

# What each layer may link besides itself: the CMake targets' link lines (CMakeLists.txt).
ALLOWED = {
    "base": set(),
    "core": {"base"},
    "local_store": {"base", "core"},
    "http": {"base"},
    "aws": {"base", "core", "http"},
    "wiring": {"base", "core", "local_store", "http", "aws"},
}


def symbols(archive: Path):
    """(defined, undefined) mangled symbol names of a static archive or shared library."""
    args = ["nm", "--format=posix"]
    if archive.suffix == ".so":
        args.append("-D")
    out = subprocess.run(args + [str(archive)], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or line.endswith(":"):
            continue
        name, kind = parts[0], parts[1]
        if kind in ("U", "w", "v"):
            undefined.add(name)
        elif kind not in ("N",):
            defined.add(name)
    return defined, undefined - defined


def find_archives(build: Path):
    found = {}
    for layer in ALLOWED:
        for name in (f"libcachedata_{layer}.a", f"libcachedata_{layer}.so"):
            path = build / name
            if path.is_file():
                found[layer] = path
                break
    return found


def check(archives: dict):
    tables = {layer: symbols(path) for layer, path in archives.items()}
    breaks = []
    for layer, (defined, undefined) in tables.items():
        for name in sorted(undefined):
            providers = {other for other, (d, _) in tables.items() if other != layer and name in d}
            if not providers or providers & ALLOWED[layer]:
                continue
            breaks.append(f"{layer} uses {name}, defined only above it in {sorted(providers)}")
    return breaks


def self_test() -> int:
    """Two tiny archives where core calls into http: the check must report it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "core.cpp").write_text(
            "int upper_function();\nint core_function() { return upper_function(); }\n")
        (root / "http.cpp").write_text("int upper_function() { return 1; }\n")
        archives = {}
        for layer in ("core", "http"):
            obj = root / f"{layer}.o"
            subprocess.run(["c++", "-c", str(root / f"{layer}.cpp"), "-o", str(obj)], check=True)
            archives[layer] = root / f"libcachedata_{layer}.a"
            subprocess.run(["ar", "rcs", str(archives[layer]), str(obj)], check=True)
        breaks = check(archives)
        if len(breaks) != 1 or not breaks[0].startswith("core uses"):
            print(f"self-test: expected one break of core, got {breaks}", file=sys.stderr)
            return 1
        # With the call removed the same pair is clean.
        (root / "core.cpp").write_text("int core_function() { return 0; }\n")
        subprocess.run(["c++", "-c", str(root / "core.cpp"), "-o", str(root / "core.o")], check=True)
        subprocess.run(["ar", "rcs", str(archives["core"]), str(root / "core.o")], check=True)
        if check(archives):
            print("self-test: a clean pair was reported", file=sys.stderr)
            return 1
    print("self-test: an upward use is reported, a clean tree is not")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="the build directory holding the libraries")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    archives = find_archives(args.build)
    missing = sorted(set(ALLOWED) - set(archives))
    if missing:
        print(f"no library built for layers {missing} in {args.build}", file=sys.stderr)
        return 1
    breaks = check(archives)
    for b in breaks:
        print(b, file=sys.stderr)
    if breaks:
        return 1
    print(f"{len(archives)} layer libraries: no layer uses a symbol of a layer above it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

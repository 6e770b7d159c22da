#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds with ASan + UBSan, runs every test with
# ctest. This is the README's test command, and the only thing .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh sanitize
# Tests talk to servers on 127.0.0.1 only: never through a proxy the environment may name.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export NO_PROXY="$no_proxy"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd build/sanitize
ctest --output-on-failure --parallel "$(nproc)" --timeout 600 "$@"

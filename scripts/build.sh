#!/usr/bin/env bash
# Configures and builds cachedata. Usage: scripts/build.sh release|sanitize|tsan [extra cmake args]
#   release  → build/release   (optimised; what the demo and the benchmarks use)
#   sanitize → build/sanitize  (ASan + UBSan, debug info; what the test suite uses)
#   tsan     → build/tsan      (ThreadSanitizer; the concurrency tests only)
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-release}"
shift || true
case "$kind" in
  release) dir=build/release; args=(-DCMAKE_BUILD_TYPE=Release -DCACHEDATA_BUILD_TESTS=OFF) ;;
  sanitize) dir=build/sanitize; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCACHEDATA_SANITIZE=ON) ;;
  tsan) dir=build/tsan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCACHEDATA_TSAN=ON
                              -DCACHEDATA_BUILD_BENCH=OFF) ;;
  *) echo "usage: $0 release|sanitize|tsan" >&2; exit 2 ;;
esac
# The ThreadSanitizer build makes the concurrency tests only (and what they link).
targets=()
if [ "$kind" = tsan ]; then targets=(--target concurrency_tests); fi

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" "${args[@]}" "$@"
else
  cmake -S . -B "$dir" "${args[@]}" "$@" >/dev/null
fi
cmake --build "$dir" --parallel "$(nproc)" "${targets[@]}"

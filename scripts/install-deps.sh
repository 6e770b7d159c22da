#!/usr/bin/env bash
# Installs every Debian 12 package cachedata needs to build, test and benchmark. Idempotent:
# when everything is already installed it changes nothing and does not touch the network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates tzdata
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libzstd-dev
  nlohmann-json3-dev rapidjson-dev libcli11-dev libhowardhinnant-date-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format
)

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

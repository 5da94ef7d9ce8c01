#!/usr/bin/env bash
# Installs every Debian package impex needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt runs only when one is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  liblua5.4-dev lua5.4 libzip-dev zip unzip libcsv-dev libxml2-dev liblmdb-dev lmdb-utils
  libyaml-dev libjansson-dev libcmocka-dev
  sqlite3 time lua-check python3 procps jq strace util-linux
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

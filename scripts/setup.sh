#!/usr/bin/env bash
# Installs every Debian package twinslot needs to build, test and run its demo.
# Idempotent: silent when everything is present. Run as root or with sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  clang libclang-rt-14-dev
  libcmocka-dev libssl-dev libmbedtls-dev
  libcurl4-openssl-dev libcjson-dev
  nodejs
  libunicorn-dev
  qemu-system-arm
  stm32flash
  valgrind
  faketime
  libgpiod-dev
  gcc-xtensa-lx106 picolibc-xtensa-lx106-elf
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null; then
    missing+=("$p")
  fi
done
# npm comes with Debian's nodejs as a separate package, and inside NodeSource's.
command -v npm >/dev/null 2>&1 || missing+=(npm)

# The local S3 server for the cloud tests and the demo, pinned by
# scripts/s3rver/package-lock.json. Quiet, and skipped when already in place.
s3rver_deps() {
  local d; d="$(cd "$(dirname "$0")" && pwd)/s3rver"
  local major; major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "setup: warning: Node.js $(node --version 2>/dev/null || echo '(none)') is older than 20," \
         "which @20minutes/s3rver 4.x declares it needs (Debian 12's own nodejs is 18):" \
         "the local S3 server may not start; install Node.js 20 or newer." >&2
  fi
  if [ ! -f "$d/node_modules/.package-lock.json" ] ||
     [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
    echo "setup: installing the local S3 server (npm ci in scripts/s3rver)"
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
      { echo "setup: error: npm ci failed in $d" >&2; exit 1; }
  fi
}

[ ${#missing[@]} -eq 0 ] && { s3rver_deps; exit 0; }

echo "setup: installing Debian packages: ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "setup: error: need root (or sudo) to install: ${missing[*]}" >&2
    echo "setup: run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: error: apt-get could not install: ${missing[*]}" >&2
  rm -f "$log"; exit 1
fi
rm -f "$log"
s3rver_deps
echo "setup: done"

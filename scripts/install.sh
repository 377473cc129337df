#!/usr/bin/env bash
# Install SmartCity Twin into ./.venv, with the system packages it needs when they are missing.
#
#   scripts/install.sh          the twin itself (runtime dependencies, Cython kernels built)
#   scripts/install.sh --dev    plus the test and benchmark tools
#
# System packages come from Debian's apt (a C++ compiler for the kernels, python3-venv; with
# --dev mosquitto, which the MQTT tests start on a port of their own, and node with ganache from
# npm in ./.tools for the ledger tests, chromium, chromedriver and axe-core (npm, ./.tools) for the
# Dash browser tests, and apache2-utils: `ab`, the load-test benchmark's yardstick).
# Nothing is installed when it is already there. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
for arg in "$@"; do
  case "$arg" in
    --dev) extras="[dev]" ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (use --dev)" >&2; exit 2 ;;
  esac
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {  # apt_install PACKAGE... (only those not installed yet)
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: please install ${missing[*]} with your package manager" >&2; exit 1
  fi
  if [ $apt_updated -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  echo "install.sh: installing system packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

command -v g++ >/dev/null 2>&1 || apt_install g++
# the tests start their own MQTT broker; the control-room tests drive a headless chromium
if [ "$extras" = "[dev]" ]; then apt_install mosquitto mosquitto-clients chromium chromium-driver apache2-utils; fi
# the ledger tests run against ganache (npm), installed into ./.tools, and check our receipts
# with OpenZeppelin's own Merkle tree library (the standard the receipts follow)
GANACHE_VERSION=7.9.2
OZ_MERKLE_VERSION=1.0.8
# the control-room browser tests check each page with axe-core (WCAG A/AA), injected by selenium
AXE_VERSION=4.14.1
if [ "$extras" = "[dev]" ] && { [ ! -x .tools/node_modules/.bin/ganache ] \
     || [ ! -f .tools/node_modules/@openzeppelin/merkle-tree/package.json ] \
     || [ ! -f .tools/node_modules/axe-core/axe.min.js ]; }; then
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  echo "install.sh: installing ganache@$GANACHE_VERSION, @openzeppelin/merkle-tree@$OZ_MERKLE_VERSION and axe-core@$AXE_VERSION into .tools"
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "ganache@$GANACHE_VERSION" \
    "@openzeppelin/merkle-tree@$OZ_MERKLE_VERSION" "axe-core@$AXE_VERSION" >/dev/null
fi
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "install.sh: Python >= 3.11 is needed ($PY is $("$PY" --version 2>&1))" >&2; exit 1
fi
"$PY" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv python3-dev

if [ ! -x .venv/bin/python ]; then
  echo "install.sh: creating .venv"
  "$PY" -m venv .venv
fi
# Nothing is redone that is already done: the stamp records what the last install was made
# from (the packaging files, the kernels' sources, the extras); Python sources need no
# reinstall (the install is editable).
stamp_file=.venv/.twin-install-stamp
stamp="$(cat pyproject.toml setup.py twin/*.pyx | sha256sum | cut -c1-64)"
had=""; [ -f "$stamp_file" ] && had="$(cat "$stamp_file")"
# the dev install holds the plain one
if { [ "$had" = "$stamp $extras" ] || [ "$had" = "$stamp [dev]" ]; } \
   && .venv/bin/python -c 'import twin._routing, twin._movement' 2>/dev/null; then
  echo "install.sh: up to date — .venv/bin/twin"
  exit 0
fi
rm -f "$stamp_file"
pip_q=(-qq --disable-pip-version-check)
.venv/bin/python -m pip install "${pip_q[@]}" --upgrade pip "setuptools>=69" wheel "cython>=3.0" "numpy>=1.26"
echo "install.sh: installing smartcity-twin${extras} (builds the Cython kernels)"
.venv/bin/python -m pip install "${pip_q[@]}" --no-build-isolation -e ".${extras}"
.venv/bin/python -c 'import twin._routing, twin._movement' \
  || { echo "install.sh: the Cython kernels did not build" >&2; exit 1; }
echo "$stamp $extras" > "$stamp_file"
echo "install.sh: ready — .venv/bin/twin"

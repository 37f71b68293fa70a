#!/usr/bin/env bash
# The whole test suite in one command, on a fresh Debian or Ubuntu machine:
#
#     bash tests/all.sh [extra cargo test arguments]
#
# 1. Installs the system programs the tests use (with apt-get, as root or
#    through passwordless sudo). Without the rights to install, it stops at
#    once and prints the exact command to run first.
# 2. Installs the pinned Node and Python peers (tests/peers), as the tests
#    would on first use, so that a failed install is reported once, up front.
# 3. Runs every test binary, even after one fails (`--no-fail-fast`), and
#    ends with a summary naming the binaries that failed.
#
# Plain `cargo test --locked` keeps working wherever these are present; a
# missing one fails its tests with a message, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

# program -> the Debian package that provides it
declare -A needs=(
  [dbus-run-session]=dbus-bin
  [dbus-daemon]=dbus-daemon
  [gnome-keyring-daemon]=gnome-keyring
  [secret-tool]=libsecret-tools
  [curl]=curl
  [node]=nodejs
  [npm]=npm
  [python3]=python3
)
missing=()
for program in "${!needs[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${needs[$program]}")
done
# The real-browser tests take $CHROMIUM, or Debian's /usr/bin/chromium.
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "tests/all.sh: these Debian packages (or your system's equivalents) are needed: ${missing[*]}" >&2
    exit 2
  fi
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    echo "tests/all.sh: the test suite needs packages this user cannot install. Run first:" >&2
    echo "  sudo apt-get update && sudo ${install[*]}" >&2
    exit 2
  fi
  echo "tests/all.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" "${install[@]}"
fi

# Node peers, pinned by tests/peers/package-lock.json; npm writes
# node_modules/.package-lock.json, the stamp tests/support/peers.rs checks.
peers=tests/peers
if [ ! "$peers/node_modules/.package-lock.json" -nt "$peers/package-lock.json" ]; then
  npm ci --prefix "$peers" --no-audit --no-fund
fi
# Python peers, pinned by tests/peers/requirements.txt, in a virtualenv.
if [ ! "$peers/.venv/.installed" -nt "$peers/requirements.txt" ]; then
  python3 -m venv "$peers/.venv"
  "$peers/.venv/bin/python" -m pip install -q -r "$peers/requirements.txt"
  touch "$peers/.venv/.installed"
fi

# Every test binary runs even when one before it fails; cargo's own closing
# lines name each failed target, and the summary below repeats them.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?

passed=0 failed=0 ignored=0 results=0
while read -r p f i; do
  passed=$((passed + p)) failed=$((failed + f)) ignored=$((ignored + i)) results=$((results + 1))
done < <(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/p' "$log")
if [ "$results" -gt 0 ]; then
  echo
  echo "tests/all.sh: $ignored ignored (the long runs README lists)"
  echo "summary: $passed passed, $failed failed"
fi
if [ "$status" != 0 ]; then
  # cargo prints "error: N targets failed:" followed by one line per target.
  sed -n '/targets\? failed:$/,$p' "$log" | sed -n 's/^ *\(`.*`\)$/  failed: \1/p' >&2
  exit "$status"
fi

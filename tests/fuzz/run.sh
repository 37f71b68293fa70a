#!/usr/bin/env bash
# Runs the fuzz targets one after another for SECONDS each (default 5), from
# the committed seeds; what libFuzzer learns goes to a scratch directory so
# the committed corpus stays as it is. Exits non-zero on the first crash,
# leaving the input in tests/fuzz/artifacts/<target>/.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# FUZZ_SANITIZER picks the sanitizer (default none: the targets run safe
# Rust, and the build is much faster without ASan; debug assertions and
# overflow checks stay on). FUZZ_PROFILE=dev builds without optimisation
# (a much shorter build, for smoke runs). FUZZ_WORK keeps the learnt corpus
# there instead of in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-5}"
shift || true
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets stable build them.
export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-none}"
flags=(--fuzz-dir tests/fuzz --sanitizer "$sanitizer")
if [ "${FUZZ_PROFILE:-release}" = dev ]; then
  flags+=(--dev)
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir tests/fuzz)
fi
work="${FUZZ_WORK:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
cargo fuzz build "${flags[@]}"
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  log="$work/$t.log"
  echo "fuzz: $t for ${seconds}s"
  if ! cargo fuzz run "${flags[@]}" "$t" \
      "$work/$t" "tests/fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $t failed; the input is in tests/fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|peak_rss_mb)' "$log" | tail -n 3
done

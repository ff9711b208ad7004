#!/usr/bin/env bash
# smoke-test.sh — ctest `bench_smoke`: the benchmark harness works end to end.
#
# Runs run-bench.sh --smoke (one round, small frames, a few requests, a handful of idle
# sessions) and checks its table: every row it could run is there with numbers above
# zero (throughput, ratio, aggregate, latency; CPU per GiB for every proxy row), rows
# whose peer is installed are not skipped, the splice row is there (numbers once the
# gateway has `security: plain`, "not built yet" until then), and the idle line counts
# every session. It asserts that the harness works, never a speed.
# Usage: smoke-test.sh [run-bench.sh arguments, e.g. --bin-dir DIR --vncgate PATH]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/vncgate-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$here/run-bench.sh" --smoke --work-dir "$work/run" "$@" >"$work/table.txt" 2>"$work/stderr.txt"
status=$?
cat "$work/table.txt"
if ((status != 0)); then
  echo "smoke: run-bench.sh exited $status" >&2
  cat "$work/stderr.txt" >&2
  exit 1
fi

fail=0
# check_row LABEL-PREFIX WANT-CPU: the row's numeric columns are all > 0.
check_row() {
  local line
  line=$(grep -F "| $1" "$work/table.txt" | head -1)
  if [[ -z $line ]]; then
    echo "smoke: no row '$1'" >&2
    fail=1
    return
  fi
  # | label | MiB/s | ratio | aggregate | p50 / p99 | added p50 | added p99 | cpu |
  if ! awk -F'|' -v want_cpu="$2" '
      function positive(s) { gsub(/[ x]/, "", s); return s ~ /^[0-9.]+$/ && s + 0 > 0 }
      {
        split($6, lat, "/")
        ok = positive($3) && positive($4) && positive($5) && positive(lat[1]) && positive(lat[2])
        if (want_cpu) ok = ok && positive($9)
        exit ok ? 0 : 1
      }' <<<"$line"; then
    echo "smoke: row '$1' lacks a number above zero: $line" >&2
    fail=1
  fi
}

check_row "direct (client -> target)" 0
check_row "vncgate vencrypt listener" 1
check_row "vncgate tls listener" 1
if grep -qF "| vncgate splice path (security: plain) | not built yet" "$work/table.txt"; then
  :
else
  check_row "vncgate splice path (security: plain)" 1
fi
if command -v haproxy >/dev/null; then
  check_row "HAProxy 2.6 TCP splice" 1
  check_row "HAProxy 2.6 TLS termination" 1
else
  grep -qF "skipped: haproxy not installed" "$work/table.txt" || { echo "smoke: no HAProxy skip line" >&2; fail=1; }
fi
if command -v stunnel4 >/dev/null || command -v stunnel >/dev/null; then
  check_row "stunnel pair" 1
else
  grep -qF "skipped: stunnel4 not installed" "$work/table.txt" || { echo "smoke: no stunnel skip line" >&2; fail=1; }
fi
if ! grep -qE '^vncgate RSS per idle authenticated TLS session: [0-9.-]+ KiB \(8 of 8 sessions up' "$work/table.txt"; then
  echo "smoke: no idle-session RSS line with 8 of 8 sessions up" >&2
  fail=1
fi
if ((fail)); then
  cat "$work/stderr.txt" >&2
  exit 1
fi
echo "smoke: the benchmark harness works"

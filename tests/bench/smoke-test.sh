#!/usr/bin/env bash
# smoke-test.sh — ctest `bench_smoke`: the benchmark harness works end to end.
#
# Runs run-bench.sh --smoke (one round, small frames, a few requests, a handful of idle
# sessions) and checks its table: every row it could run is there with numbers above
# zero (throughput, ratio, aggregate, latency; CPU per GiB for every proxy row), rows
# whose peer is installed are not skipped, the splice row is there (numbers once the
# gateway has `security: plain`, "not built yet" until then), the idle lines (vncgate's,
# and HAProxy's when installed) count every session, the handshake table has the server
# CPU per session for every row that ran (vncgate's I/O threads apart from, so below,
# its whole process), and the machine and load average lines are there. It asserts
# that the harness works, never a speed.
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
check_idle() {  # check_idle PROXY: its RSS line, every idle session up
  if ! grep -qE "^$1 RSS per idle authenticated TLS session: [0-9.-]+ KiB \\(8 of 8 sessions up" "$work/table.txt"; then
    echo "smoke: no idle-session RSS line for $1 with 8 of 8 sessions up" >&2
    fail=1
  fi
}
check_idle vncgate
if command -v haproxy >/dev/null; then check_idle "HAProxy 2.6 TLS termination"; fi

# The second table, from its header to the blank line after it.
awk '/^\| path \| server CPU us per session/ { on = 1 } on && /^$/ { exit } on' "$work/table.txt" >"$work/handshakes.txt"
# check_handshake_row LABEL-PREFIX WHAT: WHAT is "wall" (client wall p50 only), "cpu"
# (both CPU columns and the wall) or "io" (as cpu, and the I/O threads' figure below the
# whole process's: the filter took threads out). A clock-tick figure ("~") may be 0:
# 20 sessions of a fast server can fit in one 10 ms tick. A "?" (threads ended unseen)
# is not a number.
check_handshake_row() {
  local line
  line=$(grep -F "| $1" "$work/handshakes.txt" | head -1)
  if [[ -z $line ]]; then
    echo "smoke: no handshake row '$1'" >&2
    fail=1
    return
  fi
  # | label | I/O threads us | whole process us | client wall p50 us |
  if ! awk -F'|' -v what="$2" '
      function value(s) { gsub(/ /, "", s); return s ~ /^~?[0-9.]+$/ ? substr(s, s ~ /^~/ ? 2 : 1) + 0 : -1 }
      function figure(s) { v = value(s); return s ~ /~/ ? v >= 0 : v > 0 }
      {
        io = value($3); whole = value($4); wall = value($5)
        ok = wall > 0
        if (what != "wall") ok = ok && figure($3) && figure($4)
        if (what == "io") ok = ok && io < whole
        exit ok ? 0 : 1
      }' <<<"$line"; then
    echo "smoke: handshake row '$1' lacks a number above zero (or I/O threads not below the whole process): $line" >&2
    fail=1
  fi
}
if [[ ! -s $work/handshakes.txt ]]; then
  echo "smoke: no handshake table" >&2
  fail=1
fi
check_handshake_row "direct (client -> target)" wall
check_handshake_row "vncgate vencrypt listener" io
check_handshake_row "vncgate tls listener" io
if command -v haproxy >/dev/null; then
  check_handshake_row "HAProxy 2.6 TLS termination" cpu
fi
if command -v stunnel4 >/dev/null || command -v stunnel >/dev/null; then
  check_handshake_row "stunnel pair" cpu
fi
if ! grep -qE '^machine: .+ \(/proc/cpuinfo\), [0-9]+ CPUs \(nproc\), Linux [^ ]+; OpenSSL [0-9]' "$work/table.txt"; then
  echo "smoke: no machine line" >&2
  fail=1
fi
if ! grep -qE '^load average \(1, 5, 15 min\): [0-9.]+ [0-9.]+ [0-9.]+ at the start, [0-9.]+ [0-9.]+ [0-9.]+ at the end$' "$work/table.txt"; then
  echo "smoke: no load average line" >&2
  fail=1
fi
if ((fail)); then
  cat "$work/stderr.txt" >&2
  exit 1
fi
echo "smoke: the benchmark harness works"

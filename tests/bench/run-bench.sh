#!/usr/bin/env bash
# run-bench.sh — the relay benchmark (issue 6): vncgate beside HAProxy and stunnel, on
# loopback, in one interleaved run, printed as one table; then the server CPU per
# session (handshake to first update) as a second table, and the machine it ran on.
# See docs/performance.md.
#
# Usage: tests/bench/run-bench.sh [--bin-dir DIR] [--vncgate PATH] [--rounds R]
#          [--width W] [--height H] [--small N] [--duration S] [--requests N]
#          [--sessions N] [--idle K] [--handshakes N] [--work-dir DIR] [--smoke]
#   --bin-dir   where bench_target and bench_client are (default build/tests/bench)
#   --vncgate   the gateway binary (default build/gateway/vncgate)
#   --rounds    rounds; every row runs once per round, rows rotate, the table has medians (5)
#   --width/--height  the big target's screen: throughput and CPU per GiB (1920x1080)
#   --small     the small target's side, N x N: per-round-trip latency (64)
#   --duration  seconds of back-to-back requests per throughput run (3)
#   --requests  small-frame round trips per latency run (2000)
#   --sessions  concurrent sessions of the aggregate-throughput run (4)
#   --idle      idle authenticated TLS sessions held through vncgate, then HAProxy, for
#               RSS per session (10000; capped by `ulimit -Hn`: a proxy needs two
#               descriptors per session)
#   --handshakes  sessions in sequence per handshake row, small target (200)
#   --heap N    also, at the end: the gateway's heap per idle TLS session under valgrind
#               massif, N sessions, split into OpenSSL's share and the rest (0: off)
#   --smoke     a quick check that every row works: 1 round, 256x256, 0.5 s, 50
#               requests, 2 sessions, 8 idle sessions, 20 handshakes
# Rows whose peer is not installed (haproxy, stunnel4) are printed as skipped. Every
# client run prints one JSON line; they are kept in the work directory (results/).
# Exits non-zero when a row that ran failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_dir=$repo/build/tests/bench
vncgate=$repo/build/gateway/vncgate
rounds=5 width=1920 height=1080 small=64 duration=3 requests=2000 sessions=4 idle=10000 handshakes=200 heap=0
work_dir=""
while (($#)); do
  case $1 in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --vncgate) vncgate=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --width) width=$2; shift 2 ;;
    --height) height=$2; shift 2 ;;
    --small) small=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --handshakes) handshakes=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    --smoke) rounds=1 width=256 height=256 duration=0.5 requests=50 sessions=2 idle=8 handshakes=20; shift ;;
    *) echo "run-bench: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
absolute() { [[ $1 == /* ]] && echo "$1" || echo "$PWD/$1"; }
bin_dir=$(absolute "$bin_dir")
vncgate=$(absolute "$vncgate")
target_bin=$bin_dir/bench_target
client_bin=$bin_dir/bench_client
for b in "$target_bin" "$client_bin" "$vncgate"; do
  [[ -x $b ]] || { echo "run-bench: $b not found; build it (ninja bench_target bench_client vncgate)" >&2; exit 2; }
done
for tool in openssl ss awk; do
  command -v "$tool" >/dev/null || { echo "run-bench: $tool is needed" >&2; exit 2; }
done
[[ $handshakes =~ ^[1-9][0-9]*$ ]] || { echo "run-bench: --handshakes wants a count above 0" >&2; exit 2; }
[[ $heap =~ ^[0-9]+$ ]] || { echo "run-bench: --heap wants a count (0: off)" >&2; exit 2; }

# ---- the machine, printed with the tables: figures mean little without it ----
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
openssl_version=$(openssl version | awk '{ v = $2; l = ""
  if (match($0, /Library: OpenSSL [^ ]+/)) l = substr($0, RSTART + 17, RLENGTH - 17)
  print (l == "" || l == v) ? v : v " (library " l ")" }')
haproxy_version="not installed" stunnel_version="not installed"
if command -v haproxy >/dev/null; then
  haproxy_version=$(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }' || true)
fi
if stunnel_probe=$(command -v stunnel4 || command -v stunnel); then
  stunnel_version=$("$stunnel_probe" -version 2>&1 | awk '/^stunnel [0-9]/ { print $2; exit }' || true)
fi
machine_line="machine: ${cpu_model:-unknown CPU} (/proc/cpuinfo), $(nproc) CPUs (nproc), Linux $(uname -r); OpenSSL $openssl_version, HAProxy ${haproxy_version:-unknown}, stunnel ${stunnel_version:-unknown}"
echo "run-bench: $machine_line; load average $load_start" >&2

if [[ -z $work_dir ]]; then
  work_dir=$(mktemp -d /tmp/vncgate-bench.XXXXXX)
else
  mkdir -p "$work_dir"
fi
work_dir=$(cd "$work_dir" && pwd)
cd "$work_dir"
mkdir -p results logs
# Medians are taken over what results/ holds: a reused work directory starts empty.
rm -f results/* logs/*
chmod 700 "$work_dir"

# ---- processes we start, ended by pid at exit ----
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
started_pid=""
start() {  # start NAME CMD... : background, output to logs/NAME.{out,err}
  local name=$1; shift
  "$@" >"logs/$name.out" 2>"logs/$name.err" &
  started_pid=$!
  pids+=("$started_pid")
}
wait_port() {  # wait_port PORT NAME PID
  local i
  for ((i = 0; i < 200; i++)); do
    ss -Hltn "( sport = :$1 )" | grep -q . && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.05
  done
  echo "run-bench: $2 is not listening on port $1; its log:" >&2
  cat "logs/$2.err" >&2 || true
  exit 1
}

# ---- limits and ports ----
hard_fd_limit=$(ulimit -Hn)
[[ $hard_fd_limit == unlimited ]] && hard_fd_limit=1048576
ulimit -n "$hard_fd_limit"
fd_limit=$(ulimit -n)
max_idle=$(((fd_limit - 256) / 2))
idle_note=""
if ((idle > max_idle)); then
  idle_note=" (asked for $idle; capped by ulimit -Hn $fd_limit)"
  idle=$max_idle
fi

# Listening ports below the ephemeral range, so the 2 x 10,000 idle connections' local
# ports never collide with them; a block of free ones is picked at random.
nports=20
free_block() {
  local base p try
  for ((try = 0; try < 50; try++)); do
    base=$((20000 + (RANDOM % 1200) * 10))
    local busy=0
    for ((p = base; p < base + nports; p++)); do
      if ss -Hltn "( sport = :$p )" | grep -q .; then busy=1; break; fi
    done
    ((busy)) || { echo "$base"; return 0; }
  done
  echo "run-bench: no free block of $nports ports" >&2
  exit 1
}
port_base=$(free_block)
p_target_big=$port_base p_target_small=$((port_base + 1))
p_vg_vencrypt=$((port_base + 2)) p_vg_tls=$((port_base + 3)) p_vg_plain=$((port_base + 4)) p_vg_metrics=$((port_base + 5))
p_hap_splice_big=$((port_base + 6)) p_hap_splice_small=$((port_base + 7))
p_hap_tls_big=$((port_base + 8)) p_hap_tls_small=$((port_base + 9))
p_sts_big=$((port_base + 10)) p_sts_small=$((port_base + 11))  # stunnel server: TLS -> target
p_stc_big=$((port_base + 12)) p_stc_small=$((port_base + 13))  # stunnel client: plain -> TLS
p_sts_hs=$((port_base + 14)) p_stc_hs=$((port_base + 15))  # the same for the handshake row, no resumption

# ---- secrets and the certificate (ECDSA P-256 for every TLS peer) ----
umask 077
vnc_password=vncbench
user_password=bench-user-password
printf '%s\n' "$vnc_password" >vnc-password.txt
printf '%s\n' "$user_password" >user-password.txt
printf '%s\n' "$vnc_password" | "$target_bin" make-passwd-file vnc-passwd.bin
openssl ecparam -name prime256v1 -genkey -noout -out key.pem 2>/dev/null
openssl req -x509 -new -key key.pem -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -days 2 -out cert.pem 2>/dev/null
cat cert.pem key.pem >cert-and-key.pem

# ---- the targets ----
start target-big "$target_bin" --port "$p_target_big" --width "$width" --height "$height" --rfbauth vnc-passwd.bin
target_big_pid=$started_pid
start target-small "$target_bin" --port "$p_target_small" --width "$small" --height "$small" --rfbauth vnc-passwd.bin
wait_port "$p_target_big" target-big "$target_big_pid"
wait_port "$p_target_small" target-small "$started_pid"

# ---- vncgate ----
hash=$(printf '%s\n' "$user_password" | "$vncgate" hash-password)
mkdir -p gw/secrets
printf 'users:\n  "bench":\n    password_hash: "%s"\n' "$hash" >gw/users.yaml
printf '%s\n' "$vnc_password" >gw/secrets/target
write_gateway_config() {  # write_gateway_config FILE [extra listener block]
  cat >"$1" <<EOF
# written by tests/bench/run-bench.sh
listeners:
  - address: "127.0.0.1:$p_vg_vencrypt"
    security: vencrypt
  - address: "127.0.0.1:$p_vg_tls"
    security: tls
$2
tls:
  certificate: "$work_dir/cert.pem"
  private_key: "$work_dir/key.pem"
auth:
  backend: file
  users_file: "$work_dir/gw/users.yaml"
  failure_delay: 0s
targets:
  - name: big
    host: 127.0.0.1
    port: $p_target_big
    password_file: "$work_dir/gw/secrets/target"
    allow: { users: [bench] }
  - name: small
    host: 127.0.0.1
    port: $p_target_small
    password_file: "$work_dir/gw/secrets/target"
    allow: { users: [bench] }
policy:
  connections_per_minute_per_ip: 0
  max_handshakes_per_ip: 0
  max_handshakes: 0
  handshake_timeout: 60s
audit:
  - { type: file, path: "$work_dir/gw/audit.jsonl" }
metrics:
  address: "127.0.0.1:$p_vg_metrics"
shutdown_grace: 0s
EOF
}
# The splice path needs a `security: plain` listener; until the gateway accepts one,
# its row says "not built yet".
plain_listener="  - address: \"127.0.0.1:$p_vg_plain\"
    security: plain
    client_leg_protected: true"
vg_plain=0
write_gateway_config gw/probe.yaml "$plain_listener"
if "$vncgate" check-config gw/probe.yaml >logs/plain-probe.log 2>&1; then
  vg_plain=1
  write_gateway_config gw/vncgate.yaml "$plain_listener"
else
  write_gateway_config gw/vncgate.yaml ""
fi
start vncgate "$vncgate" --config gw/vncgate.yaml
vncgate_pid=$started_pid
wait_port "$p_vg_vencrypt" vncgate "$vncgate_pid"
wait_port "$p_vg_tls" vncgate "$vncgate_pid"

# ---- HAProxy: TCP with splicing, and TLS termination ----
haproxy_pid=""
if command -v haproxy >/dev/null; then
  # HAProxy reserves two descriptors per connection and two per pipe (maxpipes defaults
  # to maxconn / 4) and will not start when that exceeds the limit: the idle sessions
  # need maxconn, the splice rows only a few pipes.
  cat >haproxy.cfg <<EOF
global
  maxconn $((idle + 4))
  maxpipes 64
  log stderr format raw local0 err
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
frontend splice_big
  bind 127.0.0.1:$p_hap_splice_big
  option splice-request
  option splice-response
  default_backend target_big
frontend splice_small
  bind 127.0.0.1:$p_hap_splice_small
  option splice-request
  option splice-response
  default_backend target_small
frontend tls_big
  bind 127.0.0.1:$p_hap_tls_big ssl crt $work_dir/cert-and-key.pem
  default_backend target_big
frontend tls_small
  bind 127.0.0.1:$p_hap_tls_small ssl crt $work_dir/cert-and-key.pem
  default_backend target_small
backend target_big
  option splice-request
  option splice-response
  server big 127.0.0.1:$p_target_big
backend target_small
  option splice-request
  option splice-response
  server small 127.0.0.1:$p_target_small
EOF
  start haproxy haproxy -db -f haproxy.cfg
  haproxy_pid=$started_pid
  for p in $p_hap_splice_big $p_hap_splice_small $p_hap_tls_big $p_hap_tls_small; do wait_port "$p" haproxy "$haproxy_pid"; done
fi

# ---- stunnel pair: client stunnel (plain -> TLS) -> server stunnel (TLS -> plain) ----
stunnel_bin=$(command -v stunnel4 || command -v stunnel || true)
stunnel_pids=""
if [[ -n $stunnel_bin ]]; then
  cat >stunnel-server.conf <<EOF
foreground = yes
pid =
debug = 3
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
cert = $work_dir/cert.pem
key = $work_dir/key.pem
[big]
accept = 127.0.0.1:$p_sts_big
connect = 127.0.0.1:$p_target_big
[small]
accept = 127.0.0.1:$p_sts_small
connect = 127.0.0.1:$p_target_small
[handshake]
accept = 127.0.0.1:$p_sts_hs
connect = 127.0.0.1:$p_target_small
sessionResume = no
EOF
  cat >stunnel-client.conf <<EOF
foreground = yes
pid =
debug = 3
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
client = yes
CAfile = $work_dir/cert.pem
verifyChain = yes
checkIP = 127.0.0.1
[big]
accept = 127.0.0.1:$p_stc_big
connect = 127.0.0.1:$p_sts_big
[small]
accept = 127.0.0.1:$p_stc_small
connect = 127.0.0.1:$p_sts_small
# A stunnel client resumes its last TLS session by default; the handshake row wants a
# full handshake per session, as the other rows' clients do.
[handshake]
accept = 127.0.0.1:$p_stc_hs
connect = 127.0.0.1:$p_sts_hs
sessionResume = no
EOF
  start stunnel-server "$stunnel_bin" stunnel-server.conf
  sts_pid=$started_pid
  start stunnel-client "$stunnel_bin" stunnel-client.conf
  stc_pid=$started_pid
  stunnel_pids="$sts_pid $stc_pid"
  wait_port "$p_sts_big" stunnel-server "$sts_pid"
  wait_port "$p_stc_big" stunnel-client "$stc_pid"
  wait_port "$p_sts_hs" stunnel-server "$sts_pid"
  wait_port "$p_stc_hs" stunnel-client "$stc_pid"
fi

# ---- the rows: id|label|client mode|big port|small port|user@big|user@small|password file|pids ----
rows=()
rows+=("direct|direct (client -> target)|direct|$p_target_big|$p_target_small|bench|bench|vnc-password.txt|")
rows+=("vg_vencrypt|vncgate vencrypt listener (TLS copy path)|vencrypt|$p_vg_vencrypt|$p_vg_vencrypt|bench@big|bench@small|user-password.txt|$vncgate_pid")
rows+=("vg_tls|vncgate tls listener (TLS copy path)|tls|$p_vg_tls|$p_vg_tls|bench@big|bench@small|user-password.txt|$vncgate_pid")
if ((vg_plain)); then
  rows+=("vg_plain|vncgate splice path (security: plain)|direct|$p_vg_plain|$p_vg_plain|bench@big|bench@small|user-password.txt|$vncgate_pid")
fi
if [[ -n $haproxy_pid ]]; then
  rows+=("hap_splice|HAProxy 2.6 TCP splice|direct|$p_hap_splice_big|$p_hap_splice_small|bench|bench|vnc-password.txt|$haproxy_pid")
  rows+=("hap_tls|HAProxy 2.6 TLS termination|tls|$p_hap_tls_big|$p_hap_tls_small|bench|bench|vnc-password.txt|$haproxy_pid")
fi
if [[ -n $stunnel_pids ]]; then
  rows+=("stunnel|stunnel pair (TLS, both sides)|direct|$p_stc_big|$p_stc_small|bench|bench|vnc-password.txt|$stunnel_pids")
fi

clk_tck=$(getconf CLK_TCK)
cpu_ticks() {  # utime + stime of the given pids, in clock ticks
  local total=0 p t
  for p in "$@"; do
    t=$(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')
    total=$((total + t))
  done
  echo "$total"
}
field() {  # field JSON-FILE KEY
  grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2- | tr -d '"'
}
failures=0
client() {  # client OUT-FILE ARGS... : one JSON line into OUT-FILE; a failure is counted
  local out=$1; shift
  if ! timeout 300 "$client_bin" --ca cert.pem "$@" >"$out" 2>>logs/client.err || ! grep -q '"failed":0' "$out"; then
    echo "run-bench: client run failed: $* -> $(cat "$out")" >&2
    failures=$((failures + 1))
    return 1
  fi
}

run_row() {  # run_row ROUND ROW-SPEC
  local round=$1 id label mode big small user_big user_small pwfile pidlist
  IFS='|' read -r id label mode big small user_big user_small pwfile pidlist <<<"$2"
  local base="results/$id.r$round" before after bytes
  # Throughput and CPU per GiB: one session, big frames.
  # shellcheck disable=SC2086
  before=$(cpu_ticks $pidlist)
  if client "$base.tput.json" --mode "$mode" --port "$big" --user "$user_big" --password-file "$pwfile" \
       --duration "$duration" --label "$id"; then
    # shellcheck disable=SC2086
    after=$(cpu_ticks $pidlist)
    bytes=$(field "$base.tput.json" bytes)
    field "$base.tput.json" mib_per_s >>"results/$id.tput"
    if [[ -n $pidlist ]]; then
      awk -v t=$((after - before)) -v hz="$clk_tck" -v b="$bytes" 'BEGIN { printf "%.4f\n", (t / hz) / (b / 1073741824) }' \
        >>"results/$id.cpu"
    fi
  fi
  # Aggregate throughput: N sessions at once.
  if client "$base.aggr.json" --mode "$mode" --port "$big" --user "$user_big" --password-file "$pwfile" \
       --duration "$duration" --sessions "$sessions" --label "$id"; then
    field "$base.aggr.json" mib_per_s >>"results/$id.aggr"
  fi
  # Latency per round trip: small frames.
  if client "$base.lat.json" --mode "$mode" --port "$small" --user "$user_small" --password-file "$pwfile" \
       --requests "$requests" --label "$id"; then
    field "$base.lat.json" latency_p50_us >>"results/$id.p50"
    field "$base.lat.json" latency_p99_us >>"results/$id.p99"
  fi
}

echo "run-bench: $rounds round(s) of ${#rows[@]} rows; ${width}x${height} and ${small}x${small} targets; work dir $work_dir" >&2
for ((round = 0; round < rounds; round++)); do
  n=${#rows[@]}
  for ((i = 0; i < n; i++)); do
    run_row "$round" "${rows[$(((i + round) % n))]}"
  done
  echo "run-bench: round $((round + 1))/$rounds done" >&2
done

# ---- server CPU per session: handshake to first update, sessions in sequence ----
# threads_cpu_ns PID [PREFIX]: ns on CPU of the process's live threads (those whose
# comm starts with PREFIX, or all), from /proc/PID/task/TID/schedstat (first field,
# exact); utime+stime clock ticks from .../stat where schedstat is missing. A thread
# that has ended is not listed any more, so its time is not in this sum.
threads_cpu_ns() {
  local pid=$1 prefix=${2-} total=0 task comm ns rest
  for task in /proc/"$pid"/task/*; do
    if [[ -n $prefix ]]; then
      read -r comm 2>/dev/null <"$task/comm" || continue
      [[ $comm == "$prefix"* ]] || continue
    fi
    if ! read -r ns rest 2>/dev/null <"$task/schedstat"; then
      ns=$(sed 's/.*) //' "$task/stat" 2>/dev/null | awk -v hz="$clk_tck" '{ printf "%.0f", ($12 + $13) * 1e9 / hz }') || continue
      [[ -n $ns ]] || continue
    fi
    total=$((total + ns))
  done
  echo "$total"
}
threads_named() {  # threads_named PID PREFIX: how many live threads' comm starts with PREFIX
  local task comm n=0
  for task in /proc/"$1"/task/*; do
    read -r comm 2>/dev/null <"$task/comm" || continue
    [[ $comm == "$2"* ]] && n=$((n + 1))
  done
  echo "$n"
}
# process_tick_ns PID: utime + stime of the whole process, and of its reaped children,
# from /proc/PID/stat, in ns. It keeps the time of threads that have ended (stunnel's
# per-connection threads) but in clock ticks, each field truncated to a whole tick.
process_tick_ns() {
  sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$clk_tck" '{ printf "%.0f", ($12 + $13 + $14 + $15) * 1e9 / hz }'
}
tick_ns=$((1000000000 / clk_tck))
per_session() {  # per_session NS: "us per session", with one decimal below 10 us
  awk -v ns="$1" -v n="$handshakes" 'BEGIN { v = ns / n / 1000; printf (v < 10 ? "%.1f" : "%.0f"), v }'
}
hs_lines=()  # label|I/O-thread us|whole-process us|client wall p50 us
hs_ticks=0   # some row's figure is from clock ticks
# hs_row ID LABEL MODE PORT USER PASSWORD-FILE [PID SOURCE]: one handshake run and its
# row. SOURCE says how PID's CPU is read:
#   threads:PREFIX  schedstat of the threads named PREFIX* (the I/O column) and of all
#                   threads (the whole process): vncgate;
#   threads         schedstat of all threads, in both columns: HAProxy (fixed threads);
#   ticks           the process's stat ticks, in both columns, marked "~": a server
#                   whose threads end with their connection (stunnel), whose schedstat
#                   goes with them.
hs_row() {
  local id=$1 label=$2 mode=$3 port=$4 user=$5 pwfile=$6 pid=${7-} source=${8-}
  local out=results/$id.handshakes.json prefix="" io0=0 all0=0 tick0=0 io1=0 all1=0 tick1=0 io whole p50
  [[ $source == threads:* ]] && prefix=${source#threads:}
  if [[ -n $prefix ]] && (($(threads_named "$pid" "$prefix") == 0)); then
    hs_lines+=("$label|no $prefix* threads in this process|-|-")
    failures=$((failures + 1))
    return
  fi
  if [[ -n $pid ]]; then
    if [[ -n $prefix ]]; then io0=$(threads_cpu_ns "$pid" "$prefix"); fi
    all0=$(threads_cpu_ns "$pid")
    tick0=$(process_tick_ns "$pid")
  fi
  if ! client "$out" --mode "$mode" --port "$port" --user "$user" --password-file "$pwfile" \
       --handshakes "$handshakes" --label "$id"; then
    hs_lines+=("$label|failed|-|-")
    return
  fi
  p50=$(awk -v v="$(field "$out" session_p50_us)" 'BEGIN { printf "%.0f", v }')
  if [[ -z $pid ]]; then
    hs_lines+=("$label|-|-|$p50")
    return
  fi
  sleep 0.2  # the last session's close and audit record, as every other session's
  if [[ -n $prefix ]]; then io1=$(threads_cpu_ns "$pid" "$prefix"); fi
  all1=$(threads_cpu_ns "$pid")
  tick1=$(process_tick_ns "$pid")
  if [[ $source == ticks ]]; then
    whole="~$(per_session $((tick1 - tick0)))"
    hs_ticks=1
  else
    whole=$(per_session $((all1 - all0)))
    # A thread that ended during the run took its schedstat with it: say so rather
    # than print a figure that silently misses it. The ticks lag the exact time by
    # under 2 ticks at each reading, so 2 ticks more than the threads' sum over the run
    # is time the live threads do not have.
    if ((tick1 - tick0 >= all1 - all0 + 2 * tick_ns)); then
      echo "run-bench: warning: $label: threads of pid $pid ended during the handshake run; its figures miss their CPU (the process's ticks say $(per_session $((tick1 - tick0))) us per session)" >&2
      whole="$whole?"
    fi
  fi
  io=$whole  # no authentication pool: all of the process is the I/O
  if [[ -n $prefix ]]; then io=$(per_session $((io1 - io0))); fi
  hs_lines+=("$label|$io|$whole|$p50")
}

echo "run-bench: handshake rows, $handshakes sessions in sequence each" >&2
hs_row direct "direct (client -> target)" direct "$p_target_small" bench vnc-password.txt
hs_row vg_vencrypt "vncgate vencrypt listener (X509Plain)" vencrypt "$p_vg_vencrypt" bench@small user-password.txt \
  "$vncgate_pid" threads:vncgate-io
hs_row vg_tls "vncgate tls listener" tls "$p_vg_tls" bench@small user-password.txt "$vncgate_pid" threads:vncgate-io
if [[ -n $haproxy_pid ]]; then
  hs_row hap_tls "HAProxy 2.6 TLS termination" tls "$p_hap_tls_small" bench vnc-password.txt "$haproxy_pid" threads
else
  hs_lines+=("HAProxy 2.6 TLS termination|skipped: haproxy not installed||")
fi
if [[ -n $stunnel_pids ]]; then
  hs_row stunnel "stunnel pair (the server side's CPU)" direct "$p_stc_hs" bench vnc-password.txt "$sts_pid" ticks
else
  hs_lines+=("stunnel pair (the server side's CPU)|skipped: stunnel4 not installed||")
fi

# ---- RSS per idle authenticated TLS session: vncgate (vencrypt listener), HAProxy (TLS) ----
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
held_pid=""
hold_idle() {  # hold_idle ID COUNT MODE PORT USER PASSWORD-FILE : COUNT sessions up, the client in held_pid
  "$client_bin" --ca cert.pem --mode "$3" --port "$4" --user "$5" --password-file "$6" \
    --idle "$2" --hold 600 --label "$1" >"results/$1.json" 2>>logs/client.err &
  held_pid=$!
  pids+=("$held_pid")
  local i
  for ((i = 0; i < 6000; i++)); do
    grep -q '"up"' "results/$1.json" 2>/dev/null && break
    kill -0 "$held_pid" 2>/dev/null || break
    sleep 0.1
  done
}
idle_lines=()
idle_rss() {  # idle_rss LABEL PID MODE PORT USER PASSWORD-FILE : K sessions held, RSS delta / K
  local label=$1 pid=$2 id=idle-$3 before after up
  before=$(rss_kib "$pid")
  hold_idle "$id" "$idle" "${@:3}"
  sleep 1  # let the last sessions settle into relaying
  after=$(rss_kib "$pid")
  kill -TERM "$held_pid" 2>/dev/null || true
  wait "$held_pid" 2>/dev/null || true
  up=$(field "results/$id.json" up 2>/dev/null || echo 0)
  if [[ -n $up && $up -gt 0 ]]; then
    idle_lines+=("$(awk -v l="$label" -v a="$before" -v b="$after" -v n="$up" -v k="$idle" -v note="$idle_note" \
      -v s="$(field "results/$id.json" seconds)" 'BEGIN { printf "%s RSS per idle authenticated TLS session: %.1f KiB (%d of %d sessions up in %.1f s%s; RSS %.1f -> %.1f MiB)\n", l, (b - a) / n, n, k, s, note, a / 1024, b / 1024 }')")
    [[ $up -eq $idle ]] || failures=$((failures + 1))
  else
    idle_lines+=("$label RSS per idle authenticated TLS session: failed ($(cat "results/$id.json" 2>/dev/null))")
    failures=$((failures + 1))
  fi
  sleep 2  # the closed sessions' sockets leave before the next row opens as many
}
idle_rss vncgate "$vncgate_pid" vencrypt "$p_vg_vencrypt" bench@small user-password.txt
if [[ -n $haproxy_pid ]]; then
  idle_rss "HAProxy 2.6 TLS termination" "$haproxy_pid" tls "$p_hap_tls_small" bench vnc-password.txt
else
  idle_lines+=("HAProxy 2.6 TLS termination RSS per idle authenticated TLS session: skipped: haproxy not installed")
fi

# ---- optional: where an idle TLS session's heap goes (valgrind massif) ----
# The gateway again, under massif, on the same ports; a few sessions first so that
# what is made once (the DES provider, relay buffers) is made before the first
# snapshot; then `heap` idle sessions and a second snapshot. Per session: the growth of
# the whole heap, and of what was allocated under client_stream::start_tls (OpenSSL's
# SSL object and what the handshake leaves in it).
heap_snapshot() {  # heap_snapshot PID FILE : "TOTAL-BYTES OPENSSL-BYTES"
  vgdb --pid="$1" detailed_snapshot "$2" >/dev/null 2>&1 || return 1
  awk '/^mem_heap_B=/ { total = substr($0, 12) }
    /^ *n[0-9]+: [0-9]+ / {
      match($0, /^ */); depth = RLENGTH
      frame[depth] = $0
      if ($1 == "n0:") {
        for (d = 0; d <= depth; d++) if (index(frame[d], "client_stream::start_tls")) { tls += $2; break }
      }
    }
    END { printf "%d %d\n", total, tls }' "$2"
}
heap_line=""
if ((heap > 0)); then
  label="vncgate heap per idle authenticated TLS session (valgrind massif, $heap sessions at rest)"
  if ! command -v valgrind >/dev/null || ! command -v vgdb >/dev/null; then
    heap_line="$label: skipped: valgrind not installed"
  else
    kill -TERM "$vncgate_pid" 2>/dev/null || true
    wait "$vncgate_pid" 2>/dev/null || true
    start vncgate-massif valgrind --tool=massif --threshold=0 --detailed-freq=1000000 --massif-out-file=/dev/null \
      "$vncgate" --config gw/vncgate.yaml
    massif_pid=$started_pid
    for ((i = 0; i < 600; i++)); do  # valgrind starts slowly
      ss -Hltn "( sport = :$p_vg_vencrypt )" | grep -q . && break
      sleep 0.1
    done
    hold_idle heap-warmup 4 vencrypt "$p_vg_vencrypt" bench@small user-password.txt
    kill -TERM "$held_pid" 2>/dev/null || true
    sleep 12  # past the half-close grace (10 s) of the warm-up sessions
    before=$(heap_snapshot "$massif_pid" logs/heap-before.txt || echo "")
    hold_idle heap "$heap" vencrypt "$p_vg_vencrypt" bench@small user-password.txt
    sleep 3
    after=$(heap_snapshot "$massif_pid" logs/heap-after.txt || echo "")
    kill -TERM "$held_pid" 2>/dev/null || true
    up=$(field results/heap.json up 2>/dev/null || echo 0)
    if [[ -n $before && -n $after && $up -eq $heap ]]; then
      heap_line=$(awk -v l="$label" -v n="$heap" -v b="$before" -v a="$after" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        total = (y[1] - x[1]) / n; tls = (y[2] - x[2]) / n
        printf "%s: %.1f KB: OpenSSL (allocated in the TLS handshake) %.1f KB, the rest (session, coroutines, Asio) %.1f KB\n",
          l, total / 1000, tls / 1000, (total - tls) / 1000 }')
    else
      heap_line="$label: failed (snapshots: '$before' '$after'; $up of $heap sessions up)"
      failures=$((failures + 1))
    fi
    kill -TERM "$massif_pid" 2>/dev/null || true
  fi
fi

# ---- the table ----
median() {  # median FILE
  [[ -s $1 ]] || { echo ""; return; }
  sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
direct_tput=$(median results/direct.tput)
direct_p50=$(median results/direct.p50)
direct_p99=$(median results/direct.p99)
row_line() {  # row_line LABEL TPUT AGGR P50 P99 CPU
  awk -v label="$1" -v t="$2" -v a="$3" -v p50="$4" -v p99="$5" -v cpu="$6" \
      -v dt="$direct_tput" -v d50="$direct_p50" -v d99="$direct_p99" '
    function f(v, fmt) { return v == "" ? "-" : sprintf(fmt, v) }
    BEGIN {
      ratio = (t != "" && dt > 0) ? t / dt : ""
      add50 = (p50 != "" && d50 != "") ? p50 - d50 : ""
      add99 = (p99 != "" && d99 != "") ? p99 - d99 : ""
      printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label, f(t, "%.0f"), f(ratio, "%.2fx"), f(a, "%.0f"),
        f(p50, "%.0f") " / " f(p99, "%.0f"), f(add50, "%+.0f"), f(add99, "%+.0f"), f(cpu, "%.2f")
    }'
}
echo
echo "| path | MiB/s (1 session) | x direct | MiB/s ($sessions sessions) | latency p50 / p99 us (${small}x${small}) | added p50 us | added p99 us | proxy CPU s/GiB |"
echo "|---|---|---|---|---|---|---|---|"
for spec in "${rows[@]}"; do
  IFS='|' read -r id label _ <<<"$spec"
  row_line "$label" "$(median "results/$id.tput")" "$(median "results/$id.aggr")" "$(median "results/$id.p50")" \
    "$(median "results/$id.p99")" "$(median "results/$id.cpu")"
  if [[ $id == vg_tls ]] && ((!vg_plain)); then
    echo "| vncgate splice path (security: plain) | not built yet | | | | | | |"
  fi
done
[[ -n $haproxy_pid ]] || echo "| HAProxy 2.6 (TCP splice, TLS termination) | skipped: haproxy not installed | | | | | | |"
[[ -n $stunnel_pids ]] || echo "| stunnel pair (TLS) | skipped: stunnel4 not installed | | | | | | |"
echo
printf '%s\n' "${idle_lines[@]}"
[[ -z $heap_line ]] || echo "$heap_line"
echo "medians of $rounds round(s); ${width}x${height}x32bpp updates ($(awk -v w="$width" -v h="$height" 'BEGIN { printf "%.1f", w * h * 4 / 1048576 }') MiB) for throughput and CPU, ${small}x${small} for latency; $(nproc) CPUs"

echo
echo "| path | server CPU us per session (I/O threads) | whole process us per session | client wall p50 us per session |"
echo "|---|---|---|---|"
for line in "${hs_lines[@]}"; do
  IFS='|' read -r label io whole p50 <<<"$line"
  echo "| $label | $io | $whole | $p50 |"
done
echo
echo "per session: $handshakes sessions in sequence per row on the ${small}x${small} target: connect, TLS and login, ServerInit, one non-incremental update read whole, close"
echo "server CPU: on-CPU time over the run (/proc/PID/task/TID/schedstat) / sessions; vncgate: its I/O threads (vncgate-io-*, not the PAM/crypt pool), and the whole process beside; HAProxy: its process; stunnel: the server process only; the target's time is in its own process"
if ((hs_ticks)); then
  echo "~: from /proc/PID/stat utime + stime in clock ticks (stunnel runs each connection on a thread of its own, whose schedstat ends with it): +/- 2 ticks over the run, +/- $(per_session $((2 * tick_ns))) us per session"
fi
echo "$machine_line"
echo "load average (1, 5, 15 min): $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
if ((failures)); then
  echo "run-bench: $failures client run(s) failed; see $work_dir/results and logs" >&2
  exit 1
fi

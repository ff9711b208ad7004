#!/usr/bin/env bash
# verify_systemd_unit.sh SYSTEMD_ANALYZE UNIT BINARY — checks deploy/systemd/vncgate.service
# with systemd's own parser: `systemd-analyze verify` on a copy whose ExecStart and
# ExecReload name the built binary (verify insists that they exist) must print nothing
# (it exits 0 even for unknown keys and unparsable values, printing a warning), and
# `systemd-analyze security --offline` must rate the exposure at most 2.0 (the unit
# rates 1.5), so losing the system call filter or several other hardening lines fails
# here (one small line alone may not: that is what review is for).
set -euo pipefail
analyze=$1 unit=$2 binary=$3
[[ -x $binary ]] || { echo "verify_systemd_unit: $binary is not built" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
copy=$dir/vncgate.service
sed "s#/usr/sbin/vncgate#${binary}#g" "$unit" > "$copy"
grep -q "^ExecStart=${binary} " "$copy" || { echo "verify_systemd_unit: ExecStart does not run /usr/sbin/vncgate" >&2; exit 1; }

status=0
out=$("$analyze" verify "$copy" 2>&1) || status=$?
if ((status != 0)) || [[ -n $out ]]; then
  echo "systemd-analyze verify (exit $status):"
  echo "$out"
  exit 1
fi

status=0
out=$("$analyze" security --offline=true --threshold=20 "$copy" 2>&1) || status=$?
if ((status != 0)); then
  echo "systemd-analyze security: exposure above 2.0 (exit $status):"
  echo "$out" | grep -E '^(✗|→)' || echo "$out"
  exit 1
fi
echo "$out" | tail -n 1

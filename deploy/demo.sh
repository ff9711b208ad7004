#!/usr/bin/env bash
# demo.sh — install what is needed, build vncgate and run it in front of a local demo
# desktop, so a VNC client can log in through the gateway in one step.
#
# Usage: deploy/demo.sh            (from the repository; Ctrl-C stops everything)
# It creates, under ./demo-state (or $VNCGATE_DEMO_DIR):
#   - a headless TigerVNC desktop (Xvnc) on 127.0.0.1, protected by a random VNC
#     password that only the gateway knows;
#   - a self-signed TLS certificate for localhost;
#   - a demo user "demo" with a random password (printed below);
#   - vncgate.yaml, listening on 127.0.0.1:${VNCGATE_DEMO_PORT:-5990} with VeNCrypt X509Plain.
# and prints the vncviewer command that connects through the gateway.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${VNCGATE_DEMO_DIR:-$repo/demo-state}
port=${VNCGATE_DEMO_PORT:-5990}
build=${VNCGATE_BUILD_DIR:-$repo/build}

say() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }

say "installing dependencies (Debian packages)"
"$repo/deploy/install-deps.sh" build demo

say "building vncgate in $build"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVNCGATE_TESTS=OFF >/dev/null
cmake --build "$build" --target vncgate
vncgate=$build/gateway/vncgate

mkdir -p "$state"
chmod 700 "$state"
cd "$state"

# --- the internal desktop: Xvnc on a free display, VncAuth with a random password ----------
display=
for n in $(seq 20 60); do
  if [[ ! -e /tmp/.X$n-lock ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$((5900 + n))") 2>/dev/null; then display=$n; break; fi
done
[[ -n $display ]] || { say "no free X display between :20 and :60"; exit 1; }
vnc_password=$(openssl rand -base64 6 | tr -d '/+=' | cut -c1-8)
printf '%s\n' "$vnc_password" | vncpasswd -f > desktop.passwd
chmod 600 desktop.passwd
Xvnc ":$display" -rfbport $((5900 + display)) -localhost -geometry 1280x800 -depth 24 \
  -desktop "vncgate demo desktop" -SecurityTypes VncAuth -rfbauth desktop.passwd \
  </dev/null >xvnc.log 2>&1 &
xvnc_pid=$!
cleanup() { kill "$xvnc_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$((5900 + display))") 2>/dev/null; then break; fi
  sleep 0.1
done
DISPLAY=":$display" xsetroot -solid '#2a6f97' 2>/dev/null || true

# --- TLS certificate for localhost ------------------------------------------------------
if [[ ! -s cert.pem || ! -s key.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout key.pem -out cert.pem 2>/dev/null
fi
chmod 600 key.pem

# --- the demo user ----------------------------------------------------------------------
user_password=$(openssl rand -base64 12 | tr -d '/+=' | cut -c1-12)
hash=$(printf '%s\n' "$user_password" | "$vncgate" hash-password)
cat > users.yaml <<YAML
users:
  demo:
    password_hash: "$hash"
    groups: [demo]
YAML
chmod 600 users.yaml

cat > vncgate.yaml <<YAML
# The demo configuration written by deploy/demo.sh.
listeners:
  - address: 127.0.0.1:$port
    security: vencrypt
tls:
  certificate: cert.pem
  private_key: key.pem
auth:
  backend: file
  users_file: users.yaml
targets:
  - name: demo-desktop
    host: 127.0.0.1
    display: $display
    password_file: desktop.passwd
    allow: { groups: [demo] }
audit:
  - { type: file, path: audit.jsonl }
  - { type: stdout }
YAML

"$vncgate" check-config vncgate.yaml >/dev/null

cat >&2 <<MSG

  vncgate demo
  ------------
  desktop   Xvnc :$display on 127.0.0.1:$((5900 + display)) (VNC password known only to the gateway)
  gateway   127.0.0.1:$port, VeNCrypt X509Plain (TLS), certificate $state/cert.pem
  user      demo / $user_password
  audit     $state/audit.jsonl (and below)

  Connect through the gateway (TigerVNC viewer):

    VNC_USERNAME=demo VNC_PASSWORD='$user_password' vncviewer -SecurityTypes X509Plain -X509CA $state/cert.pem localhost::$port

  Ctrl-C stops the gateway and the desktop.

MSG
"$vncgate" --config vncgate.yaml

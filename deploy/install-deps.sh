#!/usr/bin/env bash
# install-deps.sh — install everything vncgate needs from Debian 12 packages, idempotently.
#
# Usage: deploy/install-deps.sh [build|run|demo|test|bench|heap|kubernetes|image|all]...   (default: all)
#   build  compiler, CMake and the libraries vncgate links
#   run    what the daemon needs at run time
#   demo   run + a TigerVNC desktop and viewer for deploy/demo.sh
#   test   build + demo + the real peers the end-to-end suite drives: Xvnc, vncviewer
#          under Xvfb, libvncclient, pam_wrapper, socat, and xdotool/xclip to look at
#          a target desktop from inside (pointer, clipboard), oathtool and pam_oath for
#          one-time codes made outside vncgate, zbarimg to scan the enrolment QR code,
#          prometheus (promtool and a real server) to check and scrape /metrics and the
#          Grafana dashboard's queries, systemd (systemd-analyze) to check the unit,
#          and the bench group (the benchmark smoke test runs every row)
#   bench  the relay benchmark's peers (tests/bench/run-bench.sh): HAProxy, stunnel; HAProxy
#          is also the load balancer of the PROXY protocol end-to-end test
#   kubernetes  Node.js and npm for the Kubernetes manifest test (tests/deploy/kubernetes,
#          whose npm ci installs its pinned validator); part of test and all
#   heap   valgrind, for the benchmark's heap profile of idle sessions (run-bench.sh
#          --heap N); not part of test
#   image  podman and what it runs with (runc, netavark, aardvark-dns, iptables,
#          slirp4netns) and mmdebstrap, to make a Debian base image without a registry,
#          build deploy/container/Containerfile and run it; part of test (the image tests)
#   all    test + heap
# Runs as root (or through sudo). Safe to run again: apt-get skips what is installed.
set -euo pipefail

build=(build-essential cmake pkg-config ninja-build
       libboost1.81-dev libboost-json1.81-dev libssl-dev libpam0g-dev libcrypt-dev libyaml-cpp-dev libqrencode-dev catch2
       prometheus-cpp-dev)
run=(openssl libssl3 libpam0g libcrypt1 libyaml-cpp0.7 libboost-json1.81.0 libqrencode4
     libprometheus-cpp-core1.0)
demo=(tigervnc-standalone-server tigervnc-tools tigervnc-viewer x11-xserver-utils)
test=(xvfb x11-apps x11-utils libvncserver-dev pkg-config libpam-wrapper socat
      procps psmisc xdotool xclip libpam-modules oathtool libpam-oath zbar-tools
      prometheus systemd logrotate)
bench=(haproxy stunnel4)
heap=(valgrind)
# A nodejs that bundles npm (NodeSource's) conflicts with Debian's npm package: then
# nodejs alone.
kubernetes=(nodejs npm)
if command -v npm >/dev/null; then kubernetes=(nodejs); fi
image=(podman runc netavark aardvark-dns iptables slirp4netns mmdebstrap)
# The test suite checks the manifests and builds and runs the image.
test+=("${kubernetes[@]}" "${image[@]}")

pkgs=()
for what in "${@:-all}"; do
  case $what in
    build) pkgs+=("${build[@]}") ;;
    run)   pkgs+=("${run[@]}") ;;
    demo)  pkgs+=("${run[@]}" "${demo[@]}") ;;
    bench) pkgs+=("${bench[@]}") ;;
    heap)  pkgs+=("${heap[@]}") ;;
    kubernetes) pkgs+=("${kubernetes[@]}") ;;
    image) pkgs+=("${image[@]}") ;;
    test)  pkgs+=("${build[@]}" "${run[@]}" "${demo[@]}" "${test[@]}" "${bench[@]}") ;;
    all)   pkgs+=("${build[@]}" "${run[@]}" "${demo[@]}" "${test[@]}" "${bench[@]}" "${heap[@]}") ;;
    *) echo "usage: $0 [build|run|demo|test|bench|heap|kubernetes|image|all]..." >&2; exit 2 ;;
  esac
done

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# test.sh — install what is needed, build vncgate and run the whole test suite:
# unit tests (rfb, auth, policy, config), PAM tests under pam_wrapper, and the
# end-to-end suite against real peers (TigerVNC Xvnc, libvncclient, vncviewer under
# Xvfb, socat) on loopback.
#
# Usage: deploy/test.sh [--sanitize]
#   --sanitize   build with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
# Environment: VNCGATE_BUILD_DIR (default build/ or build-asan/), CTEST_PARALLEL_LEVEL (default 2)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=OFF
build=${VNCGATE_BUILD_DIR:-$repo/build}
for arg in "$@"; do
  case $arg in
    --sanitize) sanitize=ON; build=${VNCGATE_BUILD_DIR:-$repo/build-asan} ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
  esac
done

"$repo/deploy/install-deps.sh" test

# The benchmark's smoke test runs in the plain build; the sanitizer build skips it.
bench=ON
[[ $sanitize == ON ]] && bench=OFF
# The container image tests (podman, label image) too: a sanitizer binary in the image
# would need the sanitizer runtimes there, and the plain run covers the image.
image=ON
[[ $sanitize == ON ]] && image=OFF
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVNCGATE_SANITIZE=$sanitize \
  -DVNCGATE_BENCH=$bench -DVNCGATE_IMAGE_TESTS=$image
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}"

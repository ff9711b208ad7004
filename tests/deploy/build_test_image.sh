#!/usr/bin/env bash
# build_test_image.sh — the image tests' fixture: the container image of
# deploy/container/Containerfile, its runtime stage around the vncgate this build made.
#
# Usage: build_test_image.sh SOURCE_DIR BUILD_DIR IMAGE_TAG VERSION
#   1. the base image: a Debian 12 slim root made by deploy/container/make-base-image.sh
#      (mmdebstrap | podman import), tagged with a hash of that script and kept in
#      podman's store, so it is made once per machine and recipe (no registry here);
#   2. `cmake --install BUILD_DIR --prefix /usr --strip` into BUILD_DIR/container/staging;
#   3. `podman build --target prebuilt --build-context staging=...`: the same runtime stage
#      users build, without compiling vncgate a second time inside the image.
# The previous image of IMAGE_TAG is removed once the new one is tagged. Prints how long
# each step took. Fails, not skips, when podman, runc or mmdebstrap is missing
# (deploy/install-deps.sh image).
#
# This machine's podman needs two things a stock host does not (see docs/deployment.md,
# "In a container"): runc (crun 1.8 refuses the hybrid cgroup v1/v2 layout), and ulimits
# within the host's hard limits (root here lacks CAP_SYS_RESOURCE, podman's defaults
# are above them). The podman and ulimits arrays below carry both; the C++ test
# (image_test.cpp) uses the same values.
set -euo pipefail

[[ $# -eq 4 ]] || { echo "usage: $0 SOURCE_DIR BUILD_DIR IMAGE_TAG VERSION" >&2; exit 2; }
src=$1 build=$2 tag=$3 version=$4

for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build_test_image: $tool missing (deploy/install-deps.sh image)" >&2; exit 1; }
done
podman=(podman --runtime runc)
ulimits=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

step() { printf 'build_test_image: %-11s %4d s\n' "$1" "$((SECONDS - started))"; }

# 1. The base image, made once per recipe.
started=$SECONDS
recipe=$(sha256sum "$src/deploy/container/make-base-image.sh" | cut -c1-12)
base=localhost/vncgate-test-base:bookworm-slim-$recipe
if "${podman[@]}" image exists "$base"; then
  echo "build_test_image: base image $base already made"
else
  "$src/deploy/container/make-base-image.sh" "$base"
  # Bases of older recipes are not used again.
  while read -r stale; do
    [[ $stale == "$base" ]] || "${podman[@]}" rmi "$stale" >/dev/null 2>&1 || true
  done < <("${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' localhost/vncgate-test-base)
fi
step "base image"

# 2. This build's vncgate, installed as a package would lay it out.
started=$SECONDS
staging=$build/container/staging
rm -rf "$staging"
DESTDIR=$staging cmake --install "$build" --prefix /usr --strip >/dev/null
[[ -x $staging/usr/sbin/vncgate ]] || { echo "build_test_image: cmake --install made no usr/sbin/vncgate" >&2; exit 1; }
step "staging"

# 3. The image. --format docker: the OCI format has no HEALTHCHECK. The runtime stage is
# tagged too: removing the previous image would otherwise take its untagged layers, the
# installed runtime libraries among them, out of the cache.
started=$SECONDS
revision=$(git -C "$src" rev-parse HEAD 2>/dev/null || true)
log=$build/container/build.log
: >"$log"
build_target() {  # TARGET TAG: build, tag, drop the image the tag had before
  local old new
  old=$("${podman[@]}" image inspect --format '{{.Id}}' "$2" 2>/dev/null || true)
  if ! "${podman[@]}" build --format docker "${ulimits[@]}" \
         --target "$1" --build-context "staging=$staging" \
         --build-arg "BASE_IMAGE=$base" --build-arg "VNCGATE_VERSION=$version" --build-arg "VNCGATE_REVISION=$revision" \
         -f "$src/deploy/container/Containerfile" -t "$2" "$src" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "build_test_image: podman build --target $1 failed (whole log: $log)" >&2
    exit 1
  fi
  new=$("${podman[@]}" image inspect --format '{{.Id}}' "$2")
  if [[ -n $old && $old != "$new" ]]; then
    "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true
  fi
}
build_target runtime "${tag%:*}-runtime:${tag##*:}"
build_target prebuilt "$tag"
step "image"
"${podman[@]}" image inspect --format "build_test_image: $tag {{.Id}} {{.Size}} bytes" "$tag"

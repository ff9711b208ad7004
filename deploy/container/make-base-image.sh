#!/usr/bin/env bash
# make-base-image.sh — make a Debian 12 "slim" base image from Debian packages, for
# machines that reach a Debian mirror but no image registry.
#
# Usage: deploy/container/make-base-image.sh [TAG]   (default TAG: localhost/debian:bookworm-slim)
# Environment:
#   VNCGATE_DEBIAN_MIRROR    default http://deb.debian.org/debian
#   VNCGATE_DEBIAN_SECURITY  default http://deb.debian.org/debian-security
#   CONTAINER_ENGINE         podman (default) or docker: the engine that imports the image
#
# mmdebstrap builds a minbase bookworm root (essential packages + apt) with merged /usr,
# without man pages, info pages, locales or documentation other than the copyright
# files, as Debian's own slim image leaves them out; the tarball goes straight into
# `podman import`. Then build with
#   podman build --build-arg BASE_IMAGE=localhost/debian:bookworm-slim ...
# Runs as root (mmdebstrap's root mode; as another user it needs newuidmap, package uidmap).
set -euo pipefail

tag=${1:-localhost/debian:bookworm-slim}
mirror=${VNCGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${VNCGATE_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
engine=${CONTAINER_ENGINE:-podman}

command -v mmdebstrap >/dev/null || { echo "make-base-image: mmdebstrap missing (deploy/install-deps.sh image)" >&2; exit 1; }
command -v "$engine" >/dev/null || { echo "make-base-image: $engine missing (deploy/install-deps.sh image)" >&2; exit 1; }

# The same paths Debian's slim images exclude; kept in /etc/dpkg/dpkg.cfg.d/99mmdebstrap,
# so packages installed later in the image leave them out too.
excludes=(
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/groff/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/linda/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
)

# mmdebstrap's hooks talk even with --quiet: its messages go to a log, shown on failure.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mmdebstrap --variant=minbase --quiet \
       --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
       --dpkgopt=force-unsafe-io "${excludes[@]}" \
       --aptopt='Acquire::Languages "none"' \
       bookworm - \
       "deb $mirror bookworm main" \
       "deb $mirror bookworm-updates main" \
       "deb $security bookworm-security main" 2>>"$log" |
     "$engine" import --change 'CMD ["bash"]' - "$tag" >/dev/null 2>>"$log"; then
  tail -n 30 "$log" >&2
  echo "make-base-image: mmdebstrap or $engine import failed" >&2
  exit 1
fi
echo "make-base-image: $tag"

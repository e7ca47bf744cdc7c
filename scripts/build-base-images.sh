#!/usr/bin/env bash
# Makes the Dockerfile's base images, debian:12 and debian:12-slim, from
# Debian's archive with mmdebstrap and `docker import`, for engines that
# cannot pull from Docker Hub (tests here, air-gapped hosts). With these
# tagged locally, `docker build` finds its FROM images without a registry.
#
# The rootfs tarballs are cached outside the repository (never commit them):
#   ${STACKD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stackd}/base-images/
# and rebuilt when older than STACKD_BASE_MAX_AGE_DAYS (default 7), so the
# package versions in them do not drift far from the archive.
#   DOCKER_HOST=unix:///path/d.sock scripts/build-base-images.sh
set -euo pipefail
cache=${STACKD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stackd}/base-images
max_age=${STACKD_BASE_MAX_AGE_DAYS:-7}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
mkdir -p "$cache"

# The image's own sources.list, so `apt-get install` in a Dockerfile RUN
# gets bookworm's updates and security fixes like the official image.
sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main")
# What the official -slim variant leaves out: documentation and locales.
slim_excludes=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
)

rootfs() {  # rootfs NAME [mmdebstrap options...]: a cached minbase tarball
  local name=$1; shift
  local tar="$cache/$name.tar"
  if [ -f "$tar" ] && [ -s "$tar" ] && [ -z "$(find "$tar" -mtime +"$max_age")" ]; then echo "$tar"; return; fi
  # minbase: essential packages and apt, as the official images. The hook
  # makes /bin, /lib, /sbin symlinks into /usr as bookworm expects.
  echo "making $name with mmdebstrap (cached in $cache)" >&2
  mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='APT::Install-Recommends "false"' "$@" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$cache/$name.partial.tar" "${sources[@]}" >"$cache/$name.log" 2>&1 \
    || { echo "mmdebstrap failed for $name; the end of $cache/$name.log:" >&2; tail -20 "$cache/$name.log" >&2; exit 1; }
  mv "$cache/$name.partial.tar" "$tar"
  echo "$tar"
}

import() {  # import TAG TARBALL: tag it unless the engine has this exact tarball already
  local tag=$1 tar=$2 digest
  digest=$(stat -c '%s-%Y' "$tar")
  if [ "$(docker image inspect -f '{{index .Config.Labels "dev.stackd.base-rootfs"}}' "$tag" 2>/dev/null)" = "$digest" ]; then
    return
  fi
  docker import -c "LABEL dev.stackd.base-rootfs=$digest" -c 'CMD ["bash"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$tar" "$tag" >/dev/null
}

: "${DOCKER_HOST:=unix:///var/run/docker.sock}"
export DOCKER_HOST
full=$(rootfs debian-12)
slim=$(rootfs debian-12-slim "${slim_excludes[@]}")
import debian:12 "$full"
import debian:12-slim "$slim"
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' debian

#!/usr/bin/env bash
# Build a systemd-ready Debian base image from Debian's archive and import it
# into Docker as dsvm-base:<distro>. The image is rebuilt only when its recipe
# (this script, the suite, the mirror) changes: the recipe's hash is part of a
# second tag, dsvm-base:<distro>-<hash>, that is checked before any work.
#
#   tools/build-base-image.sh debian12 [debian13 ...]   build what is missing or stale
#   tools/build-base-image.sh --force debian12          rebuild regardless
#   tools/build-base-image.sh --tag debian12            print the cached tag only
#
# Environment: DSVM_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DSVM_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
set -euo pipefail

MIRROR="${DSVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DSVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
REPO="dsvm-base"
# What Ansible, Molecule and testinfra need in a systemd container, nothing more:
# the roles install the rest.
INCLUDE="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps,gnupg"

suite_for() {
  case "$1" in
    debian12) echo bookworm ;;
    debian13) echo trixie ;;
    *) echo "build-base-image: unknown distro '$1' (known: debian12 debian13)" >&2; return 2 ;;
  esac
}

recipe_hash() {
  local suite
  suite=$(suite_for "$1")
  # The recipe: the function that builds an image and its inputs (not the
  # rest of this script, so that changing how images are scheduled or tagged
  # rebuilds nothing).
  { declare -f build_one; echo "$suite $MIRROR $SECURITY_MIRROR $INCLUDE"; } | sha256sum | cut -c1-12
}

# Runs in a subshell so that its EXIT trap removes the root file system.
build_one() (
  local distro="$1" force="$2" suite hash tag rootfs
  suite=$(suite_for "$distro")
  hash=$(recipe_hash "$distro")
  tag="$REPO:$distro-$hash"
  if [[ "$force" != 1 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
    docker tag "$tag" "$REPO:$distro"
    echo "build-base-image: $tag is current (recipe unchanged), not rebuilt"
    return 0
  fi
  command -v debootstrap >/dev/null || {
    echo "build-base-image: debootstrap is missing (apt-get install debootstrap)" >&2; return 1; }
  rootfs=$(mktemp -d "/var/tmp/dsvm-rootfs-$distro.XXXXXX")
  trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
  echo "build-base-image: debootstrap $suite from $MIRROR into $rootfs"
  debootstrap --variant=minbase --include="$INCLUDE" "$suite" "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2; echo "build-base-image: debootstrap of $suite failed" >&2; return 1; }
  rm -f "$rootfs.log"

  # Sources: main contrib non-free(-firmware), updates and security.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $suite $suite-updates
Components: main contrib non-free non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $suite-security
Components: main contrib non-free non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # A container, not a machine: no consoles, no udev, no time sync.
  for unit in getty.target console-getty.service systemd-udevd.service \
              systemd-udev-trigger.service systemd-timesyncd.service \
              systemd-networkd-wait-online.service sys-kernel-config.mount; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  # machine-id is made per container at boot; apt's lists are fetched by the roles.
  : >"$rootfs/etc/machine-id"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb

  tar -C "$rootfs" -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/lib/systemd/systemd"]' \
    - "$tag" >/dev/null
  docker tag "$tag" "$REPO:$distro"
  # Drop the stale builds of this distro.
  docker image ls --format '{{.Repository}}:{{.Tag}}' "$REPO" \
    | grep -E "^$REPO:$distro-[0-9a-f]{12}$" | grep -v "^$tag$" | xargs -r docker rmi >/dev/null 2>&1 || true
  echo "build-base-image: built $tag"
)

main() {
  local force=0 tag_only=0 distros=()
  for arg in "$@"; do
    case "$arg" in
      --force) force=1 ;;
      --tag) tag_only=1 ;;
      -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}"; return 0 ;;
      *) distros+=("$arg") ;;
    esac
  done
  ((${#distros[@]})) || distros=(debian12 debian13)
  for d in "${distros[@]}"; do suite_for "$d" >/dev/null || return 2; done
  if ((tag_only)); then
    for d in "${distros[@]}"; do echo "$REPO:$d-$(recipe_hash "$d")"; done
    return 0
  fi
  # The distros at once: debootstrap is mostly downloads and dpkg.
  local pids=() rc=0
  for d in "${distros[@]}"; do
    build_one "$d" "$force" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}

main "$@"

#!/usr/bin/env bash
# The host tools the build and the tests need, from Debian's archive when
# missing (docker.io, debootstrap, packer; QEMU, OVMF, GRUB's EFI modules,
# mtools, dosfstools and fdisk for the VM image), and a Docker engine that answers:
# dockerd is started in the background if it is not running.
set -euo pipefail
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
# OpenPGP keys for the repository key tests (tests/unit/test_apt_key.py).
command -v gpg >/dev/null || need+=(gpg)
command -v packer >/dev/null || need+=(packer)
# The VM image (tools/vm-disk), its boot test (tools/vm-test) and Packer's qemu
# source (make qemu-image: xorriso writes its cloud-init seed CD).
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img >/dev/null || need+=(qemu-utils)
[[ -f /usr/share/OVMF/OVMF_CODE_4M.fd || -f /usr/share/OVMF/OVMF_CODE.fd ]] || need+=(ovmf)
command -v xorriso >/dev/null || need+=(xorriso)
[[ -d /usr/lib/grub/x86_64-efi ]] && command -v grub-mkstandalone >/dev/null || need+=(grub-efi-amd64-bin)
command -v mcopy >/dev/null || need+=(mtools)
command -v mkfs.vfat >/dev/null || need+=(dosfstools)
command -v sfdisk >/dev/null || need+=(fdisk)
if ((${#need[@]})); then
  echo "ensure-host: installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
echo "ensure-host: starting dockerd (log: /var/log/dockerd.log)"
setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "ensure-host: dockerd did not answer within 60 s; last lines of /var/log/dockerd.log:" >&2
tail -n 20 /var/log/dockerd.log >&2
exit 1

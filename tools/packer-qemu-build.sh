#!/usr/bin/env bash
# tools/packer-qemu-build.sh VARIANT DISTRO OUT.qcow2: a VM image built by
# Packer's qemu source (make qemu-image): QEMU boots a base disk, Packer's
# Ansible provisioner converges playbooks/site.yml over SSH, the acceptance
# suite runs over SSH with the build's key (tools/build-ssh-suite), then
# playbooks/vm.yml (roles/vm_guest, cleanup.yml with the SBOM), the capture
# checks, and the shutdown command removes the build's login user.
# The base disk: tools/vm-base-disk's, made from Debian's archive (no
# download of a cloud image), or a distribution's cloud image given by
# DSVM_QEMU_BASE_URL and DSVM_QEMU_BASE_CHECKSUM (sha256:..., sha512:...; its
# cloud-init default user must be ssh_username, "debian"). OUT is written
# when the build passed; a failed build leaves nothing there.
#
# Environment (the Makefile's variables in brackets):
#   DSVM_ANSIBLE_VARS_EXTRA  more Ansible variable files [IMAGE_VARS]
#   DSVM_ACCEPTANCE_MARKERS  the in-build suite's -m expression [ACCEPTANCE_MARKERS]
#   DSVM_VM_ACCEL            auto (KVM where usable, else TCG), kvm or tcg
#   DSVM_QEMU_DISK_SIZE      the VM's disk (default 40G; a sparse qcow2)
#   DSVM_VM_MEMORY, DSVM_VM_CPUS  the build VM (default 4096 MiB, all CPUs)
#   DSVM_QEMU_MIN_FREE_GB    free space OUT's directory must have (default 10)
#   DSVM_MANIFEST            Packer's manifest (default: OUT.packer-manifest.json)
#   DSVM_HOST_CA_BUNDLE      the build host's CA bundle, trusted during the build only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "packer-qemu-build: $*" >&2; exit 1; }
[[ $# -eq 3 ]] || { echo "usage: tools/packer-qemu-build.sh VARIANT DISTRO OUT.qcow2" >&2; exit 2; }
variant=$1 distro=$2
# Absolute: Packer's provisioners do not run in this directory.
out=$(realpath -m "$3")
cd "$root"

# Everything is checked before anything is written.
[[ -f packer/$variant.pkrvars.hcl ]] || die "VARIANT ($variant) must be cpu or gpu (no packer/$variant.pkrvars.hcl)"
[[ $out == *.qcow2 ]] || die "OUT ($out) must end in .qcow2"
outdir=$(dirname "$out")
[[ -d $outdir && -w $outdir ]] || die "the output directory $outdir does not exist or is not writable"
for tool in packer qemu-system-x86_64 qemu-img xorriso ssh ssh-keygen; do
  command -v "$tool" >/dev/null || die "$tool is missing: run 'make vm-host-tools'"
done
[[ -x $root/.venv/bin/ansible-playbook && -x $root/.venv/bin/pytest ]] || die "no tools in .venv: run 'make venv'"
# Packer's Ansible provisioner runs ansible-playbook from PATH.
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.collections:${ANSIBLE_COLLECTIONS_PATH:-}"
firmware=${DSVM_QEMU_FIRMWARE:-/usr/share/ovmf/OVMF.fd}
[[ -z $firmware || -f $firmware ]] || die "UEFI firmware $firmware is missing: install the ovmf package (make vm-host-tools)"
kvm=${DSVM_KVM_DEVICE:-/dev/kvm}
kvm_usable() { [[ -r $kvm && -w $kvm ]] && grep -Eqw 'vmx|svm' /proc/cpuinfo; }
accel=${DSVM_VM_ACCEL:-auto}
case $accel in
  auto) if kvm_usable; then accel=kvm; else accel=tcg; fi ;;
  kvm) kvm_usable || die "DSVM_VM_ACCEL=kvm but KVM cannot work here ($kvm missing or not writable, or no vmx/svm CPU flag): use DSVM_VM_ACCEL=tcg (software emulation, 6 to 10 times slower)" ;;
  tcg) ;;
  *) die "DSVM_VM_ACCEL ($accel) must be auto, kvm or tcg" ;;
esac
min_free=${DSVM_QEMU_MIN_FREE_GB:-10}
[[ $min_free =~ ^[0-9]+$ ]] || die "DSVM_QEMU_MIN_FREE_GB ($min_free) must be a number of GB"
free_gb=$(($(df -Pk "$outdir" | awk 'NR == 2 {print $4}') / 1024 / 1024))
((free_gb >= min_free)) || die "not enough space in $outdir: ${free_gb} GB free, ${min_free} GB needed for the build's disk (DSVM_QEMU_MIN_FREE_GB); free space or choose another OUT"
vars_files=""
for f in ${DSVM_ANSIBLE_VARS_EXTRA:-}; do
  [[ -f $f ]] || die "IMAGE_VARS file $f does not exist"
  vars_files+="${vars_files:+, }\"$(realpath "$f")\""
done
if [[ -n ${DSVM_QEMU_BASE_URL:-} ]]; then
  [[ ${DSVM_QEMU_BASE_CHECKSUM:-} =~ ^(sha256|sha512):[0-9a-f]+$|^file: ]] ||
    die "DSVM_QEMU_BASE_URL is given without DSVM_QEMU_BASE_CHECKSUM (sha256:HEX, sha512:HEX or file:URL of a SUMS file): a cloud image is used only when its checksum is pinned"
  if [[ $DSVM_QEMU_BASE_URL == file://* || $DSVM_QEMU_BASE_URL == /* ]]; then
    [[ -f ${DSVM_QEMU_BASE_URL#file://} ]] || die "the base disk ${DSVM_QEMU_BASE_URL#file://} does not exist (DSVM_QEMU_BASE_URL)"
  fi
fi

build_id="${DSVM_BUILD_ID:-qemu-$(date +%Y%m%d%H%M%S)-$$}"
work="$outdir/.packer-qemu-$build_id"
tmp_out="$outdir/.$(basename "$out").partial"
ssh_dir="/tmp/dsvm-build-ssh-$build_id"
cleanup() {
  [[ -S $ssh_dir/ctl ]] && ssh -F "$ssh_dir/config" -O exit build >/dev/null 2>&1
  rm -rf "$work" "$tmp_out" "$ssh_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/seed"

if [[ -n ${DSVM_QEMU_BASE_URL:-} ]]; then
  base_url=$DSVM_QEMU_BASE_URL base_checksum=$DSVM_QEMU_BASE_CHECKSUM
  [[ $base_url == /* ]] && base_url="file://$base_url"
else
  base=$("$root/tools/vm-base-disk" "$distro" "$root/build/vm-base") || die "the base disk could not be made (tools/vm-base-disk $distro)"
  base_url="file://$base" base_checksum="sha256:$(sha256sum "$base" | cut -d' ' -f1)"
fi

# The seed: cloud-init's default user gets the key Packer logs in with.
ssh-keygen -q -t ed25519 -N '' -C "packer-$build_id" -f "$work/id"
printf 'instance-id: %s\nlocal-hostname: dsvm-build\n' "$build_id" >"$work/seed/meta-data"
printf '#cloud-config\nssh_pwauth: false\nssh_authorized_keys:\n  - %s\n' "$(cat "$work/id.pub")" >"$work/seed/user-data"

ca_bundle="${DSVM_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
ca_args=()
[[ -f $ca_bundle ]] && ca_args=(-var "build_ca_files=[\"$ca_bundle\"]")
manifest=$(realpath -m "${DSVM_MANIFEST:-${out%.qcow2}.packer-manifest.json}")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
log="${out%.qcow2}.packer.log"
echo "packer-qemu-build: $variant on $distro from $base_url ($accel); log $log"
start=$(date +%s)
# Packer copies the base disk into its cache: the build's own, removed with it.
PACKER_CACHE_DIR="$work/packer_cache" packer build -color=false -timestamp-ui \
  -only=qemu.dsvm \
  -var-file="packer/$variant.pkrvars.hcl" \
  -var "build_id=$build_id" \
  -var "git_commit=$commit" \
  -var "manifest_path=$manifest" \
  -var "acceptance_pytest=$root/.venv/bin/pytest" \
  -var "ansible_vars_files=[$vars_files]" \
  ${DSVM_ACCEPTANCE_MARKERS:+-var "acceptance_markers=$DSVM_ACCEPTANCE_MARKERS"} \
  -var "acceptance_args=[\"--dsvm-tls-url=${DSVM_TEST_TLS_URL:-https://pypi.org/simple/pip/}\"]" \
  -var "qemu_iso_url=$base_url" \
  -var "qemu_iso_checksum=$base_checksum" \
  -var "qemu_accelerator=$accel" \
  -var "qemu_firmware=$firmware" \
  -var "qemu_disk_size=${DSVM_QEMU_DISK_SIZE:-40G}" \
  -var "qemu_memory=${DSVM_VM_MEMORY:-4096}" \
  -var "qemu_cpus=${DSVM_VM_CPUS:-$(nproc)}" \
  -var "qemu_output_directory=$work/out" \
  -var "qemu_cd_files=[\"$work/seed/user-data\", \"$work/seed/meta-data\"]" \
  -var "ssh_private_key_file=$work/id" \
  "${ca_args[@]}" \
  packer 2>&1 | tee "$log" || die "packer build failed (log $log)"
built=$(find "$work/out" -maxdepth 1 -name '*.qcow2' | head -1)
[[ -n $built ]] || die "packer produced no qcow2 in $work/out (log $log)"
mv "$built" "$tmp_out"
mv "$tmp_out" "$out"
echo "packer-qemu-build: $out built and tested in $(($(date +%s) - start))s ($(du -h "$out" | cut -f1) on disk); boot it with tools/vm-test $out"

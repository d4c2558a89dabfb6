#!/usr/bin/env bash
# tools/packer-build.sh VARIANT DISTRO: build the docker image dsvm-image:VARIANT-DISTRO
# with Packer (playbooks/site.yml, the acceptance suite, cleanup, capture
# checks), from the local base image dsvm-base:DISTRO. Called by `make image`.
set -euo pipefail
variant="${1:-cpu}"
distro="${2:-debian12}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
container="packer-dsvm-$variant-$distro"
# A container left by an interrupted build would block the fixed name.
docker rm -f "$container" >/dev/null 2>&1 || true
ca_bundle="${DSVM_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
ca_args=()
[[ -f "$ca_bundle" ]] && ca_args=(-var "extra_ca_files=[\"$ca_bundle\"]")
mkdir -p build "${DSVM_UV_CACHE:-/var/cache/dsvm/uv}"
# uv's download cache and the local wheelhouse, for the build container only.
# Ansible variable files: the CI overrides, then any in DSVM_ANSIBLE_VARS_EXTRA
# (space-separated; `make image IMAGE_VARS=FILE`).
vars_files="\"${DSVM_ANSIBLE_VARS:-$root/tests/ci/ansible-vars.yml}\""
for f in ${DSVM_ANSIBLE_VARS_EXTRA:-}; do
  [[ -f $f ]] || { echo "packer-build: IMAGE_VARS file $f does not exist" >&2; exit 2; }
  vars_files+=", \"$(realpath "$f")\""
done
mounts="[\"${DSVM_UV_CACHE:-/var/cache/dsvm/uv}:/var/cache/dsvm/uv\", \"${DSVM_WHEELHOUSE:-/opt/wheels}:/opt/wheelhouse:ro\"]"
start=$(date +%s)
packer build -color=false -force \
  -only=docker.dsvm \
  -var-file="packer/$variant.pkrvars.hcl" \
  -var "docker_base_image=dsvm-base:$distro" \
  -var "docker_distro=$distro" \
  -var "git_commit=$commit" \
  -var "acceptance_pytest=$root/.venv/bin/pytest" \
  -var "docker_mounts=$mounts" \
  -var "ansible_vars_files=[$vars_files]" \
  ${DSVM_ACCEPTANCE_MARKERS:+-var "acceptance_markers=$DSVM_ACCEPTANCE_MARKERS"} \
  -var "acceptance_args=[\"--dsvm-tls-url=${DSVM_TEST_TLS_URL:-https://pypi.org/simple/pip/}\"]" \
  "${ca_args[@]}" \
  packer
# Packer exits 0 when a filter matched no source: insist on a fresh image.
created=$(docker image inspect -f '{{.Created}}' "dsvm-image:$variant-$distro" 2>/dev/null || echo 1970-01-01)
if (( $(date -d "$created" +%s) < start )); then
  echo "packer-build: packer produced no new dsvm-image:$variant-$distro" >&2
  exit 1
fi
echo "packer-build: dsvm-image:$variant-$distro built and tested in $(( $(date +%s) - start ))s"
docker image ls dsvm-image --format '{{.Repository}}:{{.Tag}} {{.Size}}'

#!/usr/bin/env bash
# tools/packer-build.sh VARIANT DISTRO: build the docker image
# REPOSITORY:VARIANT-DISTRO (default dsvm-image) with Packer: playbooks/site.yml,
# optionally its idempotent pass, the acceptance suite, cleanup, capture checks,
# commit, tag and manifest. Called by `make image`.
#
# Environment (the Makefile's variables in brackets):
#   DSVM_ANSIBLE_VARS_EXTRA  more Ansible variable files, space-separated [IMAGE_VARS]
#   DSVM_IDEMPOTENT_PASS     true: run site.yml twice, fail on any change [IDEMPOTENT=1]
#   DSVM_IMAGE_REPOSITORY    repository of the tags [IMAGE_REPOSITORY]
#   DSVM_BUILD_ID            unique id of this build [BUILD_ID]; default: time and PID
#   DSVM_MANIFEST            Packer manifest file; default build/packer-manifest.json
#   DSVM_WHEELHOUSE          local wheel directory mounted read-only at /opt/wheelhouse
#                            (default: pip's configured find-links directory, if any)
#   DSVM_UV_CACHE            uv's download cache, mounted for the build only
#   DSVM_HOST_CA_BUNDLE      PEM bundle added to the image's trust store (extra_ca_files)
#   DSVM_ACCEPTANCE_MARKERS  the suite's -m expression [ACCEPTANCE_MARKERS]
#
# The build container is named packer-dsvm-VARIANT-DISTRO-BUILD_ID: builds on
# one machine never share a name, and this script removes only its own.
set -euo pipefail
variant="${1:-cpu}"
distro="${2:-debian12}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
build_id="${DSVM_BUILD_ID:-$(date +%Y%m%d%H%M%S)-$$}"
container="packer-dsvm-$variant-$distro-$build_id"
repository="${DSVM_IMAGE_REPOSITORY:-dsvm-image}"
manifest="${DSVM_MANIFEST:-$root/build/packer-manifest.json}"
uv_cache="${DSVM_UV_CACHE:-/var/cache/dsvm/uv}"
# Packer removes its container when it ends; an interrupted build's container
# (same unique name) is removed here, and nothing else.
trap 'docker rm -f "$container" >/dev/null 2>&1 || true' EXIT

ca_bundle="${DSVM_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
ca_args=()
# The build host's trust (a TLS-inspecting proxy's CA) serves the build's
# downloads and is removed before capture (base_build_ca_certificates).
[[ -f "$ca_bundle" ]] && ca_args=(-var "build_ca_files=[\"$ca_bundle\"]")

# Ansible variable files: only those given (`make image` loads no CI overrides).
vars_files=""
for f in ${DSVM_ANSIBLE_VARS_EXTRA:-}; do
  [[ -f $f ]] || { echo "packer-build: IMAGE_VARS file $f does not exist" >&2; exit 2; }
  vars_files+="${vars_files:+, }\"$(realpath "$f")\""
done

# uv's download cache, and a local wheelhouse where this machine has one
# (python_envs uses it only for the pins it holds; see its README).
wheelhouse="${DSVM_WHEELHOUSE-$(pip config get global.find-links 2>/dev/null | awk '{print $1}' || true)}"
ccache_dir="${DSVM_CCACHE:-/var/cache/dsvm/ccache}"
mkdir -p "$(dirname "$manifest")" "$uv_cache" "$ccache_dir"
# The compiler cache is used only where dsvm_compiler_cache says so (CI's vars).
mounts="\"$uv_cache:/var/cache/dsvm/uv\", \"$ccache_dir:/var/cache/dsvm/ccache\""
extra_vars=()
if [[ -n "$wheelhouse" && -d "$wheelhouse" ]]; then
  echo "packer-build: local wheelhouse $wheelhouse mounted at /opt/wheelhouse"
  mounts+=", \"$wheelhouse:/opt/wheelhouse:ro\""
  extra_vars=(-var 'ansible_extra_vars={python_envs_wheelhouse = "/opt/wheelhouse"}')
fi

# The build's log, the in-build suite's results and the report go beside the manifest.
outdir=$(dirname "$manifest")
log="$outdir/packer-$variant-$distro.log"
junit="$outdir/acceptance-$variant-$distro.xml"
report="$outdir/report-$variant-$distro.md"
rm -f "$junit"

start=$(date +%s)
packer build -color=false -timestamp-ui \
  -only=docker.dsvm \
  -var-file="packer/$variant.pkrvars.hcl" \
  -var "build_id=$build_id" \
  -var "docker_base_image=dsvm-base:$distro" \
  -var "docker_distro=$distro" \
  -var "docker_repository=$repository" \
  -var "git_commit=$commit" \
  -var "idempotent_pass=${DSVM_IDEMPOTENT_PASS:-false}" \
  -var "manifest_path=$manifest" \
  -var "acceptance_pytest=$root/.venv/bin/pytest" \
  -var "docker_mounts=[$mounts]" \
  -var "ansible_vars_files=[$vars_files]" \
  "${extra_vars[@]}" \
  ${DSVM_ACCEPTANCE_MARKERS:+-var "acceptance_markers=$DSVM_ACCEPTANCE_MARKERS"} \
  -var "acceptance_args=[\"--dsvm-tls-url=${DSVM_TEST_TLS_URL:-https://pypi.org/simple/pip/}\", \"--junitxml=$junit\"]" \
  "${ca_args[@]}" \
  packer 2>&1 | tee "$log"
# Packer exits 0 when a filter matched no source: insist on a fresh image.
image="$repository:$variant-$distro"
created=$(docker image inspect -f '{{.Created}}' "$image" 2>/dev/null || echo 1970-01-01)
if (($(date -d "$created" +%s) < start)); then
  echo "packer-build: packer produced no new $image" >&2
  exit 1
fi
# The manifest's last run names this image, variant and commit.
python3 - "$manifest" "$(docker image inspect -f '{{.Id}}' "$image")" "$variant" "$commit" <<'PY'
import json, sys
path, image_id, variant, commit = sys.argv[1:]
m = json.load(open(path))
last = [b for b in m["builds"] if b["packer_run_uuid"] == m["last_run_uuid"]]
ok = last and last[-1]["artifact_id"] == image_id and last[-1]["custom_data"]["variant"] == variant \
    and last[-1]["custom_data"]["git_commit"] == commit
if not ok:
    sys.exit(f"packer-build: {path} does not record this build ({image_id}, {variant}, {commit}): {last}")
PY
seconds=$(($(date +%s) - start))
echo "packer-build: $image built and tested in ${seconds}s; manifest $manifest"
docker image ls "$repository" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
# The build report: time per role and task, size per component, versions, the
# SBOM's summary and the suite's results.
sbom=$(ls -t "$outdir"/sbom-*-"$variant".cdx.json 2>/dev/null | head -1)
"$root/.venv/bin/python" tools/build-report --image "$image" --log "$log" --junit "$junit" \
  --sbom "${sbom:-$outdir/sbom-missing.cdx.json}" --out "$report" --commit "$commit" --build-seconds "$seconds"

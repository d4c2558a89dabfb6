#!/usr/bin/env bash
# Benchmark (on demand, not in CI): the image's size against a plain install
# of the same set, side by side.
#
#   bench/image-size.sh [IMAGE]          (default dsvm-image:cpu-debian12)
#
# The plain install is what a user would do by hand on the same system: every
# package of every Python environment of the image (its specs as the manifest
# lists them, the hub's and the cloud command lines' included) installed with
# uv into ONE environment, with bytecode compiled as pip does, and the same
# Debian packages, R, code-server and hub as the image (those are the same
# bytes either way, so they are taken from the image itself). It is built in a
# container of IMAGE, beside the image's own environments, with the host's uv
# cache and wheelhouse (make image's mounts), so both measure the same files:
#
#   plain image = image size - /opt/dsvm/envs + the one environment
#
# du counts hard links once (python_envs_share_files). Prints bytes and the
# ratio; nothing is asserted. Exits non-zero if the single environment cannot
# be resolved (the image's environments pin versions that conflict, e.g.
# pandas 3 in default and below 3 in spark: the plain install then takes
# whatever one resolution allows, which is reported).
set -euo pipefail
image="${1:-dsvm-image:cpu-debian12}"
box=bench-image-size
cache="${DSVM_UV_CACHE:-/var/cache/dsvm/uv}"
wheels="${DSVM_WHEELHOUSE:-/opt/wheels}"
trap 'docker rm -f "$box" >/dev/null 2>&1 || true' EXIT
docker rm -f "$box" >/dev/null 2>&1 || true
mkdir -p "$cache"
mounts=(-v "$cache:/var/cache/dsvm/uv" -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/host-ca.crt:ro)
[[ -d $wheels ]] && mounts+=(-v "$wheels:/opt/wheelhouse:ro")
docker run -d --name "$box" "${mounts[@]}" "$image" sleep infinity >/dev/null

image_bytes=$(docker image inspect -f '{{.Size}}' "$image")
# The union of the environments' spec packages and their sources.
read -r -a packages < <(docker exec "$box" dsvm-info --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
pkgs = sorted({p for env in m["python_envs"].values() for p in env["packages"]})
print(" ".join(pkgs))')
read -r -a sources < <(docker exec "$box" dsvm-info --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
out = set()
for env in m["python_envs"].values():
    s = env["sources"]
    out |= {"--extra-index-url=" + u for u in s["extra_index_urls"]}
    out |= {"--find-links=" + u for u in s["find_links"]}
print(" ".join(sorted(out)))')
echo "image: $image"
echo "packages of the environments (${#packages[@]}): ${packages[*]}"

start=$(date +%s)
docker exec -e UV_CACHE_DIR=/var/cache/dsvm/uv -e SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt \
  -e UV_NATIVE_TLS=1 -e UV_NO_PROGRESS=1 "$box" sh -c '
  /opt/dsvm/uv/bin/uv venv -q --python /usr/bin/python3 /opt/plain &&
  /opt/dsvm/uv/bin/uv pip install -q --python /opt/plain/bin/python --compile-bytecode \
    --index-strategy unsafe-best-match "$@"' sh "${sources[@]}" "${packages[@]}"
echo "plain environment installed in $(($(date +%s) - start)) s"

envs_bytes=$(docker exec "$box" du -sxb /opt/dsvm/envs | cut -f1)
plain_bytes=$(docker exec "$box" du -sxb /opt/plain | cut -f1)
echo "versions where the single environment differs from the image's locks:"
docker exec "$box" sh -c '/opt/dsvm/uv/bin/uv pip freeze -q --python /opt/plain/bin/python' |
  python3 -c '
import sys, subprocess
plain = dict(l.strip().split("==", 1) for l in sys.stdin if "==" in l)
shown = 0
for env in ("default", "spark", "tensorflow", "jax", "pytorch"):
    lock = subprocess.run(["docker", "exec", "'"$box"'", "cat", f"/opt/dsvm/envs/{env}.lock.txt"],
                          capture_output=True, text=True).stdout
    for line in lock.splitlines():
        token = line.split(" ")[0]
        if "==" in token and not line.startswith(("#", " ")):
            name, ver = token.split("==", 1)
            if name in plain and plain[name] != ver and shown < 15:
                print(f"  {name}: {env} {ver}, plain {plain[name]}"); shown += 1'
python3 - "$image_bytes" "$envs_bytes" "$plain_bytes" <<'EOF'
import sys
image, envs, plain = map(int, sys.argv[1:])
gb = lambda b: f"{b / 1e9:.2f} GB"
equivalent = image - envs + plain
print(f"image:                 {gb(image)}")
print(f"  its environments:    {gb(envs)} (du, hard links once)")
print(f"one plain environment: {gb(plain)}")
print(f"plain install:         {gb(equivalent)} (image - environments + plain environment)")
print(f"ratio image / plain:   {image / equivalent:.2f}")
EOF

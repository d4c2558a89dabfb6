#!/usr/bin/env bash
# Benchmark (on demand, not in CI): the python_envs layer built by Ansible
# against the same locks installed by plain commands, side by side in two
# fresh containers of the same base image, run at the same time (so both see
# the same machine load) with the same warm uv cache; then
# the first import of each framework with and without build-time bytecode.
#
#   bench/python-envs.sh [debian12|debian13]      (after `make venv base-images`)
#
# Prints wall-clock seconds; nothing is asserted.
set -euo pipefail
distro="${1:-debian12}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH" ANSIBLE_CONFIG="$root/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$root/.collections"
cache="${DSVM_UV_CACHE:-/var/cache/dsvm/uv}"
wheels="${DSVM_WHEELHOUSE:-/opt/wheels}"
py=$( [[ $distro == debian12 ]] && echo 3.11 || echo 3.13 )
envs=(default tensorflow jax)
[[ $distro == debian12 ]] && envs+=(pytorch)
run_box() {
  docker rm -f "$1" >/dev/null 2>&1 || true
  docker run -d --name "$1" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
    -v "$cache:/var/cache/dsvm/uv" -v "$wheels:/opt/wheelhouse:ro" \
    -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/host-ca.crt:ro \
    "dsvm-base:$distro" /lib/systemd/systemd >/dev/null
  # Let boot finish first: systemd-tmpfiles cleans /tmp while it boots.
  until docker exec "$1" systemctl is-system-running --wait >/dev/null 2>&1 ||
    [[ $(docker exec "$1" systemctl is-system-running 2>/dev/null) == degraded ]]; do sleep 1; done
}
trap 'docker rm -f bench-ansible bench-plain >/dev/null 2>&1 || true' EXIT
run_box bench-ansible
run_box bench-plain
# Untimed, on both: the host's CAs (what the base role does) and apt's lists.
for b in bench-ansible bench-plain; do
  docker exec "$b" bash -c 'cp /etc/ssl/certs/host-ca.crt /usr/local/share/ca-certificates/host.crt &&
    update-ca-certificates >/dev/null && apt-get update -qq'
done

docker exec bench-plain mkdir -p /tmp/locks
for e in "${envs[@]}"; do
  docker cp "roles/python_envs/files/locks/$e-cpu-py$py.txt" "bench-plain:/tmp/locks/$e.txt"
done
plain='set -e
apt-get install -y -qq python3-venv >/dev/null
python3 -m venv /opt/uv && /opt/uv/bin/pip install -q --cert /etc/ssl/certs/ca-certificates.crt uv==0.13.8
export UV_CACHE_DIR=/var/cache/dsvm/uv UV_NATIVE_TLS=1 UV_PYTHON_DOWNLOADS=never
for e in '"${envs[*]}"'; do
  /opt/uv/bin/uv venv -q --python /usr/bin/python'"$py"' /opt/envs/$e
  /opt/uv/bin/uv pip sync -q --require-hashes --compile-bytecode --python /opt/envs/$e/bin/python \
    --index-strategy unsafe-best-match --find-links /opt/wheelhouse /tmp/locks/$e.txt
done'
ansible_cmd=(ansible-playbook -i bench-ansible, -c community.docker.docker playbooks/site.yml --tags python_envs
  -e @tests/ci/ansible-vars.yml
  -e "{\"python_envs_enabled\": $(printf '%s\n' "${envs[@]}" | jq -R . | jq -sc .)}")
# Seconds a command takes, by bash's own clock.
# seconds LOG CMD...: run CMD with its output in LOG; print its wall-clock seconds.
seconds() { local TIMEFORMAT=%R log=$1; shift; { time "$@" >"$log" 2>&1; } 2>&1; }

echo "== side by side, at the same time (both share the machine's load):"
echo "   Ansible: playbooks/site.yml --tags python_envs (${envs[*]}), Python $py"
echo "   plain:   venv + pip install uv + uv venv / uv pip sync per lock"
seconds /tmp/bench-ansible.log "${ansible_cmd[@]}" >/tmp/bench-ansible.time &
seconds /tmp/bench-plain.log docker exec bench-plain bash -c "$plain" >/tmp/bench-plain.time &
wait
t_ansible=$(cat /tmp/bench-ansible.time) t_plain=$(cat /tmp/bench-plain.time)
docker exec bench-ansible test -f /opt/dsvm/envs/default/.dsvm-lock-sha256 || { echo "Ansible build failed"; exit 1; }
docker exec bench-plain test -x /opt/envs/default/bin/python || { echo "plain build failed"; exit 1; }
printf 'ansible %.1f s, plain %.1f s, ratio %.2f\n' "$t_ansible" "$t_plain" "$(echo "$t_ansible / $t_plain" | bc -l)"

echo "== first import in a fresh process (median of 3), with build-time bytecode vs without"
declare -A mod=([default]=pandas [tensorflow]=tensorflow [jax]=jax [pytorch]=torch)
for e in "${envs[@]}"; do
  docker exec bench-ansible bash -c "
    cp -a /opt/dsvm/envs/$e /tmp/nopyc && find /tmp/nopyc -name __pycache__ -prune -exec rm -rf {} +
    t() { local TIMEFORMAT=%R; { time PYTHONDONTWRITEBYTECODE=1 \$1 -c 'import ${mod[$e]}' >/dev/null 2>&1; } 2>&1; }
    a=\$(for i in 1 2 3; do t /opt/dsvm/envs/$e/bin/python; done | sort -n | sed -n 2p)
    b=\$(for i in 1 2 3; do t /tmp/nopyc/bin/python; done | sort -n | sed -n 2p)
    printf '%-11s import %-10s with bytecode %.2f s, without (read-only env) %.2f s\n' $e ${mod[$e]} \$a \$b
    rm -rf /tmp/nopyc"
done
echo "== environment sizes"
docker exec bench-ansible bash -c "du -sh /opt/dsvm/envs/*/" 

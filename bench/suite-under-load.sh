#!/usr/bin/env bash
# bench/suite-under-load.sh IMAGE [CPU_HOGS] [DISK_HOGS]: the acceptance suite
# and a container's teardown on a saturated machine (on demand, not in CI).
#
# Starts CPU_HOGS busy loops (default 8: a load of 8 and more on 2 cores) and
# DISK_HOGS writers (default 1: 1 GiB files written with fsync and removed, over
# and over), a systemd container of IMAGE (e.g. dsvm-image:cpu-debian12 from
# `make image`), runs the acceptance suite against it
# (-m "not gpu and not capture", as CI does), then removes the container the
# way Molecule's destroy does (community.docker.docker_container, state
# absent, with the Makefile's DOCKER_TIMEOUT). Prints the load average, the
# suite's result and time and the removal's time. Exits non-zero if the suite
# or the removal fails. Run it through make's environment:
#   make venv && PATH=$PWD/.venv/bin:$PATH DOCKER_TIMEOUT=900 bench/suite-under-load.sh dsvm-image:cpu-debian12
set -uo pipefail
image="${1:?usage: bench/suite-under-load.sh IMAGE [CPU_HOGS] [DISK_HOGS]}"
cpu_hogs="${2:-8}"
disk_hogs="${3:-1}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name="dsvm-load-$$"
scratch=$(mktemp -d /var/tmp/dsvm-load.XXXXXX)
pids=()
cleanup() {
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$scratch"
  docker rm -f "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT

for _ in $(seq "$cpu_hogs"); do
  (while :; do :; done) &
  pids+=($!)
done
for i in $(seq "$disk_hogs"); do
  (while :; do
    dd if=/dev/zero of="$scratch/w$i" bs=1M count=1024 conv=fsync status=none
    rm -f "$scratch/w$i"
  done) &
  pids+=($!)
done
sleep 30
echo "suite-under-load: $cpu_hogs CPU hogs, $disk_hogs disk hogs; load $(cut -d' ' -f1-3 /proc/loadavg)"

docker run -d --name "$name" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro --cgroupns=host \
  "$image" >/dev/null || exit 1
start=$(date +%s)
pytest tests/acceptance --hosts="docker://$name" -m "not gpu and not capture" \
  --dsvm-tls-url="${DSVM_TEST_TLS_URL:-https://pypi.org/simple/pip/}" -q -p no:cacheprovider
suite_rc=$?
suite_s=$(($(date +%s) - start))
echo "suite-under-load: suite exit $suite_rc in ${suite_s}s; load $(cut -d' ' -f1-3 /proc/loadavg)"

start=$(date +%s)
ANSIBLE_CONFIG="$root/ansible.cfg" ansible localhost -c local -m community.docker.docker_container \
  -a "name=$name state=absent force_kill=true" >/dev/null
rm_rc=$?
echo "suite-under-load: container removed (exit $rm_rc) in $(($(date +%s) - start))s" \
  "with DOCKER_TIMEOUT=${DOCKER_TIMEOUT:-60}; load $(cut -d' ' -f1-3 /proc/loadavg)"
((suite_rc == 0 && rm_rc == 0))

#!/usr/bin/env bash
# Benchmark (on demand, not in CI): JupyterHub's time from `systemctl start` to
# an HTTP 200 on its login page, in a container of a built image.
#
#   bench/jupyterhub-start.sh [IMAGE] [RUNS]     (default dsvm-image:cpu, 5 runs)
#
# First the image's first boot: the container starts, systemd makes the
# per-machine certificate and starts the hub; the time is from `docker run` to
# the first 200. Then RUNS times: stop the hub, start it, poll every 50 ms.
# Prints wall-clock seconds and the median; nothing is asserted.
set -euo pipefail
image="${1:-dsvm-image:cpu}"
runs="${2:-5}"
box=bench-jupyterhub
url=https://127.0.0.1:8000/hub/login
trap 'docker rm -f "$box" >/dev/null 2>&1 || true' EXIT
docker rm -f "$box" >/dev/null 2>&1 || true

# Seconds until the login page answers 200 (gives up after 120 s).
wait_200='s=$(date +%s.%N)
for _ in $(seq 2400); do
  code=$(curl -ks -o /dev/null -w "%{http_code}" '"$url"' || true)
  [ "$code" = 200 ] && { awk "BEGIN {print $(date +%s.%N) - $s}"; exit 0; }
  sleep 0.05
done
echo "no 200 from '"$url"' within 120 s" >&2; exit 1'

t0=$(date +%s.%N)
docker run -d --name "$box" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro --cgroupns host \
  "$image" /lib/systemd/systemd >/dev/null
until docker exec "$box" true 2>/dev/null; do sleep 0.05; done
docker exec "$box" bash -c "$wait_200" >/dev/null
printf 'first boot (docker run, certificate, hub): %.2f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

times=()
for i in $(seq "$runs"); do
  docker exec "$box" systemctl stop jupyterhub
  t=$(docker exec "$box" bash -c "systemctl start jupyterhub && $wait_200")
  times+=("$t")
  printf 'run %d: systemctl start to 200: %.2f s\n' "$i" "$t"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
printf 'median of %d: %.2f s\n' "$runs" "$median"

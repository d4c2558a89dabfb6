"""The idle culler stops an idle server. Runs as root on the host: logs in as
USER, starts their server and leaves it idle, then runs a second culler with
the hub's running culler's own token (read from its environment: the same
scopes) and a timeout of a few seconds, and reports whether the server was
stopped within WAIT seconds. Prints one JSON line.

    python hub_cull.py URL USER PASSWORD WAIT

Uses hub_client.py (copy both files into one directory).
"""

import json
import os
import subprocess
import sys
import time

from hub_client import login, start_server


def culler_environ():
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            if b"jupyterhub_idle_culler" in cmd:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    raw = f.read().split(b"\0")
                env = dict(v.decode().split("=", 1) for v in raw if b"=" in v)
                return pid, [c.decode() for c in cmd if c], env
        except OSError:
            continue
    return None, [], {}


def main():
    base, user, password, wait = sys.argv[1:]
    result = {}
    _, result["culler_cmdline"], env = culler_environ()
    session, result["login_status"] = login(base, user, password)
    api, _ = start_server(base, session, user, result)
    result["ready"] = bool(api.get(f"{base}/hub/api/users/{user}", timeout=30).json()["servers"])
    culler = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=5", "--cull-every=5",
         f"--url={env.get('JUPYTERHUB_API_URL', 'http://127.0.0.1:8081/hub/api')}"],
        env={**os.environ, "JUPYTERHUB_API_TOKEN": env.get("JUPYTERHUB_API_TOKEN", "")},
    )  # fmt: skip
    try:
        deadline, result["culled_after_s"] = time.time() + int(wait), None
        start = time.time()
        while time.time() < deadline:
            if not api.get(f"{base}/hub/api/users/{user}", timeout=30).json()["servers"]:
                result["culled_after_s"] = round(time.time() - start)
                break
            time.sleep(2)
    finally:
        culler.terminate()
        culler.wait()
        api.delete(f"{base}/hub/api/users/{user}/server", timeout=60)
    unit = f"jupyter-{user}-singleuser.service"
    result["unit_active"] = subprocess.run(["systemctl", "-q", "is-active", unit]).returncode == 0
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

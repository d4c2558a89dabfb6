"""Two users of one hub, and what one can do to the other. Runs as root on the
host (it reads and tightens the first user's systemd unit) and prints one JSON
line; the test asserts on it.

    python hub_isolation.py URL USER_A PASSWORD_A USER_B PASSWORD_B KERNEL PROPERTY=VALUE...

Both users log in and start their servers. A writes a file in their home and
one in /tmp from a kernel; B tries to read both and to use A's server with
B's own token. Then A's unit is tightened at run time to the given
properties (e.g. MemoryMax=300M TasksMax=64), so that the attacks stay small:
A allocates 1 GiB in a child process and starts 200 processes. B's server,
the hub and A's own kernel must keep working. Uses hub_client.py (copy both
files into one directory).
"""

import json
import subprocess
import sys

from hub_client import login, run_code, start_server

PROPS = ["MemoryMax", "TasksMax", "UMask", "PrivateTmp", "Slice", "User", "OOMPolicy"]

WRITE = """
import os
home = os.path.expanduser("~")
with open(os.path.join(home, "lab-note.txt"), "w") as f:
    f.write("a-secret")
with open("/tmp/dsvm-a-tmp.txt", "w") as f:
    f.write("a-secret")
print(oct(os.stat(os.path.join(home, "lab-note.txt")).st_mode & 0o777), home)
"""

PEEK = """
import os
try:
    print(open({path!r}).read())
except OSError as e:
    print(type(e).__name__)
print(os.path.exists("/tmp/dsvm-a-tmp.txt"))
"""

MEMORY = """
import subprocess, sys
p = subprocess.run([sys.executable, "-c", "x = b'x' * (1 << 30); print(len(x))"], capture_output=True)
print(p.returncode)
"""

FORKS = """
import subprocess
procs, err = [], "none"
for _ in range(200):
    try:
        procs.append(subprocess.Popen(["sleep", "120"]))
    except OSError as e:
        err = type(e).__name__
        break
print(len(procs), err)
for p in procs:
    p.kill()
    p.wait()
"""


def unit_props(unit):
    out = subprocess.run(
        ["systemctl", "show", unit, *[f"-p{p}" for p in PROPS]], capture_output=True, text=True
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main():
    base, a, pa, b, pb, kernel, *tighten = sys.argv[1:]
    result = {"a": {}, "b": {}}
    sa, result["a"]["login_status"] = login(base, a, pa)
    sb, result["b"]["login_status"] = login(base, b, pb)
    if (result["a"]["login_status"], result["b"]["login_status"]) != (302, 302):
        print(json.dumps(result))
        return 1
    api_a, auth_a = start_server(base, sa, a, result["a"])
    api_b, auth_b = start_server(base, sb, b, result["b"])
    unit_a = f"jupyter-{a}-singleuser.service"
    try:
        result["a"]["unit"] = unit_props(unit_a)
        result["a"]["write"] = run_code(api_a, auth_a, base, a, kernel, WRITE)
        home_a = result["a"]["write"].split()[-1]
        peek = PEEK.format(path=f"{home_a}/lab-note.txt")
        result["b"]["peek"] = run_code(api_b, auth_b, base, b, kernel, peek)
        r = api_b.get(f"{base}/user/{a}/api/kernels", allow_redirects=False, timeout=60)
        result["b"]["a_server_with_b_token"] = r.status_code
        subprocess.run(["systemctl", "set-property", "--runtime", unit_a, *tighten], check=True)
        result["a"]["tightened"] = unit_props(unit_a)
        result["a"]["memory_attack"] = run_code(api_a, auth_a, base, a, kernel, MEMORY)
        result["a"]["fork_attack"] = run_code(api_a, auth_a, base, a, kernel, FORKS)
        result["a"]["after"] = run_code(api_a, auth_a, base, a, kernel, "print(6 * 7)")
        result["b"]["after"] = run_code(api_b, auth_b, base, b, kernel, "print(6 * 7)")
        result["hub_api_status"] = api_b.get(f"{base}/hub/api/", timeout=60).status_code
    finally:
        api_a.delete(f"{base}/hub/api/users/{a}/server", timeout=60)
        api_b.delete(f"{base}/hub/api/users/{b}/server", timeout=60)
        # --runtime drop-ins outlive the transient unit until a reboot.
        subprocess.run(["rm", "-rf", f"/run/systemd/system.control/{unit_a}.d"])
        subprocess.run(["systemctl", "daemon-reload"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

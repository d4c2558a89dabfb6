"""What jupyter-server-proxy's arbitrary-port routes serve: a user starts a web
server on a port from a kernel, and this client asks for it through the hub as
that user (/user/NAME/proxy/PORT/, .../proxy/absolute/PORT/,
.../proxy/localhost:PORT/). Prints one JSON line with the statuses.

    python hub_port_proxy.py URL USER PASSWORD KERNEL

Uses hub_client.py (copy both files into one directory).
"""

import json
import sys

from hub_client import login, run_code, start_server

SERVE = """
import socket, subprocess, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
p = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
print(port, p.pid)
"""


def main():
    base, user, password, kernel = sys.argv[1:]
    result = {}
    session, result["login_status"] = login(base, user, password)
    api, auth = start_server(base, session, user, result)
    try:
        port, pid = run_code(api, auth, base, user, kernel, SERVE).split()
        direct = run_code(
            api, auth, base, user, kernel,
            f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/').status)",
        )  # fmt: skip
        result["direct"] = direct
        for name, path in [("port", port), ("absolute", f"absolute/{port}"), ("host", f"localhost:{port}")]:
            r = api.get(f"{base}/user/{user}/proxy/{path}/", allow_redirects=False, timeout=60)
            result[name] = r.status_code
        run_code(api, auth, base, user, kernel, f"import os, signal; os.killpg({pid}, signal.SIGTERM)")
    finally:
        api.delete(f"{base}/hub/api/users/{user}/server", timeout=60)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run given code in one kernel through JupyterHub, as a PAM user, and print one JSON line.

    python hub_kernel_code.py URL USER PASSWORD KERNEL CODE

Uses hub_client.py's login and websocket execute (copy both files into one
directory). Runs with the hub environment's Python.
"""

import asyncio
import json
import sys

from hub_client import execute, login, start_server


def main():
    base, user, password, kernel, code = sys.argv[1:]
    result = {}
    s, status = login(base, user, password)
    result["login_status"] = status
    if status != 302:
        print(json.dumps(result))
        return 1
    api, auth = start_server(base, s, user, result)
    try:
        specs = api.get(f"{base}/user/{user}/api/kernelspecs", timeout=60).json()
        result["kernelspecs"] = sorted(specs["kernelspecs"])
        if kernel in result["kernelspecs"]:
            k = api.post(f"{base}/user/{user}/api/kernels", json={"name": kernel}, timeout=120).json()
            result["output"] = asyncio.run(execute(base, auth, user, k["id"], code))
            api.delete(f"{base}/user/{user}/api/kernels/{k['id']}", timeout=60)
    finally:
        api.delete(f"{base}/hub/api/users/{user}/server", timeout=60)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

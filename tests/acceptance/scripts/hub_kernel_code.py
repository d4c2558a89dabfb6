"""Run given code in one kernel through JupyterHub, as a PAM user, and print one JSON line.

    python hub_kernel_code.py URL USER PASSWORD KERNEL CODE

Uses hub_client.py's login, server start and kernel run (copy both files into
one directory). Runs with the hub environment's Python.
"""

import json
import sys

from hub_client import kernelspecs, open_server, run_code, stop_server


def main():
    base, user, password, kernel, code = sys.argv[1:]
    result = {}
    opened = open_server(base, user, password, result)
    if opened is None:
        print(json.dumps(result))
        return 1
    api, auth = opened
    try:
        result["kernelspecs"] = kernelspecs(api, base, user)
        if kernel in result["kernelspecs"]:
            result["output"] = run_code(api, auth, base, user, kernel, code)
    finally:
        stop_server(api, base, user)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run given code in one kernel through JupyterHub, as a PAM user, and print one JSON line.

    python hub_kernel_code.py URL USER PASSWORD KERNEL CODE

Uses hub_client.py's login, server start and kernel run (copy both files into
one directory). Runs with the hub environment's Python.
"""

import sys

from hub_client import report_session


def main():
    base, user, password, kernel, code = sys.argv[1:]
    result = {}

    def work(run):
        if kernel in result["kernelspecs"]:
            result["output"] = run(kernel, code)

    return report_session(base, user, password, result, work)


if __name__ == "__main__":
    sys.exit(main())

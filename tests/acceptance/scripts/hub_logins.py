"""Log in to JupyterHub over HTTPS with each given password in turn, as one
user, and print the login statuses as one JSON line (302: logged in, 403: refused).

    python hub_logins.py URL USER PASSWORD [PASSWORD ...]

Uses hub_client.py's login (copy both files into one directory).
"""

import json
import sys

from hub_client import login


def main():
    base, user, *passwords = sys.argv[1:]
    print(json.dumps({"statuses": [login(base, user, p)[1] for p in passwords]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

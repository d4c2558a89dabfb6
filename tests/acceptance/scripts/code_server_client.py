"""code-server through JupyterHub: log in over HTTPS as a PAM user, start the
user's server, open /user/NAME/PROXY/ with the browser session, and open the
same URL anonymously. Prints one JSON line.

    python code_server_client.py URL USER PASSWORD PROXY

Uses hub_client.py's login (copy both files into one directory). Runs with the
hub environment's Python (requests is there).
"""

import json
import sys
import time

import requests
from hub_client import login, wait_until_ready


def main():
    base, user, password, proxy = sys.argv[1:]
    url = f"{base}/user/{user}/{proxy}/"
    result = {}
    s, result["login_status"] = login(base, user, password)
    if result["login_status"] != 302:
        print(json.dumps(result))
        return 1
    xsrf = {"X-XSRFToken": s.cookies.get("_xsrf", "")}
    r = s.post(f"{base}/hub/api/users/{user}/server", headers=xsrf, timeout=60)
    result["spawn_status"] = r.status_code
    wait_until_ready(s, base, user, headers=xsrf)
    # The browser's way in: the hub's OAuth redirects, then the proxy, which
    # starts code-server on first use.
    for _ in range(10):
        r = s.get(url, timeout=120)
        if r.status_code == 200:
            break
        time.sleep(3)
    result["user_status"] = r.status_code
    result["user_final_url"] = r.url
    result["user_is_code_server"] = "vscode-workbench" in r.text or "code-server" in r.text
    result["user_page_head"] = r.text[:300]
    # Nobody logged in: the same URL must not reach code-server.
    anon = requests.Session()
    anon.verify = False
    r = anon.get(url, allow_redirects=False, timeout=60)
    result["anon_status"] = r.status_code
    result["anon_location"] = r.headers.get("Location", "")
    r = anon.get(url, timeout=60)
    result["anon_final_url"] = r.url
    result["anon_is_code_server"] = "vscode-workbench" in r.text
    s.delete(f"{base}/hub/api/users/{user}/server", headers=xsrf, timeout=60)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

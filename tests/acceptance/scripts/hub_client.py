"""A real JupyterHub client: log in over HTTPS as a PAM user (the login form),
take an API token with that session, start the user's server, list its kernel
specs, and run code in each given kernel through the Jupyter API (REST +
websocket). Prints one JSON line.

    python hub_client.py URL USER PASSWORD KERNEL [KERNEL ...]

Runs with the hub environment's Python (requests and tornado are there).
"""

import asyncio
import json
import ssl
import sys
import time
import uuid

import requests
import urllib3
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

urllib3.disable_warnings()


def login(base, user, password):
    s = requests.Session()
    s.verify = False  # the machine's own self-signed certificate
    r = s.get(f"{base}/hub/login", timeout=30)
    r.raise_for_status()
    xsrf = s.cookies.get("_xsrf")
    r = s.post(
        f"{base}/hub/login",
        data={"username": user, "password": password, "_xsrf": xsrf},
        allow_redirects=False,
        timeout=60,
    )
    return s, r.status_code


async def execute(base, auth, user, kernel_id, code):
    ws_url = base.replace("https://", "wss://") + f"/user/{user}/api/kernels/{kernel_id}/channels"
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = HTTPRequest(ws_url, headers=auth, ssl_options=ctx)
    conn = await websocket_connect(req)
    msg_id = uuid.uuid4().hex
    conn.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": user,
                    "session": uuid.uuid4().hex,
                    "msg_type": "execute_request",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    # What the code printed, its errors, and the comms it opened, in order.
    out, deadline = [], time.time() + 120
    while time.time() < deadline:
        raw = await asyncio.wait_for(conn.read_message(), timeout=120)
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"])
        elif msg["msg_type"] == "comm_open":
            # A widget's model opening its channel to the front end.
            comm = msg["content"]
            out.append(f"[comm_open {comm['target_name']} {comm['data']['state']['_model_name']}]\n")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    conn.close()
    return "".join(out).strip()


def wait_until_ready(session, base, user, **kwargs):
    """Poll the hub's model of USER until their server is ready: 10 minutes at
    most (a VM under software emulation is slow), and no longer once the
    spawn has failed (the server is neither pending nor ready)."""
    deadline = time.time() + 600
    while time.time() < deadline:
        model = session.get(f"{base}/hub/api/users/{user}", timeout=30, **kwargs).json()
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            return
        if not server and not model.get("pending"):
            return  # the spawn failed: the caller's next request says so
        time.sleep(2)


def start_server(base, session, user, result):
    """With a logged-in SESSION: take an API token, start USER's server and wait
    until it is ready. Records the statuses in RESULT; returns (API session, auth header)."""
    xsrf = {"X-XSRFToken": session.cookies.get("_xsrf", "")}
    r = session.post(
        f"{base}/hub/api/users/{user}/tokens", json={"note": "acceptance"}, headers=xsrf, timeout=60
    )
    result["token_status"] = r.status_code
    auth = {"Authorization": f"token {r.json()['token']}"}
    api = requests.Session()
    api.verify = False  # the machine's own self-signed certificate
    api.headers.update(auth)
    r = api.post(f"{base}/hub/api/users/{user}/server", timeout=60)
    result["spawn_status"] = r.status_code
    wait_until_ready(api, base, user)
    return api, auth


def run_code(api, auth, base, user, kernel, code):
    """Start KERNEL in USER's server, run CODE in it and stop it; returns its output."""
    k = api.post(f"{base}/user/{user}/api/kernels", json={"name": kernel}, timeout=120).json()
    try:
        return asyncio.run(execute(base, auth, user, k["id"], code))
    finally:
        api.delete(f"{base}/user/{user}/api/kernels/{k['id']}", timeout=60)


def report_session(base, user, password, result, work):
    """The kernel clients' main: log in as USER, start their server, record its
    kernel specs in RESULT, call WORK(run), where run(KERNEL, CODE) returns what
    CODE printed in KERNEL, stop the server and print RESULT as one JSON line.
    Returns the exit status: 1 when the login fails."""
    session, result["login_status"] = login(base, user, password)
    if result["login_status"] != 302:
        print(json.dumps(result))
        return 1
    api, auth = start_server(base, session, user, result)
    try:
        specs = api.get(f"{base}/user/{user}/api/kernelspecs", timeout=60).json()
        result["kernelspecs"] = sorted(specs["kernelspecs"])
        work(lambda kernel, code: run_code(api, auth, base, user, kernel, code))
    finally:
        api.delete(f"{base}/hub/api/users/{user}/server", timeout=60)
    print(json.dumps(result))
    return 0


def main():
    base, user, password, *kernels = sys.argv[1:]
    result = {"wrong_password_status": login(base, user, password + "-wrong")[1], "runs": {}}
    code = "import sys, getpass; print(getpass.getuser(), sys.executable, 6 * 7)"

    def work(run):
        for kernel in kernels:
            result["runs"][kernel] = run(kernel, code)

    return report_session(base, user, password, result, work)


if __name__ == "__main__":
    sys.exit(main())

"""code-server: installed on its private Node.js, registered with
jupyter-server-proxy, and reached by a logged-in hub user through the hub's
proxy while an anonymous request is sent to the login (marker code_server)."""

import json

import pytest
from dsvm_host import hub_client, journal, role_settings

pytestmark = pytest.mark.code_server


@pytest.fixture(scope="module")
def code_server(manifest):
    return role_settings(manifest, "code_server")


def test_runs_on_its_own_node(host, code_server):
    out = host.check_output("%s/bin/code-server --version", code_server["prefix"])
    # A first run may also log that it wrote the caller's default config file.
    versions = [line.split()[0] for line in out.splitlines() if line[:1].isdigit()]
    assert versions == [code_server["version"]], out
    node = host.check_output("grep -o '[^\"]*/bin/node' %s/bin/code-server | head -1", code_server["prefix"])
    assert host.check_output("%s --version", node) == "v" + code_server["node_version"]
    assert host.file("/usr/local/bin/code-server").linked_to == f"{code_server['prefix']}/bin/code-server"


def test_install_is_root_owned(host, code_server):
    f = host.file(f"{code_server['prefix']}/node_modules/code-server")
    assert f.user == "root" and not f.mode & 0o002


def test_registered_with_server_proxy(host, code_server):
    conf = json.loads(host.file("/etc/jupyter/jupyter_server_config.json").content_string)
    server = conf["ServerProxy"]["servers"][code_server["proxy_name"]]
    assert server["unix_socket"] is True
    assert "{unix_socket}" in server["command"] and "--auth" in server["command"]


def test_hub_user_reaches_code_server_and_anonymous_does_not(host, hub, code_server, pam_user):
    # code-server is served through JupyterHub: the hub fixture fails where the image has no hub.
    name, password = pam_user
    result = hub_client(host, hub, "code_server_client.py", name, password, code_server["proxy_name"])
    assert result["login_status"] == 302, result
    assert result["spawn_status"] in (201, 202), result
    assert result["user_status"] == 200, (result, journal(host, "jupyterhub"))
    assert result["user_final_url"].startswith(f"{hub['url']}/user/{name}/{code_server['proxy_name']}/"), (
        result
    )
    assert result["user_is_code_server"], result
    # Anonymous: redirected away (the hub's OAuth, then its login page), never code-server.
    assert result["anon_status"] in (302, 303, 403), result
    assert "/hub/" in result["anon_location"] or result["anon_status"] == 403, result
    assert "/hub/login" in result["anon_final_url"], result
    assert not result["anon_is_code_server"], result

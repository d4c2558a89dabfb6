"""code-server: installed on its private Node.js, registered with
jupyter-server-proxy, and reached by a logged-in hub user through the hub's
proxy while an anonymous request is sent to the login (marker code_server)."""

import json
from pathlib import Path

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


def installed_matches_lock(host, directory: str) -> None:
    """Every package npm installed under DIRECTORY (npm's own record of the
    tree, node_modules/.package-lock.json) is in the lock kept beside it,
    same version and same sha512, and the lock's top level is all there."""
    lock = json.loads(host.file(f"{directory}/package-lock.json").content_string)["packages"]
    tree = json.loads(host.file(f"{directory}/node_modules/.package-lock.json").content_string)["packages"]
    assert tree, f"nothing recorded as installed in {directory}"
    for path, entry in tree.items():
        assert path in lock, f"{directory}: {path} installed but not in the lock"
        for key in ("version", "integrity"):
            assert entry.get(key) == lock[path].get(key), (
                f"{directory}: {path} {key} {entry.get(key)} != lock"
            )
    top = {
        p
        for p, e in lock.items()
        if p.count("node_modules/") == 1 and not e.get("optional") and not e.get("dev")
    }
    assert top <= set(tree), f"{directory}: in the lock, not installed: {sorted(top - set(tree))[:10]}"


def test_installed_from_the_committed_locks(host, code_server):
    """code-server and its private Node.js and npm came from the locks the role
    ships (npm ci checks each package's sha512; the proxy's test shows it
    refusing an altered one): the locks kept in the image are the committed
    ones, and the installed trees are what they pin."""
    prefix = code_server["prefix"]
    files = Path(__file__).resolve().parents[2] / "roles" / "code_server" / "files" / "npm"
    committed = {
        prefix: files / f"code-server-{code_server['version']}",
        f"{prefix}/node": files
        / f"node-{code_server['node_version']}-npm-{code_server['npm_version']}-{host.system_info.arch}",
    }
    for directory, source in committed.items():
        for name in ("package.json", "package-lock.json"):
            kept = host.file(f"{directory}/{name}")
            assert kept.exists and kept.user == "root", f"{directory}/{name} not kept in the image"
            assert kept.content_string == (source / name).read_text(), (
                f"{directory}/{name} is not {source / name}"
            )
        installed_matches_lock(host, directory)
    node_tree = json.loads(host.file(f"{prefix}/node/node_modules/.package-lock.json").content_string)[
        "packages"
    ]
    assert node_tree[f"node_modules/{code_server['node_package']}"]["version"] == code_server["node_version"]
    assert node_tree["node_modules/npm"]["version"] == code_server["npm_version"]


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

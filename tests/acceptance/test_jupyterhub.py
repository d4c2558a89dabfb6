"""JupyterHub: the service, TLS made per machine, and a real client that logs
in as a PAM user made by the test, starts that user's server and runs code in
every python_envs kernel (marker jupyterhub)."""

import json
import re

import pytest
from dsvm_host import default_env, hub_client, journal

SANDBOX = {"NoNewPrivileges": "yes", "PrivateTmp": "yes"}


def unit_show(host, unit, *props):
    out = host.check_output("systemctl show %s " + " ".join(f"-p {p}" for p in props), unit)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def expected_bytes(host, value):
    """systemd's MemoryMax= as bytes: a size, a percentage of the machine's memory
    (within 1 %), or None for infinity."""
    if value == "infinity":
        return None
    if value.endswith("%"):
        kib = int(re.search(r"MemTotal:\s+(\d+)", host.file("/proc/meminfo").content_string).group(1))
        return kib * 1024 * int(value[:-1]) // 100
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


def close_to(shown, want):
    if want is None:
        return shown == "infinity"
    return shown.isdigit() and abs(int(shown) - want) <= want // 100 + 4096


pytestmark = pytest.mark.jupyterhub


def test_service_running_and_listening(host, hub):
    svc = host.service("jupyterhub")
    assert svc.is_enabled
    assert svc.is_running, journal(host, "jupyterhub")
    assert (
        host.socket(f"tcp://0.0.0.0:{hub['port']}").is_listening
        or host.socket(f"tcp://:::{hub['port']}").is_listening
    )


def test_tls_key_private_and_certificate_names_host(host, hub):
    with host.sudo():
        key = host.file(f"{hub['tls_dir']}/key.pem")
        # Readable by the proxy's group (it terminates TLS) and no one else.
        assert key.exists and key.mode == 0o640 and key.user == "root", oct(key.mode)
        assert key.group == hub["proxy_user"]
        text = host.check_output("openssl x509 -in %s/cert.pem -noout -text", hub["tls_dir"])
    if hub["tls_self_signed"]:
        assert "DNS:localhost" in text


def test_login_page_over_https(host, hub):
    code = host.check_output("curl -sk -o /dev/null -w %%{http_code} %s/hub/login", hub["url"])
    assert code == "200"
    # No plain HTTP on the hub's port.
    assert host.run("curl -s -m 5 http://127.0.0.1:%s/hub/login", str(hub["port"])).rc != 0


def test_pam_user_runs_code_in_every_kernel(host, hub, manifest, pam_user):
    name, password = pam_user
    kernels = sorted(env["kernel"] for env in manifest["python_envs"].values() if env.get("kernel"))
    result = hub_client(host, hub, "hub_client.py", name, password, *kernels)
    assert result["wrong_password_status"] == 403, result
    assert result["login_status"] == 302, result
    assert result["spawn_status"] in (201, 202), result
    assert set(kernels) <= set(result["kernelspecs"]), result
    # Not the server environment's own Python (ipykernel's python3 spec there).
    assert "python3" not in result["kernelspecs"], result
    for env in manifest["python_envs"].values():
        if env.get("kernel"):
            assert result["runs"][env["kernel"]] == f"{name} {env['python']} 42", result


def test_proxy_runs_unprivileged_in_a_sandbox(host, hub):
    """The process that faces the network is the proxy, as its own user, with no
    capability but binding low ports; the root hub listens on 127.0.0.1 only."""
    with host.sudo():
        props = unit_show(
            host,
            hub["proxy_unit"],
            "MainPID",
            "User",
            "NoNewPrivileges",
            "ProtectSystem",
            "ProtectHome",
            "PrivateTmp",
            "CapabilityBoundingSet",
        )
        assert props["MainPID"] != "0", journal(host, hub["proxy_unit"])
        assert host.check_output("ps -o user= -p %s", props["MainPID"]).strip() == hub["proxy_user"]
        # The sockets' owners (-e: uid), which needs no right to read other processes.
        listeners = host.check_output("ss -Hltne 'sport = :%s'", str(hub["port"]))
        hub_listeners = host.check_output("ss -Hltnp 'sport = :8081'")
    assert props["User"] == hub["proxy_user"]
    assert {k: props[k] for k in SANDBOX} == SANDBOX
    assert props["ProtectSystem"] == "strict" and props["ProtectHome"] == "yes"
    assert props["CapabilityBoundingSet"] == "cap_net_bind_service"
    owners = set(re.findall(r"uid:(\d+)", listeners))
    assert listeners and owners == {str(host.user(hub["proxy_user"]).uid)}, listeners
    hub_addresses = [line.split()[3] for line in hub_listeners.splitlines()]
    assert hub_addresses and set(hub_addresses) == {"127.0.0.1:8081"}, hub_listeners


TAMPER = r"""
import json, sys
lock = json.load(open(sys.argv[1]))
entry = lock["packages"]["node_modules/" + sys.argv[2]]
entry["integrity"] = "sha512-" + "A" * 86 + "=="
json.dump(lock, open(sys.argv[1], "w"))
"""


def test_proxy_installed_from_its_lock_and_tampering_refused(host, hub):
    """The proxy's tree is exactly its committed lock (npm ci), every package
    with a sha512; and npm ci from that lock refuses a package whose bytes do
    not match it (here the lock is altered, which is what a substituted
    tarball looks like to npm): EINTEGRITY, nothing of it unpacked. The same
    lock unaltered installs (the control). Needs the npm registry."""
    prefix = hub["proxy_prefix"]
    lock = json.loads(host.file(f"{prefix}/package-lock.json").content_string)
    installed = json.loads(host.file(f"{prefix}/node_modules/.package-lock.json").content_string)
    locked = {k: v["version"] for k, v in lock["packages"].items() if k}
    assert locked and {k: v["version"] for k, v in installed["packages"].items()} == locked
    assert all(v["integrity"].startswith("sha512-") for k, v in lock["packages"].items() if k)
    env = (
        "NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_UPDATE_NOTIFIER=false "
        "NPM_CONFIG_CACHE=$d/cache npm ci --omit=dev --ignore-scripts --no-audit --no-fund "
        f"--registry {hub['npm_registry']}"
    )
    with host.sudo():
        d = host.check_output("mktemp -d").strip()
        try:
            host.check_output("cp %s/package.json %s/package-lock.json %s/", prefix, prefix, d)
            good = host.run(f"d={d}; cd $d && {env}")
            assert good.rc == 0, good.stderr[-2000:]
            version = host.check_output("%s/node_modules/.bin/configurable-http-proxy --version", d)
            assert version.strip() == locked["node_modules/configurable-http-proxy"]
            host.check_output("rm -rf %s/node_modules %s/cache", d, d)
            host.check_output("python3 -c %s %s/package-lock.json configurable-http-proxy", TAMPER, d)
            bad = host.run(f"d={d}; cd $d && {env}")
            assert bad.rc != 0 and "EINTEGRITY" in bad.stdout + bad.stderr, bad.stdout + bad.stderr[-2000:]
            assert not host.file(f"{d}/node_modules/configurable-http-proxy").exists
        finally:
            host.run("rm -rf %s", d)


def test_hub_and_certificate_units_are_sandboxed(host):
    with host.sudo():
        hub_unit = unit_show(host, "jupyterhub.service", *SANDBOX, "ProtectSystem", "ProtectHome")
        tls_unit = unit_show(host, "dsvm-jupyterhub-tls.service", *SANDBOX, "ProtectSystem")
    assert {k: hub_unit[k] for k in SANDBOX} == SANDBOX
    assert hub_unit["ProtectSystem"] == "full" and hub_unit["ProtectHome"] == "read-only"
    assert {k: tls_unit[k] for k in SANDBOX} == SANDBOX and tls_unit["ProtectSystem"] == "strict"


def test_users_slice_limits_all_servers(host, hub):
    with host.sudo():
        props = unit_show(host, hub["users_slice"], "MemoryMax", "TasksMax")
    assert close_to(props["MemoryMax"], expected_bytes(host, hub["users_memory_max"])), props
    assert props["TasksMax"] != "infinity" or hub["users_tasks_max"] == "infinity", props


def test_login_lockout_through_the_hub(host, hub, manifest, pam_user):
    """Repeated wrong passwords at the hub's login form lock the account: then its
    right password is refused too, until an administrator resets the count."""
    attempts = manifest["settings"]["base"]["login_lockout_attempts"]
    if attempts == 0:
        pytest.skip("base_login_lockout_attempts is 0 in this image: no lockout to try")
    name, password = pam_user
    locked = hub_client(host, hub, "hub_logins.py", name, *[password + "-wrong"] * attempts, password)
    assert locked["statuses"] == [403] * (attempts + 1), locked
    with host.sudo():
        host.check_output("faillock --user %s --reset", name)
    assert hub_client(host, hub, "hub_logins.py", name, password)["statuses"] == [302]


def test_users_isolated_from_each_other(host, hub, manifest, pam_user, other_pam_user):
    """Each user's server is its own systemd unit with the configured limits; one
    user cannot read another's files or use their server, and one user's memory
    and process bombs (run under tightened limits, to stay small) kill only
    their own processes: the other user's server and the hub keep working."""
    kernel = default_env(manifest)["kernel"]
    (a, pa), (b, pb) = pam_user, other_pam_user
    with host.sudo():
        r = hub_client(host, hub, "hub_isolation.py", a, pa, b, pb, kernel, "MemoryMax=400M", "TasksMax=64")
    unit = r["a"]["unit"]
    assert unit["User"] in (a, str(host.user(a).uid)) and unit["Slice"] == hub["users_slice"], unit
    assert close_to(unit["MemoryMax"], expected_bytes(host, hub["user_memory_max"])), unit
    if not hub["user_tasks_max"].endswith("%"):
        assert unit["TasksMax"] == hub["user_tasks_max"], unit
    assert unit["UMask"] == hub["user_umask"].rjust(4, "0"), unit
    assert unit["PrivateTmp"] == ("yes" if hub["user_private_tmp"] else "no"), unit
    # A's file from JupyterLab: the umask's mode, unreadable to B.
    mode = r["a"]["write"].split()[0]
    assert int(mode, 8) == 0o666 & ~int(hub["user_umask"], 8), r["a"]["write"]
    peek = r["b"]["peek"].split()
    assert peek[0] == "PermissionError", r["b"]
    if hub["user_private_tmp"]:
        assert peek[1] == "False", r["b"]
    assert r["b"]["a_server_with_b_token"] in (403, 404), r["b"]
    # Under the tightened limits: the 1 GiB child is killed, the fork bomb stops short.
    assert r["a"]["tightened"]["MemoryMax"] == str(400 << 20), r["a"]["tightened"]
    assert r["a"]["memory_attack"] == "-9", r["a"]
    started, error = r["a"]["fork_attack"].split()
    assert int(started) < 64 and error in ("BlockingIOError", "OSError"), r["a"]
    assert r["a"]["after"] == "42" and r["b"]["after"] == "42", r
    assert r["hub_api_status"] == 200


def test_idle_servers_are_culled(host, hub, pam_user):
    """The hub runs jupyterhub-idle-culler with the configured timeout;
    a culler with its token and a timeout of seconds stops an idle server (its
    unit too). Skips where jupyterhub_idle_timeout is 0."""
    if hub["idle_timeout"] == 0:
        pytest.skip("jupyterhub_idle_timeout is 0 in this image: servers are never culled")
    with host.sudo():
        r = hub_client(host, hub, "hub_cull.py", *pam_user, "60")
    assert f"--timeout={hub['idle_timeout']}" in r["culler_cmdline"], r
    assert r["login_status"] == 302 and r["ready"], r
    assert r["culled_after_s"] is not None, r
    assert not r["unit_active"], r


def test_proxy_crash_recovers_its_routes(host, hub):
    """The proxy keeps its routes in memory: killed, it is restarted by systemd and
    restarts the hub, which adds them again, so the login page (a route the hub
    adds) answers again without anyone's help."""
    with host.sudo():
        pid = unit_show(host, hub["proxy_unit"], "MainPID")["MainPID"]
        host.check_output("kill -9 %s", pid)
        back = host.run(
            "for i in $(seq 90); do c=$(curl -sk -o /dev/null -w %%{http_code} %s/hub/login); "
            '[ "$c" = 200 ] && exit 0; sleep 2; done; echo "last status $c"; exit 1',
            hub["url"],
        )
        new_pid = unit_show(host, hub["proxy_unit"], "MainPID")["MainPID"]
    assert back.rc == 0, back.stdout + journal(host, hub["proxy_unit"]) + journal(host, "jupyterhub")
    assert new_pid not in ("0", pid)


def test_arbitrary_port_proxy_refused(host, hub, manifest, pam_user):
    """A page a user serves on a port is not served on the hub's origin through
    /user/NAME/proxy/PORT (nor absolute/, nor localhost:PORT) unless
    jupyterhub_arbitrary_port_proxy is on; the server itself answers directly."""
    kernel = default_env(manifest)["kernel"]
    r = hub_client(host, hub, "hub_port_proxy.py", *pam_user, kernel)
    assert r["direct"] == "200", r
    if hub["arbitrary_port_proxy"]:
        assert r["port"] == 200, r
    else:
        assert (r["port"], r["absolute"], r["host"]) == (403, 403, 403), r

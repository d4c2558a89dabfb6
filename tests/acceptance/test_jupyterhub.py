"""JupyterHub: the service, TLS made per machine, and a real client that logs
in as a PAM user made by the test, starts that user's server and runs code in
every python_envs kernel (marker jupyterhub)."""

import pytest
from dsvm_host import hub_client, journal

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
        assert key.exists and key.mode == 0o600 and key.user == "root"
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
    for env in manifest["python_envs"].values():
        if env.get("kernel"):
            assert result["runs"][env["kernel"]] == f"{name} {env['python']} 42", result

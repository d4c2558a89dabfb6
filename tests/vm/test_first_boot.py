"""A VM's first boot from the image, as a cloud starts it: everything
machine-specific is made anew, the cloud's user can use the hub at once, and
nothing failed on the way."""

import re

from dsvm_host import hub_client, journal


def test_hostname_is_the_clouds(host, seed):
    assert host.check_output("hostname") == seed["hostname"]


def test_ssh_host_keys_made_on_this_boot(host, boot_epoch):
    with host.sudo():
        keys = host.check_output("ls /etc/ssh/").split()
        ed25519 = host.file("/etc/ssh/ssh_host_ed25519_key")
        assert ed25519.exists
        made = ed25519.mtime.timestamp()
    assert "ssh_host_ed25519_key" in keys and "ssh_host_rsa_key" in keys, keys
    assert made >= boot_epoch - 2, f"host key older than this boot ({made} < {boot_epoch})"


def test_machine_id_made_on_this_boot(host, boot_epoch):
    machine_id = host.file("/etc/machine-id").content_string.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", machine_id), machine_id
    # systemd writes it at the first boot: the image's was empty.
    assert host.file("/etc/machine-id").mtime.timestamp() >= boot_epoch - 2


def test_no_unit_failed(host):
    failed = host.check_output("systemctl list-units --state=failed --no-legend --plain")
    assert failed.strip() == "", failed + "\n" + host.run("journalctl -b -p err --no-pager | tail -40").stdout


def test_network_from_dhcp_and_names_resolve(host):
    routes = host.check_output("ip route show default")
    assert routes.startswith("default via"), routes
    link = host.check_output("networkctl list --no-legend")
    assert "routable" in link, link
    # QEMU's user network answers DNS through the host: a name of the outside.
    assert host.run("getent hosts deb.debian.org").rc == 0, host.run("resolvectl status").stdout


def test_cloud_user_in_the_data_science_group(host, seed, manifest):
    group = manifest["settings"]["base"]["group"]
    assert group in host.user(seed["user"]).groups, host.user(seed["user"]).groups
    assert host.run("sudo -n true").rc == 0


def test_hub_certificate_made_at_first_boot_names_this_host(host, seed, hub, boot_epoch):
    cert = f"{hub['tls_dir']}/cert.pem"
    text = host.check_output("openssl x509 -in %s -noout -subject -ext subjectAltName", cert)
    assert f"DNS:{seed['hostname']}" in text, text
    assert host.file(cert).mtime.timestamp() >= boot_epoch - 2


def test_cloud_user_logs_into_the_hub_and_runs_code(host, seed, hub, manifest):
    kernels = sorted(env["kernel"] for env in manifest["python_envs"].values() if env.get("kernel"))
    result = hub_client(host, hub, "hub_client.py", seed["user"], seed["password"], *kernels)
    assert result["login_status"] == 302, result
    assert result["spawn_status"] in (201, 202), result
    for env in manifest["python_envs"].values():
        if env.get("kernel"):
            assert result["runs"][env["kernel"]] == f"{seed['user']} {env['python']} 42", (
                result,
                journal(host, "jupyterhub"),
            )


def test_dsvm_info_shows_the_service_urls(host, seed, hub):
    out = host.check_output("dsvm-info")
    assert f"https://{seed['hostname']}:{hub['port']}" in out, out
    assert "Your account" not in out, out

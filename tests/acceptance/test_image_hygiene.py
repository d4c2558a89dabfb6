"""What playbooks/cleanup.yml guarantees before capture. True only after it ran:
the Packer build and the molecule/cpu scenario run it first (marker `capture`)."""

import pytest

pytestmark = pytest.mark.capture


def test_no_ssh_host_keys(host):
    assert host.run("ls /etc/ssh/ssh_host_* 2>/dev/null").stdout.strip() == ""


def test_machine_id_empty(host):
    f = host.file("/etc/machine-id")
    assert not f.exists or f.size == 0
    assert not host.file("/var/lib/dbus/machine-id").exists


def test_no_apt_lists_or_archives(host):
    # Nothing apt fetched, whatever its name (i18n Translation files too):
    # no file but apt's lock (its directories partial and auxfiles stay, empty).
    left = host.run("find /var/lib/apt/lists ! -type d ! -path /var/lib/apt/lists/lock").stdout.split()
    assert left == []
    assert host.run("ls /var/cache/apt/archives/*.deb 2>/dev/null").stdout.strip() == ""


def test_no_shell_history(host):
    found = host.run("find /root /home -maxdepth 2 -name .bash_history").stdout.strip()
    assert found == ""


def test_no_jupyterhub_secrets_baked(host, manifest):
    hub = manifest["settings"].get("jupyterhub")
    if hub is None:
        return  # no hub in this image: nothing of its can be baked
    with host.sudo():
        if hub["tls_self_signed"]:
            assert not host.file(f"{hub['tls_dir']}/key.pem").exists
        # Nothing of one machine's hub (cookie secret, database, the proxy's API
        # token) stays in the image.
        left = host.run("find %s -mindepth 1", hub["state_dir"]).stdout.split()
    assert left == []

"""A VM's first boot from the image, as a cloud starts it: everything
machine-specific is made anew, the cloud's user can use the hub at once, and
nothing failed on the way."""

import json
import re

import pytest
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


def test_booted_the_images_vm_kernel(host, manifest):
    """The boot loader boots /vmlinuz: vm_guest points it at the VM's kernel
    (Debian's cloud flavour), also where the image has more than one."""
    assert host.check_output("uname -r") == manifest["settings"]["vm_guest"]["boot_kernel"]


def test_gpu_driver_module_ready_for_the_booted_kernel(host, manifest):
    """The gpu image on a VM: DKMS built the driver for the kernel this VM
    boots, so a GPU VM size loads it (here no NVIDIA device: not loaded, and
    test_no_unit_failed proves the driver's units skip instead of failing)."""
    if "gpu" not in manifest:
        pytest.skip("the image has no NVIDIA driver (no gpu entry in its manifest)")
    kernel = host.check_output("uname -r")
    assert kernel in manifest["gpu"]["kernels"], (kernel, manifest["gpu"]["kernels"])
    modules = host.check_output("find /lib/modules/%s/updates -name 'nvidia*.ko*'", kernel).split()
    core = [m for m in modules if re.search(r"/nvidia(-current)?(-open)?\.ko", m)]
    assert core, f"no nvidia module for the booted kernel {kernel}: {modules}"
    # modinfo is in /usr/sbin, outside a user's PATH: the suite logs in as the cloud's user.
    modinfo = host.find_command("modinfo")
    assert host.check_output("%s -F version %s", modinfo, core[0]) in manifest["gpu"]["driver_version"]


def test_gpu_image_boots_without_a_gpu(host, manifest):
    """One image for every VM size: on a VM with no NVIDIA device, this boot
    loaded no nvidia module and its start of the persistence daemon was
    skipped by the daemon's condition (not failed, not retried). The
    frameworks' CPU training runs are the build's (test_training_loss_falls);
    here the kernels run plain code (test_cloud_user_logs_into_the_hub_and_runs_code)."""
    if "gpu" not in manifest:
        pytest.skip("the image has no NVIDIA driver (no gpu entry in its manifest)")
    if host.run("grep -qsx 0x10de /sys/bus/pci/devices/*/vendor").rc == 0:
        pytest.skip("this VM has an NVIDIA device: pytest -m gpu checks the driver there")
    assert not host.file("/sys/module/nvidia").exists, host.check_output("cat /proc/modules")
    if manifest["gpu"]["persistence"] != "on":
        pytest.skip("the image leaves the persistence daemon off")
    props = host.check_output(
        "systemctl show -p UnitFileState -p ActiveState -p Result -p NRestarts nvidia-persistenced.service"
    )
    state = dict(line.split("=", 1) for line in props.splitlines())
    assert state["UnitFileState"] == "enabled", state
    assert state["ActiveState"] == "inactive" and state["Result"] == "exec-condition", state
    assert state["NRestarts"] == "0", state


def test_container_engine_runs(host, manifest):
    """Docker's daemon, which fails in the test containers (unprivileged),
    runs on the VM, with the nvidia runtime entry where the image has one."""
    runtime = manifest["settings"].get("container_runtime") or {}
    if not runtime.get("docker"):
        pytest.skip("the image has no Docker engine (container_runtime)")
    assert host.service("docker").is_running
    with host.sudo():
        runtimes = json.loads(host.check_output("docker info --format '{{json .Runtimes}}'"))
    assert ("nvidia" in runtimes) == bool(runtime["nvidia_runtime"]), runtimes


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


def test_no_build_user_left(host, seed, manifest):
    """Deprovisioned: the only people who can log in are the cloud's user and
    the image's base_users, not whoever built it (Packer's login user, a
    builder's keys or sudoers drop-in)."""
    expected = {seed["user"], *manifest["settings"]["base"]["users"]}
    people = {
        e.split(":")[0]
        for e in host.check_output("getent passwd").splitlines()
        if 1000 <= int(e.split(":")[2]) < 60000
    }
    assert people <= expected, f"users not made by the cloud or base_users: {people - expected}"
    with host.sudo():
        dropins = host.check_output("ls /etc/sudoers.d").split()
        keys = host.check_output("find /root /home -name authorized_keys").split()
        mine = host.check_output("grep -l %s /etc/sudoers.d/* || true", seed["user"]).split()
    # cloud-init's drop-in names the cloud's user; the base role's, base_users.
    allowed = {"README", "dsvm-umask", *(p.rsplit("/", 1)[-1] for p in mine)}
    allowed |= {f"dsvm-{u}" for u in expected}
    assert set(dropins) <= allowed, set(dropins) - allowed
    assert f"/home/{seed['user']}/.ssh/authorized_keys" in keys, keys
    homes = {f"/home/{u}/.ssh/authorized_keys" for u in expected}
    assert set(keys) - {"/root/.ssh/authorized_keys"} <= homes, keys
    if "/root/.ssh/authorized_keys" in keys:
        # cloud-init's disable_root: the cloud's keys, each refused with a
        # message naming the cloud's user; no builder's key.
        with host.sudo():
            root_keys = host.file("/root/.ssh/authorized_keys").content_string.split("\n")
            user_keys = host.file(f"/home/{seed['user']}/.ssh/authorized_keys").content_string
        for line in filter(None, root_keys):
            assert "Please login as the user" in line and seed["user"] in line, line
            blob = line.split("ssh-", 1)[1].split()[1]
            assert blob in user_keys, f"root has a key the cloud did not give: {line}"


def test_cloud_user_in_the_data_science_group(host, seed, manifest):
    group = manifest["settings"]["base"]["group"]
    assert group in host.user(seed["user"]).groups, host.user(seed["user"]).groups
    assert host.run("sudo -n true").rc == 0


def test_hub_certificate_made_at_first_boot_names_this_host(host, seed, hub, boot_epoch, delivered_key):
    if delivered_key:
        pytest.skip("the seed delivered the TLS key (DSVM_VM_TLS_KEY): test_hub_serves_the_delivered_key")
    cert = f"{hub['tls_dir']}/cert.pem"
    text = host.check_output("openssl x509 -in %s -noout -subject -ext subjectAltName", cert)
    assert f"DNS:{seed['hostname']}" in text, text
    assert host.file(cert).mtime.timestamp() >= boot_epoch - 2
    if hub.get("tls_cert_sha256"):
        # The image's supplied certificate, its key not delivered: kept aside
        # as it was, for an administrator who delivers the key later.
        kept = host.run("sha256sum %s.supplied", cert).stdout.split()[:1]
        assert kept == [hub["tls_cert_sha256"]], "the supplied certificate was not kept aside"


PUBKEY_OF_CERT = "openssl x509 -in %s -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum"


def test_hub_serves_the_delivered_key(host, hub, boot_epoch, delivered_key):
    """The key cloud-init's write_files delivered (the jupyterhub role's README
    way for an image built with a supplied certificate, its key left out):
    the first-boot generator stood aside, the image's certificate stays, its
    public key is the delivered key's, the key is private to root and the
    proxy's group, and the hub's port serves that certificate."""
    if not delivered_key:
        pytest.skip("this boot's seed delivered no TLS key (tools/vm-test without DSVM_VM_TLS_KEY)")
    cert, key = f"{hub['tls_dir']}/cert.pem", f"{hub['tls_dir']}/key.pem"
    show = "systemctl show -p ConditionResult --value dsvm-jupyterhub-tls.service"
    generator = host.run(show).stdout.strip()
    assert generator == "no", f"the generator ran (ConditionResult={generator!r}) though the key was there"
    assert host.file(cert).mtime.timestamp() < boot_epoch, "the certificate was made at this boot"
    assert host.check_output(PUBKEY_OF_CERT, cert).split()[0] == delivered_key
    assert host.check_output("sha256sum %s", cert).split()[0] == hub["tls_cert_sha256"]
    stat = host.check_output("sudo -n stat -c '%%a %%U %%G' %s", key).split()
    assert stat == ["640", "root", hub["proxy_user"]], stat
    served = host.check_output(
        "openssl s_client -connect 127.0.0.1:%s </dev/null 2>/dev/null | openssl x509 -pubkey -noout"
        " | openssl pkey -pubin -outform DER | sha256sum",
        str(hub["port"]),
    )
    assert served.split()[0] == delivered_key, served


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

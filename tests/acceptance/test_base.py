"""The base layer: packages, locale, time zone, CA certificates, users, motd, dsvm-info."""

import json
import posixpath
import secrets

import pytest
from dsvm_selection import components_without_fragment

pytestmark = pytest.mark.base

# Every certificate of a PEM file must be in the system bundle.
CERTS_IN_BUNDLE = r"""
import re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
norm = lambda s: re.sub(r"\s+", "", s)
bundle = {norm(c) for c in pem.findall(open("/etc/ssl/certs/ca-certificates.crt").read())}
certs = [norm(c) for c in pem.findall(open(sys.argv[1]).read())]
missing = [i for i, c in enumerate(certs) if c not in bundle]
print(len(certs), len(missing))
"""


def test_manifest_names_a_known_variant(manifest):
    assert manifest["image"]["variant"] in ("cpu", "gpu")
    assert "base" in manifest["roles"]


def test_every_applied_component_wrote_its_fragment(manifest):
    # Tests of a component skip where its role wrote no fragment: one that site.yml
    # applied (image.components) but that wrote none must fail here, not hide. Where
    # the manifest does not list the applied components, its roles list is the truth.
    missing = components_without_fragment(manifest)
    assert not missing, (
        f"site.yml applied {missing} but no manifest fragment names them "
        f"(manifest roles: {manifest['roles']}; components: {manifest['image']['components']})"
    )


def test_base_packages_installed(host, base_settings):
    missing = [p for p in base_settings["packages"] if not host.package(p).is_installed]
    assert base_settings["packages"], "the manifest lists no base packages"
    assert not missing, f"base packages not installed: {missing}"


def test_dsvm_info_reports_installed_versions(host, manifest):
    out = host.check_output("dsvm-info")
    assert f"({manifest['image']['variant']} variant)" in out
    assert manifest["components"], "the manifest lists no components"
    for name, version in manifest["components"].items():
        if host.package(name).is_installed:
            assert host.package(name).version == version, name
        assert name in out and version in out


def test_dsvm_info_json_merges_fragments(host, manifest):
    fragments = host.file("/etc/dsvm/manifest.d").listdir()
    assert "00-image.json" in fragments and "10-base.json" in fragments
    base = json.loads(host.file("/etc/dsvm/manifest.d/10-base.json").content_string)
    for name, version in base["components"].items():
        assert manifest["components"][name] == version


def test_locale_generated_and_default(host, base_settings):
    wanted = [base_settings["locale"], *base_settings["locales_extra"]]
    available = host.check_output("locale -a").lower().replace("-", "").split()
    for loc in wanted:
        assert loc.lower().replace("-", "") in available, f"{loc} not generated"
    assert f"LANG={base_settings['locale']}" in host.file("/etc/default/locale").content_string


def test_default_locale_survives_a_boot(host, base_settings):
    """A tmpfiles rule (Debian 13's debian.conf) that replaces /etc/default/locale
    at boot finds it already what the rule makes, pointing at the file with LANG."""
    rules = host.run("grep -hs '^L.* /etc/default/locale ' /usr/lib/tmpfiles.d/*.conf /etc/tmpfiles.d/*.conf")
    for rule in rules.stdout.splitlines():
        target = posixpath.normpath(posixpath.join("/etc/default", rule.split()[-1]))
        link = host.file("/etc/default/locale")
        assert link.is_symlink and link.linked_to == target, rule
        assert f"LANG={base_settings['locale']}" in host.file(target).content_string


def test_timezone(host, base_settings):
    tz = base_settings["timezone"]
    assert host.file("/etc/timezone").content_string.strip() == tz
    assert host.run("cmp -s /etc/localtime /usr/share/zoneinfo/%s", tz).rc == 0
    # The C library agrees, not only the files.
    expected = host.check_output("TZ=%s date -d @0 +%%z", tz)
    assert host.check_output("date -d @0 +%z") == expected


def test_extra_ca_certificates_trusted(host, base_settings):
    for name in base_settings["ca_certificates"]:
        path = f"/usr/local/share/ca-certificates/dsvm-{name}.crt"
        assert host.file(path).exists, path
        total, missing = map(int, host.check_output("python3 -c %s %s", CERTS_IN_BUNDLE, path).split())
        assert total > 0, f"{path} holds no certificate"
        assert missing == 0, f"{missing} of {total} certificates of {path} not in the system bundle"


def test_https_through_system_trust_store(host, dsvm_tls_url):
    # Only with --dsvm-tls-url: proves the CA store (extra CAs included) works for TLS.
    code = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=30).status)"
    assert host.check_output("python3 -c %s %s", code, dsvm_tls_url) == "200"


def test_datascience_group(host, base_settings):
    assert host.group(base_settings["group"]).exists


def test_users(host, base_settings):
    for name in base_settings["users"]:
        user = host.user(name)
        assert user.exists, name
        assert base_settings["group"] in user.groups, f"{name} not in {base_settings['group']}"
        assert host.file(user.home).is_directory
        # Either a crypt hash or locked: never an empty password.
        status = host.check_output("passwd -S %s", name).split()[1]
        assert status in ("P", "L"), f"{name} password status {status}"


def test_homes_private_and_login_umask(host, base_settings, pam_user):
    """Homes of base_users and of users made later (useradd, as pam_user does) have
    base_home_mode; a login shell has base_umask, so a new file is not
    world-readable and another user cannot read it."""
    mode = int(base_settings["home_mode"], 8)
    for name in [*base_settings["users"], pam_user[0]]:
        home = host.file(host.user(name).home)
        assert home.mode == mode, f"{name}'s home is {oct(home.mode)}, not {oct(mode)}"
    name = pam_user[0]
    with host.sudo():
        out = host.check_output("su - %s -c 'umask; echo secret > ~/note; stat -c %%a ~/note'", name).split()
    umask = int(base_settings["umask"], 8)
    # Debian 13's own pam_umask line (usergroups) gives a user with a private
    # group the owner's bits for the group too: 027 becomes 007 there.
    private_group = (umask & 0o707) | ((umask & 0o700) >> 3)
    assert int(out[0], 8) in (umask, private_group), out
    assert int(out[1], 8) == 0o666 & ~int(out[0], 8)
    assert int(out[1], 8) & 0o007 == 0, "a new file is readable by others"
    with host.sudo():
        peek = host.run("su -s /bin/sh nobody -c 'cat %s/note'", host.user(name).home)
    assert peek.rc != 0 and "secret" not in peek.stdout


def test_sudo_keeps_a_umask_others_can_read(host):
    """sudo (and so Ansible's become) runs Debian's non-interactive PAM stack:
    it must not get the login umask, or what is installed with it is
    unreadable to service users and users (Debian 13's pam_umask there made
    the proxy's npm tree unreadable to jupyterhub-proxy)."""
    # Called from a login session's umask, too (SSH: Packer's qemu and cloud
    # builds): sudo must not take the union of the caller's and its own.
    for caller in ("", "umask 027; "):
        out = host.run("sh -c %s", f"{caller}sudo -n sh -c umask")
        assert out.rc == 0, out.stderr
        assert int(out.stdout.strip(), 8) & 0o005 == 0, f"sudo's umask is {out.stdout.strip()} ({caller!r})"


def test_login_lockout_in_every_pam_login(host, base_settings):
    """pam_faillock sits in common-auth (JupyterHub's `login` service, SSH, su,
    sudo) with the configured count; the hub's test proves it locks."""
    attempts = base_settings["login_lockout_attempts"]
    auth = host.file("/etc/pam.d/common-auth").content_string
    if attempts == 0:
        assert "pam_faillock.so" not in auth
        return
    lines = [line.split() for line in auth.splitlines() if line.strip() and not line.startswith("#")]
    modules = [next(w for w in line if w.endswith(".so")) for line in lines]
    # preauth before pam_unix, authfail after it.
    last_faillock = len(modules) - 1 - modules[::-1].index("pam_faillock.so")
    assert modules.index("pam_faillock.so") < modules.index("pam_unix.so") < last_faillock
    assert "pam_faillock.so" in host.file("/etc/pam.d/common-account").content_string
    conf = host.file("/etc/security/faillock.conf").content_string
    assert f"deny = {attempts}" in conf.splitlines()
    assert f"unlock_time = {base_settings['login_lockout_seconds']}" in conf.splitlines()


def test_no_failed_units(host):
    """Every unit the image starts comes up where it runs: a VM, and a
    container too (Docker's units skip themselves there; the gpu variant's
    persistence daemon and module loading wait for an NVIDIA device)."""
    if not host.file("/run/systemd/system").exists:
        pytest.skip("systemd does not run this machine")
    failed = host.run("systemctl list-units --failed --no-legend --plain").stdout
    units = [line.split()[0] for line in failed.splitlines() if line.strip()]
    logs = {u: host.run("journalctl -u %s --no-pager -n 5", u).stdout for u in units}
    assert not units, f"failed units: {logs}"


def test_apt_sources_configured_once(host):
    """No suite and component in two source entries: apt would warn
    "configured multiple times" at every run (the nvidia_driver role's
    non-free entry duplicated the base sources' before it checked)."""
    res = host.run("apt-get indextargets --no-release-info >/dev/null")
    assert res.rc == 0, res.stderr
    assert "configured multiple times" not in res.stderr, res.stderr


def test_sudoers_valid(host):
    with host.sudo():
        assert host.run("visudo -c").rc == 0


def test_motd(host, manifest):
    motd = host.file("/etc/motd").content_string
    assert manifest["image"]["variant"].upper() in motd
    assert "dsvm-info" in motd


def test_dsvm_info_tells_a_key_only_user_what_the_hub_needs(host, base_settings, pam_user):
    """An account a cloud made with SSH keys only has no password and may not be
    in the data-science group: dsvm-info (run by that user) says how to fix
    both; for a user with a password in the group it says nothing."""
    group = base_settings["group"]
    name = "dsvmkeys" + secrets.token_hex(3)
    with host.sudo():
        host.check_output("useradd -m -s /bin/bash %s", name)
    try:
        with host.sudo():
            out = host.check_output("su -s /bin/sh %s -c dsvm-info", name)
        assert f"sudo passwd {name}" in out, out
        assert f"sudo usermod -aG {group} {name}" in out, out
    finally:
        with host.sudo():
            host.run("userdel -r %s", name)
    with host.sudo():
        out = host.check_output("su -s /bin/sh %s -c dsvm-info", pam_user[0])
    assert "Your account" not in out, out

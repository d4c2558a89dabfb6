"""What the bad-input tests share: a playbook run against a throwaway container
over the docker connection, and the set of paths that changed in it."""

import json
import os
import subprocess
from pathlib import Path

# Ansible's own scratch space inside the container, not the host under test.
IGNORED_DIRS = {"/root", "/tmp"}  # noqa: S108 - paths inside the container
IGNORED_PREFIX = "/root/.ansible"


def changed_paths(container: str) -> set[str]:
    """Paths `docker diff` reports for CONTAINER, without Ansible's scratch space."""
    out = subprocess.run(["docker", "diff", container], check=True, capture_output=True, text=True)
    paths = {line.split(maxsplit=1)[1] for line in out.stdout.splitlines() if line.strip()}
    return {p for p in paths if p not in IGNORED_DIRS and not p.startswith(IGNORED_PREFIX)}


def run_playbook(repo_root: Path, container: str, playbook, extra_vars: dict) -> tuple[int, str]:
    """ansible-playbook PLAYBOOK against CONTAINER with EXTRA_VARS: (exit status, output)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            f"{container},",
            "-c",
            "community.docker.docker",
            "-e",
            json.dumps(extra_vars),
            str(playbook),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root,
    )
    return result.returncode, result.stdout + result.stderr

"""What the bad-input tests share: a playbook run against a throwaway container
over the docker connection, the set of paths that changed in it, and an HTTP
server the container reaches (a mirror)."""

import contextlib
import functools
import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

# Ansible's own scratch space inside the container, not the host under test.
IGNORED_DIRS = {"/root", "/tmp"}  # noqa: S108 - paths inside the container
IGNORED_PREFIX = "/root/.ansible"


def changed_paths(container: str) -> set[str]:
    """Paths `docker diff` reports for CONTAINER, without Ansible's scratch space."""
    out = subprocess.run(["docker", "diff", container], check=True, capture_output=True, text=True)
    paths = {line.split(maxsplit=1)[1] for line in out.stdout.splitlines() if line.strip()}
    return {p for p in paths if p not in IGNORED_DIRS and not p.startswith(IGNORED_PREFIX)}


def run_playbook(
    repo_root: Path, container: str, playbook, extra_vars: dict, tags: str = ""
) -> tuple[int, str]:
    """ansible-playbook PLAYBOOK against CONTAINER with EXTRA_VARS (and only TAGS,
    if given): (exit status, output)."""
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
            *(["--tags", tags] if tags else []),
            str(playbook),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root,
    )
    return result.returncode, result.stdout + result.stderr


def _strings(value) -> list[str]:
    """Every string in a task result (msg, argument_errors, loop results ...)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# Sets each case's variables as facts: they win over role variables and
# play variables, as -e would, but per host.
CASE_VARS_PLAY = """
- name: Set this case's variables
  hosts: all
  gather_facts: false
  tasks:
    - name: Set a case variable
      ansible.builtin.set_fact:
        "{{ item.key }}": "{{ item.value }}"
      loop: "{{ dsvm_case_vars | dict2items }}"
      loop_control:
        label: "{{ item.key }}"

- name: The playbook under test
  ansible.builtin.import_playbook: PLAYBOOK
"""


def run_cases(repo_root: Path, container: str, playbook, cases: dict, workdir: Path) -> dict:
    """One ansible-playbook run of PLAYBOOK for every case of CASES (name:
    variables) against CONTAINER: each case is an inventory host of its own on
    the same container, its variables set as facts before the playbook. Returns,
    by case: {"failed": bool, "text": every string of its failed results, one
    line, "changed": its changed count}. One process and one parse instead of
    one per case: the bad-input tests' cost was mostly ansible-playbook's own."""
    hosts = {
        f"case{i}": {
            "ansible_host": container,
            "ansible_connection": "community.docker.docker",
            "dsvm_case_vars": variables,
        }
        for i, variables in enumerate(cases.values())
    }
    inventory = workdir / "cases.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
    wrapper = workdir / "cases.yml"
    wrapper.write_text(CASE_VARS_PLAY.replace("PLAYBOOK", str(Path(playbook).resolve())))
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_FORKS=str(min(len(hosts), 8)),
    )
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(wrapper)],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root,
    )
    try:
        out = json.loads(result.stdout[result.stdout.index("{") :])
    except ValueError as exc:
        raise AssertionError(
            f"no JSON from ansible-playbook: {result.stdout[-2000:]}{result.stderr[-2000:]}"
        ) from exc
    found = {}
    for i, name in enumerate(cases):
        host = f"case{i}"
        failed = [
            task["hosts"][host]
            for play in out["plays"]
            for task in play["tasks"]
            if host in task["hosts"]
            and (task["hosts"][host].get("failed") or task["hosts"][host].get("unreachable"))
            and not task["hosts"][host].get("ignore_errors")
        ]
        stats = out["stats"].get(host, {})
        found[name] = {
            "failed": bool(stats.get("failures") or stats.get("unreachable")),
            "text": " ".join(" ".join(_strings(failed)).split()),
            "changed": stats.get("changed", 0),
        }
    return found


def assert_refused(case: str, result: dict, words, host_changes, *, may_download: bool = False) -> None:
    """One bad-input case's verdict from run_cases: the play failed, its error
    names every word, no task changed (unless may_download and the error is
    about a downloaded artifact, whose temporary file counts as a change), and
    the container's file system did not change across the runs."""
    assert result["failed"], f"{case}: the play succeeded"
    for word in words:
        assert word in result["text"], f"{case}: {word!r} not in the error: {result['text'][-3000:]}"
    if not (may_download and "artifact '" in result["text"]):
        assert result["changed"] == 0, f"{case}: {result['changed']} task(s) changed"
    assert not host_changes, f"the host changed: {host_changes}"


@contextlib.contextmanager
def bridge_http_server(container: str, root: Path):
    """Serve ROOT over HTTP on CONTAINER's docker bridge gateway; yields the
    base URL as the container sees it."""
    gateway = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}", container],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((gateway, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{gateway}:{server.server_address[1]}"
    finally:
        server.shutdown()

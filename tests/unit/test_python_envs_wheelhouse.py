"""python_envs' local wheelhouse (python_envs_wheelhouse): used only for the
pins it holds. Runs the role's preflight and wheelhouse steps (nothing is
installed) against a container of the Debian 12 base image, with the real
pytorch and default locks, and reads the resulting plan."""

import json
import re
import subprocess

import pytest
import yaml
from dockerplay import run_playbook

pytestmark = pytest.mark.docker

WHEELHOUSE = "/srv/wheelhouse"
TORCH = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
PYTORCH_INDEX = "https://download.pytorch.org/whl/cpu"


def plan_for(container, repo_root, tmp_path, wheels, wheelhouse=WHEELHOUSE):
    """The plan python_envs computes with WHEELS (file names) in the wheelhouse."""
    subprocess.run(
        ["docker", "exec", container, "sh", "-c", f"rm -rf {WHEELHOUSE} && mkdir -p {WHEELHOUSE}"], check=True
    )
    for name in wheels:
        subprocess.run(["docker", "exec", container, "touch", f"{WHEELHOUSE}/{name}"], check=True)
    book, out_file = tmp_path / "play.yml", tmp_path / "plan.json"
    tasks = [
        {
            "name": "Preflight",
            "ansible.builtin.include_role": {"name": "dsvm.image.python_envs", "tasks_from": "preflight"},
        },
        {
            "name": "Wheelhouse",
            "ansible.builtin.include_role": {"name": "dsvm.image.python_envs", "tasks_from": "wheelhouse"},
        },
        {
            "name": "Save the plan on the controller",
            "ansible.builtin.copy": {"content": "{{ __python_envs_plan | to_json }}", "dest": str(out_file)},
            "delegate_to": "localhost",
        },
    ]
    book.write_text(yaml.safe_dump([{"name": "plan", "hosts": "all", "tasks": tasks}]))
    rc, out = run_playbook(
        repo_root,
        container,
        book,
        {"python_envs_enabled": ["default", "pytorch"], "python_envs_wheelhouse": wheelhouse},
    )
    assert rc == 0, out
    return json.loads(out_file.read_text())


def test_wheelhouse_with_the_locked_wheel_replaces_the_extra_index(container, repo_root, tmp_path):
    plan = plan_for(container, repo_root, tmp_path, [TORCH, "unrelated-1.0-py3-none-any.whl"])
    assert plan["pytorch"]["find_links"][0] == WHEELHOUSE
    assert plan["pytorch"]["extra_index_urls"] == []
    assert plan["pytorch"]["wheelhouse_pins"] == ["torch==2.13.0+cpu"]
    # default pins nothing the wheelhouse holds: its sources are the lock's own.
    assert plan["default"]["find_links"] == []
    assert "wheelhouse_pins" not in plan["default"]


def test_wheelhouse_without_the_locked_version_is_not_used(container, repo_root, tmp_path):
    other = TORCH.replace("2.13.0", "2.12.0")
    plan = plan_for(container, repo_root, tmp_path, [other])
    assert plan["pytorch"]["find_links"] == []
    assert plan["pytorch"]["extra_index_urls"] == [PYTORCH_INDEX]


def test_wheelhouse_holding_only_pypi_pins_keeps_the_extra_index(container, repo_root, tmp_path):
    # A PyPI pin of the pytorch lock, but not its +cpu torch: the wheelhouse
    # helps, the extra index is still needed for torch.
    lock = (repo_root / "roles/python_envs/files/locks/pytorch-cpu-py3.11.txt").read_text()
    name, version = re.search(r"(?m)^(filelock)==(\S+)", lock).groups()
    plan = plan_for(container, repo_root, tmp_path, [f"{name}-{version}-py3-none-any.whl"])
    assert plan["pytorch"]["find_links"] == [WHEELHOUSE]
    assert plan["pytorch"]["extra_index_urls"] == [PYTORCH_INDEX]
    assert plan["pytorch"]["wheelhouse_pins"] == [f"{name}=={version}"]


def test_missing_wheelhouse_directory_changes_nothing(container, repo_root, tmp_path):
    plan = plan_for(container, repo_root, tmp_path, [], wheelhouse="/srv/no-such-dir")
    assert plan["pytorch"]["find_links"] == []
    assert plan["pytorch"]["extra_index_urls"] == [PYTORCH_INDEX]

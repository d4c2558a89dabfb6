"""conda: the distribution in its root-owned prefix, the system .condarc,
and every conda_envs environment as a working Jupyter kernel (marker conda).

Needs a host where the role could install conda: the installer's host and
conda-forge (or a mirror) reachable. This project's CI reaches neither; there
tests/unit/test_tools_bad_input.py covers the failure modes and the .condarc.
"""

import json

import pytest
import yaml
from dsvm_host import role_settings

pytestmark = pytest.mark.conda


@pytest.fixture(scope="module")
def conda(manifest):
    return {**role_settings(manifest, "conda"), "envs": manifest.get("conda_envs", {})}


def test_conda_runs(host, conda):
    out = host.check_output("%s/bin/conda --version", conda["prefix"])
    assert out.startswith("conda "), out


def test_prefix_is_root_owned_and_read_only_for_users(host, conda):
    prefix = host.file(conda["prefix"])
    assert prefix.user == "root" and not prefix.mode & 0o022
    assert host.run("find %s -maxdepth 3 -perm -o+w -not -type l | head -1", conda["prefix"]).stdout == ""


def test_system_condarc(host, conda):
    rc = yaml.safe_load(host.file(f"{conda['prefix']}/.condarc").content_string)
    assert rc["channels"] == conda["channels"] or conda["distribution"] == "miniforge", rc
    if conda["distribution"] == "miniforge":
        assert "defaults" not in json.dumps(rc), rc
    if conda["channel_alias"]:
        assert rc["channel_alias"] == conda["channel_alias"], rc
    # conda itself reads it.
    out = host.check_output("%s/bin/conda config --show channels --json", conda["prefix"])
    assert "defaults" not in json.loads(out)["channels"] or conda["distribution"] != "miniforge"


def test_every_environment_is_a_kernel_that_runs(host, conda):
    for kernel in conda["kernels"]:
        spec = json.loads(host.file(f"/usr/local/share/jupyter/kernels/{kernel}/kernel.json").content_string)
        python = spec["argv"][0]
        assert python.startswith(conda["prefix"] + "/envs/"), spec
        out = host.check_output("%s -c %s", python, "import ipykernel, sys; print(sys.prefix)")
        assert out == python.rsplit("/bin/", 1)[0]
    for name, python in conda["envs"].items():
        assert host.file(python).exists, name

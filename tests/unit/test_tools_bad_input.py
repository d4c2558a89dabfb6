"""conda, julia and code_server: failure modes and bad input.

Each case runs one role against a fresh container of the Debian 12 base image
and compares `docker diff` before and after: a bad value, a missing checksum,
an unreachable vendor host (the real default URLs: this CI reaches neither
GitHub, Anaconda nor julialang.org) and a checksum mismatch must each stop the
play with a message naming the variable or the artifact, its URL and the
expected checksum, and leave the host as it was. The system .condarc is
rendered on the controller and checked.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dockerplay import assert_refused, run_cases
from dockerplay import changed_paths as diff

pytestmark = pytest.mark.docker


MINIFORGE_SHA = "2e1ad2188fe69fcdd522c2b20c08c800a5c7411b775eca768318b1540ed32e53"
JULIA_SHA = "aa5924114ecb89fd341e59aa898cd1882b3cb622ca4972582c1518eff5f68c05"

# role, extra vars, words the failure must contain
# A lock of another package: the hub's configurable-http-proxy.
PROXY_LOCK = Path(__file__).resolve().parents[2] / "roles/jupyterhub/files/npm/configurable-http-proxy-4.6.3"

CASES = {
    "conda: installer host unreachable": (
        "conda",
        {},
        ["conda-miniforge", "github.com/conda-forge/miniforge/releases/download/24.11.3-0", MINIFORGE_SHA],
    ),
    "conda: installer through an unreachable mirror": (
        "conda",
        {"dsvm_artifact_mirror": "https://mirror.invalid/vendor"},
        ["conda-miniforge", "https://mirror.invalid/vendor/github.com/conda-forge/miniforge/", MINIFORGE_SHA],
    ),
    "conda: installer checksum mismatch": (
        "conda",
        {"dsvm_artifact_urls": {"conda-miniforge": "/etc/hostname"}},
        ["conda-miniforge", "checksum mismatch", "file:///etc/hostname", MINIFORGE_SHA],
    ),
    "conda: installer without a checksum": (
        "conda",
        {"conda_distribution": "anaconda"},
        ["conda_installer_overrides", "no sha256", "Anaconda3-2024.10-1-Linux-x86_64.sh"],
    ),
    "conda: unknown distribution": (
        "conda",
        {"conda_distribution": "mamba"},
        ["conda_distribution", "miniforge"],
    ),
    "conda: environment without a name": (
        "conda",
        {"conda_envs": [{"spec": {"dependencies": ["python=3.12", "ipykernel"]}}]},
        ["conda_envs[0]", "needs a name"],
    ),
    "conda: environment with both file and spec": (
        "conda",
        {"conda_envs": [{"name": "a", "file": "/etc/hosts", "spec": {"dependencies": ["ipykernel"]}}]},
        ["conda_envs[0]", "exactly one of file"],
    ),
    "conda: kernel environment without ipykernel": (
        "conda",
        {"conda_envs": [{"name": "a", "spec": {"dependencies": ["python=3.12", "numpy"]}}]},
        ["environment 'a'", "ipykernel", "kernel: false"],
    ),
    "julia: tarball host unreachable": (
        "julia",
        {},
        [
            "'julia'",
            "julialang-s3.julialang.org/bin/linux/x64/1.11/julia-1.11.7-linux-x86_64.tar.gz",
            JULIA_SHA,
        ],
    ),
    "julia: tarball checksum mismatch": (
        "julia",
        {"dsvm_artifact_urls": {"julia": "/etc/hostname"}},
        ["'julia'", "checksum mismatch", "file:///etc/hostname", JULIA_SHA],
    ),
    "julia: version without a checksum": (
        "julia",
        {"julia_version": "1.12.1"},
        ["julia_releases", "1.12.1", "no sha256"],
    ),
    "julia: malformed version": (
        "julia",
        {"julia_version": "latest"},
        ["julia_version", "X.Y.Z"],
    ),
    "code_server: Node.js too old for code-server": (
        "code_server",
        {"code_server_node_version": "22.21.0"},
        ["code_server_node_version", "needs Node.js 24", "24.x"],
    ),
    "code_server: Node.js too new for an older code-server": (
        "code_server",
        {"code_server_version": "4.100.3"},
        ["code-server 4.100.3 needs Node.js 20", "code_server_node_version"],
    ),
    "code_server: a version without a lock": (
        "code_server",
        {"code_server_version": "4.140.0"},
        ["code_server_npm_lock_dir", "code-server-4.140.0", "4.140.0", "npm install --package-lock-only"],
    ),
    "code_server: a lock of another package": (
        "code_server",
        {"code_server_npm_lock_dir": str(PROXY_LOCK)},
        ["code_server_npm_lock_dir", "configurable-http-proxy"],
    ),
    "code_server: an npm version without a Node.js lock": (
        "code_server",
        {"code_server_npm_version": "11.0.0"},
        ["code_server_node_npm_lock_dir", "code_server_npm_version", "npm 11.0.0"],
    ),
}


def play(tmp_path, body: dict) -> str:
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([body], sort_keys=False))
    return str(path)


def ansible_env(repo_root):
    return dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_NOCOLOR="1")


@pytest.fixture(scope="module")
def results(container, repo_root, tmp_path_factory):
    """Every case, one run of each role's play (each case a host of its own on
    the container), and the container's changes across the runs."""
    folder = tmp_path_factory.mktemp("tool-cases")
    before = diff(container)
    found = {}
    for role in sorted({role for role, _, _ in CASES.values()}):
        playbook = play(
            folder,
            {"name": role, "hosts": "all", "gather_facts": True, "roles": [{"role": f"dsvm.image.{role}"}]},
        )
        cases = {case: variables for case, (r, variables, _) in CASES.items() if r == role}
        found |= run_cases(repo_root, container, playbook, cases, folder)
    return found, diff(container) - before


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_fails_before_any_change(case, results):
    found, host_changes = results
    # Refused before any download, or on the downloaded artifact's check.
    assert_refused(case, found[case], CASES[case][2], host_changes, may_download=True)


def render_condarc(repo_root, tmp_path, extra_vars: dict) -> dict:
    playbook = play(
        tmp_path,
        {
            "name": "Render the system .condarc",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Render",
                    "ansible.builtin.include_role": {"name": "dsvm.image.conda", "tasks_from": "condarc"},
                }
            ],
        },
    )
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            json.dumps(
                {"conda_prefix": str(tmp_path), "ansible_python_interpreter": sys.executable, **extra_vars}
            ),
            playbook,
        ],
        capture_output=True,
        text=True,
        env=ansible_env(repo_root),
        cwd=repo_root,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return yaml.safe_load((tmp_path / ".condarc").read_text())


def test_condarc_miniforge_has_no_defaults_channel(repo_root, tmp_path):
    rc = render_condarc(repo_root, tmp_path, {"conda_channels": ["defaults", "conda-forge"]})
    assert rc["channels"] == ["conda-forge"], rc
    assert "defaults" not in json.dumps(rc), rc
    assert "default_channels" not in rc and "channel_alias" not in rc, rc
    assert rc["channel_priority"] == "strict"
    assert rc["pkgs_dirs"] == [f"{tmp_path}/pkgs"], rc
    assert rc["auto_update_conda"] is False


def test_condarc_default_is_conda_forge_only(repo_root, tmp_path):
    rc = render_condarc(repo_root, tmp_path, {})
    assert rc["channels"] == ["conda-forge"], rc


def test_condarc_mirror(repo_root, tmp_path):
    rc = render_condarc(
        repo_root,
        tmp_path,
        {
            "conda_channel_alias": "https://mirror.example.com/conda",
            "conda_custom_channels": {"bioconda": "https://mirror.example.com/bio"},
            "conda_condarc_extra": {"ssl_verify": "/etc/ssl/certs/ca-certificates.crt"},
        },
    )
    assert rc["channel_alias"] == "https://mirror.example.com/conda", rc
    assert rc["custom_channels"] == {"bioconda": "https://mirror.example.com/bio"}, rc
    assert rc["ssl_verify"] == "/etc/ssl/certs/ca-certificates.crt", rc


def test_condarc_anaconda_keeps_defaults_and_its_mirror(repo_root, tmp_path):
    rc = render_condarc(
        repo_root,
        tmp_path,
        {
            "conda_distribution": "anaconda",
            "conda_default_channels": ["https://mirror.example.com/anaconda/pkgs/main"],
        },
    )
    assert rc["channels"] == ["defaults"], rc
    assert rc["default_channels"] == ["https://mirror.example.com/anaconda/pkgs/main"], rc

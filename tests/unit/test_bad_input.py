"""Bad input fails before any change, with a message that names the variable.

Runs playbooks/site.yml against a fresh container of the Debian 12 base image
and compares `docker diff` before and after: nothing outside Ansible's own
temporary files may have changed. site.yml checks every applied component's
argument spec and preflight before any role runs, so bad input for a role
late in the build (python_envs, jupyterhub) is refused as early as base's.
"""

from pathlib import Path

import pytest
from dockerplay import assert_refused, run_cases
from dockerplay import changed_paths as diff

pytestmark = pytest.mark.docker

NPM_LOCKS = Path(__file__).resolve().parents[2] / "roles/jupyterhub/files/npm"

# Ansible's own scratch space on the target (and the directories holding it)
# is not a change to the host.

CASES = {
    "unknown variant": ({"dsvm_variant": "tpu"}, ["dsvm_variant", "cpu", "gpu"]),
    "wrong type": ({"base_users": "alice"}, ["base_users", "list"]),
    "missing required key": ({"base_users": [{"shell": "/bin/bash"}]}, ["base_users", "name"]),
    "plain-text password": (
        {"base_users": [{"name": "alice", "password": "hunter2"}]},
        ["base_users", "password"],
    ),
    "not a PEM certificate": (
        {"base_ca_certificates": [{"name": "corp", "content": "hello"}]},
        ["base_ca_certificates", "corp", "not a PEM certificate"],
    ),
    "both content and src": (
        {"base_ca_certificates": [{"name": "corp", "content": "x", "src": "/etc/hosts"}]},
        ["base_ca_certificates[0]", "exactly one of content"],
    ),
    "malformed time zone": ({"base_timezone": "Mars time"}, ["base_timezone"]),
    "unknown locale form": ({"base_locale": "english"}, ["base_locale"]),
    "unknown component": ({"dsvm_components": ["base", "nosuch"]}, ["dsvm_components", "nosuch"]),
    "unknown python_envs manager": (
        {"python_envs_manager": "pipenv"},
        ["python_envs_manager", "uv, conda", "pipenv"],
    ),
    "environment without a spec": (
        {"python_envs_enabled": ["default", "nosuchenv"]},
        ["python_envs_enabled", "nosuchenv"],
    ),
    "system packages not a list": (
        {"python_envs_spec_overrides": {"spark": {"system_packages": "default-jre-headless"}}},
        ["python_envs_specs.spark.system_packages", "list of Debian package names"],
    ),
    "hub port not a number": ({"jupyterhub_port": "eighty"}, ["jupyterhub_port", "int"]),
    "user memory limit not systemd's": (
        {"jupyterhub_user_memory_max": "8 gigabytes"},
        ["jupyterhub_user_memory_max", "8 gigabytes", "MemoryMax"],
    ),
    "tasks limit over 100 %": (
        {"jupyterhub_users_tasks_max": "150%"},
        ["jupyterhub_users_tasks_max", "TasksMax"],
    ),
    "user umask not octal": ({"jupyterhub_user_umask": "0x27"}, ["jupyterhub_user_umask", "UMask"]),
    "proxy API on the hub's port": (
        {"jupyterhub_proxy_api_port": 8000},
        ["jupyterhub_proxy_api_port", "jupyterhub_port"],
    ),
    "uv version without a hashed requirement": (
        {"python_envs_uv_version": "0.13.7"},
        ["python_envs_uv_requirements", "uv==0.13.7", "uv-0.13.7.txt"],
    ),
    "proxy version without a lock": (
        {"jupyterhub_proxy_version": "4.6.2"},
        ["jupyterhub_proxy_npm_lock_dir", "configurable-http-proxy-4.6.2", "(4.6.2)"],
    ),
    "proxy lock of another version": (
        {"jupyterhub_proxy_npm_lock_dir": str(NPM_LOCKS / "configurable-http-proxy-5.3.0")},
        ["jupyterhub_proxy_npm_lock_dir", "found: package.json 5.3.0, package-lock.json 5.3.0"],
    ),
    "home mode not octal": ({"base_home_mode": "rwx------"}, ["base_home_mode", "octal"]),
    "negative lockout count": ({"base_login_lockout_attempts": -1}, ["base_login_lockout_attempts"]),
    # This container is Debian 12: a role whose table lacks it stands in for
    # an unsupported release (dsvm.image.common's check, run up front).
    "unsupported release": (
        {"__python_envs_supported": {"Debian": ["11"], "Ubuntu": ["24"]}},
        ["python_envs: Debian 12 is not supported", "supported: Debian 11; Ubuntu 24"],
    ),
}


@pytest.fixture(scope="module")
def results(container, repo_root, tmp_path_factory):
    """Every case in one run of site.yml (each case a host of its own on the
    container), and the container's changes across the run."""
    before = diff(container)
    found = run_cases(
        repo_root,
        container,
        repo_root / "playbooks" / "site.yml",
        {c: v for c, (v, _) in CASES.items()},
        tmp_path_factory.mktemp("bad-input"),
    )
    return found, diff(container) - before


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, results):
    found, host_changes = results
    assert_refused(case, found[case], CASES[case][1], host_changes)

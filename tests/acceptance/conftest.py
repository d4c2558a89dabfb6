"""Shared fixtures of the acceptance suite.

The suite runs against any host testinfra can reach:
    pytest tests/acceptance --hosts=docker://NAME | ssh://USER@VM | local://
Molecule runs it through its testinfra verifier (ansible connection). What a
test expects comes from the image's own manifest (`dsvm-info --json`), which the
roles write from the variables they were given, so the suite checks a user's
own configuration instead of this project's defaults.
"""

import json
import secrets

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("dsvm")
    group.addoption(
        "--dsvm-tls-url",
        action="append",
        default=[],
        help="HTTPS URL the host must reach with its system CA store (repeatable); "
        "tests that need it are deselected when none is given",
    )
    group.addoption(
        "--dsvm-gpu-expect",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="GPU expectation where the host has no DSVM manifest: driver_branch=NNN, "
        "module=open|proprietary, persistence=on|off (repeatable)",
    )
    group.addoption(
        "--dsvm-gpu-framework",
        action="append",
        default=[],
        help="framework the GPU checks expect (torch, tensorflow, jax; repeatable)",
    )
    group.addoption(
        "--dsvm-python",
        action="append",
        default=[],
        help="Python interpreter to look for frameworks in (repeatable; default: the manifest's)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--dsvm-tls-url"):
        return
    keep = [i for i in items if "dsvm_tls_url" not in getattr(i, "fixturenames", ())]
    dropped = [i for i in items if i not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_generate_tests(metafunc):
    if "dsvm_tls_url" in metafunc.fixturenames:
        metafunc.parametrize("dsvm_tls_url", metafunc.config.getoption("--dsvm-tls-url"))


@pytest.fixture(scope="module")
def manifest(host):
    """The merged image manifest, as dsvm-info prints it."""
    out = host.check_output("dsvm-info --json")
    return json.loads(out)


@pytest.fixture(scope="module")
def base_settings(manifest):
    """What the base role recorded about its own configuration."""
    return manifest["settings"]["base"]


@pytest.fixture
def pam_user(host, manifest):
    """A throwaway local user in the image's data-science group, with a random
    password: (name, password). Removed, with its processes, afterwards."""
    name = "dsvmtest" + secrets.token_hex(3)
    password = secrets.token_urlsafe(16)
    group = manifest["settings"]["base"]["group"]
    with host.sudo():
        host.check_output("useradd -m -G %s -s /bin/bash %s", group, name)
        host.check_output("echo %s | chpasswd", f"{name}:{password}")
    yield name, password
    with host.sudo():
        host.run("pkill -u %s", name)
        host.run("userdel -r %s", name)

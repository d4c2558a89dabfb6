"""Shared fixtures of the acceptance suite.

The suite runs against any host testinfra can reach:
    pytest tests/acceptance --hosts=docker://NAME | ssh://USER@VM | local://
Molecule runs it through its testinfra verifier (ansible connection). What a
test expects comes from the image's own manifest (`dsvm-info --json`), which the
roles write from the variables they were given, so the suite checks a user's
own configuration instead of this project's defaults.

Which tests apply is read from the manifest too (dsvm_selection.py): a test of
a component the image lacks skips itself with the reason. Helpers that act on
the host (copy a script and run it, a unit's journal, the hub clients) are in
dsvm_host.py, written once.
"""

import json
import secrets
from contextlib import contextmanager

import pytest
from dsvm_host import role_settings
from dsvm_selection import needs_manifest, skip_reason


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


_MANIFESTS = pytest.StashKey[dict]()


def read_manifest(config, host) -> dict:
    """The host's merged manifest, as `dsvm-info --json` prints it: read once a
    session, a fresh copy each call."""
    cache = config.stash.setdefault(_MANIFESTS, {})
    key = host.backend.get_pytest_id()
    if key not in cache:
        cache[key] = host.check_output("dsvm-info --json")
    return json.loads(cache[key])


@pytest.fixture(scope="module")
def manifest(request, host):
    """The merged image manifest, as dsvm-info prints it."""
    return read_manifest(request.config, host)


@pytest.fixture(autouse=True)
def _every_test_has_a_host(host):
    """Every test is run against the hosts of --hosts, so the hook below knows the
    host whose manifest decides whether the test applies."""


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Skip a test of a component (or a variant) the image does not have, by its
    manifest, before any fixture of the component fails on its absence. Tests
    without such markers (the `gpu` checks) never read one."""
    markers = [(m.name, tuple(m.args)) for m in item.iter_markers()]
    if not needs_manifest(markers):
        return
    host = item.callspec.params["_testinfra_host"]
    reason = skip_reason(read_manifest(item.config, host), markers)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def base_settings(manifest):
    """What the base role recorded about its own configuration."""
    return role_settings(manifest, "base")


@pytest.fixture(scope="module")
def hub(manifest):
    """The jupyterhub role's settings, with `url`: the hub as seen from the host."""
    settings = role_settings(manifest, "jupyterhub")
    return {**settings, "url": f"https://127.0.0.1:{settings['port']}"}


@contextmanager
def _throwaway_pam_user(host, manifest):
    name = "dsvmtest" + secrets.token_hex(3)
    password = secrets.token_urlsafe(16)
    group = manifest["settings"]["base"]["group"]
    with host.sudo():
        host.check_output("useradd -m -G %s -s /bin/bash %s", group, name)
        host.check_output("echo %s | chpasswd", f"{name}:{password}")
    try:
        yield name, password
    finally:
        with host.sudo():
            host.run("pkill -u %s", name)
            host.run("userdel -r %s", name)


@pytest.fixture
def pam_user(host, manifest):
    """A throwaway local user in the image's data-science group, with a random
    password: (name, password). Removed, with its processes, afterwards."""
    with _throwaway_pam_user(host, manifest) as user:
        yield user


@pytest.fixture
def other_pam_user(host, manifest):
    """A second throwaway user like pam_user, for tests of one user against another."""
    with _throwaway_pam_user(host, manifest) as user:
        yield user

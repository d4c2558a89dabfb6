"""The first-boot suite: run by tools/vm-test against a VM booted fresh from
an image with a NoCloud seed, over SSH as the cloud user it made. What the
seed said comes in the environment (DSVM_VM_USER, DSVM_VM_PASSWORD,
DSVM_VM_HOSTNAME, DSVM_VM_BOOT_EPOCH); what the image holds from its manifest.
The acceptance suite's helpers (tests/acceptance/dsvm_host.py) are shared."""

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "acceptance"))


@pytest.fixture(scope="session")
def seed():
    missing = [k for k in ("DSVM_VM_USER", "DSVM_VM_PASSWORD", "DSVM_VM_HOSTNAME") if k not in os.environ]
    if missing:
        pytest.fail(f"run by tools/vm-test, which sets {', '.join(missing)}")
    return {
        "user": os.environ["DSVM_VM_USER"],
        "password": os.environ["DSVM_VM_PASSWORD"],
        "hostname": os.environ["DSVM_VM_HOSTNAME"],
    }


@pytest.fixture(scope="module")
def manifest(host):
    return json.loads(host.check_output("dsvm-info --json"))


@pytest.fixture(scope="module")
def hub(manifest):
    if "jupyterhub" not in manifest["settings"]:
        pytest.skip("the image has no JupyterHub (no jupyterhub settings in its manifest)")
    settings = manifest["settings"]["jupyterhub"]
    return {**settings, "url": f"https://127.0.0.1:{settings['port']}"}


@pytest.fixture(scope="session")
def delivered_key():
    """sha256 of the public key of the TLS key the seed delivered
    (DSVM_VM_TLS_KEY), or "" where the seed delivered none."""
    return os.environ.get("DSVM_VM_TLS_PUBKEY_SHA256", "")


@pytest.fixture(scope="module")
def boot_epoch(host):
    """When the VM's kernel started (its clock), from /proc/stat."""
    for line in host.file("/proc/stat").content_string.splitlines():
        if line.startswith("btime "):
            return int(line.split()[1])
    raise AssertionError("no btime in /proc/stat")

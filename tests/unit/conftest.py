import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def container():
    """A throwaway container of the Debian 12 base image, reached over docker."""
    if shutil.which("docker") is None:
        pytest.fail("docker is required for this test (make test installs and starts it)")
    name = f"dsvm-unit-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "dsvm-base:debian12", "sleep", "infinity"],
        check=True,
        capture_output=True,
    )
    try:
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)

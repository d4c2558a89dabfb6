"""R and RStudio Server: bad input and failed downloads stop before any change,
and the RStudio Server configuration renders (the render-only path CI can run:
Posit's download host is unreachable here).

Runs the roles against a container of the Debian 12 base image and compares
`docker diff` before and after each failing play.
"""

import json
import socket
import subprocess

import pytest
from dockerplay import assert_refused, run_cases, run_playbook
from dockerplay import changed_paths as diff

pytestmark = pytest.mark.docker

GOOD_SHA = "a" * 64


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLOSED = closed_port()
BUILD = {"path": "jammy/amd64/rstudio-server-2024.12.1-563-amd64.deb", "sha256": GOOD_SHA}
INSTALL = {"rstudio_server_install": True, "rstudio_server_which_r": "/bin/sh"}

CASES = {
    "rstudio on all interfaces without allowing plain HTTP": (
        "rstudio_server",
        {"rstudio_server_address": "0.0.0.0"},  # noqa: S104 (the case refused)
        ["rstudio_server_address 0.0.0.0", "plain HTTP", "rstudio_server_allow_plain_http"],
    ),
    "rstudio version without any build": (
        "rstudio_server",
        {"rstudio_server_version": "2099.01.0-1"},
        [
            "rstudio_server_version 2099.01.0-1",
            "no build for",
            "debian12",
            "rstudio_server_builds['2099.01.0-1']",
        ],
    ),
    "rstudio version without a build for this distribution": (
        "rstudio_server",
        {"rstudio_server_builds": {"2024.12.1-563": {"debian13": BUILD}}},
        ["rstudio_server_version 2024.12.1-563", "debian12", "rstudio_server_builds", "none"],
    ),
    "rstudio install without a sha256": (
        "rstudio_server",
        INSTALL,
        ["rstudio_server_builds['2024.12.1-563']['debian12']", "sha256"],
    ),
    "rstudio install with an unreachable URL": (
        "rstudio_server",
        INSTALL
        | {
            "rstudio_server_base_url": f"http://127.0.0.1:{CLOSED}/server",
            "rstudio_server_builds": {"2024.12.1-563": {"debian12": BUILD}},
        },
        ["artifact 'rstudio-server'", "could not fetch", f"http://127.0.0.1:{CLOSED}/server/jammy", GOOD_SHA],
    ),
    "rstudio install with a checksum mismatch": (
        "rstudio_server",
        INSTALL
        | {
            "rstudio_server_deb_path": "/srv/stage/rstudio-server.deb",
            "rstudio_server_builds": {"2024.12.1-563": {"debian12": BUILD}},
        },
        ["artifact 'rstudio-server'", "checksum mismatch", "file:///srv/stage/rstudio-server.deb", GOOD_SHA],
    ),
    "rstudio install without R": (
        "rstudio_server",
        {
            "rstudio_server_install": True,
            "rstudio_server_which_r": "/usr/bin/R",
            "rstudio_server_builds": {"2024.12.1-563": {"debian12": BUILD}},
        },
        ["rstudio_server_which_r", "dsvm.image.r"],
    ),
    "r from CRAN with a malformed key fingerprint": (
        "r",
        {"r_source": "cran", "r_cran_apt_key_fingerprints": ["95C0FAF38DB3"]},
        ["r_cran_apt_key_fingerprints", "95C0FAF38DB3", "r_source"],
    ),
    "unknown r package set": ("r", {"r_package_set": "huge"}, ["r_package_set", "lean", "full"]),
    "r repository not a URL": ("r", {"r_repos_url": "cran"}, ["r_repos_url"]),
}

PLAYBOOK = """\
- name: The role under test
  hosts: all
  gather_facts: true
  roles:
    - role: dsvm.image.{role}
"""


@pytest.fixture(scope="module")
def play(container, repo_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("plays")
    # A pre-staged file that is not the expected .deb (for the mismatch case).
    subprocess.run(
        [
            "docker",
            "exec",
            container,
            "sh",
            "-c",
            "mkdir -p /srv/stage && echo not-a-deb > /srv/stage/rstudio-server.deb",
        ],
        check=True,
    )

    def run(role: str, extra_vars: dict) -> tuple[int, str]:
        path = folder / f"{role}.yml"
        path.write_text(PLAYBOOK.format(role=role))
        rc, output = run_playbook(repo_root, container, str(path), extra_vars)
        return rc, output

    return run


@pytest.fixture(scope="module")
def results(container, repo_root, play, tmp_path_factory):
    """Every case, one run of each role's play (each case a host of its own on
    the container), and the container's changes across the runs."""
    folder = tmp_path_factory.mktemp("r-cases")
    before = diff(container)
    found = {}
    for role in sorted({role for role, _, _ in CASES.values()}):
        path = folder / f"{role}.yml"
        path.write_text(PLAYBOOK.format(role=role))
        cases = {case: variables for case, (r, variables, _) in CASES.items() if r == role}
        found |= run_cases(repo_root, container, path, cases, folder)
    return found, diff(container) ^ before


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, results):
    found, host_changes = results
    # Refused before any download, or on the downloaded artifact's check.
    assert_refused(case, found[case], CASES[case][2], host_changes, may_download=True)


def test_rstudio_configuration_renders(container, play):
    """The render-only path (rstudio_server_install: false): the files RStudio Server reads;
    the address is left to its default, localhost."""
    extra = {
        "rstudio_server_port": 8788,
        "rstudio_server_allowed_group": "rusers",
        "rstudio_server_which_r": "/opt/R/bin/R",
        "rstudio_server_session_timeout_minutes": 30,
    }
    rc, output = play("rstudio_server", extra)
    assert rc == 0, output[-3000:]

    def read(path):
        return subprocess.run(
            ["docker", "exec", container, "cat", path], check=True, capture_output=True, text=True
        ).stdout.splitlines()

    server = [line for line in read("/etc/rstudio/rserver.conf") if line and not line.startswith("#")]
    assert server == [
        "www-port=8788",
        "www-address=127.0.0.1",
        "auth-required-user-group=rusers",
        "rsession-which-r=/opt/R/bin/R",
    ]
    session = [line for line in read("/etc/rstudio/rsession.conf") if line and not line.startswith("#")]
    assert session == ["session-timeout-minutes=30"]
    manifest = json.loads("\n".join(read("/etc/dsvm/manifest.d/45-rstudio_server.json")))
    assert manifest["settings"]["installed"] is False and manifest["services"] == {}
    rc, output = play("rstudio_server", extra)
    assert rc == 0 and "changed=0" in output, f"second run changed something\n{output[-2000:]}"

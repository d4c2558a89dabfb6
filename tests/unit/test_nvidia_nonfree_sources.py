"""nvidia_driver adds Debian's contrib, non-free and non-free-firmware only
where no other source gives them: a second entry for the same suite and
component makes apt print "configured multiple times" at every run (seen on
the Debian 13 gpu image as a VM, whose base sources hold every component).
Runs the role's tasks file against a container of the Debian 12 base image,
its own sources changed case by case."""

import subprocess

import pytest
from dockerplay import run_playbook

pytestmark = pytest.mark.docker

SOURCES = "/etc/apt/sources.list.d/debian.sources"
OURS = "/etc/apt/sources.list.d/dsvm-nonfree.sources"
BOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: The tasks under test
      ansible.builtin.include_role:
        name: dsvm.image.nvidia_driver
        tasks_from: nonfree_sources
      vars:
        __nvidia_driver_codename: bookworm
"""


def sh(container: str, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "exec", container, "sh", "-c", script], capture_output=True, text=True)


def components(container: str, components: str) -> None:
    """Give the base image's own sources COMPONENTS for every suite."""
    res = sh(container, f"sed -i 's/^Components:.*/Components: {components}/' {SOURCES}")
    assert res.returncode == 0, res.stderr


def converge(container, repo_root, book) -> int:
    """The tasks run twice; the second run changes nothing. Returns the first run's changed count."""
    counts = []
    for _ in range(2):
        rc, out = run_playbook(repo_root, container, book, {})
        assert rc == 0, out[-3000:]
        counts.append(int(out.rsplit("changed=", 1)[1].split()[0]))
    assert counts[1] == 0, f"not idempotent: {counts}"
    return counts[0]


def stanzas(container: str) -> dict[str, str]:
    """Suite: components of the role's file; {} where there is no file."""
    res = sh(container, f"cat {OURS}")
    if res.returncode != 0:
        return {}
    found, suite = {}, None
    for line in res.stdout.splitlines():
        if line.startswith("Suites:"):
            suite = line.split(":", 1)[1].strip()
        elif line.startswith("Components:"):
            found[suite] = line.split(":", 1)[1].strip()
    return found


def no_duplicates(container: str) -> None:
    res = sh(container, "apt-get indextargets --no-release-info >/dev/null")
    assert res.returncode == 0, res.stderr
    assert "configured multiple times" not in res.stderr, res.stderr


def test_nonfree_components_added_only_where_missing(container, repo_root, tmp_path):
    book = tmp_path / "book.yml"
    book.write_text(BOOK)
    every = "contrib non-free non-free-firmware"

    # Debian's cloud images: main only. Every suite gets the three.
    components(container, "main")
    assert converge(container, repo_root, book) >= 1
    assert stanzas(container) == {"bookworm": every, "bookworm-updates": every, "bookworm-security": every}
    no_duplicates(container)

    # Some there already: only the rest is added.
    components(container, "main contrib")
    converge(container, repo_root, book)
    rest = "non-free non-free-firmware"
    assert stanzas(container) == {"bookworm": rest, "bookworm-updates": rest, "bookworm-security": rest}
    no_duplicates(container)

    # Every component there (this project's base images): no file at all.
    components(container, f"main {every}")
    assert converge(container, repo_root, book) >= 1
    assert sh(container, f"test -e {OURS}").returncode != 0, stanzas(container)
    no_duplicates(container)

"""The artifacts role: checksummed downloads, mirror redirection, clean failures.

Runs the role's `fetch` entry point against a container of the Debian 12 base
image. A small HTTP server on this machine (reached from the container through
the docker bridge gateway) plays the mirror. Failure cases compare `docker diff`
before and after: a refused, unreachable or mismatched artifact leaves nothing.
"""

import hashlib
import socket
import subprocess

import pytest
from dockerplay import bridge_http_server, run_playbook
from dockerplay import changed_paths as diff

pytestmark = pytest.mark.docker

VENDOR_URL = "https://vendor.example/dl/tool-1.0.tar.gz"
PAYLOAD = b"dsvm artifact payload\n" * 64
OTHER = b"the override's file\n" * 32
SHA = hashlib.sha256(PAYLOAD).hexdigest()
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: Fetch
      ansible.builtin.include_role:
        name: dsvm.image.artifacts
        tasks_from: "{{ entry | default('fetch') }}"
    - name: Report
      ansible.builtin.debug:
        msg: "RESULT={{ artifact_path | default(artifact_apt_url | default('')) }}"
"""


@pytest.fixture(scope="module")
def mirror(container, tmp_path_factory):
    """An HTTP server on the bridge gateway; returns its base URL as the container sees it."""
    root = tmp_path_factory.mktemp("mirror")
    (root / "mirror" / "vendor.example" / "dl").mkdir(parents=True)
    (root / "mirror" / "vendor.example" / "dl" / "tool-1.0.tar.gz").write_bytes(PAYLOAD)
    (root / "override").mkdir()
    (root / "override" / "other.bin").write_bytes(OTHER)
    with bridge_http_server(container, root) as url:
        yield url


@pytest.fixture(scope="module")
def closed_port():
    """A port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def play(container, repo_root, tmp_path_factory):
    path = tmp_path_factory.mktemp("play") / "fetch.yml"
    path.write_text(PLAYBOOK)

    def run(extra_vars: dict) -> tuple[int, str]:
        rc, output = run_playbook(repo_root, container, str(path), extra_vars)
        return rc, output

    return run


def sha_in(container: str, path: str) -> str:
    out = subprocess.run(
        ["docker", "exec", container, "sha256sum", path], check=True, capture_output=True, text=True
    )
    return out.stdout.split()[0]


def assert_fails_unchanged(container, play, extra_vars, words):
    before = diff(container)
    rc, out = play(extra_vars)
    assert rc != 0, f"the play succeeded\n{out}"
    for word in words:
        assert word in out, f"{word!r} not in the error\n{out[-3000:]}"
    assert diff(container) == before, f"the host changed: {diff(container) ^ before}\n{out[-2000:]}"
    return out


@pytest.mark.parametrize("sha", [None, "", "abc123", "g" * 64], ids=["missing", "empty", "short", "not-hex"])
def test_bad_checksum_refused_before_any_change(container, play, sha):
    extra = {"artifact_name": "tool", "artifact_url": VENDOR_URL}
    if sha is not None:
        extra["artifact_sha256"] = sha
    out = assert_fails_unchanged(container, play, extra, ["artifact 'tool'", "artifact_sha256", VENDOR_URL])
    assert "Download" not in out.split("Refuse an artifact")[-1].split("PLAY RECAP")[0]


def test_unreachable_url_fails_naming_artifact_url_checksum(container, play, closed_port):
    url = f"http://127.0.0.1:{closed_port}/dl/tool-1.0.tar.gz"
    extra = {"artifact_name": "tool", "artifact_url": url, "artifact_sha256": SHA}
    assert_fails_unchanged(container, play, extra, ["artifact 'tool'", "could not fetch", url, SHA])


def test_missing_file_on_mirror_fails(container, play, mirror):
    extra = {
        "artifact_name": "tool",
        "artifact_url": "https://vendor.example/dl/absent.tar.gz",
        "artifact_sha256": SHA,
        "dsvm_artifact_mirror": f"{mirror}/mirror",
    }
    words = ["artifact 'tool'", f"{mirror}/mirror/vendor.example/dl/absent.tar.gz", SHA]
    assert_fails_unchanged(container, play, extra, words)


def test_checksum_mismatch_fails_with_both_checksums(container, play, mirror):
    wrong = "0" * 64
    extra = {
        "artifact_name": "tool",
        "artifact_url": VENDOR_URL,
        "artifact_sha256": wrong,
        "dsvm_artifact_mirror": f"{mirror}/mirror/",
    }
    url = f"{mirror}/mirror/vendor.example/dl/tool-1.0.tar.gz"
    assert_fails_unchanged(container, play, extra, ["artifact 'tool'", "checksum mismatch", url, wrong, SHA])


def test_mirror_redirects_vendor_url(container, play, mirror):
    extra = {
        "artifact_name": "tool",
        "artifact_url": VENDOR_URL,
        "artifact_sha256": SHA.upper(),
        "dsvm_artifact_mirror": f"{mirror}/mirror",
    }
    rc, out = play(extra)
    assert rc == 0, out[-3000:]
    assert "RESULT=/var/cache/dsvm/artifacts/tool-1.0.tar.gz" in out, out[-2000:]
    assert sha_in(container, "/var/cache/dsvm/artifacts/tool-1.0.tar.gz") == SHA
    rc, out = play(extra)
    assert rc == 0 and "changed=0" in out, f"second fetch was not a no-op\n{out[-2000:]}"


def test_override_wins_over_mirror(container, play, mirror):
    extra = {
        "artifact_name": "tool",
        "artifact_url": VENDOR_URL,
        "artifact_sha256": OTHER_SHA,
        "artifact_dest": "/opt/staged/tool.bin",
        "dsvm_artifact_mirror": f"{mirror}/mirror",
        "dsvm_artifact_urls": {"tool": f"{mirror}/override/other.bin"},
    }
    rc, out = play(extra)
    assert rc == 0, out[-3000:]
    assert "RESULT=/opt/staged/tool.bin" in out, out[-2000:]
    assert sha_in(container, "/opt/staged/tool.bin") == OTHER_SHA


def test_prestaged_local_path(container, play):
    subprocess.run(
        ["docker", "exec", container, "sh", "-c", "mkdir -p /srv/stage && cp /etc/os-release /srv/stage/x"],
        check=True,
    )
    sha = sha_in(container, "/srv/stage/x")
    extra = {
        "artifact_name": "staged",
        "artifact_url": VENDOR_URL,
        "artifact_sha256": sha,
        "dsvm_artifact_urls": {"staged": "/srv/stage/x"},
        "artifact_dest": "/var/cache/dsvm/artifacts/staged",
    }
    rc, out = play(extra)
    assert rc == 0, out[-3000:]
    assert sha_in(container, "/var/cache/dsvm/artifacts/staged") == sha


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "https://cloud.r-project.org/bin/linux/debian"),
        (
            {"dsvm_artifact_mirror": "http://m.lan/files/"},
            "http://m.lan/files/cloud.r-project.org/bin/linux/debian",
        ),
        ({"dsvm_artifact_urls": {"cran-apt": "http://apt.lan/cran/"}}, "http://apt.lan/cran"),
    ],
    ids=["vendor", "mirror", "override"],
)
def test_apt_url(play, extra, expected):
    vars_ = {"entry": "apt_url", "artifact_name": "cran-apt"}
    vars_["artifact_url"] = "https://cloud.r-project.org/bin/linux/debian/"
    rc, out = play(vars_ | extra)
    assert rc == 0, out[-3000:]
    assert f"RESULT={expected}" in out, out[-2000:]

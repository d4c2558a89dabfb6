"""Repository signing keys are trusted by their fingerprint, never on first
download (dsvm.image.artifacts' apt_key entry point, used by nvidia_driver,
container_runtime and r).

The attack: a mirror (or anything between the build and the vendor) serves
its own key at the vendor's key URL. Keys are made here with gpg; an HTTP
server on the docker bridge gateway plays the mirror, as in test_artifacts.py.
The roles' real default fingerprints (NVIDIA's, CRAN's) are used where a role
runs: the served key is not theirs, so it must be refused with nothing written
where apt reads keys or sources.
"""

import shutil
import subprocess

import pytest
from dockerplay import bridge_http_server, run_playbook

pytestmark = pytest.mark.docker

CUDA_KEY_PATH = "developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/3bf863cc.pub"
CUDA_FPR = "EB693B3035CD5710E231E123A4B469963BF863CC"
CRAN_FPR = "95C0FAF38DB3CCAD0C080A7BDC78B2DDEABC47B7"
DEST = "/etc/apt/keyrings/test.asc"

ENTRY = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: The entry point under test
      ansible.builtin.include_role:
        name: dsvm.image.artifacts
        tasks_from: apt_key
"""

ROLE = """\
- hosts: all
  gather_facts: true
  roles:
    - role: dsvm.image.{role}
"""


def make_key(home, name: str) -> tuple[str, bytes]:
    """A new signing key in HOME: (its fingerprint, the armored public key)."""
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--no-tty"]
    subprocess.run(
        [
            *gpg,
            "--passphrase",
            "",
            "--quick-gen-key",
            f"{name} <{name}@test.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        [*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True
    )
    fpr = next(line.split(":")[9] for line in listing.stdout.splitlines() if line.startswith("fpr:"))
    armored = subprocess.run([*gpg, "--armor", "--export", fpr], check=True, capture_output=True).stdout
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)
    return fpr, armored


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    if shutil.which("gpg") is None:
        pytest.fail("gpg is required on the machine running the tests (tools/ensure-host.sh installs it)")
    base = tmp_path_factory.mktemp("keys")
    return {name: make_key(base / name, name) for name in ("trusted", "attacker")}


@pytest.fixture(scope="module")
def mirror(container, keys, tmp_path_factory):
    """The HTTP mirror, as the container sees it; serves the attacker's key at
    NVIDIA's and CRAN's key paths, and test files under /keys."""
    root = tmp_path_factory.mktemp("mirror")
    attacker = keys["attacker"][1]
    for path in (CUDA_KEY_PATH, "keyserver.ubuntu.com/pks/lookup"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(attacker)
    (root / "keys").mkdir()
    (root / "keys" / "trusted.asc").write_bytes(keys["trusted"][1])
    (root / "keys" / "attacker.asc").write_bytes(attacker)
    (root / "keys" / "both.asc").write_bytes(keys["trusted"][1] + attacker)
    (root / "keys" / "not-a-key.asc").write_text("<html>login page of a captive portal</html>\n")
    with bridge_http_server(container, root) as url:
        yield url


@pytest.fixture(scope="module")
def play(container, repo_root, tmp_path_factory):
    books = tmp_path_factory.mktemp("books")

    def run(text: str, extra_vars: dict) -> tuple[int, str]:
        book = books / f"book{len(list(books.iterdir()))}.yml"
        book.write_text(text)
        return run_playbook(repo_root, container, str(book), extra_vars)

    return run


def exists(container: str, path: str) -> bool:
    return subprocess.run(["docker", "exec", container, "test", "-e", path]).returncode == 0


def content(container: str, path: str) -> bytes:
    return subprocess.run(["docker", "exec", container, "cat", path], check=True, capture_output=True).stdout


def flat(output: str) -> str:
    return " ".join(output.split())


def entry(mirror: str, name: str, fingerprints) -> dict:
    return {
        "artifact_name": "test-key",
        "artifact_url": f"{mirror}/keys/{name}",
        "artifact_fingerprints": fingerprints,
        "artifact_dest": DEST,
    }


@pytest.mark.parametrize(
    ("served", "words"),
    [
        ("attacker.asc", ["is not the pinned key", "ATTACKER", "expected TRUSTED"]),
        ("both.asc", ["is not the pinned key", "ATTACKER"]),
        ("not-a-key.asc", ["is not the pinned key", "no OpenPGP public key"]),
    ],
    ids=["another key", "the pinned key with another", "not a key"],
)
def test_a_key_that_is_not_the_pinned_one_is_refused(container, play, mirror, keys, served, words):
    rc, out = play(ENTRY, entry(mirror, served, [keys["trusted"][0]]))
    text = flat(out)
    assert rc != 0, out[-3000:]
    words = [w.replace("ATTACKER", keys["attacker"][0]).replace("TRUSTED", keys["trusted"][0]) for w in words]
    for word in [*words, "apt key 'test-key'", f"{mirror}/keys/{served}", "Nothing was installed"]:
        assert word in text, f"{word!r} not in the error\n{out[-3000:]}"
    assert not exists(container, DEST), "a refused key was written where apt reads keys"


def test_malformed_fingerprint_refused_before_download(container, play, mirror):
    rc, out = play(ENTRY, entry(mirror, "trusted.asc", ["EB693B30"]))
    assert rc != 0, out[-3000:]
    assert "artifact_fingerprints" in flat(out) and "EB693B30" in flat(out), out[-3000:]
    assert "Download to a temporary name" not in out, "it downloaded before checking its input"
    assert not exists(container, DEST)


def test_the_pinned_key_is_installed_and_kept(container, play, mirror, keys):
    fpr = keys["trusted"][0]
    rc, out = play(ENTRY, entry(mirror, "trusted.asc", [fpr.lower()]))
    assert rc == 0, out[-3000:]
    assert content(container, DEST) == keys["trusted"][1]
    # Installed and pinned: a second run keeps it, even with its source gone
    # (an offline re-converge) and reports no change.
    rc, out = play(ENTRY, entry(mirror, "gone.asc", [fpr]))
    assert rc == 0, out[-3000:]
    assert "changed=0" in out, out[-2000:]
    assert content(container, DEST) == keys["trusted"][1]
    # A pinned set that no longer holds the installed key fetches again, and
    # refuses the attacker's key, leaving the old file as it was.
    rc, out = play(ENTRY, entry(mirror, "attacker.asc", ["0" * 40]))
    assert rc != 0 and "is not the pinned key" in flat(out), out[-3000:]
    assert content(container, DEST) == keys["trusted"][1]
    subprocess.run(["docker", "exec", container, "rm", "-f", DEST], check=True)


@pytest.mark.parametrize(
    ("role", "extra", "fpr", "paths"),
    [
        (
            "nvidia_driver",
            {
                "dsvm_variant": "gpu",
                "nvidia_driver_source": "cuda_repo",
                "container_runtime_nvidia_toolkit_install": False,
            },
            CUDA_FPR,
            ["/etc/apt/keyrings/dsvm-nvidia-cuda.asc", "/etc/apt/sources.list.d/dsvm-nvidia-cuda.sources"],
        ),
        (
            "r",
            {"r_source": "cran"},
            CRAN_FPR,
            ["/etc/apt/keyrings/cran.asc", "/etc/apt/sources.list.d/cran.sources"],
        ),
    ],
    ids=["nvidia_driver: CUDA repository", "r: CRAN"],
)
def test_a_mirror_serving_its_own_key_for_a_vendor_repository_is_refused(
    container, play, mirror, keys, role, extra, fpr, paths
):
    """The role as shipped (its default fingerprint), with a mirror that serves
    another key at the vendor's key path: the build stops at the key, and
    neither the key nor the repository's source is written."""
    rc, out = play(ROLE.format(role=role), {**extra, "dsvm_artifact_mirror": mirror})
    text = flat(out)
    assert rc != 0, out[-3000:]
    for word in ["is not the pinned key", keys["attacker"][0], f"expected {fpr}"]:
        assert word in text, f"{word!r} not in the error\n{out[-3000:]}"
    for path in paths:
        assert not exists(container, path), f"{path} was written after a key was refused"

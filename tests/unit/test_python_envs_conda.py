"""python_envs with python_envs_manager: conda, through conda's python-env entry point.

conda-forge is unreachable here, so a stand-in `conda` (it makes the
environment's directory and a `bin/python` that records its arguments) shows
what crosses the seam: python_envs passes the environment's path, its Python
version, the lock on the target, the index, extra indexes, find-links and the
bytecode switch, and nothing else; the lock file, the build marker, the
removal of a failed build and the manifest stay python_envs' own. Runs the
role against a container of the Debian 12 base image.
"""

import hashlib
import json
import subprocess

import pytest
import yaml
from dockerplay import run_playbook

pytestmark = pytest.mark.docker

# A stand-in for `conda create --yes --quiet -p PATH python=X.Y pip`: records
# its arguments, and makes PATH/bin/python record its own; that python fails
# while /tmp/fail-pip exists.
FAKE_CONDA = r"""#!/bin/sh
set -eu
printf '%s\n' "$@" > /tmp/conda-args
[ "$1" = create ] || exit 2
while [ $# -gt 0 ]; do
  case "$1" in -p) prefix=$2; shift 2 ;; *) shift ;; esac
done
mkdir -p "$prefix/bin"
cat > "$prefix/bin/python" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" > /tmp/pip-args
if [ -e /tmp/fail-pip ]; then echo "pip: no matching distribution (test)" >&2; exit 1; fi
exit 0
EOF
chmod 0755 "$prefix/bin/python"
"""

PYTHON = "3.11"  # Debian 12's, which python_envs asks conda for
LOCK_BODY = "dsvmtiny==0.1 --hash=sha256:" + "0" * 64 + "\n"
SPEC = {"tiny": {"display_name": "Tiny", "core": False, "kernel": False, "packages": ["dsvmtiny"]}}
INDEX = "https://pypi.mirror.test/simple"
EXTRA_VARS = {
    "python_envs_manager": "conda",
    "python_envs_enabled": ["tiny"],
    "python_envs_default": "tiny",
    "python_envs_specs": SPEC,
    "python_envs_index_url": INDEX,
    "python_envs_extra_index_urls": ["https://extra.test/simple"],
    "python_envs_find_links": ["/srv/wheels"],
    "python_envs_compile_bytecode": False,
}


def sh(container: str, script: str) -> str:
    return subprocess.run(
        ["docker", "exec", container, "sh", "-c", script], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def play(container, repo_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("conda-seam")
    locks = folder / "locks"
    locks.mkdir()
    # The same digest the role computes from the spec (tools/lock_envs.py).
    text = json.dumps({"packages": ["dsvmtiny"], "python": PYTHON, "variant": "cpu"}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    (locks / f"tiny-cpu-py{PYTHON}.txt").write_text(f"# dsvm-spec-sha256: {digest}\n{LOCK_BODY}")
    book = folder / "play.yml"
    book.write_text(
        yaml.safe_dump(
            [{"name": "python_envs with conda", "hosts": "all", "roles": ["dsvm.image.python_envs"]}]
        )
    )
    subprocess.run(
        [
            "docker",
            "exec",
            "-i",
            container,
            "sh",
            "-c",
            "mkdir -p /opt/dsvm/conda/bin && "
            "cat > /opt/dsvm/conda/bin/conda && chmod 0755 /opt/dsvm/conda/bin/conda",
        ],
        input=FAKE_CONDA,
        text=True,
        check=True,
    )

    def run() -> tuple[int, str]:
        return run_playbook(
            repo_root, container, str(book), EXTRA_VARS | {"python_envs_lock_dir": str(locks)}
        )

    return run


def test_conda_builds_from_the_inputs_python_envs_passes(container, play):
    rc, output = play()
    assert rc == 0, output[-3000:]
    conda_args = sh(container, "cat /tmp/conda-args").split()
    assert conda_args == [
        "create",
        "--yes",
        "--quiet",
        "-p",
        "/opt/dsvm/envs/tiny",
        f"python={PYTHON}",
        "pip",
    ]
    pip_args = sh(container, "cat /tmp/pip-args").split()
    assert pip_args == [
        "-m", "pip", "install", "--require-hashes", "--no-deps", "--disable-pip-version-check",
        "--index-url", INDEX,
        "--extra-index-url=https://extra.test/simple",
        "--find-links=/srv/wheels",
        "--no-compile",
        "-r", "/opt/dsvm/envs/tiny.lock.txt",
    ]  # fmt: skip
    # python_envs' own: the lock beside the environment, the marker, the manifest.
    assert sh(container, "cat /opt/dsvm/envs/tiny.lock.txt").endswith(LOCK_BODY)
    lock_sha = sh(container, "sha1sum /opt/dsvm/envs/tiny.lock.txt").split()[0]
    assert sh(container, "cat /opt/dsvm/envs/tiny/.dsvm-lock-sha256").strip() == lock_sha
    manifest = json.loads(sh(container, "cat /etc/dsvm/manifest.d/20-python_envs.json"))
    assert manifest["settings"]["manager"] == "conda", manifest
    assert manifest["python_envs"]["tiny"]["pins"] == ["dsvmtiny==0.1"], manifest

    rc, output = play()
    assert rc == 0 and "changed=0" in output, f"second run changed something\n{output[-3000:]}"


def test_failed_conda_build_is_removed_and_named(container, play):
    # Force a rebuild (the marker no longer matches), with pip failing.
    sh(container, "echo stale > /opt/dsvm/envs/tiny/.dsvm-lock-sha256 && touch /tmp/fail-pip")
    try:
        rc, output = play()
    finally:
        sh(container, "rm -f /tmp/fail-pip")
    flat = " ".join(output.split())
    assert rc != 0, output[-3000:]
    for word in ["environment 'tiny'", f"tiny-cpu-py{PYTHON}.txt", INDEX, "the environment was removed",
                 "no matching distribution (test)"]:  # fmt: skip
        assert word in flat, f"{word!r} not in the error\n{output[-3000:]}"
    assert sh(container, "test -e /opt/dsvm/envs/tiny && echo present || echo absent").strip() == "absent"

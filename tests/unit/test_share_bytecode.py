"""dsvm-share-bytecode (roles/python_envs/files/share-bytecode.py), on two
small environments made here: the bytecode of a source that python_envs' share
step linked between them becomes one file that is valid for it, a module
imported from either environment still names its own path, and stale bytecode
is found by --check and mended."""

import compileall
import os
import subprocess
import sys

import pytest

SOURCE = "def where():\n    raise ValueError('from here')\n" + "# padding\n" * 200


@pytest.fixture
def envs(tmp_path):
    """Two environments holding the same module, written at two mtimes and
    compiled each in place (as uv does), then the sources linked as the share
    step's hardlink --ignore-time does: b's source becomes a's inode."""
    roots = []
    for i, name in enumerate(("a", "b")):
        pkg = tmp_path / name / "site" / "pkg"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "mod.py").write_text(SOURCE)
        os.utime(pkg / "mod.py", (1_700_000_000 + i * 100,) * 2)
        assert compileall.compile_dir(pkg.parent, quiet=1)
        roots.append(tmp_path / name)
    b_src = roots[1] / "site/pkg/mod.py"
    os.unlink(b_src)
    os.link(roots[0] / "site/pkg/mod.py", b_src)
    return roots


def share(repo_root, *args):
    tool = repo_root / "roles/python_envs/files/share-bytecode.py"
    return subprocess.run([sys.executable, str(tool), *map(str, args)], capture_output=True, text=True)


def cached(root):
    return root / "site/pkg/__pycache__" / f"mod.{sys.implementation.cache_tag}.pyc"


def traceback_file(root):
    code = (
        "import pkg.mod\ntry:\n    pkg.mod.where()\nexcept ValueError as e:\n"
        "    print(e.__traceback__.tb_next.tb_frame.f_code.co_filename)"
    )
    res = subprocess.run(
        [sys.executable, "-B", "-c", code],
        env={**os.environ, "PYTHONPATH": str(root / "site")},
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout.strip()


def test_stale_bytecode_found_then_shared(repo_root, envs):
    a, b = envs
    check = share(repo_root, "--check", a, b)
    assert check.returncode == 1 and f"stale: {cached(b)}" in check.stdout, check.stdout

    res = share(repo_root, a, b)
    assert res.returncode == 0, res.stderr
    assert "linked: 1\n" in res.stdout and "stale left: 0" in res.stdout, res.stdout
    assert os.stat(cached(a)).st_ino == os.stat(cached(b)).st_ino
    assert share(repo_root, "--check", a, b).returncode == 0
    # A second run changes nothing.
    assert "linked: 0\n" in share(repo_root, a, b).stdout
    # Each environment's traceback names its own source, from the shared
    # bytecode (-B: nothing is written, so a stale file would be compiled).
    assert traceback_file(a) == str(a / "site/pkg/mod.py")
    assert traceback_file(b) == str(b / "site/pkg/mod.py")


def test_no_valid_member_is_compiled_once(repo_root, envs):
    a, b = envs
    os.utime(a / "site/pkg/mod.py", (1_800_000_000,) * 2)  # both stale now
    res = share(repo_root, a, b)
    assert "compiled: 1\n" in res.stdout and "stale left: 0" in res.stdout, res.stdout
    assert os.stat(cached(a)).st_ino == os.stat(cached(b)).st_ino
    assert share(repo_root, "--check", a, b).returncode == 0


def test_missing_root_is_named(repo_root, tmp_path):
    res = share(repo_root, tmp_path / "nope")
    assert res.returncode == 2 and f"{tmp_path / 'nope'}: no such directory" in res.stderr

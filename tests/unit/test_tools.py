"""The repository's helper scripts."""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import check_argument_specs


def test_argument_specs_match_defaults_in_every_role(repo_root):
    roles = [p for p in (repo_root / "roles").iterdir() if p.is_dir()]
    assert roles
    for role in roles:
        assert check_argument_specs.check_role(role) == []


def test_argument_spec_check_catches_drift(tmp_path):
    role = tmp_path / "demo"
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults/main.yml").write_text("demo_a: 1\ndemo_b: 2\n")
    (role / "meta/argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n"
        "      demo_a: {type: int, description: a}\n      demo_c: {type: int}\n"
    )
    problems = check_argument_specs.check_role(role)
    assert any("demo_b is in defaults/main.yml but not" in p for p in problems)
    assert any("demo_c is in meta/argument_specs.yml but not" in p for p in problems)
    assert any("demo_c has no description" in p for p in problems)


def run_tool(repo_root, *args, env=None):
    return subprocess.run(
        [str(repo_root / "tools/build-base-image.sh"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_base_image_tag_follows_the_recipe(repo_root):
    first = run_tool(repo_root, "--tag", "debian12").stdout.strip()
    again = run_tool(repo_root, "--tag", "debian12").stdout.strip()
    other_mirror = run_tool(
        repo_root, "--tag", "debian12", env={"DSVM_DEBIAN_MIRROR": "http://mirror.example/debian"}
    ).stdout.strip()
    trixie = run_tool(repo_root, "--tag", "debian13").stdout.strip()
    assert first == again
    assert first.startswith("dsvm-base:debian12-")
    assert len({first, other_mirror, trixie}) == 3


@pytest.mark.parametrize("distro", ["debian11", "ubuntu"])
def test_base_image_unknown_distro(repo_root, distro):
    result = run_tool(repo_root, "--tag", distro)
    assert result.returncode == 2
    assert f"unknown distro '{distro}'" in result.stderr

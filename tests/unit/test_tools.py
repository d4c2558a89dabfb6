"""The repository's helper scripts."""

import datetime as dt
import os
import re
import shutil
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


def copy_for_layer_key(repo_root, dest):
    """The files tools/molecule-layered hashes, in a scratch tree to change."""
    for rel in ("roles", "molecule", "meta", ".config", "tools"):
        shutil.copytree(repo_root / rel, dest / rel, symlinks=True)
    shutil.copy(repo_root / "ansible.cfg", dest / "ansible.cfg")
    (dest / "tests/ci").mkdir(parents=True)
    shutil.copy(repo_root / "tests/ci/ansible-vars.yml", dest / "tests/ci/ansible-vars.yml")


def layer_key(tree, distro="debian12", env=None):
    result = subprocess.run(
        [sys.executable, str(tree / "tools/molecule-layered"), "--key", "gpu", distro],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DSVM_CI_VARS": str(tree / "tests/ci/ansible-vars.yml"),
            "DSVM_ROLE": "gpu",
            "MOLECULE_VARIANT": "gpu",
            **(env or {}),
        },
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_layer_key_follows_what_builds_the_layer(repo_root, tmp_path):
    copy_for_layer_key(repo_root, tmp_path)
    key = layer_key(tmp_path)
    assert len(key) == 12 and layer_key(tmp_path) == key
    # Not part of the gpu layer: documentation, a role it does not reach, the
    # roles' own scenarios.
    (tmp_path / "roles/cuda/README.md").write_text("changed\n")
    for rel in ("roles/python_envs/defaults/main.yml", "roles/base/molecule/default/converge.yml"):
        with (tmp_path / rel).open("a") as f:
            f.write("# changed\n")
    assert layer_key(tmp_path) == key
    # Each of these builds it: a new key each time.
    keys = {key}
    for rel in (
        "roles/cuda/defaults/main.yml",  # a role in the converge playbook
        "roles/common/tasks/release.yml",  # a role reached through dsvm.image.common
        "molecule/gpu/converge.yml",
        ".config/molecule/config.yml",
        "tests/ci/ansible-vars.yml",
    ):
        before = len(keys)
        with (tmp_path / rel).open("a") as f:
            f.write("# changed\n")
        keys.add(layer_key(tmp_path))
        assert len(keys) == before + 1, rel
    assert len(keys) == 6
    assert layer_key(tmp_path, "debian13") not in keys
    other_ca = tmp_path / "ca.pem"
    other_ca.write_text("not the host's bundle\n")
    assert layer_key(tmp_path, env={"DSVM_HOST_CA_BUNDLE": str(other_ca)}) not in keys


def test_layer_key_unknown_scenario_and_missing_base_image(repo_root):
    tool = str(repo_root / "tools/molecule-layered")
    result = subprocess.run(
        [sys.executable, tool, "--key", "nope", "debian12"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "no scenario molecule/nope" in result.stderr
    result = subprocess.run(
        [sys.executable, tool, "--key", "gpu", "debian99"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "dsvm-base:debian99 is missing" in result.stderr


def test_lanes_take_the_next_job_when_free_and_name_failures(repo_root, tmp_path):
    log = tmp_path / "order"
    jobs = [
        f"sleep 2; echo slow; echo slow >>{log}",
        f"echo quick1; echo quick1 >>{log}",
        f"echo failing >>{log}; echo 'fatal: [h]: FAILED! => disk'; echo 'ok: [h]'; echo done; false",
        f"echo quick2 >>{log}",
    ]
    result = subprocess.run(
        [str(repo_root / "tools/lanes"), "-j", "2", *jobs], capture_output=True, text=True
    )
    assert result.returncode == 1
    # The lane not held by the slow job ran the three others meanwhile.
    assert log.read_text().split() == ["quick1", "failing", "quick2", "slow"]
    assert "==> job 3 failed: echo failing" in result.stdout
    # The failed job's digest comes last (a CI report may keep only the
    # tail): its error line and its last line, not its other lines.
    tail = result.stdout.splitlines()[-3:]
    assert tail[0].startswith("==> job 3 failed"), result.stdout
    assert tail[1:] == ["    | fatal: [h]: FAILED! => disk", "    $ done"], result.stdout
    assert "job 1 failed" not in result.stdout and "job 4 failed" not in result.stdout
    assert "load average (1 min)" in result.stdout
    assert re.search(r"free disk on \S+: least [0-9.]+ GiB, most [0-9.]+ GiB", result.stdout), result.stdout
    # Each line stamped when it was printed: the slow job's echo at least a
    # second after the quick one's.
    stamps = {
        word: dt.datetime.strptime(hms, "%H:%M:%S")
        for hms, word in re.findall(r"^\[lane \d (\d\d:\d\d:\d\d)\] (quick1|slow)$", result.stdout, re.M)
    }
    assert set(stamps) == {"quick1", "slow"}, result.stdout
    assert (stamps["slow"] - stamps["quick1"]).total_seconds() % 86400 >= 1


def run_gpu_probe_tool(repo_root, tool, *args, env=None):
    return subprocess.run(
        [str(repo_root / "tools" / tool), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    "args, env, words",
    [
        ((), {}, ["usage"]),
        (("img",), {}, ["usage"]),
        (("dsvm-no-such-image:gpu", "OUT"), {}, ["no docker image dsvm-no-such-image:gpu", "VARIANT=gpu"]),
        (("img", "OUT"), {"GPU_PROBE_ARCH": "hopper"}, ["GPU_PROBE_ARCH=hopper", "like 90"]),
    ],
    ids=["no-args", "no-out", "missing-image", "bad-arch"],
)
def test_gpu_probe_build_refuses_bad_input(repo_root, tmp_path, args, env, words):
    args = tuple(str(tmp_path / a) if a == "OUT" else a for a in args)
    res = run_gpu_probe_tool(repo_root, "gpu-probe-build", *args, env=env)
    assert res.returncode == 2, res.stdout + res.stderr
    for word in words:
        assert word in res.stderr
    assert not (tmp_path / "OUT").exists(), "a refused build wrote its output folder"


def test_gpu_probe_run_names_missing_probes(repo_root, tmp_path):
    res = run_gpu_probe_tool(repo_root, "gpu-probe-run", str(tmp_path))
    assert res.returncode == 2 and "tools/gpu-probe-build" in res.stderr, res.stderr
    (tmp_path / "probe.json").write_text('{"nvcc": "12.4", "arch": "90"}\n')
    res = run_gpu_probe_tool(repo_root, "gpu-probe-run", str(tmp_path))
    assert res.returncode == 2 and "probe-sass" in res.stderr, res.stderr


def test_gpu_probe_run_fails_when_a_probe_fails(repo_root, tmp_path):
    (tmp_path / "probe.json").write_text('{"nvcc": "12.4", "arch": "90"}\n')
    for name, rc in (("probe-sass", 0), ("probe-ptx", 1)):
        script = tmp_path / name
        script.write_text(f"#!/bin/sh\necho '{{\"ok\": {'true' if rc == 0 else 'false'}}}'\nexit {rc}\n")
        script.chmod(0o755)
    res = run_gpu_probe_tool(repo_root, "gpu-probe-run", str(tmp_path))
    assert res.returncode == 1, res.stdout + res.stderr
    assert '{"ok": true}' in res.stdout and "probe-ptx FAILED" in res.stderr

"""tools/vm-disk, tools/vm-image and tools/vm-test refuse bad input with a
message naming the cause and the fix, and leave nothing behind (no disk, no
partial file, no scratch directory). Needs Docker and the base image
dsvm-base:debian12 (make base-images), as the other unit tests do."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*argv, env=None):
    """ARGV's result; ENV, when given, is its whole environment (a plain PATH added)."""
    if env is not None:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **env}
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=600, check=False, env=env
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-image-dsvm:none", "{out}"], "neither a container nor an image"),
        (["dsvm-base:debian12", "{out}"], "has no kernel (/vmlinuz, /initrd.img): apply roles/vm_guest"),
        (["dsvm-base:debian12", "{out}", "many"], "SIZE (many) is not a size"),
        (["dsvm-base:debian12", "{dir}/disk.img"], "must end in .qcow2"),
        (["dsvm-base:debian12", "{dir}/missing/disk.qcow2"], "does not exist or is not writable"),
    ],
)
def test_vm_disk_refuses(tmp_path, args, message):
    out = tmp_path / "disk.qcow2"
    argv = [a.format(out=out, dir=tmp_path) for a in args]
    res = run(ROOT / "tools" / "vm-disk", *argv)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == [], "vm-disk left files behind"


def test_vm_image_refuses_a_missing_image(tmp_path):
    res = run(ROOT / "tools" / "vm-image", "no-such-image-dsvm:none", tmp_path / "disk.qcow2")
    assert res.returncode != 0
    assert "no image no-such-image-dsvm:none here: build it with 'make image'" in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == []


def test_vm_test_refuses_a_missing_disk_and_a_bad_accelerator(tmp_path):
    res = run(ROOT / "tools" / "vm-test", tmp_path / "none.qcow2")
    assert res.returncode != 0 and "no disk image at" in res.stderr, res.stderr
    disk = tmp_path / "d.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "1M"], check=True)
    res = run(ROOT / "tools" / "vm-test", disk, env={"DSVM_VM_ACCEL": "xen"})
    assert res.returncode != 0 and "DSVM_VM_ACCEL (xen) must be auto, kvm or tcg" in res.stderr, res.stderr
    res = run(ROOT / "tools" / "vm-test", disk, env={"DSVM_VM_ACCEL": "tcg", "DSVM_VM_SPAWN_TIMEOUT": "10m"})
    assert res.returncode != 0 and "DSVM_VM_SPAWN_TIMEOUT (10m) must be a number" in res.stderr, res.stderr

"""tools/vm-disk, tools/vm-image, tools/vm-test and tools/packer-qemu-build.sh
refuse bad input with a
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


def test_vm_disk_refuses_a_disk_without_room(tmp_path):
    """A 64 MiB file system cannot take two copies of even the base image's
    tree plus the margin: vm-disk stops before exporting anything, names the
    space it needs and the way out, and leaves the file system as it was (no
    scratch directory, no partial qcow2, no container)."""
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(small)], check=True)
    try:
        before = set(subprocess.run(["docker", "ps", "-aq"], capture_output=True, text=True).stdout.split())
        res = run(ROOT / "tools" / "vm-disk", "dsvm-base:debian12", small / "disk.qcow2")
        after = set(subprocess.run(["docker", "ps", "-aq"], capture_output=True, text=True).stdout.split())
        assert res.returncode != 0
        assert f"not enough space in {small}" in res.stderr, res.stderr
        assert "GiB needed (two copies of the" in res.stderr, res.stderr
        assert "set DSVM_VM_WORKDIR or free space" in res.stderr, res.stderr
        assert "exporting" not in res.stdout, "vm-disk exported before checking the space"
        assert list(small.iterdir()) == [], "vm-disk left files behind"
        assert after <= before, f"vm-disk left containers behind: {after - before}"
    finally:
        subprocess.run(["umount", str(small)], check=False)


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
    res = run(ROOT / "tools" / "vm-test", disk, env={"DSVM_VM_ACCEL": "tcg", "DSVM_VM_BOOT_TRIES": "0"})
    assert res.returncode != 0, res.stderr
    assert "DSVM_VM_BOOT_TRIES (0) must be a number from 1 to 9" in res.stderr, res.stderr


def test_vm_test_refuses_a_bad_tls_key(tmp_path):
    """DSVM_VM_TLS_KEY (the hub's key for the seed's write_files) must be a
    readable PEM private key, and the image's manifest must say where it goes."""
    disk = tmp_path / "d.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "1M"], check=True)
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    key = tmp_path / "real.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True)
    manifest = tmp_path / "d.manifest.json"
    cases = [
        (tmp_path / "none.pem", None, f"DSVM_VM_TLS_KEY ({tmp_path / 'none.pem'}) is not a readable file"),
        (not_a_key, None, f"DSVM_VM_TLS_KEY ({not_a_key}) is not a PEM private key"),
        (key, None, f"needs the image's manifest beside the disk ({manifest})"),
        (key, '{"settings": {"base": {}}}', "the image has no JupyterHub"),
    ]
    for path, content, message in cases:
        if content:
            manifest.write_text(content)
        env = {"DSVM_VM_ACCEL": "tcg", "DSVM_VM_TLS_KEY": str(path), "TMPDIR": str(tmp_path)}
        res = run(ROOT / "tools" / "vm-test", disk, env=env)
        assert res.returncode != 0 and message in res.stderr, (message, res.stderr)
    assert not list(tmp_path.glob("dsvm-vm-test.*")), "a scratch directory was left behind"


# A QEMU that "boots" by writing a kernel oops to its serial file and then
# hangs, as TCG's emulated CPU once did in CI.
FAKE_QEMU = r"""#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in -serial) serial=${2#file:}; shift ;; esac
  shift
done
echo boot >> "$FAKE_QEMU_LOG"
printf '[    1.23] \033[0mOops: general protection fault: 0000 [#1] SMP\n' >"$serial"
printf '[    1.24] RIP: 0010:sched_clock_cpu+0x10/0x1b0\n' >>"$serial"
exec sleep 600
"""


@pytest.mark.parametrize(("tries", "boots"), [("", 2), ("1", 1), ("3", 3)])
def test_vm_test_stops_at_a_kernel_panic_and_boots_again_under_tcg(tmp_path, tries, boots):
    """A panic on the serial console ends that boot at once (not after the boot
    timeout); under TCG the VM boots once more by default (DSVM_VM_BOOT_TRIES),
    and the last allowed panic fails the run, naming it."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "qemu-system-x86_64").write_text(FAKE_QEMU)
    (fake / "qemu-system-x86_64").chmod(0o755)
    disk = tmp_path / "d.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "1M"], check=True)
    log = tmp_path / "boots.log"
    env = {
        "PATH": f"{fake}:/usr/sbin:/usr/bin:/sbin:/bin",
        "DSVM_VM_ACCEL": "tcg",
        "DSVM_VM_BOOT_TIMEOUT": "120",
        "FAKE_QEMU_LOG": str(log),
        "TMPDIR": str(tmp_path),
    }
    if tries:
        env["DSVM_VM_BOOT_TRIES"] = tries
    res = run(ROOT / "tools" / "vm-test", disk, env=env)
    assert res.returncode == 1, res.stdout + res.stderr
    assert log.read_text().count("boot") == boots
    assert f"the kernel panicked in boot {boots} of {boots} (DSVM_VM_BOOT_TRIES)" in res.stderr, res.stderr
    assert "sched_clock_cpu" in res.stderr
    assert res.stderr.count("booting again from a fresh overlay") == boots - 1
    assert not list(tmp_path.glob("dsvm-vm-test.*")), "vm-test left its work directory"


QEMU_BUILD = ROOT / "tools" / "packer-qemu-build.sh"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["gpux", "debian13", "{out}"], {}, "VARIANT (gpux) must be cpu or gpu"),
        (["cpu", "debian13", "{dir}/disk.img"], {}, "must end in .qcow2"),
        (["cpu", "debian13", "{out}"], {"DSVM_VM_ACCEL": "xen"}, "DSVM_VM_ACCEL (xen) must be auto, kvm or"),
        # No KVM, and TCG not allowed: the cause and the fix.
        (
            ["cpu", "debian13", "{out}"],
            {"DSVM_VM_ACCEL": "kvm", "DSVM_KVM_DEVICE": "{dir}/kvm"},
            "KVM cannot work here ({dir}/kvm missing or not writable, or no vmx/svm CPU flag): use",
        ),
        (
            ["cpu", "debian13", "{out}"],
            {"DSVM_VM_ACCEL": "tcg", "DSVM_QEMU_MIN_FREE_GB": "999999"},
            "GB free, 999999 GB needed for the build's disk (DSVM_QEMU_MIN_FREE_GB)",
        ),
        (
            ["cpu", "debian13", "{out}"],
            {"DSVM_VM_ACCEL": "tcg", "DSVM_QEMU_BASE_URL": "https://cloud.example/debian.qcow2"},
            "DSVM_QEMU_BASE_URL is given without DSVM_QEMU_BASE_CHECKSUM",
        ),
        (
            ["cpu", "debian13", "{out}"],
            {
                "DSVM_VM_ACCEL": "tcg",
                "DSVM_QEMU_BASE_URL": "{dir}/none.qcow2",
                "DSVM_QEMU_BASE_CHECKSUM": "sha256:0",
            },
            "the base disk {dir}/none.qcow2 does not exist (DSVM_QEMU_BASE_URL)",
        ),
        (
            ["cpu", "debian13", "{out}"],
            {"DSVM_VM_ACCEL": "tcg", "DSVM_ANSIBLE_VARS_EXTRA": "{dir}/none.yml"},
            "IMAGE_VARS file {dir}/none.yml does not exist",
        ),
    ],
)
def test_packer_qemu_build_refuses(tmp_path, args, env, message):
    out = tmp_path / "disk.qcow2"
    argv = [a.format(out=out, dir=tmp_path) for a in args]
    res = run(QEMU_BUILD, *argv, env={k: v.format(dir=tmp_path) for k, v in env.items()})
    assert res.returncode != 0
    assert message.format(dir=tmp_path) in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == [], "packer-qemu-build left files behind"


def test_packer_qemu_build_stops_on_a_cloud_images_checksum_mismatch(tmp_path):
    """A given cloud image whose checksum differs: Packer refuses it before
    booting anything; no qcow2, no partial file, no scratch directory."""
    base = tmp_path / "cloud.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "1M"], check=True)
    out = tmp_path / "disk.qcow2"
    res = run(
        QEMU_BUILD,
        "cpu",
        "debian13",
        out,
        env={
            "DSVM_VM_ACCEL": "tcg",
            "DSVM_QEMU_BASE_URL": str(base),
            "DSVM_QEMU_BASE_CHECKSUM": "sha256:" + "0" * 64,
            "HOME": str(tmp_path / "home"),
        },
    )
    assert res.returncode != 0
    assert "packer build failed" in res.stderr, res.stderr
    log = (tmp_path / "disk.packer.log").read_text()
    assert "checksum" in log.lower() and "match" in log.lower(), log[-2000:]
    left = sorted(p.name for p in tmp_path.iterdir())
    # The build's log stays, for the user; the home is the test's.
    assert set(left) - {"home"} == {"cloud.qcow2", "disk.packer.log"}, left

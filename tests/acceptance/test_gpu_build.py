"""Build-time checks of the gpu variant (marker `gpu_build`): no GPU needed.

They hold on a GPU image wherever it runs: in the molecule/gpu container, in a
Packer build before capture, and on a GPU VM (where the `gpu` checks of
test_gpu.py then prove the driver works). What is expected comes from the
manifest the nvidia_driver, cuda and container_runtime roles write; the tests
apply where the image has the nvidia_driver and cuda roles (and, for Docker's,
container_runtime), by its manifest (dsvm_selection.py).

The lock checks read the repository's lock files, not the host: the gpu
variant's environments must resolve CUDA wheels, the cpu variant's none.
"""

import json
import re
from pathlib import Path

import pytest
from dsvm_host import files_on_host

pytestmark = pytest.mark.gpu_build

LOCKS = Path(__file__).resolve().parents[2] / "roles" / "python_envs" / "files" / "locks"

# A kernel nvcc must compile and link; running it needs a GPU (test_gpu.py).
CU_SOURCE = r"""
#include <cuda_runtime.h>
__global__ void add(int n, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}
int main() {
  float *x, *y;
  cudaMalloc(&x, 1024 * sizeof(float));
  cudaMalloc(&y, 1024 * sizeof(float));
  add<<<4, 256>>>(1024, x, y);
  return cudaDeviceSynchronize() != cudaSuccess;
}
"""


@pytest.fixture(scope="module")
def gpu(manifest):
    assert "gpu" in manifest, "the manifest has no gpu entry: were nvidia_driver and cuda applied?"
    return manifest["gpu"]


def dpkg_version(host, package):
    res = host.run("dpkg-query -W -f='${Status} ${Version}' %s", package)
    # "hold ok installed" for the held driver packages.
    assert res.rc == 0 and re.match(r"(install|hold) ok installed ", res.stdout), f"{package}: {res.stdout}"
    return res.stdout.split()[-1]


def test_manifest_gpu_entry(gpu):
    assert re.fullmatch(r"\d{3}", gpu["driver_branch"]), gpu
    assert gpu["module"] in ("open", "proprietary"), gpu
    assert gpu["persistence"] in ("on", "off"), gpu
    assert gpu["frameworks"], gpu
    assert gpu["cuda"]["default"] in gpu["cuda"]["versions"], gpu


def test_driver_packages_at_the_pinned_branch(host, gpu):
    assert gpu["held_packages"], "the driver role recorded no packages"
    for package in gpu["held_packages"]:
        version = dpkg_version(host, package)
        assert version.split(".")[0] == gpu["driver_branch"], (
            f"{package} {version} is not branch {gpu['driver_branch']}"
        )


def test_driver_packages_held(host, gpu):
    held = set(host.check_output("apt-mark showhold").split())
    assert set(gpu["held_packages"]) <= held, f"not held: {set(gpu['held_packages']) - held}"


def test_branch_pinned_in_apt(host, gpu):
    policy = host.check_output("apt-cache policy nvidia-smi libnvidia-ml1 2>/dev/null || true")
    prefs = host.file("/etc/apt/preferences.d/dsvm-nvidia-driver")
    assert prefs.contains(rf"^Pin: version {gpu['driver_branch']}\.\*$"), prefs.content_string
    assert re.search(rf"\*\*\* {gpu['driver_branch']}\.\S+ 1001", policy), policy


def test_module_type_packages(host, gpu):
    open_dkms = host.run(
        "dpkg-query -W -f='${Status}' nvidia-open-kernel-dkms nvidia-kernel-open-dkms 2>/dev/null"
    )
    is_open = " ok installed" in open_dkms.stdout
    assert ("open" if is_open else "proprietary") == gpu["module"], open_dkms.stdout


def installed_kernels(host):
    """The kernel versions the image can boot: every installed linux-image-VERSION
    package (Debian's -unsigned builds carry the same version; -dbg is no kernel)."""
    out = host.check_output(
        "dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' 'linux-image-[0-9]*' 2>/dev/null || true"
    )
    kernels = set()
    for line in out.splitlines():
        status, _, package = line.strip().partition(" ")
        if status.startswith("ii") and not package.endswith("-dbg"):
            kernels.add(package.strip().removeprefix("linux-image-").removesuffix("-unsigned"))
    return sorted(kernels)


def test_image_kernels_are_the_flavours_kernels(host, gpu, manifest):
    flavours = manifest["settings"]["nvidia_driver"]["kernel_flavours"]
    assert gpu["kernels"] and gpu["kernel"] == gpu["kernels"][0], gpu
    assert len(gpu["kernels"]) == len(flavours), (gpu["kernels"], flavours)
    for flavour, kernel in zip(flavours, gpu["kernels"], strict=True):
        depends = host.check_output("dpkg-query -W -f='${Depends}' linux-image-%s", flavour)
        assert f"linux-image-{kernel}" in depends, (flavour, kernel, depends)
        assert host.file(f"/boot/vmlinuz-{kernel}").exists
        assert host.file(f"/lib/modules/{kernel}/build").exists, f"no headers for kernel {kernel}"
    # Every kernel the image can boot is one the module was built for.
    assert set(installed_kernels(host)) == set(gpu["kernels"]), (installed_kernels(host), gpu["kernels"])


def test_module_built_for_the_cloud_kernel_a_vm_boots(host, gpu, manifest):
    """A VM made from the image (tools/vm-image, roles/vm_guest) boots Debian's
    cloud kernel: the module must be there for it, not only for linux-image-amd64."""
    if host.system_info.distribution != "debian":
        pytest.skip(f"Debian's cloud flavour; this is {host.system_info.distribution}")
    flavours = manifest["settings"]["nvidia_driver"]["kernel_flavours"]
    if "cloud-amd64" not in flavours:
        pytest.skip(f"nvidia_driver_kernel_flavours={flavours} leaves out cloud-amd64 (the image's choice)")
    cloud = [k for k in gpu["kernels"] if k.endswith("-cloud-amd64")]
    assert cloud, gpu["kernels"]
    assert re.search(r": installed", host.check_output("dkms status -k %s", cloud[0]))


@pytest.mark.parametrize("which", ["main", "others"])
def test_dkms_module_built_for_every_image_kernel(host, gpu, which):
    kernels = installed_kernels(host)
    kernels = [gpu["kernel"]] if which == "main" else [k for k in kernels if k != gpu["kernel"]]
    assert kernels, f"no {which} kernel installed: {installed_kernels(host)}"
    for kernel in kernels:
        status = host.check_output("dkms status -k %s", kernel)
        assert re.search(r": installed", status), (kernel, status)
        modules = host.check_output(
            "find /lib/modules/%s/updates -name 'nvidia*.ko*' -printf '%%f\\n' 2>/dev/null || true", kernel
        ).split()
        core = [m for m in modules if re.match(r"nvidia(-current)?(-open)?\.ko", m)]
        assert core, f"no nvidia .ko under /lib/modules/{kernel}/updates: {modules}"
        path = host.check_output("find /lib/modules/%s/updates -name '%s' | head -1", kernel, core[0])
        info = host.check_output("modinfo -F version %s", path)
        assert info.split(".")[0] == gpu["driver_branch"], (kernel, info)
        assert info in gpu["driver_version"], (kernel, info, gpu["driver_version"])
        license_ = host.check_output("modinfo -F license %s", path)
        # The open module is dual MIT/GPL; the proprietary one is "NVIDIA".
        assert ("GPL" in license_) == (gpu["module"] == "open"), (kernel, license_)


def test_nouveau_blacklisted(host, gpu):
    conf = host.file("/etc/modprobe.d/dsvm-blacklist-nouveau.conf")
    assert conf.contains("^blacklist nouveau$")
    assert "blacklist nouveau" in host.check_output("modprobe -c | grep -w nouveau || true")
    for kernel in gpu["kernels"]:
        initrd = host.check_output("lsinitramfs /boot/initrd.img-%s", kernel)
        assert "etc/modprobe.d/dsvm-blacklist-nouveau.conf" in initrd, (
            f"the initramfs of {kernel} lacks the blacklist"
        )


def test_nvidia_module_options(host):
    assert host.file("/etc/modprobe.d/dsvm-nvidia.conf").contains("^options nvidia")


def test_persistence_daemon_enabled(host, gpu):
    unit = host.service("nvidia-persistenced")
    assert unit.is_enabled == (gpu["persistence"] == "on")


def test_persistence_daemon_skipped_without_a_gpu(host):
    """The gpu image on a machine without an NVIDIA device (this container, a CPU
    VM): starting the daemon, as boot does, skips it instead of failing."""
    if host.run("grep -qsx 0x10de /sys/bus/pci/devices/*/vendor").rc == 0:
        pytest.skip("an NVIDIA device is present: test_gpu.py checks the daemon runs")
    with host.sudo():
        start = host.run("systemctl start nvidia-persistenced.service")
        state = host.run("systemctl is-failed nvidia-persistenced.service").stdout.strip()
        result = host.run("systemctl show -p Result --value nvidia-persistenced.service").stdout.strip()
        host.run("systemctl reset-failed nvidia-persistenced.service")
    assert start.rc == 0, start.stderr
    assert state != "failed" and result == "exec-condition", (state, result)


def test_cuda_switch_points_at_the_default(host, gpu):
    cuda = gpu["cuda"]
    assert host.file("/usr/local/cuda").linked_to == host.file(f"/usr/local/cuda-{cuda['default']}").linked_to
    query = host.check_output("update-alternatives --query cuda")
    for version in cuda["versions"]:
        assert f"Alternative: /usr/local/cuda-{version}" in query, query


def test_login_shell_finds_cuda(host):
    env = host.check_output("bash -lc 'echo PATH=$PATH; echo LD=$LD_LIBRARY_PATH'")
    assert "/usr/local/cuda/bin" in env and "/usr/local/cuda/lib64" in env, env


def test_nvcc_compiles_a_kernel(host, gpu):
    nvcc = host.file("/usr/local/cuda/bin/nvcc")
    assert nvcc.exists
    release = re.search(r"release (\d+\.\d+)", host.check_output("/usr/local/cuda/bin/nvcc --version"))
    assert release and release.group(1) == gpu["cuda"]["default"], release
    with files_on_host(host, {"add.cu": CU_SOURCE}) as workdir:
        build = host.run("cd %s && /usr/local/cuda/bin/nvcc -O2 -o add add.cu", workdir)
        assert build.rc == 0, build.stderr
        assert host.file(f"{workdir}/add").mode & 0o111
        # The binary carries device code (a fatbin section), not only host code.
        sass = host.run("/usr/local/cuda/bin/cuobjdump -lelf %s/add", workdir)
        assert sass.rc == 0 and "sm_" in sass.stdout, sass.stdout + sass.stderr


PROBE = Path(__file__).resolve().parents[1] / "gpu_probe" / "probe.cu"


def test_gpu_probe_builds_with_the_images_toolkit(host):
    """tests/gpu_probe/probe.cu (what tools/gpu-probe-build carries to a GPU
    machine) compiles and links against this image's cudart and cuBLAS, and
    without a GPU stops with a JSON line naming the failed step."""
    with files_on_host(host, {"probe.cu": PROBE.read_text()}) as workdir:
        # tools/gpu-probe-build's link: cudart and cuBLAS static (cuda_static_libs_keep).
        static = "-lcublas_static -lcublasLt_static -lculibos"
        for name, flags in (
            ("with-cublas", "-lcublas"),
            ("static-cublas", static),
            ("no-cublas", "-DPROBE_NO_CUBLAS"),
        ):
            build = host.run(
                "cd %s && /usr/local/cuda/bin/nvcc -O2 -std=c++17 -o %s probe.cu %s", workdir, name, flags
            )
            assert build.rc == 0, build.stderr
            run = host.run("%s/%s", workdir, name)
            if host.file("/proc/driver/nvidia/version").exists:
                continue  # a GPU machine: test_gpu.py's checks and tools/gpu-probe-run apply there
            assert run.rc == 1, run.stdout + run.stderr
            result = json.loads(run.stdout.strip().splitlines()[-1])
            assert result["ok"] is False and result["step"] and result["error"], result


def test_toolkit_static_libraries_trimmed(host, gpu):
    """cuda_static_libs=trim: of the toolkit's static libraries (2.85 GB on
    Debian 12) only the kept ones are in the image, and dpkg's filter that
    left the others out is in place for later upgrades."""
    cuda = gpu["cuda"]
    if cuda.get("static_libs") != "trim":
        pytest.skip(f"cuda_static_libs={cuda.get('static_libs')}: every static library kept")
    paths = host.run(
        "find /usr/lib/*-linux-gnu /usr/local/cuda-*/targets/*/lib -maxdepth 1"
        " -name 'lib*_static*.a' 2>/dev/null"
    ).stdout.split()
    found = {path.rsplit("/", 1)[-1] for path in paths}
    extra = sorted(found - set(cuda["static_libs_kept"]))
    assert not extra, f"static libraries cuda_static_libs=trim should have left out: {extra}"
    cudart = [n for n in cuda["static_libs_kept"] if n.startswith("libcu") and "_static" in n]
    assert cudart and set(cudart) <= set(found), (cudart, found)
    assert "path-exclude=" in host.file("/etc/dpkg/dpkg.cfg.d/dsvm-cuda-static").content_string


def test_debian_cudnn_downloader_absent(host):
    res = host.run("dpkg-query -W -f='${Status}' nvidia-cudnn")
    assert " ok installed" not in res.stdout, (
        "Debian's nvidia-cudnn (an install-time downloader) is installed"
    )


@pytest.mark.container_runtime
def test_docker_nvidia_runtime_registered(host, manifest):
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    runtime = manifest["settings"]["container_runtime"]["nvidia_runtime"]
    assert runtime, "the gpu variant must register the nvidia runtime"
    assert daemon["runtimes"]["nvidia"]["path"] == "/usr/bin/nvidia-container-runtime", daemon


# --- lock files (read from the repository, not from the host) ---------------


def lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


GPU_LOCKS = sorted(LOCKS.glob("*-gpu-py*.txt"))
CPU_LOCKS = sorted(LOCKS.glob("*-cpu-py*.txt"))


def test_lock_files_present():
    assert GPU_LOCKS and CPU_LOCKS, f"no locks in {LOCKS}"


@pytest.mark.parametrize("lock", GPU_LOCKS, ids=[p.name for p in GPU_LOCKS])
def test_gpu_lock_resolves_cuda_wheels(lock):
    pins = lock_pins(lock)
    env = lock.name.split("-gpu-")[0]
    nvidia = [p for p in pins if p.startswith("nvidia-")]
    if "torch" in pins:
        assert "+cpu" not in pins["torch"], pins["torch"]
        assert any(p.startswith("nvidia-cuda-runtime") for p in nvidia), nvidia
    if env == "jax":
        assert any(re.fullmatch(r"jax-cuda\d+-plugin", p) for p in pins), sorted(pins)
        assert any(p.startswith("nvidia-cudnn") for p in nvidia), nvidia
    if env == "tensorflow":
        assert "tensorflow" in pins and "tensorflow-cpu" not in pins, sorted(pins)
        assert any(p.startswith("nvidia-cudnn") for p in nvidia), nvidia
    if env in ("pytorch", "jax", "tensorflow"):
        assert any(p.startswith("nvidia-nccl") for p in nvidia) or env == "tensorflow", nvidia


@pytest.mark.parametrize("lock", CPU_LOCKS, ids=[p.name for p in CPU_LOCKS])
def test_cpu_lock_has_no_nvidia_package(lock):
    pins = lock_pins(lock)
    bad = sorted(p for p in pins if p.startswith("nvidia-") or re.fullmatch(r"jax-cuda\d+-(plugin|pjrt)", p))
    assert not bad, f"{lock.name} pins NVIDIA packages: {bad}"
    if "torch" in pins:
        assert pins["torch"].endswith("+cpu"), pins["torch"]


def lock_cuda_majors(pins: dict[str, str]) -> set[int]:
    """CUDA major versions a lock's NVIDIA wheels are built for: the -cuNN suffix of any
    nvidia-* wheel (nvidia-nccl-cu13 ...), or the version of an unsuffixed nvidia-cuda-runtime."""
    majors = set()
    for name, version in pins.items():
        m = re.fullmatch(r"nvidia-[a-z0-9-]+?-cu(\d+)", name)
        if m:
            majors.add(int(m.group(1)))
        elif name == "nvidia-cuda-runtime":
            majors.add(int(version.split(".")[0]))
    return majors


@pytest.mark.parametrize("lock", GPU_LOCKS, ids=[p.name for p in GPU_LOCKS])
def test_gpu_lock_cuda_runs_on_the_driver(lock, gpu):
    """CUDA M.x wheels run on any driver that runs M.0 (minor version compatibility)."""
    driver_major = int(gpu["max_cuda"].split(".")[0])
    too_new = sorted(m for m in lock_cuda_majors(lock_pins(lock)) if m > driver_major)
    assert not too_new, (
        f"{lock.name} needs CUDA {too_new}; driver {gpu['driver_branch']} runs <= {gpu['max_cuda']}"
    )

"""GPU checks for a machine with an NVIDIA GPU (marker `gpu`).

Run on the machine itself or over SSH:
    pytest -m gpu tests/acceptance --hosts=local://
    pytest -m gpu tests/acceptance --hosts=ssh://you@gpu-vm --sudo

What is expected comes from the image manifest (the GPU roles' entries) when
there is one, or from --dsvm-gpu-expect KEY=VALUE (driver_branch, module
[open|proprietary], persistence [on|off]); a check with no expectation is
never guessed:
a check without one fails and names the option to pass. Frameworks come from --dsvm-gpu-framework, else the
manifest, else torch, tensorflow and jax; Python interpreters from
--dsvm-python, else the manifest's environments, else python3.
"""

import json
import re

import pytest
from dsvm_host import files_on_host, last_json, run_script

pytestmark = pytest.mark.gpu

CUDA_SOURCE = r"""
#include <cstdio>
#include <cuda_runtime.h>
__global__ void saxpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
int main() {
  const int n = 1 << 20;
  float *x, *y;
  if (cudaMalloc(&x, n * sizeof(float)) != cudaSuccess) { printf("malloc failed\n"); return 1; }
  cudaMalloc(&y, n * sizeof(float));
  float *hx = new float[n], *hy = new float[n];
  for (int i = 0; i < n; i++) { hx[i] = i % 1000; hy[i] = 1.0f; }
  cudaMemcpy(x, hx, n * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(y, hy, n * sizeof(float), cudaMemcpyHostToDevice);
  saxpy<<<(n + 255) / 256, 256>>>(n, 2.0f, x, y);
  cudaError_t err = cudaDeviceSynchronize();
  if (err != cudaSuccess) { printf("kernel failed: %s\n", cudaGetErrorString(err)); return 1; }
  cudaMemcpy(hy, y, n * sizeof(float), cudaMemcpyDeviceToHost);
  int bad = 0;
  for (int i = 0; i < n; i++) if (hy[i] != 2.0f * (i % 1000) + 1.0f) bad++;
  printf("%s %d\n", bad ? "MISMATCH" : "OK", bad);
  return bad != 0;
}
"""

# Each script prints one JSON line: the device it ran on and the largest error
# of the GPU product against the CPU product (float32, TF32 off).
MATMUL = {
    "torch": r"""
import json, torch
torch.backends.cuda.matmul.allow_tf32 = False
assert torch.cuda.is_available(), "torch sees no GPU"
g = torch.Generator().manual_seed(0)
a = torch.randn(1024, 1024, generator=g); b = torch.randn(1024, 1024, generator=g)
gpu = (a.cuda() @ b.cuda()).cpu()
print(json.dumps({"device": torch.cuda.get_device_name(0),
                  "err": float((gpu - a @ b).abs().max()), "scale": float((a @ b).abs().max())}))
""",
    "tensorflow": r"""
import json, numpy as np, tensorflow as tf
tf.config.experimental.enable_tensor_float_32_execution(False)
gpus = tf.config.list_physical_devices("GPU")
assert gpus, "tensorflow sees no GPU"
rng = np.random.default_rng(0)
a = rng.standard_normal((1024, 1024), dtype=np.float32)
b = rng.standard_normal((1024, 1024), dtype=np.float32)
with tf.device("/GPU:0"):
    g = tf.matmul(a, b)
dev = g.device
with tf.device("/CPU:0"):
    c = tf.matmul(a, b)
print(json.dumps({"device": dev, "err": float(np.abs(g.numpy() - c.numpy()).max()),
                  "scale": float(np.abs(c.numpy()).max())}))
""",
    "jax": r"""
import json, jax, jax.numpy as jnp, numpy as np
gpus = [d for d in jax.devices() if d.platform == "gpu"]
assert gpus, f"jax sees no GPU: {jax.devices()}"
rng = np.random.default_rng(0)
a = rng.standard_normal((1024, 1024), dtype=np.float32)
b = rng.standard_normal((1024, 1024), dtype=np.float32)
g = jnp.matmul(jax.device_put(a, gpus[0]), jax.device_put(b, gpus[0]), precision="highest")
g.block_until_ready()
c = a.astype(np.float64) @ b.astype(np.float64)
print(json.dumps({"device": str(list(g.devices())[0]), "err": float(np.abs(np.asarray(g) - c).max()),
                  "scale": float(np.abs(c).max())}))
""",
}

NCCL_ALL_REDUCE = r"""
import json, os, sys
import torch, torch.distributed as dist, torch.multiprocessing as mp

def worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("nccl", rank=rank, world_size=world)
    torch.cuda.set_device(rank)
    t = torch.full((1 << 20,), float(rank + 1), device="cuda")
    dist.all_reduce(t)
    torch.cuda.synchronize()
    out[rank] = float(t[0])
    dist.destroy_process_group()

if __name__ == "__main__":
    world = torch.cuda.device_count()
    assert world > 0, "no GPU"
    with mp.Manager() as m:
        out = m.dict()
        mp.spawn(worker, args=(world, 29511, out), nprocs=world, join=True)
        print(json.dumps({"world": world, "nccl": ".".join(map(str, torch.cuda.nccl.version())),
                          "results": [out[r] for r in range(world)]}))
"""


@pytest.fixture(scope="module")
def image_manifest(host):
    """The DSVM manifest, or {} on a machine that is not a DSVM."""
    res = host.run("dsvm-info --json")
    return json.loads(res.stdout) if res.rc == 0 else {}


def gpu_settings(manifest: dict) -> dict:
    return manifest.get("gpu", {})


def expectation(request, manifest, key, values):
    """What the --dsvm-gpu-expect KEY=... option, else the manifest, expects; a
    check without one fails, naming the option (VALUES: what it takes)."""
    cli = dict(kv.split("=", 1) for kv in request.config.getoption("--dsvm-gpu-expect"))
    wanted = cli.get(key, gpu_settings(manifest).get(key))
    if wanted is None:
        pytest.fail(f"no {key} expectation: pass --dsvm-gpu-expect {key}={values}")
    return wanted


def smi(host, query):
    out = host.check_output("nvidia-smi --query-gpu=%s --format=csv,noheader,nounits", query)
    return [[f.strip() for f in line.split(",")] for line in out.splitlines() if line.strip()]


def test_nvidia_pci_device_present(host):
    vendors = host.check_output("cat /sys/bus/pci/devices/*/vendor 2>/dev/null || true").split()
    assert "0x10de" in vendors, "no NVIDIA PCI device (vendor 10de) on this machine"


def test_nvidia_smi_lists_gpus(host):
    rows = smi(host, "index,name,driver_version,memory.total")
    assert rows, "nvidia-smi lists no GPU"
    for index, name, driver, mem in rows:
        assert re.match(r"^\d+\.\d+(\.\d+)?$", driver), driver
        assert int(mem) > 1024, f"GPU {index} ({name}) reports {mem} MiB"


def test_kernel_module_matches_userspace_driver(host):
    proc = host.file("/proc/driver/nvidia/version")
    assert proc.exists, "the nvidia kernel module is not loaded"
    kernel = re.search(r"Kernel Module\s+(?:for \S+\s+)?(\d+\.\d+(?:\.\d+)?)", proc.content_string)
    assert kernel, proc.content_string
    userspace = smi(host, "driver_version")[0][0]
    assert kernel.group(1) == userspace, f"kernel module {kernel.group(1)} != nvidia-smi {userspace}"


def test_driver_branch(host, request, image_manifest):
    branch = expectation(request, image_manifest, "driver_branch", "NNN")
    assert smi(host, "driver_version")[0][0].split(".")[0] == str(branch)


def test_kernel_module_type(host, request, image_manifest):
    module = expectation(request, image_manifest, "module", "open|proprietary")
    is_open = "Open Kernel Module" in host.file("/proc/driver/nvidia/version").content_string
    assert ("open" if is_open else "proprietary") == module


def test_persistence_mode(host, request, image_manifest):
    wanted = expectation(request, image_manifest, "persistence", "on|off")
    modes = {row[0] for row in smi(host, "persistence_mode")}
    assert modes == {"Enabled" if wanted in ("on", True, "true") else "Disabled"}, modes


def find_nvcc(host):
    for candidate in ("nvcc", "/usr/local/cuda/bin/nvcc"):
        res = host.run("command -v %s", candidate)
        if res.rc == 0:
            return res.stdout.strip()
    pytest.fail("nvcc not found on PATH or in /usr/local/cuda/bin")


def test_cuda_kernel_compiles_and_runs(host):
    nvcc = find_nvcc(host)
    with files_on_host(host, {"saxpy.cu": CUDA_SOURCE}) as workdir:
        build = host.run("%s -O2 -o %s/saxpy %s/saxpy.cu", nvcc, workdir, workdir)
        assert build.rc == 0, build.stderr
        run = host.run("%s/saxpy", workdir)
        assert run.rc == 0 and run.stdout.startswith("OK"), run.stdout + run.stderr


def pythons(request, manifest):
    cli = request.config.getoption("--dsvm-python")
    if cli:
        return cli
    envs = manifest.get("python_envs", {})
    return [env["python"] for env in envs.values()] if envs else ["python3"]


def frameworks(request, manifest):
    return request.config.getoption("--dsvm-gpu-framework") or gpu_settings(manifest).get(
        "frameworks", ["torch", "tensorflow", "jax"]
    )


def first_python_with(host, candidates, module):
    for python in candidates:
        if host.run("%s -c %s", python, f"import {module}").rc == 0:
            return python
    return None


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
def test_framework_matmul_on_gpu(host, request, image_manifest, framework):
    expected = frameworks(request, image_manifest)
    if framework not in expected:
        # Not a gap of the image: it was not built with this framework (or not asked for it).
        source = "--dsvm-gpu-framework" if request.config.getoption("--dsvm-gpu-framework") else "manifest"
        pytest.skip(f"the image lacks {framework}: the {source} expects {', '.join(expected)}")
    python = first_python_with(host, pythons(request, image_manifest), framework)
    assert python, f"{framework} is not importable from {pythons(request, image_manifest)}"
    res = run_script(host, MATMUL[framework], interpreter=python)
    assert res.rc == 0, res.stderr[-2000:]
    result = last_json(res)
    print(f"{framework} on {result['device']}: max |gpu-cpu| = {result['err']:.3g}")
    assert "cpu" not in result["device"].lower()
    assert result["err"] <= 1e-3 * result["scale"], result


def test_nccl_all_reduce(host, request, image_manifest):
    python = first_python_with(host, pythons(request, image_manifest), "torch")
    assert python, "NCCL check needs torch in one of the Python environments"
    res = run_script(host, NCCL_ALL_REDUCE, interpreter=python)
    assert res.rc == 0, res.stderr[-3000:]
    result = last_json(res)
    world = result["world"]
    expected = world * (world + 1) / 2
    print(f"NCCL {result['nccl']} all-reduce on {world} GPU(s): {result['results']}")
    assert result["results"] == [expected] * world

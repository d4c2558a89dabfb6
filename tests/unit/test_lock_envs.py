"""tools/lock_envs.py: the gpu locks follow PyTorch's NVIDIA wheel pins, and a
relocked PyTorch makes them stale (`--check`, part of `make lint`).

Plain pytest: temporary lock files, no network.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "roles" / "python_envs" / "files" / "locks"


@pytest.fixture
def lock_envs(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("lock_envs", ROOT / "tools" / "lock_envs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "LOCKS", tmp_path)
    return module


def block(name, version):
    return f"{name}=={version} \\\n    --hash=sha256:{'0' * 64}\n"


def write_lock(module, env, pins, aligned_to=None):
    defaults = module.load_defaults()
    packages = module.packages_for(defaults, env, "gpu")
    head = f"# dsvm-spec-sha256: {module.digest(packages, '3.11', 'gpu')}\n"
    if aligned_to:
        head += f"# dsvm-aligned-to: pytorch nvidia pins {aligned_to}\n"
    module.lock_path(env, "gpu", "3.11").write_text(head + "".join(block(n, v) for n, v in pins))


def check(module):
    args = ["--check", "--env", "pytorch", "--env", "jax", "--variant", "gpu", "--python", "3.11"]
    return module.main(args)


def test_aligned_lock_is_current_until_pytorch_moves(lock_envs, capsys):
    torch = [("nvidia-cublas-cu12", "12.8.4.1"), ("torch", "2.10.0")]
    write_lock(lock_envs, "pytorch", torch)
    digest = lock_envs.align_digest(lock_envs.align_pins("jax", "gpu", "3.11"))
    assert digest, "PyTorch's nvidia-* pins were not found"
    write_lock(lock_envs, "jax", [("jax", "0.10.2"), ("nvidia-cublas-cu12", "12.8.4.1")], aligned_to=digest)
    assert check(lock_envs) == 0, capsys.readouterr().out
    write_lock(lock_envs, "pytorch", [("nvidia-cublas-cu12", "12.9.3.13"), ("torch", "2.10.0")])
    assert check(lock_envs) == 1
    assert "jax-gpu-py3.11.txt: stale" in capsys.readouterr().out


def test_unaligned_gpu_lock_is_stale(lock_envs, capsys):
    write_lock(lock_envs, "pytorch", [("nvidia-cublas-cu12", "12.8.4.1"), ("torch", "2.10.0")])
    write_lock(lock_envs, "jax", [("jax", "0.10.2"), ("nvidia-cublas-cu12", "12.9.3.13")])
    assert check(lock_envs) == 1
    assert "jax-gpu-py3.11.txt: stale" in capsys.readouterr().out


def test_preferences_take_pytorchs_nvidia_pins(lock_envs):
    """What uv is handed as the current lock: the env's own pins, with its
    nvidia-* blocks replaced by PyTorch's."""
    write_lock(lock_envs, "pytorch", [("nvidia-cublas-cu12", "12.8.4.1"), ("torch", "2.10.0")])
    own = lock_envs.entries(block("jax", "0.10.2") + block("nvidia-cublas-cu12", "12.9.3.13"))
    aligned = lock_envs.align_pins("jax", "gpu", "3.11")
    prefs = {n: b for n, b in own.items() if not n.startswith(lock_envs.ALIGNED)} | aligned
    assert sorted(b.split(" ")[0] for b in prefs.values()) == ["jax==0.10.2", "nvidia-cublas-cu12==12.8.4.1"]
    assert lock_envs.align_pins("pytorch", "gpu", "3.11") == {}
    assert lock_envs.align_pins("jax", "cpu", "3.11") == {}


def test_shipped_gpu_locks_share_pytorchs_cuda_wheels():
    """Of the NVIDIA wheels a gpu lock shares with PyTorch's, at most one
    differs (TensorFlow 2.21 needs NCCL >= 2.27.7, torch 2.10 pins 2.27.5):
    the image stores each shared library once."""
    for python in ("3.11", "3.13"):
        torch = LOCKS / f"pytorch-gpu-py{python}.txt"
        pins = {
            line.split("==")[0]: line.split("==")[1].split()[0]
            for line in torch.read_text().splitlines()
            if line.startswith("nvidia-")
        }
        for env in ("default", "jax", "tensorflow"):
            lock = (LOCKS / f"{env}-gpu-py{python}.txt").read_text().splitlines()
            own = {ln.split("==")[0]: ln.split("==")[1].split()[0] for ln in lock if ln.startswith("nvidia-")}
            differ = sorted(n for n in own if n in pins and own[n] != pins[n])
            allowed = ["nvidia-nccl-cu12"] if env == "tensorflow" else []
            assert differ == allowed, f"{env}-gpu-py{python}: {differ} differ from PyTorch's pins"

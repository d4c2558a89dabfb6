"""Python environments: exact locks, imports generated from the specs, kernels,
PATH, read-only for users, CPU-only in the cpu variant, training runs and a
notebook executed headless per environment (marker python_envs).

Everything expected comes from the manifest the role wrote (dsvm-info --json):
each environment's spec packages, its pins and its interpreter.
"""

import json
import re

import pytest
from dsvm_host import SCRIPTS, last_json, run_script

pytestmark = pytest.mark.python_envs

# Which training script proves which framework, by distribution in the lock.
TRAINING = {
    "torch": "train_torch.py",
    "tensorflow-cpu": "train_tensorflow.py",
    "tensorflow": "train_tensorflow.py",
    "jax": "train_jax.py",
    "xgboost-cpu": "train_xgboost.py",
    "xgboost": "train_xgboost.py",
}

# Lists every installed distribution and version, normalised like the lock.
FREEZE = r"""
import importlib.metadata as m, json, re
print(json.dumps({re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version for d in m.distributions()}))
"""


def envs(manifest):
    found = manifest.get("python_envs", {})
    assert found, "the manifest lists no Python environment"
    return found


def pins(env) -> dict:
    """The lock's pins, from the manifest's NAME==VERSION lines."""
    return dict(line.split("==", 1) for line in env["pins"])


def kernel_envs(manifest):
    """The environments registered as Jupyter kernels (not e.g. JupyterHub's own)."""
    return {name: env for name, env in envs(manifest).items() if env.get("kernel")}


def import_name(dist: str, names: dict) -> str:
    """The module a spec entry imports as: the distribution name without extras
    or version specifiers (`xgboost<3.4`, `jax[cpu]`), mapped through NAMES."""
    base = re.split(r"[\[<>=!~;@ ]", dist, maxsplit=1)[0]
    return names.get(base, base.replace("-", "_"))


def test_environments_match_their_locks_exactly(host, manifest):
    for name, env in envs(manifest).items():
        res = host.run("%s -c %s", env["python"], FREEZE)
        assert res.rc == 0, f"{name}: {res.stderr}"
        installed = json.loads(res.stdout)
        locked = {k.lower().replace("_", "-").replace(".", "-"): v for k, v in pins(env).items()}
        assert locked, f"{name}: no pins in the manifest"
        wrong = {k: (v, installed.get(k)) for k, v in locked.items() if installed.get(k) != v}
        extra = sorted(set(installed) - set(locked) - {"pip", "setuptools", "wheel"})
        assert not wrong, f"{name}: installed versions differ from the lock: {wrong}"
        assert not extra, f"{name}: installed but not locked: {extra}"


def test_spec_packages_import(host, manifest):
    """Every spec package imports, as an ordinary user, from the build's
    bytecode: with python_envs_compile_bytecode none of the environment's own
    modules is compiled from source at import (a source whose mtime no longer
    matches its bytecode, e.g. after sharing files, would be)."""
    settings = manifest["settings"]["python_envs"]
    names = settings["import_names"]
    for name, env in envs(manifest).items():
        modules = sorted({import_name(p, names) for p in env["packages"]})
        code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint('ok')"
        res = host.run(
            "runuser -u nobody -- %s -v -c %s " + " ".join(["%s"] * len(modules)),
            env["python"],
            code,
            *modules,
        )
        assert res.rc == 0 and res.stdout.strip() == "ok", f"{name}: {res.stderr[-2000:]}"
        prefix = f"# code object from {settings['root']}/{name}/"
        compiled = [
            line for line in res.stderr.splitlines() if line.startswith(prefix) and line.endswith(".py")
        ]
        if settings["compile_bytecode"]:
            assert not compiled, f"{name}: compiled from source at import: {compiled[:5]}"


def test_kernels_registered(host, manifest):
    assert kernel_envs(manifest), "no environment is a Jupyter kernel"
    for name, env in kernel_envs(manifest).items():
        spec = host.file(f"/usr/local/share/jupyter/kernels/{env['kernel']}/kernel.json")
        assert spec.exists, f"{name}: no kernel spec"
        data = json.loads(spec.content_string)
        assert data["argv"][0] == env["python"]
        assert data["display_name"] == env["display_name"]


def test_default_environment_on_login_path(host, manifest):
    default = manifest["settings"]["python_envs"]["default"]
    expected = envs(manifest)[default]["python"]
    assert host.check_output("bash -lc 'command -v python'") == expected


def test_environments_read_only_for_users(host, manifest):
    root = manifest["settings"]["python_envs"]["root"]
    assert host.file(root).user == "root"
    for name in envs(manifest):
        res = host.run("runuser -u nobody -- test -w %s/%s", root, name)
        assert res.rc != 0, f"{name} is writable by an ordinary user"
        site = host.check_output(
            "%s/%s/bin/python -c %s", root, name, "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        )
        res = host.run("runuser -u nobody -- touch %s/dsvm-write-test", site)
        assert res.rc != 0, f"an ordinary user can write into {site}"


# In one environment: NumPy's extension module, a source of NumPy's, that
# source's bytecode, and the file a traceback from that source names.
NUMPY_FILES = r"""
import glob, json, os, numpy, numpy.linalg
d = os.path.dirname(numpy.__file__)
src = numpy.linalg._linalg.__file__
try:
    numpy.linalg.inv(numpy.zeros((2, 2)))
except numpy.linalg.LinAlgError as e:
    tb = e.__traceback__
    while tb.tb_next:
        tb = tb.tb_next
    raised_in = tb.tb_frame.f_code.co_filename
print(json.dumps({"so": glob.glob(d + "/*core/_multiarray_umath*.so")[0], "py": src,
                  "pyc": numpy.linalg._linalg.__cached__, "raised_in": raised_in}))
"""


def test_identical_files_stored_once(host, manifest):
    """With python_envs_share_files, the environments that pin the same NumPy
    share one copy of its extension module, of its sources and of their
    bytecode (hard links), and that bytecode is valid for the shared source
    everywhere (dsvm-share-bytecode --check, over every module; that no
    module is compiled at import is also checked by test_spec_packages_import),
    while a traceback still names the environment it was raised in."""
    settings = manifest["settings"]["python_envs"]
    kinds = ("so", "py", "pyc") if settings["compile_bytecode"] else ("so", "py")
    by_numpy = {}
    for name, env in envs(manifest).items():
        version = pins(env).get("numpy")
        if version:
            files = json.loads(host.check_output("%s -c %s", env["python"], NUMPY_FILES))
            assert files["raised_in"] == files["py"], f"{name}: {files}"
            assert files["py"].startswith(f"{settings['root']}/{name}/"), f"{name}: {files}"
            inodes = {kind: host.file(files[kind]).inode for kind in kinds}
            by_numpy.setdefault(version, []).append(inodes)
    shared = [found for found in by_numpy.values() if len(found) > 1]
    if settings["share_files"]:
        # An image with one NumPy environment (CI's small VM image) has nothing
        # to share; its bytecode is still checked below.
        if sum(len(found) for found in by_numpy.values()) > 1:
            assert shared, f"no two environments pin the same NumPy: {by_numpy}"
        for found in shared:
            for kind in kinds:
                copies = {f[kind] for f in found}
                assert len(copies) == 1, f"NumPy's {kind} is stored more than once: {by_numpy}"
        roots = " ".join(f"{settings['root']}/{name}" for name in envs(manifest))
        res = host.run(f"python3 /usr/local/libexec/dsvm-share-bytecode --check {roots}")
        assert res.rc == 0, f"stale bytecode after sharing: {res.stdout[-2000:]}{res.stderr[-1000:]}"


def test_uv_installed_from_its_hashed_requirement(host, manifest):
    """uv came from a requirement pinning it with the sha256 of its files, and
    pip refuses that requirement once its hashes are not the file's (what a
    substituted wheel looks like to pip); unaltered, it installs (the control).
    Needs PyPI."""
    settings = manifest["settings"]["python_envs"]
    if settings["manager"] != "uv":
        pytest.skip(f"uv is not installed with python_envs_manager={settings['manager']}")
    req = host.file(f"{settings['root']}/uv-requirements.txt").content_string
    pinned = re.search(r"(?m)^uv==(\S+)", req).group(1)
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", req)) >= 2, req
    version = host.check_output("%s/bin/uv --version", settings["uv_home"])
    assert version.split()[1] == pinned, version
    pip = "PIP_CERT=/etc/ssl/certs/ca-certificates.crt $d/venv/bin/pip install -q --disable-pip-version-check"
    with host.sudo():
        d = host.check_output("mktemp -d").strip()
        try:
            host.check_output("python3 -m venv %s/venv", d)
            host.check_output("cp %s/uv-requirements.txt %s/good.txt", settings["root"], d)
            zeros = "0" * 64
            host.check_output(f"sed -E 's/sha256:[0-9a-f]{{64}}/sha256:{zeros}/' {d}/good.txt > {d}/bad.txt")
            bad = host.run(f"d={d}; {pip} --require-hashes --only-binary=:all: -r $d/bad.txt")
            assert bad.rc != 0 and "DO NOT MATCH THE HASHES" in bad.stderr, bad.stdout + bad.stderr[-2000:]
            assert host.run(f"{d}/venv/bin/python -m uv --version").rc != 0
            good = host.run(f"d={d}; {pip} --require-hashes --only-binary=:all: -r $d/good.txt")
            assert good.rc == 0, good.stderr[-2000:]
            assert host.check_output(f"{d}/venv/bin/python -m uv --version").split()[1] == pinned
        finally:
            host.run("rm -rf %s", d)


@pytest.mark.variant("cpu")
def test_cpu_variant_has_no_nvidia_package(host, manifest):
    assert manifest["image"]["variant"] == "cpu"
    for name, env in envs(manifest).items():
        nvidia = [p for p in pins(env) if p.lower().startswith("nvidia")]
        assert not nvidia, f"{name} pins NVIDIA packages: {nvidia}"
    assert host.run("dpkg -l 'nvidia*' 'libnvidia*' 'cuda*' 2>/dev/null | grep -q '^ii'").rc != 0


@pytest.mark.slow
def test_training_loss_falls(host, manifest):
    ran = []
    for name, env in envs(manifest).items():
        for dist, script in TRAINING.items():
            if dist not in pins(env):
                continue
            res = run_script(host, SCRIPTS / script, interpreter=env["python"])
            assert res.rc == 0, f"{name}/{script}: {res.stderr[-2000:]}"
            out = last_json(res)
            assert out["last"] < 0.7 * out["first"], f"{name}/{script}: loss {out}"
            ran.append(f"{name}/{script}")
    assert ran, "no environment holds a framework with a training check"


NOTEBOOK_RUNNER = r"""
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"),
            nbformat.v4.new_code_cell(sys.argv[2])]
NotebookClient(nb, kernel_name=sys.argv[1], timeout=300).execute()
print(nb.cells[0].outputs[0]["text"].strip())
"""


@pytest.mark.slow
def test_notebook_executes_in_each_kernel(host, manifest):
    names = manifest["settings"]["python_envs"]["import_names"]
    default = envs(manifest)[manifest["settings"]["python_envs"]["default"]]
    for name, env in kernel_envs(manifest).items():
        modules = sorted({import_name(p, names) for p in env["packages"]})
        cell = "\n".join(f"import {m}" for m in modules) + "\nprint('imports ok')"
        res = host.run("%s -c %s %s %s", default["python"], NOTEBOOK_RUNNER, env["kernel"], cell)
        assert res.rc == 0, f"{name}: {res.stderr[-3000:]}"
        assert res.stdout.strip().splitlines()[-1] == env["python"]

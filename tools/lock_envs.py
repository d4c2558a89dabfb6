#!/usr/bin/env python3
"""Make the python_envs lock files (`make lock`).

For every environment spec in roles/python_envs/defaults/main.yml, variant
(cpu, gpu) and Python version, resolve the spec with `uv pip compile
--generate-hashes` for x86_64 manylinux and write
roles/python_envs/files/locks/<env>-<variant>-py<X.Y>.txt. Each lock starts
with the spec digest the role checks, so a spec changed without relocking
stops the build.

The gpu locks share their NVIDIA CUDA wheels (nvidia-*) with PyTorch's lock
(ALIGN_WITH) wherever their own requirements allow: torch pins them exactly,
so its versions are handed to uv as preferences for the other environments,
and the role's hard-link sharing then stores each library once in the image
(about 3.7 GB less in the gpu image than with each environment's newest).
Each aligned lock records the digest of the pins it was aligned to
(`# dsvm-aligned-to:`); a relocked PyTorch makes the others stale.

    tools/lock_envs.py [--env NAME] [--variant cpu|gpu] [--python 3.11]
                       [--find-links DIR_OR_URL] [--drop-extra-index] [--check]

--check only reports locks that are missing or stale, and exits 1 if one is stale. A lock whose index is
unreachable from here is reported and left as it was.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ROLE = ROOT / "roles" / "python_envs"
LOCKS = ROLE / "files" / "locks"
# The distributions' Pythons (roles/python_envs/vars/*.yml).
PYTHONS = ["3.11", "3.13"]
VARIANTS = ["cpu", "gpu"]
# The environment whose NVIDIA wheel pins the other gpu locks follow.
ALIGN_WITH = "pytorch"
ALIGNED = "nvidia-"


def load_defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def packages_for(defaults: dict, env: str, variant: str) -> list[str]:
    spec = defaults["python_envs_specs"][env]
    core = defaults["python_envs_core_packages"] if spec.get("core", True) else []
    pkgs = core + spec.get("packages", []) + spec.get(f"packages_{variant}", [])
    return sorted(set(pkgs))


def digest(packages: list[str], python: str, variant: str) -> str:
    """The role computes the same: to_json(sort_keys=true) | hash('sha256')."""
    text = json.dumps({"packages": packages, "python": python, "variant": variant}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def lock_path(env: str, variant: str, python: str) -> Path:
    return LOCKS / f"{env}-{variant}-py{python}.txt"


def header_digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("# dsvm-spec-sha256: "):
            return line.split(": ", 1)[1].strip()
    return None


def entries(text: str) -> dict[str, str]:
    """A lock's requirement blocks ("name==version \\" and its hash lines) by lower-case name."""
    blocks, name = {}, None
    for line in text.splitlines(True):
        if line.startswith("#") or not line.strip():
            name = None
        elif not line[0].isspace():
            name = line.split("==", 1)[0].strip().lower()
            blocks[name] = line
        elif name:
            blocks[name] += line
    return blocks


def align_pins(env: str, variant: str, python: str) -> dict[str, str]:
    """ALIGN_WITH's nvidia-* blocks for this gpu lock; empty where none apply."""
    source = lock_path(ALIGN_WITH, variant, python)
    if variant != "gpu" or env == ALIGN_WITH or not source.is_file():
        return {}
    return {n: b for n, b in entries(source.read_text()).items() if n.startswith(ALIGNED)}


def align_digest(pins: dict[str, str]) -> str | None:
    if not pins:
        return None
    names = sorted(b.split(" ", 1)[0].strip() for b in pins.values())
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def header_aligned(path: Path) -> str | None:
    for line in path.read_text().splitlines() if path.is_file() else []:
        if line.startswith("# dsvm-aligned-to: "):
            return line.split()[-1]
    return None


def compile_lock(defaults, env, variant, python, find_links, uv, drop_extra) -> tuple[bool, str]:
    spec = defaults["python_envs_specs"][env]
    packages = packages_for(defaults, env, variant)
    index = spec.get("index_url", {}).get(variant, defaults["python_envs_index_url"])
    extra = spec.get("extra_index_urls", {}).get(variant, defaults["python_envs_extra_index_urls"])
    if drop_extra:
        extra = []
    links = spec.get("find_links", {}).get(variant, defaults["python_envs_find_links"]) + find_links
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirements.in"
        req.write_text("\n".join(packages) + "\n")
        out = Path(tmp) / "lock.txt"
        # The current lock, as uv's output file, makes its pins uv's preferences:
        # a spec changed by one package moves only what that package needs.
        # ALIGN_WITH's NVIDIA pins replace this lock's own as preferences.
        current = lock_path(env, variant, python)
        aligned = align_pins(env, variant, python)
        prefs = entries(current.read_text()) if current.is_file() else {}
        if aligned:
            prefs = {n: b for n, b in prefs.items() if not n.startswith(ALIGNED)} | aligned
        out.write_text("".join(prefs.values()))
        cmd = [
            uv, "pip", "compile", str(req), "-o", str(out), "--quiet",
            "--generate-hashes", "--no-header", "--no-annotate",
            "--python-version", python, "--python-platform", "x86_64-manylinux_2_28",
            "--index-url", index, "--index-strategy", "unsafe-best-match",
            *[f"--extra-index-url={u}" for u in extra],
            *[f"--find-links={u}" for u in links],
        ]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            return False, res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "uv failed"
        head = (
            f"# dsvm-spec-sha256: {digest(packages, python, variant)}\n"
            f"# environment {env}, variant {variant}, Python {python}; made by `make lock`"
            " (tools/lock_envs.py): do not edit.\n"
            f"# spec: {' '.join(packages)}\n"
        )
        if aligned:
            head += f"# dsvm-aligned-to: {ALIGN_WITH} nvidia pins {align_digest(aligned)}\n"
        lock_path(env, variant, python).write_text(head + out.read_text())
    return True, "written"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", action="append")
    ap.add_argument("--variant", action="append", choices=VARIANTS)
    ap.add_argument("--python", action="append")
    ap.add_argument("--find-links", action="append", default=[])
    ap.add_argument("--check", action="store_true")
    ap.add_argument(
        "--drop-extra-index",
        action="store_true",
        help="ignore the specs' extra index URLs (where they are unreachable; give --find-links instead)",
    )
    ap.add_argument("--uv", default=str(Path(sys.executable).parent / "uv"))
    args = ap.parse_args(argv)
    defaults = load_defaults()
    envs = args.env or list(defaults["python_envs_specs"])
    envs.sort(key=lambda e: e != ALIGN_WITH)  # the others follow its pins
    LOCKS.mkdir(parents=True, exist_ok=True)
    failed, stale = [], []
    for env in envs:
        for variant in args.variant or VARIANTS:
            for python in args.python or PYTHONS:
                path = lock_path(env, variant, python)
                want = digest(packages_for(defaults, env, variant), python, variant)
                have = header_digest(path)
                state = "current" if have == want else ("stale" if have else "missing")
                if state == "current" and header_aligned(path) != align_digest(
                    align_pins(env, variant, python)
                ):
                    state = "stale"  # ALIGN_WITH was relocked: follow its pins
                if args.check:
                    print(f"{path.name}: {state}")
                    if state == "stale":
                        stale.append(path.name)
                    continue
                if state == "current":
                    print(f"{path.name}: current")
                    continue
                ok, why = compile_lock(
                    defaults, env, variant, python, args.find_links, args.uv, args.drop_extra_index
                )
                print(f"{path.name}: {why}")
                if not ok:
                    failed.append(path.name)
    if failed:
        print(f"lock_envs: not locked here (index unreachable or no wheel): {' '.join(failed)}")
    # --check fails on a lock made from another spec; a missing lock is reported
    # (the role refuses that environment with the same message).
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

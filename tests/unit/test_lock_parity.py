"""The gpu and cpu locks pin the same framework versions, or README.md says
which differ and why (its table under "### Framework versions: cpu and gpu").

Plain pytest: reads the lock files and the README, needs no host.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "roles" / "python_envs" / "files" / "locks"
# The frameworks users compare across variants, by the names their locks use
# (the cpu and gpu builds of some have different distribution names).
FRAMEWORKS = {
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "keras": ("keras",),
    "jax": ("jax",),
    "jaxlib": ("jaxlib",),
    "flax": ("flax",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "lightgbm": ("lightgbm",),
    "scikit-learn": ("scikit-learn",),
}
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", re.M)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version.split("+")[0] for name, version in PIN.findall(path.read_text())}


def differences() -> list[tuple[str, str, str, str, str]]:
    """(framework, environment, Python, cpu version, gpu version) where both locks exist and differ."""
    found = []
    for cpu_lock in sorted(LOCKS.glob("*-cpu-py*.txt")):
        env, _, python = cpu_lock.stem.rpartition("-cpu-py")
        gpu_lock = LOCKS / f"{env}-gpu-py{python}.txt"
        if not gpu_lock.is_file():
            continue
        cpu, gpu = pins(cpu_lock), pins(gpu_lock)
        for framework, names in FRAMEWORKS.items():
            have_cpu = next((cpu[n] for n in names if n in cpu), None)
            have_gpu = next((gpu[n] for n in names if n in gpu), None)
            if have_cpu and have_gpu and have_cpu != have_gpu:
                found.append((framework, env, python, have_cpu, have_gpu))
    return found


def readme_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    assert "### Framework versions: cpu and gpu" in text, "README.md lacks the section"
    section = text.split("### Framework versions: cpu and gpu", 1)[1].split("\n#", 1)[0]
    return [
        [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith("| ---")
    ][1:]


def test_every_difference_is_in_the_readme():
    rows = readme_rows()
    listed = {tuple(row[:5]) for row in rows}
    missing = [d for d in differences() if d not in listed]
    assert not missing, f"cpu and gpu locks differ but README.md does not say why: {missing}"


def test_the_readme_lists_no_difference_the_locks_lack():
    current = set(differences())
    stale = [tuple(row[:5]) for row in readme_rows() if tuple(row[:5]) not in current]
    assert not stale, f"README.md lists differences the locks no longer have: {stale}"


def test_each_difference_has_a_reason():
    vague = [row for row in readme_rows() if len(row) < 6 or len(row[5]) < 20]
    assert not vague, f"no reason given: {vague}"

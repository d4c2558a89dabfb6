"""tools/build-report: the parts that read the build's outputs and write the
report, on fixture inputs (the image measurement needs Docker and a built
image: `make image` runs it on every build)."""

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "build-report"


def load():
    loader = importlib.machinery.SourceFileLoader("build_report", str(TOOL))
    spec = importlib.util.spec_from_loader("build_report", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


br = load()

# Packer's output of two playbook runs (site.yml, then cleanup.yml), each
# with profile_roles' and profile_tasks' summaries.
LOG = """\
2026-12-03T08:00:00Z:     docker.dsvm: PLAY [Build the Data Science VM] ****
2026-12-03T08:20:00Z:     docker.dsvm: PLAY RECAP ****
2026-12-03T08:20:00Z:     docker.dsvm: default : ok=900  changed=300
2026-12-03T08:20:00Z:     docker.dsvm: ROLES RECAP ****
2026-12-03T08:20:00Z:     docker.dsvm: ==========
2026-12-03T08:20:00Z:     docker.dsvm: dsvm.image.python_envs ---- 612.40s
2026-12-03T08:20:00Z:     docker.dsvm: dsvm.image.base ---- 95.10s
2026-12-03T08:20:00Z:     docker.dsvm: ~~~~~~~~~~
2026-12-03T08:20:00Z:     docker.dsvm: total ---- 707.50s
2026-12-03T08:20:00Z:     docker.dsvm: TASKS RECAP ****
2026-12-03T08:20:00Z:     docker.dsvm: ==========
2026-12-03T08:20:00Z:     docker.dsvm: dsvm.image.python_envs : Install exactly the lock: jax ---- 201.03s
2026-12-03T08:20:00Z:     docker.dsvm: dsvm.image.base : Install the base packages ---- 80.50s
2026-12-03T08:20:00Z:     docker.dsvm: dsvm.image.python_envs : Install exactly the lock: pytorch ---- 250.00s
2026-12-03T08:25:00Z:     docker.dsvm: PLAY [Clean the image before capture] ****
2026-12-03T08:26:00Z:     docker.dsvm: PLAY RECAP ****
2026-12-03T08:26:00Z:     docker.dsvm: ROLES RECAP ****
2026-12-03T08:26:00Z:     docker.dsvm: dsvm.image.cleanup ---- 9.00s
"""

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4" time="321.5">
<testcase classname="test_base" name="test_a[docker://x]" time="1.5"/>
<testcase classname="test_jupyterhub" name="test_b[docker://x]" time="120.0"/>
<testcase classname="test_r" name="test_c[docker://x]" time="0.1"><skipped message="lean"/></testcase>
<testcase classname="test_samples" name="test_d[docker://x]" time="60.0"><failure message="boom"/></testcase>
</testsuite></testsuites>
"""

SBOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "serialNumber": "urn:uuid:1",
    "components": [
        {"name": "a", "purl": "pkg:deb/debian/a@1"},
        {"name": "b", "purl": "pkg:deb/debian/b@1"},
        {"name": "numpy", "purl": "pkg:pypi/numpy@2"},
        {"name": "x", "type": "library"},
    ],
}


def test_profile_of_the_first_run_only():
    roles, tasks = br.parse_profile(LOG)
    assert roles == {"dsvm.image.python_envs": 612.40, "dsvm.image.base": 95.10}
    assert [t for t, _ in tasks][:2] == [
        "dsvm.image.python_envs : Install exactly the lock: pytorch",
        "dsvm.image.python_envs : Install exactly the lock: jax",
    ]
    assert br.parse_profile("PLAY RECAP ***\nno profile here\n") == ({}, [])


def test_junit_and_sbom_summaries(tmp_path):
    (tmp_path / "j.xml").write_text(JUNIT)
    j = br.parse_junit(tmp_path / "j.xml")
    assert j["counts"] == {"passed": 2, "skipped": 1, "failed": 1}
    assert j["slowest"][0][0] == "test_jupyterhub::test_b[docker://x]" and j["time"] == 321.5
    assert [n for n, _, _ in j["not_passed"]] == ["test_samples::test_d[docker://x]"]
    (tmp_path / "s.json").write_text(json.dumps(SBOM))
    s = br.summarize_sbom(tmp_path / "s.json")
    assert s["components"] == 4 and s["by_type"] == {"deb": 2, "pypi": 1, "library": 1}


def test_report_and_charts_written(tmp_path):
    (tmp_path / "j.xml").write_text(JUNIT)
    (tmp_path / "s.json").write_text(json.dumps(SBOM))
    roles, tasks = br.parse_profile(LOG)
    facts = {
        "image": "dsvm-image:cpu-debian12",
        "commit": "abc1234",
        "build_seconds": 1200,
        "roles": roles,
        "tasks": tasks,
        "junit": br.parse_junit(tmp_path / "j.xml"),
        "sbom": br.summarize_sbom(tmp_path / "s.json"),
        "sbom_path": "build/s.json",
        "measure": {
            "image_size": 8_670_000_000,
            "sizes": [
                ("Python environments: default", 1_500_000_000),
                ("system: Debian packages and the rest", 2e9),
            ],
            "top_packages": [(300_000_000, "r-base-core")],
            "debian_packages": 900,
            "manifest": {
                "image": {"variant": "cpu", "components": ["base", "r"]},
                "components": {"R": "4.2.2"},
            },
        },
    }
    text = br.render(facts, tmp_path / "report.md")
    assert (tmp_path / "report.md").read_text() == text
    for heading in (
        "## Time per role",
        "## Size per component",
        "## Versions",
        "## SBOM",
        "## Acceptance suite",
    ):
        assert heading in text
    assert "| dsvm.image.python_envs | 612.4 |" in text and "| R | 4.2.2 |" in text
    assert "2 passed, 1 failed, 0 error, 1 skipped" in text and "test_samples::test_d" in text
    assert "8.67 GB" in text and "3,500 MB" in text
    for chart in ("report-roles.svg", "report-sizes.svg"):
        svg = (tmp_path / chart).read_text()
        assert svg.startswith("<svg") and svg.count("<rect") == 2


def test_missing_input_named_and_nothing_written(tmp_path):
    res = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            "--image",
            "x",
            "--log",
            str(tmp_path / "none.log"),
            "--junit",
            str(tmp_path / "j.xml"),
            "--sbom",
            str(tmp_path / "s.json"),
            "--out",
            str(tmp_path / "r.md"),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and f"--log {tmp_path / 'none.log'} does not exist" in res.stderr
    assert not (tmp_path / "r.md").exists()

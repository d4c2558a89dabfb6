"""R: the interpreter, the distribution's CRAN packages, the site-wide
repository, and the IR kernel run through JupyterHub by a PAM user (marker r).

What is expected comes from the r role's manifest entry (dsvm-info --json).
"""

import json

import pytest
from dsvm_host import SCRIPTS, default_env, hub_client, role_settings, run_script

pytestmark = pytest.mark.r


@pytest.fixture(scope="module")
def r(manifest):
    return role_settings(manifest, "r")


def test_r_version_is_the_manifests(host, manifest, r):
    out = host.check_output("%s -e %s", r["rscript"], 'cat(R.version$major, R.version$minor, sep = ".")')
    assert out == manifest["components"]["R"]


def test_packages_installed(host, r):
    missing = [p for p in r["packages"] if not host.package(p).is_installed]
    assert not missing, missing


def test_r_fits_a_model_with_data_table_and_caret(host, r):
    res = run_script(host, SCRIPTS / "fit_model.R", interpreter=r["rscript"])
    assert res.rc == 0, res.stderr[-3000:]
    words = res.stdout.split()
    slope, rsq = float(words[words.index("SLOPE") + 1]), float(words[words.index("RSQ") + 1])
    assert abs(slope - 3) < 0.05, res.stdout
    assert rsq > 0.95, res.stdout


def test_full_set_renders_rmarkdown_and_runs_tidyverse(host, manifest, r):
    """The full package set (the image's default): a dplyr pipeline, a ggplot2
    chart saved as PNG, an R Markdown document rendered to HTML with a value
    knitr computed, shiny and devtools loading, and the default Python
    environment's NumPy called through reticulate."""
    if r["package_set"] != "full":
        pytest.skip(f"r_package_set is {r['package_set']} in this image: the full set's checks do not apply")
    default = default_env(manifest)
    workdir = host.check_output("mktemp -d")
    try:
        res = run_script(
            host, SCRIPTS / "tidy_report.R", workdir, default["python"], interpreter=r["rscript"]
        )
    finally:
        host.run("rm -rf %s", workdir)
    assert res.rc == 0, res.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in res.stdout.splitlines() if " " in line)
    assert lines["DPLYR"].strip() == "4:11,6:7,8:14", res.stdout
    assert int(lines["GGPLOT"]) > 1000, res.stdout
    assert lines["RMARKDOWN"].strip() == "TRUE", res.stdout
    assert lines["RETICULATE"].strip() == "45", res.stdout


def test_site_repository_for_users(host, r):
    out = host.check_output("%s -e %s", r["rscript"], 'cat(getOption("repos")[["CRAN"]])')
    assert out == r["repos_url"]


def test_kernelspec_registered_system_wide(host, r):
    if not r["kernel"]:
        pytest.skip("the r role was told not to register the IR kernel (r_irkernel_enabled: false)")
    spec = json.loads(host.file(f"/usr/local/share/jupyter/kernels/{r['kernel']}/kernel.json").content_string)
    assert spec["language"] == "R"
    assert spec["display_name"] == r["kernel_display_name"]
    res = host.run("%s -e %s", r["rscript"], "library(IRkernel); cat('ok')")
    assert res.rc == 0 and res.stdout.endswith("ok"), res.stderr


@pytest.mark.jupyterhub
def test_ir_kernel_runs_code_through_the_hub(host, manifest, r, hub, pam_user):
    assert r["kernel"], "JupyterHub is installed but the r role did not register the IR kernel"
    name, password = pam_user
    code = 'cat(Sys.info()[["user"]], R.version$major, 6 * 7, "\\n")'
    result = hub_client(host, hub, "hub_kernel_code.py", name, password, r["kernel"], code)
    assert result["login_status"] == 302, result
    assert r["kernel"] in result["kernelspecs"], f"the hub does not show the R kernel: {result}"
    major = manifest["components"]["R"].split(".")[0]
    assert result.get("output") == f"{name} {major} 42", result

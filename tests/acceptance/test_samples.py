"""Sample notebooks (marker samples): every sample whose kernel exists is
installed and runs in that kernel from a user's copy; a user's server copies
them into the user's home on its first start."""

import ast

import pytest
from dsvm_host import SCRIPTS, default_env, files_on_host, hub_client, last_json, login_shell, role_settings

pytestmark = pytest.mark.samples


def sample_file(entry):
    return (entry.get("src") or entry["file"]).rsplit("/", 1)[-1]


def test_samples_installed_for_the_kernels_here(host, manifest):
    settings = role_settings(manifest, "samples")
    assert settings["installed"], "no sample installed"
    for entry in settings["installed"]:
        f = host.file(f"{settings['dir']}/{sample_file(entry)}")
        assert f.exists and f.user == "root" and f.mode == 0o644, sample_file(entry)
    for entry in settings["skipped"]:
        assert not host.file(f"/usr/local/share/jupyter/kernels/{entry['kernel']}/kernel.json").exists, entry
        assert not host.file(f"{settings['dir']}/{sample_file(entry)}").exists, entry


@pytest.mark.slow
def test_every_sample_runs_in_its_kernel(host, manifest, pam_user):
    """A user copies the samples and executes every one headless in the kernel
    its metadata names (the manifest's kernel): each cell, and its asserts, pass."""
    settings = role_settings(manifest, "samples")
    default = default_env(manifest)
    name, _ = pam_user
    with files_on_host(host, {"run_notebooks.py": (SCRIPTS / "run_notebooks.py").read_text()}) as work:
        host.check_output("chmod 0777 %s && chmod 0644 %s/run_notebooks.py", work, work)
        res = login_shell(
            host,
            name,
            f"cp {settings['dir']}/*.ipynb {work}/ && cd {work} && "
            f"{default['python']} run_notebooks.py {work}/*.ipynb",
        )
        assert res.rc == 0, res.stdout + res.stderr[-3000:]
        results = last_json(res)
    want = {sample_file(e): e["kernel"] for e in settings["installed"]}
    assert set(results) == set(want), results
    for file, result in results.items():
        assert result["kernel"] == want[file], (file, result)
        assert result["error"] is None, (file, result["error"])


@pytest.mark.jupyterhub
def test_samples_copied_into_home_on_first_start(host, hub, manifest, pam_user):
    settings = role_settings(manifest, "samples")
    if not settings["home_name"]:
        pytest.skip("samples_home_name is empty in this image: nothing is copied into homes")
    name, password = pam_user
    kernel = default_env(manifest)["kernel"]
    code = "\n".join(
        [
            "import os",
            f"d = os.path.expanduser('~/{settings['home_name']}')",
            "print(sorted(os.listdir(d)))",
            "print(all(os.stat(os.path.join(d, f)).st_uid == os.getuid() for f in os.listdir(d)))",
        ]
    )
    r = hub_client(host, hub, "hub_kernel_code.py", name, password, kernel, code)
    listing, owned = r["output"].splitlines()
    assert set(ast.literal_eval(listing)) == {sample_file(e) for e in settings["installed"]} | {
        "README.md"
    }, r
    assert owned == "True", r
    with host.sudo():
        assert host.file(f"/home/{name}/.local/share/dsvm/home-copies/{settings['home_name']}").exists

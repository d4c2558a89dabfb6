"""What a user works with besides the hub's page (marker jupyterhub): the
Jupyter tools run by hand from a login shell, widgets, and the user's own
packages in an environment layered on a system one (dsvm-env)."""

import json

import pytest
from dsvm_host import default_env, files_on_host, hub_client, login_shell, role_settings

pytestmark = pytest.mark.jupyterhub

# A notebook with a papermill parameters cell, in the default environment's kernel.
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "KERNEL", "display_name": "k", "language": "python"}},
    "cells": [
        {
            "cell_type": "code",
            "id": "p",
            "metadata": {"tags": ["parameters"]},
            "source": "x = 2",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "id": "c",
            "metadata": {},
            "source": "import sys\nprint(sys.executable, x * 21)",
            "outputs": [],
            "execution_count": None,
        },
    ],
}


def test_jupyter_tools_answer_from_a_login_shell(host, manifest, pam_user):
    """`jupyter lab`, `jupyter nbconvert --execute` and papermill answer in a user's
    terminal (the default environment first on PATH has none of them), and run
    a notebook in the default environment's kernel."""
    commands = [c for env in manifest["python_envs"].values() for c in env.get("commands", [])]
    assert {"jupyter-lab", "jupyter-nbconvert", "papermill"} <= {c.rsplit("/", 1)[-1] for c in commands}, (
        commands
    )
    name, _ = pam_user
    for command in commands:
        assert login_shell(host, name, f"command -v {command.rsplit('/', 1)[-1]}").stdout.strip() == command
    default = default_env(manifest)
    nb = json.dumps(NOTEBOOK).replace("KERNEL", default["kernel"])
    with files_on_host(host, {"in.ipynb": nb}) as work:
        host.check_output("chmod 0777 %s && chmod 0644 %s/in.ipynb", work, work)
        assert login_shell(host, name, "jupyter lab --version").rc == 0
        res = login_shell(
            host,
            name,
            f"jupyter nbconvert --execute --to notebook --output-dir {work} "
            f"--output nbconvert.ipynb {work}/in.ipynb",
        )
        assert res.rc == 0, res.stderr[-2000:]
        res = login_shell(host, name, f"papermill -p x 3 {work}/in.ipynb {work}/papermill.ipynb")
        assert res.rc == 0, res.stderr[-2000:]
        for out, want in (("nbconvert", 42), ("papermill", 63)):
            cells = json.loads(host.file(f"{work}/{out}.ipynb").content_string)["cells"]
            # nbformat keeps a stream's text as a string or a list of lines.
            text = "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
            assert text.split() == [default["python"], str(want)], (out, text)


def test_widgets_extension_installed_and_comm_opens(host, hub, manifest, pam_user):
    """The widgets' JupyterLab extension is enabled in the hub's JupyterLab, and a
    widget displayed in a kernel opens its comm (the channel the extension renders)."""
    name, password = pam_user
    res = login_shell(host, name, "jupyter labextension list 2>&1")
    line = [x for x in res.stdout.splitlines() if "@jupyter-widgets/jupyterlab-manager" in x]
    assert line and "enabled" in line[0] and "OK" in line[0], res.stdout
    code = "\n".join(
        [
            "import ipywidgets",
            "from IPython.display import display",
            "w = ipywidgets.IntSlider(value=7)",
            "display(w)",
            "print(w.value)",
        ]
    )
    r = hub_client(host, hub, "hub_kernel_code.py", name, password, default_env(manifest)["kernel"], code)
    assert "[comm_open jupyter.widget IntSliderModel]" in r["output"], r
    assert r["output"].splitlines()[-1] == "7", r


def test_user_installs_own_package_into_own_kernel(host, hub, manifest, pam_user, other_pam_user):
    """A user makes an environment on the default one with dsvm-env, installs a
    package from PyPI into it with pip, and imports it in their own kernel
    through the hub, beside the system packages; the system environment does
    not get it and another user does not see the kernel."""
    settings = role_settings(manifest, "python_envs")
    (name, password), (other, other_password) = pam_user, other_pam_user
    res = login_shell(host, name, f"{settings['user_env_command']} create mine")
    assert res.rc == 0, res.stdout + res.stderr
    res = login_shell(host, name, "~/.local/share/dsvm/envs/mine/bin/pip install -q cowsay==6.1")
    assert res.rc == 0, res.stdout + res.stderr[-2000:]
    code = "import cowsay, numpy\nprint(cowsay.__file__)\nprint(numpy.__file__)"
    r = hub_client(host, hub, "hub_kernel_code.py", name, password, "user-mine", code)
    assert "user-mine" in r["kernelspecs"], r
    own, system = r["output"].splitlines()
    assert own.startswith(f"/home/{name}/.local/share/dsvm/envs/mine/"), r
    assert system.startswith(settings["root"] + "/"), r
    default = default_env(manifest)
    assert host.run("%s -c 'import cowsay'", default["python"]).rc != 0, (
        "the system environment got the package"
    )
    r = hub_client(host, hub, "hub_kernel_code.py", other, other_password, "user-mine", "print(1)")
    assert "user-mine" not in r["kernelspecs"] and "output" not in r, r
    # Bad input: named, nothing made.
    res = login_shell(host, name, f"{settings['user_env_command']} create x --base no-such-env")
    assert res.rc == 2 and "--base 'no-such-env'" in res.stderr, res.stderr
    assert login_shell(host, name, "test -e ~/.local/share/dsvm/envs/x").rc != 0

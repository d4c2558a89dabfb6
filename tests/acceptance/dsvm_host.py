"""Helpers of the acceptance suite that act on the host under test, written once.

Test modules import them (`from dsvm_host import run_script`): pytest puts this
folder on sys.path, as it does for conftest.py.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"


def role_settings(manifest: dict, role: str) -> dict:
    """What ROLE recorded about its own configuration in the manifest."""
    settings = manifest["settings"].get(role)
    assert settings, f"the manifest has no {role} entry"
    return settings


@contextmanager
def files_on_host(host, files: dict[str, str]) -> Iterator[str]:
    """A fresh temporary directory on the host holding FILES ({name: text});
    yields its path and removes it afterwards."""
    workdir = host.check_output("mktemp -d")
    try:
        for name, text in files.items():
            host.check_output("printf %%s %s > %s/%s", text, workdir, name)
        yield workdir
    finally:
        host.run("rm -rf %s", workdir)


def run_script(host, script, *args, interpreter="python3", name="script.py", modules=()):
    """Copy SCRIPT to the host, run `INTERPRETER SCRIPT ARGS...`, remove it, and
    return the result (rc, stdout, stderr).

    SCRIPT is a Path (copied under its own name) or the script's text (copied as
    NAME). MODULES are more files (Paths) copied beside it, e.g. the Python
    modules it imports. Running from a file, not `-c`, lets multiprocessing's
    spawn re-import it."""
    if isinstance(script, Path):
        name, script = script.name, script.read_text()
    files = {module.name: module.read_text() for module in modules}
    files[name] = script
    with files_on_host(host, files) as workdir:
        return host.run("%s %s/%s" + " %s" * len(args), interpreter, workdir, name, *(str(a) for a in args))


def login_shell(host, user, command):
    """COMMAND in USER's login shell (profile.d read, as in a terminal)."""
    return host.run("runuser -l %s -c %s", user, command)


def last_json(result) -> dict:
    """The JSON object a script printed as the last line of its output."""
    return json.loads(result.stdout.strip().splitlines()[-1])


def journal(host, unit: str) -> str:
    """The end of UNIT's journal, to print when a check of the service fails."""
    with host.sudo():
        return host.run("journalctl -u %s -n 60 --no-pager", unit).stdout


def hub_client(host, hub: dict, script: str, *args) -> dict:
    """Run a hub client of scripts/ (hub_client.py, hub_kernel_code.py,
    code_server_client.py: they share hub_client.py's login) with the hub
    environment's Python against HUB on the host: `SCRIPT URL ARGS...`. Fails
    with its output and the hub's journal unless it exits 0; returns the JSON
    line it printed."""
    res = run_script(
        host,
        SCRIPTS / script,
        hub["url"],
        *args,
        interpreter=f"{hub['env']}/bin/python",
        modules=[SCRIPTS / "hub_client.py"] if script != "hub_client.py" else [],
    )
    assert res.rc == 0, res.stdout + res.stderr[-3000:] + journal(host, "jupyterhub")
    return last_json(res)


def default_env(manifest) -> dict:
    """The manifest's entry of the default Python environment (first on PATH)."""
    return manifest["python_envs"][manifest["settings"]["python_envs"]["default"]]


def pinned(env: dict, dist: str) -> bool:
    """Whether a manifest environment entry's lock pins distribution DIST."""
    return any(line.split("==")[0] == dist for line in env["pins"])

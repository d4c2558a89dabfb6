"""Bad GPU input fails before any change, naming the combination and why.

A play runs the preflight of nvidia_driver, cuda and container_runtime (the
gpu variant's first play, as in playbooks/site.yml), then the roles, against a
fresh Debian 12 container; `docker diff` before and after proves nothing
changed. Debian 12 carries driver 535 (CUDA <= 12.2), the proprietary module
only, and CUDA 11.8. NVIDIA's hosts are unreachable here, which the
unreachable-repository cases rely on (and a mirror variable points them at
an address that cannot answer, so they hold on any network). The
repository URLs each role resolves through dsvm.image.artifacts are checked
as rendered (vendor, empty mirror, mirror, per-artifact override).
"""

import json
import os
import subprocess

import pytest
from dockerplay import assert_refused, run_cases, run_playbook
from dockerplay import changed_paths as diff

pytestmark = pytest.mark.docker

PLAYBOOK = """
- name: Check the GPU roles' input before anything changes
  hosts: all
  gather_facts: true
  tasks:
    - name: Run each GPU role's preflight
      ansible.builtin.include_role:
        name: "{{ __gpu_role }}"
        tasks_from: preflight
      loop: [dsvm.image.nvidia_driver, dsvm.image.cuda, dsvm.image.container_runtime]
      loop_control:
        loop_var: __gpu_role

- name: Converge the GPU roles
  hosts: all
  gather_facts: true
  roles:
    - dsvm.image.nvidia_driver
    - dsvm.image.cuda
    - dsvm.image.container_runtime
"""

# Nothing listens on port 9 of this address; it fails fast and everywhere.
DEAD_MIRROR = "http://127.0.0.1:9"

CASES = {
    "unknown driver branch": (
        {"nvidia_driver_branch": "999"},
        ["nvidia_driver_branch=999", "not a known driver branch", "535"],
    ),
    "CUDA newer than the driver runs": (
        {"cuda_versions": ["12.4"]},
        ["CUDA 12.4", "branch 535", "up to 12.2", "nvidia_driver_branch", "550"],
    ),
    "open module from Debian 12": (
        {"nvidia_driver_module": "open"},
        ["nvidia_driver_source=distro", "nvidia_driver_module=open", "Debian 12", "cuda_repo"],
    ),
    "branch Debian 12 does not carry": (
        {"nvidia_driver_branch": "580"},
        ["nvidia_driver_source=distro", "nvidia_driver_branch=580", "Debian 12", "branch 535"],
    ),
    "second distro toolkit version": (
        {"cuda_versions": ["11.8", "12.0"]},
        ["cuda_source=distro", "only CUDA 11.8", "cuda_repo"],
    ),
    "CUDA repository without NVIDIA's repository": (
        {"cuda_cudnn_source": "cuda_repo"},
        ["cuda_cudnn_source=cuda_repo", "nvidia_driver_source=cuda_repo", "nvidia_driver_source is distro"],
    ),
    "Debian's cuDNN downloader": (
        {"cuda_packages_extra": ["nvidia-cudnn"]},
        ["cuda_packages_extra", "nvidia-cudnn", "downloader"],
    ),
    "default CUDA not among the versions": (
        {"cuda_default": "12.0"},
        ["cuda_default (12.0)", "cuda_versions"],
    ),
    "static library kept by path": (
        {"cuda_static_libs_keep": ["libcudart_static.a", "/usr/lib/libcublas_static.a"]},
        ["cuda_static_libs_keep", "/usr/lib/libcublas_static.a", "without a directory"],
    ),
    "unknown module flavour": (
        {"nvidia_driver_module": "closed"},
        ["nvidia_driver_module", "proprietary", "open"],
    ),
    "unreachable CUDA repository": (
        {
            "nvidia_driver_source": "cuda_repo",
            "nvidia_driver_cuda_repo_url": DEAD_MIRROR,
            "container_runtime_nvidia_toolkit_install": False,
        },
        [
            "nvidia_driver_source=cuda_repo",
            f"{DEAD_MIRROR}/debian12/x86_64/3bf863cc.pub",
            "nvidia_driver_cuda_repo_url",
        ],
    ),
    "unreachable container toolkit repository": (
        {"dsvm_artifact_mirror": DEAD_MIRROR},
        [
            f"{DEAD_MIRROR}/nvidia.github.io/libnvidia-container/gpgkey",
            "container_runtime_nvidia_key_url",
            "toolkit_install=false",
        ],
    ),
    "NVIDIA runtime without Docker": (
        {"container_runtime_docker": False, "container_runtime_nvidia_toolkit_install": False},
        ["container_runtime_nvidia_toolkit=true", "container_runtime_docker=true"],
    ),
}


@pytest.fixture(scope="module")
def playbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpu") / "gpu.yml"
    path.write_text(PLAYBOOK)
    return path


@pytest.fixture(scope="module")
def results(container, repo_root, playbook, tmp_path_factory):
    """Every case in one run of the playbook (each case a host of its own on
    the container), and the container's changes across the run."""
    before = diff(container)
    found = run_cases(
        repo_root,
        container,
        playbook,
        {case: {"dsvm_variant": "gpu", **variables} for case, (variables, _) in CASES.items()},
        tmp_path_factory.mktemp("gpu-cases"),
    )
    return found, diff(container) - before


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_gpu_bad_input_fails_before_any_change(case, results):
    found, host_changes = results
    assert_refused(case, found[case], CASES[case][1], host_changes)


def test_cuda_alone_resolves_the_driver_branch(container, repo_root, tmp_path):
    """cuda without the nvidia_driver role: its resolve entry point supplies the
    branch (535 on Debian 12) and the newest CUDA it runs, before any change."""
    book = tmp_path / "cuda.yml"
    book.write_text("- name: cuda alone\n  hosts: all\n  gather_facts: true\n  roles: [dsvm.image.cuda]\n")
    before = diff(container)
    rc, output = run_playbook(repo_root, container, str(book), {"cuda_versions": ["12.4"]})
    flat = " ".join(output.split())
    assert rc != 0, output[-3000:]
    for word in ["CUDA 12.4", "branch 535", "up to 12.2", "550"]:
        assert word in flat, f"{word!r} not in the error\n{output[-3000:]}"
    assert diff(container) == before, f"the host changed: {diff(container) - before}"


# --- what the repository and runtime settings render to ---------------------
# NVIDIA's hosts are unreachable from CI, so the files that point apt and
# docker at them are checked as rendered: the repository URLs resolved by each
# role's preflight through dsvm.image.artifacts (apt_url), then its template.

SOURCES_PLAYBOOK = """
- name: Resolve a GPU role's repository and render its apt source
  hosts: all
  gather_facts: true
  vars:
    ansible_managed: managed
  tasks:
    - name: Run the role's preflight
      ansible.builtin.include_role:
        name: "dsvm.image.{{ role }}"
        tasks_from: preflight
    - name: Render
      ansible.builtin.debug:
        msg:
          sources: "{{ lookup('ansible.builtin.template', template) }}"
          key: "{{ __nvidia_driver_repo_key if role == 'nvidia_driver' else __container_runtime_nvidia_key }}"
"""

SOURCES = {
    "nvidia_driver": (
        "cuda-repo.sources.j2",
        "nvidia-cuda-apt",
        "https://developer.download.nvidia.com/compute/cuda/repos",
        "/debian12/x86_64/",
        "/debian12/x86_64/3bf863cc.pub",
    ),
    "container_runtime": (
        "nvidia-container-toolkit.sources.j2",
        "nvidia-container-toolkit-apt",
        "https://nvidia.github.io/libnvidia-container",
        "/stable/deb/$(ARCH)/",
        "/gpgkey",
    ),
}
MIRROR = "http://mirror.test/vendors"
OVERRIDE = "http://apt.lan/nvidia"


def resolved_sources(container, repo_root, tmp_path, role: str, extra: dict) -> dict:
    """The role's rendered apt source and key URL after its preflight on CONTAINER."""
    book = tmp_path / "sources.yml"
    book.write_text(SOURCES_PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json")
    template = str(repo_root / "roles" / role / "templates" / SOURCES[role][0])
    # The toolkit's install is off so that its preflight does not probe NVIDIA's host.
    extra = {
        "role": role,
        "template": template,
        "dsvm_variant": "gpu",
        "container_runtime_nvidia_toolkit_install": False,
        **extra,
    }
    command = ["ansible-playbook", "-i", f"{container},", "-c", "community.docker.docker"]
    res = subprocess.run(
        [*command, "-e", json.dumps(extra), str(book)],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = json.loads(res.stdout[res.stdout.index("{") :])
    return out["plays"][0]["tasks"][-1]["hosts"][container]["msg"]


# case -> (mirror, whether the role's artifact gets a dsvm_artifact_urls entry, expected base)
URL_CASES = {
    "default": (None, False, "vendor"),
    # An empty mirror is no mirror (it once made the URL "/cuda/repos").
    "empty mirror": ("", False, "vendor"),
    "mirror": (MIRROR + "/", False, "mirror"),
    "override wins": (MIRROR, True, "override"),
}


@pytest.mark.parametrize("role", SOURCES)
@pytest.mark.parametrize("case", URL_CASES)
def test_repository_urls_resolve_through_artifacts(container, repo_root, tmp_path, role, case):
    _, name, vendor, source_path, key_path = SOURCES[role]
    mirror, override, base = URL_CASES[case]
    extra = {} if mirror is None else {"dsvm_artifact_mirror": mirror}
    if override:
        extra["dsvm_artifact_urls"] = {name: OVERRIDE + "/"}
    expected = {
        "vendor": vendor,
        "mirror": MIRROR + "/" + vendor.removeprefix("https://"),
        "override": OVERRIDE,
    }[base]
    before = diff(container)
    got = resolved_sources(container, repo_root, tmp_path, role, extra)
    assert f"URIs: {expected}{source_path}\n" in got["sources"], got
    assert got["key"] == expected + key_path, got
    assert diff(container) == before, f"the host changed: {diff(container) - before}"


RENDER_PLAYBOOK = """
- name: Render the container runtime's daemon.json
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_managed: managed
  tasks:
    - name: Load the role's variables
      ansible.builtin.include_vars: "{{ item }}"
      loop: "{{ var_files }}"
    - name: Render
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.template', template) }}"
"""


def render(repo_root, tmp_path, role, template, extra):
    roles = repo_root / "roles"
    var_files = [str(roles / role / "defaults" / "main.yml"), str(roles / role / "vars" / "main.yml")]
    book = tmp_path / "render.yml"
    book.write_text(RENDER_PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json")
    extra = {"var_files": var_files, "template": str(roles / role / "templates" / template), **extra}
    res = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "-e", json.dumps(extra), str(book)],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = json.loads(res.stdout[res.stdout.index("{") :])
    return out["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"]


@pytest.mark.parametrize("variant", ["gpu", "cpu"])
def test_daemon_json_registers_the_nvidia_runtime_in_gpu_only(repo_root, tmp_path, variant):
    extra = {
        "dsvm_variant": variant,
        "container_runtime_nvidia_default_runtime": True,
        "container_runtime_daemon_options": {"log-driver": "local"},
    }
    daemon = json.loads(render(repo_root, tmp_path, "container_runtime", "daemon.json.j2", extra))
    assert daemon["log-driver"] == "local", daemon
    if variant == "gpu":
        assert daemon["runtimes"]["nvidia"]["path"] == "/usr/bin/nvidia-container-runtime", daemon
        assert daemon["default-runtime"] == "nvidia", daemon
    else:
        assert "runtimes" not in daemon and "default-runtime" not in daemon, daemon

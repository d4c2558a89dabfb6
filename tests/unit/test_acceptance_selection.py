"""Which acceptance tests apply to an image, from its manifest
(tests/acceptance/dsvm_selection.py): no host needed."""

import tomllib
from importlib.util import module_from_spec, spec_from_file_location

import pytest


@pytest.fixture(scope="module")
def sel(repo_root):
    spec = spec_from_file_location("dsvm_selection", repo_root / "tests/acceptance/dsvm_selection.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def manifest(*roles, variant="cpu", components=None):
    image = {"variant": variant}
    if components is not None:
        image["components"] = list(components)
    return {"image": image, "roles": list(roles), "settings": {}}


def marks(*names, **with_args):
    return [(name, ()) for name in names] + [(name, tuple(args)) for name, args in with_args.items()]


CPU_IMAGE = manifest("base", "python_envs", "jupyterhub")
GPU_IMAGE = manifest("base", "nvidia_driver", "cuda", "container_runtime", variant="gpu")


@pytest.mark.parametrize("marker", ["base", "python_envs", "jupyterhub"])
def test_component_present_applies(sel, marker):
    assert sel.skip_reason(CPU_IMAGE, marks(marker)) is None


@pytest.mark.parametrize("marker", ["r", "code_server", "conda", "gpu_build", "container_runtime"])
def test_component_absent_skips_naming_it(sel, marker):
    reason = sel.skip_reason(CPU_IMAGE, marks(marker))
    assert reason is not None
    assert reason.startswith(f"the image lacks {marker}: ")
    assert "manifest roles: base, jupyterhub, python_envs" in reason


def test_gpu_build_needs_the_driver_and_cuda_roles(sel):
    assert sel.skip_reason(GPU_IMAGE, marks("gpu_build")) is None
    no_cuda = manifest("base", "nvidia_driver", variant="gpu")
    assert "role(s) cuda " in sel.skip_reason(no_cuda, marks("gpu_build"))
    # A cpu image with Docker has no gpu layer.
    docker_only = manifest("base", "container_runtime")
    assert "role(s) nvidia_driver, cuda " in sel.skip_reason(docker_only, marks("gpu_build"))
    # Docker's NVIDIA runtime checks need all three.
    no_docker = manifest("base", "nvidia_driver", "cuda", variant="gpu")
    assert sel.skip_reason(no_docker, marks("gpu_build")) is None
    assert "container_runtime" in sel.skip_reason(no_docker, marks("gpu_build", "container_runtime"))
    # A cpu image: every lacking marker and role is named, once.
    reason = sel.skip_reason(CPU_IMAGE, marks("container_runtime", "gpu_build", "gpu_build"))
    assert reason.startswith(
        "the image lacks container_runtime, gpu_build: "
        "no manifest fragment of role(s) container_runtime, nvidia_driver, cuda ("
    ), reason


def test_every_component_marker_of_a_test_is_needed(sel):
    # The IR kernel through the hub: r and jupyterhub.
    r_only = manifest("base", "r")
    assert "lacks jupyterhub" in sel.skip_reason(r_only, marks("r", "jupyterhub"))
    assert sel.skip_reason(manifest("base", "r", "jupyterhub"), marks("r", "jupyterhub")) is None


@pytest.mark.parametrize("name", ["slow", "gpu", "capture", "docker", "parametrize", "usefixtures"])
def test_other_markers_do_not_decide(sel, name):
    assert sel.skip_reason(manifest(), marks(name)) is None
    assert not sel.needs_manifest(marks(name))


def test_needs_manifest_only_for_components_and_variants(sel):
    assert sel.needs_manifest(marks("gpu", "base"))
    assert sel.needs_manifest(marks(variant=["cpu"]))
    assert not sel.needs_manifest(marks("gpu", "slow"))


def test_variant_marker(sel):
    cpu_only = marks("python_envs", variant=["cpu"])
    gpu_image = manifest("base", "python_envs", variant="gpu")
    assert sel.skip_reason(manifest("base", "python_envs"), cpu_only) is None
    reason = sel.skip_reason(gpu_image, cpu_only)
    assert reason == "for the cpu variant; this image is the gpu variant (manifest)"
    assert sel.skip_reason(gpu_image, marks(variant=["cpu", "gpu"])) is None


def test_variant_unrecorded_runs_the_test(sel):
    # Not skipped: the test runs, and test_base.py fails on the manifest.
    assert sel.skip_reason({"image": {}, "roles": ["base"]}, marks(variant=["cpu"])) is None


def test_absent_component_wins_over_variant(sel):
    reason = sel.skip_reason(manifest("base", variant="gpu"), marks("python_envs", variant=["cpu"]))
    assert reason.startswith("the image lacks python_envs")


def test_applied_component_without_fragment_is_not_skipped(sel):
    # site.yml applied r, but the r role wrote no fragment: its tests run (and fail).
    broken = manifest("base", "python_envs", components=["base", "python_envs", "r"])
    assert sel.skip_reason(broken, marks("r")) is None
    assert sel.components_without_fragment(broken) == ["r"]


def test_components_without_fragment(sel):
    assert sel.components_without_fragment(manifest("base")) == []  # no image.components: roles rule
    whole = manifest("base", "python_envs", components=["base", "python_envs"])
    assert sel.components_without_fragment(whole) == []
    assert sel.components_without_fragment(manifest(components=["cuda", "base"])) == ["base", "cuda"]
    # A role may write a fragment without site.yml listing it (a role's own playbook).
    assert sel.components_without_fragment(manifest("base", "r", components=["base"])) == []


def test_manifest_without_roles_skips_every_component(sel):
    reason = sel.skip_reason({"image": {"variant": "cpu"}}, marks("base"))
    assert reason == "the image lacks base: no manifest fragment of role(s) base (manifest roles: none)"


def test_every_registered_marker_is_classified(sel, repo_root):
    """A marker added to pyproject.toml must say whether the manifest decides it."""
    config = tomllib.loads((repo_root / "pyproject.toml").read_text())
    registered = config["tool"]["pytest"]["ini_options"]["markers"]
    names = {m.split(":")[0].split("(")[0].strip() for m in registered}
    known = set(sel.COMPONENT_ROLES) | set(sel.STATE_MARKERS) | set(sel.OTHER_MARKERS)
    assert names == known, f"unclassified: {sorted(names - known)}; not registered: {sorted(known - names)}"
    assert set(sel.STATE_MARKERS) == {"gpu", "capture"}


def test_component_roles_are_roles_of_the_collection(sel, repo_root):
    roles = {p.name for p in (repo_root / "roles").iterdir() if (p / "tasks").is_dir()}
    for marker, needed in sel.COMPONENT_ROLES.items():
        assert needed and set(needed) <= roles, (marker, needed)

"""Which acceptance tests apply to a host: read from the image's own manifest.

A test names what it checks with component markers (`base`, `r`, `gpu_build`
...). It applies to an image when every role behind each of its component
markers wrote its manifest fragment (`manifest["roles"]`), so a test of a
component the image does not have skips itself, with the reason, wherever the
suite runs: no marker expression has to say again what the image holds.

Two markers are conditions of the host's state that no manifest can tell, and
stay for `-m` to choose: `capture` (true only right after playbooks/cleanup.yml)
and `gpu` (needs a real NVIDIA GPU). `variant("cpu")` / `variant("gpu")` makes a
test apply to one variant of the image (`manifest["image"]["variant"]`).

A role that should be there but wrote no fragment must not hide its tests:
site.yml records the components it applied (`manifest["image"]["components"]`);
a component listed there counts as present, so its tests run (and fail), and
test_base.py fails naming it. Where that key is absent (a host built by one
role's playbook) the roles list is the truth.

Pure functions of plain data, so tests/unit can check them without a host.
"""

from collections.abc import Iterable

# Component marker -> the roles whose manifest fragments the test needs (all of them).
COMPONENT_ROLES: dict[str, tuple[str, ...]] = {
    "base": ("base",),
    "python_envs": ("python_envs",),
    "jupyterhub": ("jupyterhub",),
    "r": ("r",),
    "code_server": ("code_server",),
    "conda": ("conda",),
    "samples": ("samples",),
    # The gpu variant's system layer: the driver and CUDA roles. The checks of
    # Docker's NVIDIA runtime also carry `container_runtime`.
    "gpu_build": ("nvidia_driver", "cuda"),
    "container_runtime": ("container_runtime",),
}

# Markers that are not components: conditions of the host's state (chosen with -m:
# the manifest cannot tell them) and properties of the test itself.
STATE_MARKERS = ("capture", "gpu")
OTHER_MARKERS = ("slow", "docker", "variant")

VARIANT_MARKER = "variant"


def present_roles(manifest: dict) -> set[str]:
    """Roles the image has: those that wrote a fragment, and the components
    site.yml says it applied (so a missing fragment fails instead of skipping)."""
    image = manifest.get("image") or {}
    return set(manifest.get("roles") or ()) | set(image.get("components") or ())


def components_without_fragment(manifest: dict) -> list[str]:
    """Components site.yml applied (manifest image.components) whose role wrote
    no fragment; [] where the manifest does not list the applied components."""
    applied = (manifest.get("image") or {}).get("components") or ()
    roles = set(manifest.get("roles") or ())
    return sorted(c for c in applied if c not in roles)


def skip_reason(manifest: dict, markers: Iterable[tuple[str, tuple]]) -> str | None:
    """Why a test with MARKERS ((name, args) pairs) does not apply to the image
    the MANIFEST describes, or None when it applies."""
    markers = list(markers)
    present = present_roles(manifest)
    lacking, missing = [], []
    for name, _ in markers:
        roles = [role for role in COMPONENT_ROLES.get(name, ()) if role not in present]
        if roles and name not in lacking:
            lacking.append(name)
            missing += [role for role in roles if role not in missing]
    if lacking:
        have = ", ".join(sorted(manifest.get("roles") or ())) or "none"
        return (
            f"the image lacks {', '.join(lacking)}: no manifest fragment of role(s) "
            f"{', '.join(missing)} (manifest roles: {have})"
        )
    variant = (manifest.get("image") or {}).get("variant")
    for name, args in markers:
        # An image that records no variant runs the test: test_base.py fails on it.
        if name == VARIANT_MARKER and variant is not None and variant not in args:
            return f"for the {' or '.join(args)} variant; this image is the {variant} variant (manifest)"
    return None


def needs_manifest(markers: Iterable[tuple[str, tuple]]) -> bool:
    """Whether the test's markers make its applying depend on the manifest. A test
    with none (the `gpu` checks, which also run on machines that are no DSVM) is
    never asked for one."""
    return any(name in COMPONENT_ROLES or name == VARIANT_MARKER for name, _ in markers)

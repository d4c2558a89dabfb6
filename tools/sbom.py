#!/usr/bin/env python3
"""Write an image's SBOM in CycloneDX (JSON, spec 1.6) with cyclonedx-python-lib.

    tools/sbom.py COLLECTED.json OUT.cdx.json

COLLECTED.json is what playbooks/sbom.yml gathered on the machine, raw:
    {"image": {name, version, variant, distribution},
     "dpkg": "STATUS\tPACKAGE\tVERSION\tARCH lines (dpkg-query)",
     "python": {ENV: [INTERPRETER, "JSON list of [name, version]"]},
     "npm": {PATH of node_modules/.package-lock.json: "its content, base64"},
     "npm_packages": "JSON lines {path, name, version}: every package.json at
                      a package root under node_modules (tools/sbom_gather.py npm)",
     "conda": "JSON lines {env, name, version, build, channel, subdir, fn, md5,
               sha256}: conda-meta/*.json of each conda environment (... conda)",
     "julia": {"version", "home", "manifests": "JSON lines {path, content
               (base64)}: each depot environment's Manifest.toml (... julia)"},
     "r": "PACKAGE\tVERSION lines (Rscript)"}
Every key but image may be missing (nothing of that kind in the image).
Each package becomes a component with a package URL (pkg:deb, pkg:pypi,
pkg:npm, pkg:conda, pkg:julia, pkg:generic/julia for Julia itself, pkg:cran)
and properties naming where it lives (the Python environment, the npm tree,
the conda environment, the Julia environment). npm packages come from the
hidden lock of each top-level tree; a package.json that no such lock lists
(the nested trees npm did not record, e.g. code-server's lib/vscode and its
extensions) adds a component of its own, one per package directory. The
output is checked against CycloneDX's JSON schema before it is written; a
failure names the first error.
"""

import base64
import json
import re
import sys
import tomllib
from pathlib import Path

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

SRI = {"sha512": HashAlgorithm.SHA_512, "sha256": HashAlgorithm.SHA_256, "sha1": HashAlgorithm.SHA_1}
HEX_DIGITS = {HashAlgorithm.MD5: 32, HashAlgorithm.SHA_256: 64}
# Channels by name where the URL is conda's default for it.
CONDA_CHANNEL_HOSTS = ("https://conda.anaconda.org/", "http://conda.anaconda.org/")
CONDA_DEFAULTS = ("https://repo.anaconda.com/pkgs/", "http://repo.anaconda.com/pkgs/")


def prop(name: str, value: str) -> Property:
    return Property(name=f"dsvm:{name}", value=value)


def deb_components(rows, distro: str):
    for name, version, arch in rows:
        purl = PackageURL("deb", distro, name, version, {"arch": arch})
        yield Component(name=name, version=version, purl=purl, bom_ref=purl.to_string(),
                        properties=[prop("source", "dpkg")])  # fmt: skip


def python_components(envs: dict):
    for env, data in sorted(envs.items()):
        for name, version in sorted(data["packages"]):
            purl = PackageURL("pypi", None, name.lower().replace("_", "-"), version)
            yield Component(name=name, version=version, purl=purl, bom_ref=f"{purl.to_string()}#{env}",
                            properties=[prop("python_env", env), prop("path", data["path"])])  # fmt: skip


def npm_components(trees: dict):
    for tree, lock in sorted(trees.items()):
        for key, meta in sorted(lock.get("packages", {}).items()):
            if not key or "version" not in meta:
                continue
            full = key.rsplit("node_modules/", 1)[-1]
            namespace, _, name = full.rpartition("/")
            purl = PackageURL("npm", namespace or None, name, meta["version"])
            hashes = []
            algo, _, digest = meta.get("integrity", "").partition("-")
            if algo in SRI and digest:
                hashes.append(HashType(alg=SRI[algo], content=base64.b64decode(digest).hex()))
            ref = f"{purl.to_string()}#{tree}/{key}"
            yield Component(name=full, version=meta["version"], purl=purl, bom_ref=ref,
                            hashes=hashes, properties=[prop("npm_tree", tree)])  # fmt: skip


def npm_lock_paths(trees: dict) -> set:
    """The package directories the hidden locks list (TREE/node_modules/...)."""
    return {f"{tree}/{key}" for tree, lock in trees.items() for key in lock.get("packages", {}) if key}


def npm_package_components(rows, covered: set):
    """Packages found by their package.json that no hidden lock lists, one per
    directory."""
    found = {row["path"]: row for row in rows if row.get("path") and row.get("version")}
    for path, row in sorted(found.items()):
        if path in covered:
            continue
        tree, _, full = path.rpartition("/node_modules/")
        full = row.get("name") or full
        namespace, _, name = full.rpartition("/")
        purl = PackageURL("npm", namespace or None, name, row["version"])
        yield Component(name=full, version=row["version"], purl=purl, bom_ref=f"{purl.to_string()}#{path}",
                        properties=[prop("npm_tree", tree), prop("path", path),
                                    prop("source", "package.json")])  # fmt: skip


def conda_channel(channel: str, subdir: str) -> str:
    """conda-meta's channel (a URL, with or without the subdir, or a name) as
    the purl's channel: the name where conda would spell it so, else the URL."""
    channel = channel.rstrip("/")
    if subdir and channel.endswith("/" + subdir):
        channel = channel[: -len(subdir) - 1]
    for base in CONDA_CHANNEL_HOSTS:
        if channel.startswith(base):
            return channel[len(base) :]
    if channel.startswith(CONDA_DEFAULTS):
        return channel.rsplit("/", 1)[-1]
    return channel


def conda_components(rows):
    for row in rows:
        qualifiers = {"build": row.get("build"), "subdir": row.get("subdir")}
        if row.get("channel"):
            qualifiers["channel"] = conda_channel(row["channel"], row.get("subdir", ""))
        fn = row.get("fn", "")
        if fn.endswith((".conda", ".tar.bz2")):
            qualifiers["type"] = "conda" if fn.endswith(".conda") else "tar.bz2"
        qualifiers = {k: v for k, v in qualifiers.items() if v}
        purl = PackageURL("conda", None, row["name"], row["version"], qualifiers or None)
        hashes = [
            HashType(alg=alg, content=row[key].lower())
            for key, alg in (("md5", HashAlgorithm.MD5), ("sha256", HashAlgorithm.SHA_256))
            if re.fullmatch(f"[0-9a-fA-F]{{{HEX_DIGITS[alg]}}}", row.get(key, ""))
        ]
        properties = [prop("conda_env", row["env"])]
        if row.get("channel"):
            properties.append(prop("conda_channel", row["channel"]))
        yield Component(name=row["name"], version=row["version"], purl=purl,
                        bom_ref=f"{purl.to_string()}#{row['env']}", hashes=hashes,
                        properties=properties)  # fmt: skip


def julia_manifest_deps(manifest: dict):
    """(name, entry) of a Manifest.toml: format 2 keeps them under [deps],
    format 1 at the top level."""
    deps = manifest["deps"] if "manifest_format" in manifest else manifest
    for name, entries in sorted(deps.items()):
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict):
                    yield name, entry


def julia_components(julia: dict):
    if julia.get("version"):
        purl = PackageURL("generic", None, "julia", julia["version"])
        home = julia.get("home", "")
        yield Component(name="julia", version=julia["version"], purl=purl,
                        bom_ref=f"{purl.to_string()}#{home}", type=ComponentType.APPLICATION,
                        properties=[prop("source", "julia"), prop("path", home)])  # fmt: skip
    for path, manifest in sorted(julia.get("manifests", {}).items()):
        env = path.rpartition("/")[0]
        for name, entry in julia_manifest_deps(manifest):
            version = entry.get("version")
            uuid = entry.get("uuid")
            purl = PackageURL("julia", None, name, version, {"uuid": uuid} if uuid else None)
            properties = [prop("julia_env", env), prop("path", path)]
            if entry.get("git-tree-sha1"):
                properties.append(prop("git_tree_sha1", entry["git-tree-sha1"]))
            yield Component(name=name, version=version, purl=purl, bom_ref=f"{purl.to_string()}#{env}",
                            properties=properties)  # fmt: skip


def r_components(rows):
    for name, version in rows:
        purl = PackageURL("cran", None, name, version)
        yield Component(name=name, version=version, purl=purl, bom_ref=f"{purl.to_string()}#r",
                        properties=[prop("source", "R library")])  # fmt: skip


def parse(collected: dict) -> dict:
    """The raw lists of playbooks/sbom.yml as rows (installed Debian packages only)."""
    lines = collected.get("dpkg", "").splitlines()
    deb = [line.split("\t")[1:4] for line in lines if line.startswith("ii")]
    python = {
        env: {"path": interpreter, "packages": json.loads(listing)}
        for env, (interpreter, listing) in collected.get("python", {}).items()
    }
    npm = {
        path.removesuffix("/node_modules/.package-lock.json"): json.loads(base64.b64decode(content))
        for path, content in collected.get("npm", {}).items()
    }
    r = [line.split("\t")[:2] for line in collected.get("r", "").splitlines() if "\t" in line]
    julia = dict(collected.get("julia") or {})
    julia["manifests"] = {
        row["path"]: tomllib.loads(base64.b64decode(row["content"]).decode())
        for row in json_lines(julia.get("manifests", ""))
    }
    return {
        "image": collected["image"], "deb": deb, "python": python, "npm": npm,
        "npm_packages": json_lines(collected.get("npm_packages", "")),
        "conda": json_lines(collected.get("conda", "")), "julia": julia, "r": r,
    }  # fmt: skip


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def build(collected: dict) -> str:
    collected = parse(collected)
    image = collected["image"]
    bom = Bom()
    refs: set = set()
    bom.metadata.component = Component(
        name=image["name"], version=image["version"], type=ComponentType.OPERATING_SYSTEM,
        bom_ref="image", properties=[prop("variant", image["variant"])],
    )  # fmt: skip
    for part in (
        deb_components(collected.get("deb", []), image.get("distribution", "debian")),
        python_components(collected.get("python", {})),
        npm_components(collected["npm"]),
        npm_package_components(collected["npm_packages"], npm_lock_paths(collected["npm"])),
        conda_components(collected["conda"]),
        julia_components(collected["julia"]),
        r_components(collected.get("r", [])),
    ):
        for component in part:
            # bom-refs are unique: the first of a repeated one stays.
            if component.bom_ref.value not in refs:
                refs.add(component.bom_ref.value)
                bom.components.add(component)
    text = JsonV1Dot6(bom).output_as_string(indent=1)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error:
        raise SystemExit(f"sbom: the SBOM does not validate against CycloneDX 1.6: {error}")
    return text


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source, out = map(Path, args)
    try:
        collected = json.loads(source.read_text())
    except (OSError, ValueError) as e:
        print(f"sbom: cannot read {source}: {e}", file=sys.stderr)
        return 2
    text = build(collected)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    counts = json.loads(text).get("components", [])
    print(f"sbom: {out}: {len(counts)} components")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write an image's SBOM in CycloneDX (JSON, spec 1.6) with cyclonedx-python-lib.

    tools/sbom.py COLLECTED.json OUT.cdx.json

COLLECTED.json is what playbooks/sbom.yml gathered on the machine, raw:
    {"image": {name, version, variant, distribution},
     "dpkg": "STATUS\tPACKAGE\tVERSION\tARCH lines (dpkg-query)",
     "python": {ENV: [INTERPRETER, "JSON list of [name, version]"]},
     "npm": {PATH of node_modules/.package-lock.json: "its content, base64"},
     "r": "PACKAGE\tVERSION lines (Rscript)"}
Each package becomes a component with a package URL (pkg:deb, pkg:pypi,
pkg:npm, pkg:cran) and properties naming where it lives (the Python
environment, the npm tree). The output is checked against CycloneDX's JSON
schema before it is written; a failure names the first error.
"""

import base64
import json
import sys
from pathlib import Path

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

SRI = {"sha512": HashAlgorithm.SHA_512, "sha256": HashAlgorithm.SHA_256, "sha1": HashAlgorithm.SHA_1}


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
    return {"image": collected["image"], "deb": deb, "python": python, "npm": npm, "r": r}


def build(collected: dict) -> str:
    collected = parse(collected)
    image = collected["image"]
    bom = Bom()
    bom.metadata.component = Component(
        name=image["name"], version=image["version"], type=ComponentType.OPERATING_SYSTEM,
        bom_ref="image", properties=[prop("variant", image["variant"])],
    )  # fmt: skip
    for part in (
        deb_components(collected.get("deb", []), image.get("distribution", "debian")),
        python_components(collected.get("python", {})),
        npm_components(collected.get("npm", {})),
        r_components(collected.get("r", [])),
    ):
        for component in part:
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

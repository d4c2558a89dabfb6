"""tools/sbom.py: the raw lists playbooks/sbom.yml gathers become a CycloneDX
1.6 document that validates against the schema, one component per package
with its package URL. Plain pytest, no host."""

import base64
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "sbom.py"

COLLECTED = {
    "image": {"name": "dsvm", "version": "dev", "variant": "cpu", "distribution": "debian"},
    "dpkg": "ii \tbash\t5.2.15-2+b7\tamd64\nrc \told-package\t1.0\tamd64\nii \tadduser\t3.134\tall\n",
    "python": {
        "default": [
            "/opt/dsvm/envs/default/bin/python",
            json.dumps([["numpy", "2.4.6"], ["scikit_learn", "1.9.1"]]),
        ],
        "jupyterhub": ["/opt/dsvm/envs/jupyterhub/bin/python", json.dumps([["numpy", "2.4.6"]])],
    },
    "npm": {
        "/opt/dsvm/node/node_modules/.package-lock.json": base64.b64encode(
            json.dumps(
                {
                    "packages": {
                        "": {"name": "x"},
                        "node_modules/configurable-http-proxy": {
                            "version": "4.6.3",
                            "integrity": "sha512-" + base64.b64encode(b"\x01" * 64).decode(),
                        },
                        "node_modules/@colors/colors": {"version": "1.6.0"},
                    }
                }
            ).encode()
        ).decode(),
    },
    "r": "ggplot2\t3.5.1\nMASS\t7.3-60\n",
}


def run(tmp_path, collected):
    src, out = tmp_path / "collected.json", tmp_path / "sbom.cdx.json"
    src.write_text(json.dumps(collected) if isinstance(collected, dict) else collected)
    res = subprocess.run([sys.executable, str(TOOL), str(src), str(out)], capture_output=True, text=True)
    return res, out


def test_every_package_is_a_component_with_its_purl(tmp_path):
    res, out = run(tmp_path, COLLECTED)
    assert res.returncode == 0, res.stderr
    bom = json.loads(out.read_text())
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert bom["metadata"]["component"]["name"] == "dsvm"
    purls = sorted(c["purl"] for c in bom["components"])
    assert purls == sorted(
        [
            "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64",
            "pkg:deb/debian/adduser@3.134?arch=all",
            "pkg:pypi/numpy@2.4.6",
            "pkg:pypi/scikit-learn@1.9.1",
            "pkg:pypi/numpy@2.4.6",
            "pkg:npm/configurable-http-proxy@4.6.3",
            "pkg:npm/%40colors/colors@1.6.0",
            "pkg:cran/ggplot2@3.5.1",
            "pkg:cran/MASS@7.3-60",
        ]
    ), purls
    chp = next(c for c in bom["components"] if c["name"] == "configurable-http-proxy")
    assert chp["hashes"] == [{"alg": "SHA-512", "content": "01" * 64}]
    props = [p for c in bom["components"] for p in c.get("properties", [])]
    envs = {p["value"] for p in props if p["name"] == "dsvm:python_env"}
    assert envs == {"default", "jupyterhub"}


def test_unreadable_input_is_named(tmp_path):
    res, _ = run(tmp_path, "{not json")
    assert res.returncode == 2 and "collected.json" in res.stderr


def test_packer_gives_the_docker_connection_in_the_inventory():
    """sbom.yml runs tasks on the controller (delegate_to: localhost). An
    ansible_connection passed as an extra var applies to localhost too and
    sends those tasks into the build container (a CI failure); the docker
    source's connection belongs in the inventory."""
    hcl = (ROOT / "packer" / "build.pkr.hcl").read_text()
    args = [line for line in hcl.splitlines() if "extra_arguments" in line or '"--extra-vars"' in line]
    assert args, "no extra_arguments found in packer/build.pkr.hcl"
    assert not [a for a in args if "ansible_connection" in a or "ansible_host" in a], args
    assert hcl.count("inventory_file_template = local.docker_inventory") == 3

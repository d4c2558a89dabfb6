"""tools/sbom.py: the raw lists playbooks/sbom.yml gathers become a CycloneDX
1.6 document that validates against the schema, one component per package
with its package URL; tools/sbom_gather.py, which gathers conda-meta, npm
package.json files and Julia manifests on the machine, run on a made-up tree.
Plain pytest, no host, but for the last test (marker docker): playbooks/sbom.yml
against a container holding such a tree."""

import base64
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dockerplay import run_playbook

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "sbom.py"
GATHER = ROOT / "tools" / "sbom_gather.py"

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


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def json_lines(*rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def components(tmp_path, collected) -> list:
    res, out = run(tmp_path, collected)
    assert res.returncode == 0, res.stderr
    found = json.loads(out.read_text())["components"]
    refs = [c["bom-ref"] for c in found]
    assert len(refs) == len(set(refs)), "bom-refs repeat"
    return found


def props(component) -> dict:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


IMAGE = COLLECTED["image"]
MD5, SHA256 = "ab" * 16, "CD" * 32


def test_conda_environments_packages(tmp_path):
    """Each conda-meta record is a pkg:conda component of its environment, with
    build, channel (by name where conda would name it), subdir and package
    type, and its md5 and sha256; the same package in two environments is two
    components."""
    conda = json_lines(
        {"env": "/opt/dsvm/conda", "name": "python", "version": "3.12.8", "build": "h9e4cc4f_1_cpython",
         "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
         "fn": "python-3.12.8-h9e4cc4f_1_cpython.conda", "md5": MD5, "sha256": SHA256},
        {"env": "/opt/dsvm/conda/envs/analysis", "name": "python", "version": "3.12.8",
         "build": "h9e4cc4f_1_cpython", "channel": "conda-forge", "subdir": "linux-64",
         "fn": "python-3.12.8-h9e4cc4f_1_cpython.tar.bz2"},
        # A second record of the same package in the same environment (a stale
        # conda-meta file): one component, the first.
        {"env": "/opt/dsvm/conda", "name": "python", "version": "3.12.8", "build": "h9e4cc4f_1_cpython",
         "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
         "fn": "python-3.12.8-h9e4cc4f_1_cpython.conda", "md5": "ef" * 16},
        {"env": "/opt/dsvm/conda/envs/analysis", "name": "_libgcc_mutex", "version": "0.1",
         "build": "conda_forge", "channel": "https://mirror.example/conda/conda-forge/noarch",
         "subdir": "noarch", "md5": "not-a-digest"},
    )  # fmt: skip
    found = [c for c in components(tmp_path, {"image": IMAGE, "conda": conda}) if "pkg:conda/" in c["purl"]]
    assert sorted(c["purl"] for c in found) == sorted(
        [
            "pkg:conda/python@3.12.8?build=h9e4cc4f_1_cpython&channel=conda-forge&subdir=linux-64&type=conda",
            "pkg:conda/python@3.12.8?build=h9e4cc4f_1_cpython&channel=conda-forge&subdir=linux-64&type=tar.bz2",
            "pkg:conda/_libgcc_mutex@0.1?build=conda_forge"
            "&channel=https://mirror.example/conda/conda-forge&subdir=noarch",
        ]
    ), [c["purl"] for c in found]
    base = next(c for c in found if props(c)["dsvm:conda_env"] == "/opt/dsvm/conda")
    assert base["hashes"] == [{"alg": "MD5", "content": MD5}, {"alg": "SHA-256", "content": SHA256.lower()}]
    assert props(base)["dsvm:conda_channel"] == "https://conda.anaconda.org/conda-forge/linux-64"
    envs = sorted(props(c)["dsvm:conda_env"] for c in found)
    assert envs == ["/opt/dsvm/conda", "/opt/dsvm/conda/envs/analysis", "/opt/dsvm/conda/envs/analysis"]
    mutex = next(c for c in found if c["name"] == "_libgcc_mutex")
    assert "hashes" not in mutex  # a malformed md5 is left out, not written


MANIFEST_V2 = """\
julia_version = "1.11.7"
manifest_format = "2.0"
project_hash = "0123"

[[deps.IJulia]]
deps = ["Base64", "ZMQ"]
git-tree-sha1 = "1b1299f7d6617291f3d260e9f5b0250afdaac8c0"
uuid = "7073ff75-c697-5162-941a-fcdaad2a7d2a"
version = "1.26.0"

[[deps.Base64]]
uuid = "2a0f44e3-6c83-55bd-87e4-b1978d98bd5f"
version = "1.11.0"

[[deps.Dates]]
uuid = "ade2ca70-3891-5945-98fb-dc099432e06a"

[[deps.ZMQ]]
git-tree-sha1 = "18cfd00df3cbbebf8ea4ec7ea6bbceb3af716bd0"
uuid = "c2297ded-f4af-51ae-bb23-16f91089e4e1"
version = "1.4.0"
"""

MANIFEST_V1 = """\
[[JSON]]
deps = ["Dates"]
git-tree-sha1 = "31e996f0a15c7b280ba9f76636b3ff9e2ae58c9a"
uuid = "682c06a0-de6a-54ab-a142-c8b1cf79cde6"
version = "0.21.4"
"""


def test_julia_and_its_depots_packages(tmp_path):
    """Julia itself is a component (pkg:generic/julia); each entry of each
    environment's Manifest.toml (format 2 under [deps], format 1 at the top
    level) a pkg:julia one with its uuid, named by its environment. A standard
    library without a version in the manifest has none in the SBOM either."""
    julia = {
        "version": "1.11.7",
        "home": "/opt/julia-1.11.7",
        "manifests": json_lines(
            {"path": "/opt/dsvm/julia-depot/environments/dsvm/Manifest.toml", "content": b64(MANIFEST_V2)},
            {"path": "/opt/dsvm/julia-depot/environments/old/Manifest.toml", "content": b64(MANIFEST_V1)},
        ),
    }
    found = components(tmp_path, {"image": IMAGE, "julia": julia})
    assert sorted(c["purl"] for c in found) == sorted(
        [
            "pkg:generic/julia@1.11.7",
            "pkg:julia/IJulia@1.26.0?uuid=7073ff75-c697-5162-941a-fcdaad2a7d2a",
            "pkg:julia/Base64@1.11.0?uuid=2a0f44e3-6c83-55bd-87e4-b1978d98bd5f",
            "pkg:julia/Dates?uuid=ade2ca70-3891-5945-98fb-dc099432e06a",
            "pkg:julia/ZMQ@1.4.0?uuid=c2297ded-f4af-51ae-bb23-16f91089e4e1",
            "pkg:julia/JSON@0.21.4?uuid=682c06a0-de6a-54ab-a142-c8b1cf79cde6",
        ]
    ), [c["purl"] for c in found]
    ijulia = next(c for c in found if c["name"] == "IJulia")
    assert props(ijulia)["dsvm:julia_env"] == "/opt/dsvm/julia-depot/environments/dsvm"
    assert props(ijulia)["dsvm:git_tree_sha1"] == "1b1299f7d6617291f3d260e9f5b0250afdaac8c0"
    julia_itself = next(c for c in found if c["name"] == "julia")
    assert (julia_itself["type"], props(julia_itself)["dsvm:path"]) == ("application", "/opt/julia-1.11.7")
    assert "version" not in next(c for c in found if c["name"] == "Dates")


CS = "/opt/dsvm/code-server"
LOCKED = "sha512-" + base64.b64encode(b"\x02" * 64).decode()
VSCODE = f"{CS}/node_modules/code-server/lib/vscode"


def test_nested_npm_trees_no_lock_lists(tmp_path):
    """A package.json that the hidden lock of its tree lists adds nothing (the
    lock's component stays, with its hash); one that no lock lists (code-
    server's lib/vscode, its extensions' trees, a scoped package) is a
    component of its own, once per directory, named by its tree."""
    lock = {
        "packages": {
            "": {"name": "cs"},
            "node_modules/code-server": {"version": "4.139.1", "integrity": "sha512-" + b64("x" * 64)},
            "node_modules/code-server/node_modules/argon2": {"version": "0.41.1"},
            # An alias: the lock names it by its directory, its package.json by the real name.
            "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3"},
        }
    }
    packages = json_lines(
        {"path": f"{CS}/node_modules/code-server", "name": "code-server", "version": "4.139.1"},
        {"path": f"{CS}/node_modules/code-server/node_modules/argon2", "name": "argon2", "version": "0.41.1"},
        {"path": f"{CS}/node_modules/string-width-cjs", "name": "string-width", "version": "4.2.3"},
        {"path": f"{VSCODE}/node_modules/@vscode/ripgrep", "name": "@vscode/ripgrep", "version": "1.15.11"},
        {"path": f"{VSCODE}/node_modules/@vscode/ripgrep", "name": "@vscode/ripgrep", "version": "1.15.11"},
        {"path": f"{VSCODE}/node_modules/semver", "name": "semver", "version": "7.6.3"},
        {"path": f"{VSCODE}/extensions/git/node_modules/semver", "name": "semver", "version": "7.6.3"},
        {"path": f"{VSCODE}/node_modules/aliased", "name": "", "version": "1.0.0"},
    )
    collected = {
        "image": IMAGE,
        "npm": {f"{CS}/node_modules/.package-lock.json": b64(json.dumps(lock))},
        "npm_packages": packages,
    }
    found = components(tmp_path, collected)
    assert sorted(c["purl"] for c in found) == sorted(
        [
            "pkg:npm/code-server@4.139.1",
            "pkg:npm/argon2@0.41.1",
            "pkg:npm/string-width-cjs@4.2.3",
            "pkg:npm/%40vscode/ripgrep@1.15.11",
            "pkg:npm/semver@7.6.3",
            "pkg:npm/semver@7.6.3",
            "pkg:npm/aliased@1.0.0",
        ]
    ), [c["purl"] for c in found]
    cs = next(c for c in found if c["name"] == "code-server")
    assert cs["hashes"][0]["alg"] == "SHA-512" and props(cs)["dsvm:npm_tree"] == CS
    trees = sorted(props(c)["dsvm:npm_tree"] for c in found if props(c).get("dsvm:source") == "package.json")
    assert trees == [VSCODE, VSCODE, VSCODE, f"{VSCODE}/extensions/git"], trees


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def lay_tree(root: Path) -> None:
    """A made-up machine under ROOT: a conda base with one environment, a
    Python environment that is no conda one, a Julia depot, and code-server's
    npm tree with nested trees no lock lists."""
    for env, pkgs in {"conda": ["python", "openssl"], "conda/envs/analysis": ["numpy"]}.items():
        for name in pkgs:
            record = {"name": name, "version": "1.0", "build": "h0_0", "subdir": "linux-64",
                      "channel": "https://conda.anaconda.org/conda-forge/linux-64",
                      "fn": f"{name}-1.0-h0_0.conda", "md5": MD5, "files": ["a"] * 3}  # fmt: skip
            write(root / env / "conda-meta" / f"{name}-1.0-h0_0.json", json.dumps(record))
        write(root / env / "conda-meta" / "history", "==> 2026 <==\n")
    write(root / "conda" / "conda-meta" / "broken.json", "{not json")
    write(root / "envs/default/bin/python", "")
    depot = root / "julia-depot" / "environments"
    write(depot / "dsvm" / "Manifest.toml", MANIFEST_V2)
    write(depot / "dsvm" / "Project.toml", "[deps]\n")
    write(depot / "v1.11" / "Manifest-v1.11.toml", MANIFEST_V1)
    nm = root / "code-server" / "node_modules"
    write(
        nm / ".package-lock.json",
        json.dumps({"packages": {"node_modules/code-server": {"version": "4.139.1", "integrity": LOCKED}}}),
    )
    for pkg, version in {
        "code-server": "4.139.1",
        "code-server/lib/vscode/node_modules/@vscode/ripgrep": "1.15.11",
        "code-server/lib/vscode/node_modules/semver": "7.6.3",
        "code-server/lib/vscode/extensions/git/node_modules/semver": "7.6.3",
        "code-server/lib/vscode/node_modules/semver/node_modules/lru-cache": "6.0.0",
    }.items():
        write(
            nm / pkg / "package.json",
            json.dumps({"name": pkg.rsplit("node_modules/", 1)[-1], "version": version}),
        )
    # Not package roots, or not packages: left out.
    write(
        nm / "code-server/lib/vscode/package.json", json.dumps({"name": "code-oss-dev", "version": "1.0.0"})
    )
    write(nm / "code-server/lib/vscode/node_modules/semver/dist/package.json", json.dumps({"type": "module"}))
    write(nm / ".bin/package.json", json.dumps({"name": "bin", "version": "1"}))
    write(
        nm / "code-server/lib/vscode/node_modules/noversion/package.json", json.dumps({"name": "noversion"})
    )
    (nm / "code-server/lib/vscode/node_modules/linked").symlink_to(nm / "code-server")


def gather(*args) -> list:
    res = subprocess.run(
        [sys.executable, "-c", GATHER.read_text(), *map(str, args)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_gather_reads_conda_meta_package_roots_and_julia_manifests(tmp_path):
    """tools/sbom_gather.py (as playbooks/sbom.yml runs it, python3 -c): conda's
    base and its envs/* by conda-meta/*.json (a malformed one skipped, a
    directory without conda-meta ignored); every package.json at a package
    root under node_modules, nested trees included, without following links;
    each depot environment's Manifest.toml or Manifest-vX.Y.toml. What it
    prints, fed to tools/sbom.py, is an SBOM holding all of them."""
    lay_tree(tmp_path)
    conda = gather("conda", tmp_path / "conda", tmp_path / "conda/envs/analysis", tmp_path / "envs/default")
    assert sorted((r["env"], r["name"]) for r in conda) == [
        (str(tmp_path / "conda"), "openssl"),
        (str(tmp_path / "conda"), "python"),
        (str(tmp_path / "conda/envs/analysis"), "numpy"),
    ]
    assert conda[0]["md5"] == MD5 and "files" not in conda[0]
    npm = gather("npm", tmp_path / "code-server", tmp_path)
    nm = f"{tmp_path}/code-server/node_modules"
    assert sorted((r["path"], r["version"]) for r in npm) == sorted(
        [
            (f"{nm}/code-server", "4.139.1"),
            (f"{nm}/code-server/lib/vscode/node_modules/@vscode/ripgrep", "1.15.11"),
            (f"{nm}/code-server/lib/vscode/node_modules/semver", "7.6.3"),
            (f"{nm}/code-server/lib/vscode/extensions/git/node_modules/semver", "7.6.3"),
            (f"{nm}/code-server/lib/vscode/node_modules/semver/node_modules/lru-cache", "6.0.0"),
        ]
    )
    julia = gather("julia", tmp_path / "julia-depot", tmp_path / "no-depot")
    depot = tmp_path / "julia-depot" / "environments"
    assert sorted(r["path"] for r in julia) == [
        str(depot / "dsvm/Manifest.toml"),
        str(depot / "v1.11/Manifest-v1.11.toml"),
    ]
    assert base64.b64decode(julia[0]["content"]).decode() == MANIFEST_V2

    collected = {
        "image": IMAGE,
        "npm": {
            f"{nm}/.package-lock.json": base64.b64encode(
                (Path(nm) / ".package-lock.json").read_bytes()
            ).decode()
        },
        "npm_packages": json_lines(*npm),
        "conda": json_lines(*conda),
        "julia": {"version": "1.11.7", "home": "/opt/julia-1.11.7", "manifests": json_lines(*julia)},
    }
    found = components(tmp_path, collected)
    kinds = sorted(c["purl"].split("/")[0] for c in found)
    assert kinds.count("pkg:conda") == 3 and kinds.count("pkg:julia") == 5 and kinds.count("pkg:npm") == 5, (
        kinds
    )
    assert "pkg:generic" in kinds
    # code-server itself from the lock (with its hash), not again from its package.json
    cs = [c for c in found if c["name"] == "code-server"]
    assert [c["hashes"] for c in cs] == [[{"alg": "SHA-512", "content": "02" * 64}]]


MANIFEST_FRAGMENTS = {
    "00-base.json": {"role": "base", "image": {"name": "dsvm", "version": "dev", "variant": "cpu"}},
    "25-conda.json": {
        "role": "conda",
        "conda_envs": {"analysis": "/opt/dsvm/conda/envs/analysis/bin/python"},
        "settings": {"prefix": "/opt/dsvm/conda"},
    },
    # Outside /opt: the code_server manifest entry's prefix is walked too.
    "40-code_server.json": {"role": "code_server", "settings": {"prefix": "/srv/code-server"}},
    "45-julia.json": {
        "role": "julia",
        "settings": {"version": "1.11.7", "home": "/opt/julia-1.11.7", "depot": "/opt/dsvm/julia-depot"},
    },
}


@pytest.mark.docker
def test_playbook_gathers_conda_julia_and_nested_npm_trees(container, repo_root, tmp_path):
    """playbooks/sbom.yml against a container that holds the made-up tree where
    the image's manifest says: conda's prefix, the Julia depot, code-server's
    prefix (outside /opt). The SBOM it keeps on the controller and stores in the
    image lists the conda environments' packages, Julia and its packages, and
    code-server's nested npm trees, besides the Debian packages."""
    tree = tmp_path / "tree"
    lay_tree(tree)
    fragments = tmp_path / "manifest.d"
    for name, entry in MANIFEST_FRAGMENTS.items():
        write(fragments / name, json.dumps(entry))
    # Laid where the manifest says; the link inside lib/vscode is made again
    # (docker cp keeps it pointing into this machine's tmp_path).
    script = textwrap.dedent(
        """
        set -eu
        mkdir -p /opt/dsvm /srv /etc/dsvm
        mv /in/conda /in/julia-depot /opt/dsvm/ && mv /in/code-server /srv/
        mv /in/manifest.d /etc/dsvm/ && install -m 0755 /in/dsvm-info /usr/local/bin/dsvm-info
        cs=/srv/code-server/node_modules/code-server
        ln -sfn $cs $cs/lib/vscode/node_modules/linked
        """
    )
    subprocess.run(["docker", "exec", container, "mkdir", "-p", "/in"], check=True)
    for src in (tree / "conda", tree / "julia-depot", tree / "code-server", fragments):
        subprocess.run(["docker", "cp", str(src), f"{container}:/in/{src.name}"], check=True)
    dsvm_info = ROOT / "roles/base/files/dsvm-info"
    subprocess.run(["docker", "cp", str(dsvm_info), f"{container}:/in/dsvm-info"], check=True)
    subprocess.run(["docker", "exec", container, "sh", "-c", script], check=True)

    out = tmp_path / "out"
    out.mkdir()
    rc, log = run_playbook(
        repo_root, container, repo_root / "playbooks" / "sbom.yml", {"dsvm_sbom_dir": str(out)}
    )
    assert rc == 0, log[-4000:]
    bom = json.loads((out / "sbom-dsvm-cpu.cdx.json").read_text())
    stored = subprocess.run(
        ["docker", "exec", container, "cat", "/etc/dsvm/sbom.cdx.json"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(stored.stdout)["components"] == bom["components"]
    found = bom["components"]
    by_kind = {}
    for c in found:
        by_kind.setdefault(c["purl"].split("/")[0], []).append(c)
    assert {props(c)["dsvm:conda_env"] for c in by_kind["pkg:conda"]} == {
        "/opt/dsvm/conda",
        "/opt/dsvm/conda/envs/analysis",
    }
    assert len(by_kind["pkg:conda"]) == 3
    assert len(by_kind["pkg:julia"]) == 5
    assert [c["purl"] for c in by_kind["pkg:generic"]] == ["pkg:generic/julia@1.11.7"]
    vscode = "/srv/code-server/node_modules/code-server/lib/vscode"
    npm = {(props(c)["dsvm:npm_tree"], c["purl"]) for c in by_kind["pkg:npm"]}
    assert npm == {
        ("/srv/code-server", "pkg:npm/code-server@4.139.1"),
        (vscode, "pkg:npm/%40vscode/ripgrep@1.15.11"),
        (vscode, "pkg:npm/semver@7.6.3"),
        (f"{vscode}/extensions/git", "pkg:npm/semver@7.6.3"),
        (f"{vscode}/node_modules/semver", "pkg:npm/lru-cache@6.0.0"),
    }, npm
    # code-server from the hidden lock of its prefix's tree (found there too)
    cs = next(c for c in by_kind["pkg:npm"] if c["name"] == "code-server")
    assert cs["hashes"] == [{"alg": "SHA-512", "content": "02" * 64}], cs
    assert len(by_kind["pkg:deb"]) > 50

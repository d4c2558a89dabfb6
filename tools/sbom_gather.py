"""What playbooks/sbom.yml reads on the machine, beyond dpkg, Python and npm's
hidden locks: run there by the system python3 (standard library only, fed on
its command line), it prints one JSON object a line for tools/sbom.py.

    python3 -c "$(cat sbom_gather.py)" conda DIR...
        every package of every conda environment (a directory holding
        conda-meta/) among DIRs and DIR/envs/*: env, name, version, build,
        channel, subdir, fn, md5, sha256 (as conda-meta/*.json records them)
    python3 -c "$(cat sbom_gather.py)" npm ROOT...
        every installed npm package under ROOTs: path (its package root, a
        directory directly under node_modules or node_modules/@scope), name,
        version (from its package.json); symbolic links are not followed
    python3 -c "$(cat sbom_gather.py)" julia DEPOT...
        every environment's manifest in DEPOT/environments/*/ (Manifest.toml,
        JuliaManifest.toml, Manifest-vX.Y.toml): path, content (base64)

A directory that does not exist yields nothing; an unreadable or malformed
file is skipped with a line on stderr.
"""

import base64
import json
import os
import sys


def out(record: dict) -> None:
    sys.stdout.write(json.dumps(record, sort_keys=True) + "\n")


def warn(path: str, error: Exception) -> None:
    sys.stderr.write(f"sbom_gather: skipped {path}: {error}\n")


def load_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        warn(path, e)
        return None


CONDA_FIELDS = ("name", "version", "build", "channel", "subdir", "fn", "md5", "sha256", "license")


def conda(dirs: list[str]) -> None:
    envs: dict[str, None] = {}
    for d in dirs:
        d = d.rstrip("/") or "/"
        candidates = [d]
        if os.path.isdir(os.path.join(d, "envs")):
            candidates += sorted(e.path for e in os.scandir(os.path.join(d, "envs")) if e.is_dir())
        for env in candidates:
            if os.path.isdir(os.path.join(env, "conda-meta")):
                envs.setdefault(os.path.realpath(env), None)
    for env in envs:
        meta = os.path.join(env, "conda-meta")
        for name in sorted(os.listdir(meta)):
            if not name.endswith(".json"):
                continue
            record = load_json(os.path.join(meta, name))
            if not isinstance(record, dict) or not record.get("name") or not record.get("version"):
                continue
            out({"env": env, **{k: str(record[k]) for k in CONDA_FIELDS if record.get(k)}})


def package_root(path: str) -> bool:
    """A directory directly under node_modules, or under node_modules/@scope."""
    parent, base = os.path.split(path)
    if base.startswith((".", "@")):
        return False
    grandparent, pbase = os.path.split(parent)
    if pbase == "node_modules":
        return True
    return pbase.startswith("@") and os.path.basename(grandparent) == "node_modules"


def npm(roots: list[str]) -> None:
    roots = [r.rstrip("/") or "/" for r in roots]
    # A root inside another is walked once, with the outer one.
    roots = [r for r in roots if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in roots)]
    stack = sorted(set(roots), reverse=True)
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except OSError:
            continue
        subdirs = sorted((e.path for e in entries if e.is_dir(follow_symlinks=False)), reverse=True)
        stack.extend(subdirs)
        has_json = any(e.name == "package.json" and e.is_file(follow_symlinks=False) for e in entries)
        if has_json and package_root(d):
            meta = load_json(os.path.join(d, "package.json"))
            if isinstance(meta, dict) and isinstance(meta.get("version"), str):
                name = meta.get("name") if isinstance(meta.get("name"), str) else ""
                out({"path": d, "name": name, "version": meta["version"]})


def julia(depots: list[str]) -> None:
    names = ("Manifest.toml", "JuliaManifest.toml")
    for depot in depots:
        environments = os.path.join(depot, "environments")
        if not os.path.isdir(environments):
            continue
        for env in sorted(e.path for e in os.scandir(environments) if e.is_dir()):
            for name in sorted(os.listdir(env)):
                versioned = name.startswith(("Manifest-v", "JuliaManifest-v")) and name.endswith(".toml")
                manifest = name in names or versioned
                path = os.path.join(env, name)
                if not manifest or not os.path.isfile(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        content = f.read()
                except OSError as e:
                    warn(path, e)
                    continue
                out({"path": path, "content": base64.b64encode(content).decode()})


def main(argv: list[str]) -> int:
    kinds = {"conda": conda, "npm": npm, "julia": julia}
    if not argv or argv[0] not in kinds:
        sys.stderr.write("usage: sbom_gather.py conda|npm|julia PATH...\n")
        return 2
    kinds[argv[0]](argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

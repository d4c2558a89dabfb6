#!/usr/bin/env python3
"""Share the bytecode of sources that several environments share.

python_envs' share step hard-links identical files of the environments,
sources (*.py) included: one inode, one mtime, for a module that several
environments pin at the same version. Each environment's bytecode was compiled
from its own copy, so it differs from the others' (co_filename names that
environment's path; importlib replaces it with the importing path on load, so
a traceback still names the environment it came from) and, once its source is
linked to another environment's copy, records a source mtime that may no longer
match (stale: recompiled in memory at every import, since users cannot write
here).

For every group of bytecode files (same interpreter tag and optimisation
level) whose sources are one inode, this links them all to one
that is valid for that inode (timestamp pyc: its recorded mtime and size match
the source; hash-based pyc: recorded as valid). A group with no valid member
(a wheel that shipped its own bytecode) gets one compiled, where this Python's
cache tag is the group's, else it is left and counted. Replacing is atomic
(link to a temporary name, then rename over).

usage: share-bytecode.py [--check] ROOT...
  --check  change nothing; exit 1 if any bytecode file is stale for its source
Prints: groups, files linked, bytes saved (counted once per inode), stale left
(bytecode of a shared source, i.e. one of several links, that does not match
it: what linking sources can cause).
"""

import os
import py_compile
import struct
import sys


def pyc_files(roots):
    for root in roots:
        for top, _dirs, files in os.walk(root):
            if os.path.basename(top) != "__pycache__":
                continue
            for name in files:
                if name.endswith(".pyc"):
                    yield os.path.join(top, name)


def source_of(pyc):
    """<dir>/__pycache__/<mod>.<tag>[.opt-N].pyc -> <dir>/<mod>.py"""
    cache_dir, name = os.path.split(pyc)
    module = name.split(".", 1)[0]
    return os.path.join(os.path.dirname(cache_dir), module + ".py")


def valid(pyc, src_stat):
    with open(pyc, "rb") as f:
        header = f.read(16)
    if len(header) < 16:
        return False
    flags, mtime, size = struct.unpack("<III", header[4:16])
    if flags & 0b1:  # hash-based: checked against the source's hash, not its mtime
        return True
    return mtime == (int(src_stat.st_mtime) & 0xFFFFFFFF) and size == (src_stat.st_size & 0xFFFFFFFF)


def main(argv):
    check = "--check" in argv
    roots = [a for a in argv if a != "--check"]
    if not roots:
        print(__doc__.split("usage: ", 1)[1].split("\n", 1)[0], file=sys.stderr)
        return 2
    for root in roots:
        if not os.path.isdir(root):
            print(f"share-bytecode: {root}: no such directory", file=sys.stderr)
            return 2

    groups = {}
    stale = []
    for pyc in pyc_files(roots):
        try:
            st = os.stat(source_of(pyc))
        except FileNotFoundError:
            continue  # bytecode without source (sourceless module): its own
        is_valid = valid(pyc, st)
        if not is_valid:
            stale.append(pyc)
        # The module's name is left out: two sources of one inode under two
        # names (TensorFlow's __init__.py and _api/v2/v2.py) compile alike.
        key = (st.st_dev, st.st_ino, os.path.basename(pyc).split(".", 1)[1])
        groups.setdefault(key, []).append((pyc, is_valid))

    def shared_stale():
        out = []
        for pyc in stale:
            st = os.stat(source_of(pyc))
            if st.st_nlink > 1 and not valid(pyc, st):
                out.append(pyc)
        return out

    if check:
        left = shared_stale()
        for pyc in left[:20]:
            print(f"stale: {pyc}")
        print(f"bytecode files: {sum(len(g) for g in groups.values())}, stale (shared source): {len(left)}")
        return 1 if left else 0

    linked = saved = compiled = 0
    shared_groups = 0
    for (_dev, _ino, tail), members in groups.items():
        if len(members) < 2:
            continue
        master = next((p for p, ok in members if ok), None)
        if master is None:
            if not tail.startswith(sys.implementation.cache_tag + "."):
                continue
            master = members[0][0]
            opt = tail.split(".opt-", 1)[1][0] if ".opt-" in tail else "0"
            py_compile.compile(
                source_of(master),
                cfile=master,
                doraise=True,
                optimize=int(opt),
                invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
            )
            compiled += 1
        shared_groups += 1
        m = os.stat(master)
        for pyc, _ok in members:
            st = os.stat(pyc)
            if (st.st_dev, st.st_ino) == (m.st_dev, m.st_ino):
                continue
            tmp = pyc + ".dsvm-link"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.link(master, tmp)
            os.replace(tmp, pyc)
            linked += 1
            if st.st_nlink == 1:
                saved += st.st_size
    print(f"groups shared: {shared_groups}")
    print(f"linked: {linked}")
    print(f"compiled: {compiled}")
    print(f"saved bytes: {saved}")
    print(f"stale left: {len(shared_stale())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

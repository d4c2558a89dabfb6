#!/usr/bin/env python3
"""Check that every role's meta/argument_specs.yml options equal its defaults.

    python tools/check_argument_specs.py roles

Exit 1 and name each role and variable that is in one file and not the other,
or a role without an argument spec.
"""

import sys
from pathlib import Path

import yaml


def check_role(role: Path) -> list[str]:
    defaults_file = role / "defaults" / "main.yml"
    spec_file = role / "meta" / "argument_specs.yml"
    if not spec_file.is_file():
        return [f"{role.name}: no meta/argument_specs.yml"]
    defaults = yaml.safe_load(defaults_file.read_text()) or {} if defaults_file.is_file() else {}
    spec = yaml.safe_load(spec_file.read_text()) or {}
    options = ((spec.get("argument_specs") or {}).get("main") or {}).get("options") or {}
    problems = [
        f"{role.name}: {name} is in defaults/main.yml but not in meta/argument_specs.yml"
        for name in sorted(set(defaults) - set(options))
    ]
    problems += [
        f"{role.name}: {name} is in meta/argument_specs.yml but not in defaults/main.yml"
        for name in sorted(set(options) - set(defaults))
    ]
    problems += [
        f"{role.name}: {name} has no description in meta/argument_specs.yml"
        for name, opt in sorted(options.items())
        if not (opt or {}).get("description")
    ]
    return problems


def main(argv: list[str]) -> int:
    roles_dir = Path(argv[1] if len(argv) > 1 else "roles")
    roles = sorted(p for p in roles_dir.iterdir() if p.is_dir())
    if not roles:
        print(f"check_argument_specs: no roles under {roles_dir}", file=sys.stderr)
        return 1
    problems = [p for role in roles for p in check_role(role)]
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"check_argument_specs: {len(roles)} role(s) consistent")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Every role has a README in the role, with the same headings in the same order
(geerlingguy's, then Testing and Limitations), a variable table that names every
public variable of its defaults/main.yml and none it does not define, and a link
from the root README.

Plain pytest: reads the repository, needs no host.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())

# The headings every role README has, in this order; Limitations follows Testing
# where a role has any. Role-specific sections are `###` under these, or `##`
# after them.
REQUIRED = ["Requirements", "Role Variables", "Dependencies", "Example Playbook", "Testing"]
OPTIONAL_LAST = "Limitations"
STANDARD = [*REQUIRED, OPTIONAL_LAST]

FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a block is no heading)."""
    lines, in_code = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        if not in_code:
            lines.append(line)
    return lines


def h2_headings(text: str) -> list[str]:
    return [line[3:].strip() for line in prose_lines(text) if line.startswith("## ")]


def heading_problems(text: str) -> list[str]:
    """What is wrong with a README's `##` headings; empty when they follow STANDARD."""
    found = h2_headings(text)
    expected = REQUIRED + ([OPTIONAL_LAST] if OPTIONAL_LAST in found else [])
    problems = []
    if found[: len(expected)] != expected:
        problems.append(f"the `##` headings must start with {expected}, found {found}")
    repeated = sorted({h for h in found if h in STANDARD and found.count(h) > 1})
    if repeated:
        problems.append(f"repeated headings: {repeated}")
    return problems


def section(text: str, heading: str) -> str:
    """The prose of one `##` section, with its `###` subsections and code blocks."""
    out, inside, in_code = [], False, False
    for line in text.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and line.startswith("## "):
            inside = line[3:].strip() == heading
            continue
        if inside:
            out.append(line)
    return "\n".join(out)


def missing_variables(text: str, variables: list[str]) -> list[str]:
    """The variables the README's Role Variables section does not name (as whole words)."""
    body = section(text, "Role Variables")
    return [v for v in variables if not re.search(rf"(?<![\w.]){re.escape(v)}(?!\w)", body)]


def table_variables(text: str, role: str) -> list[str]:
    """The role's variables (`<role>_*`) named in the first column of the Role Variables tables."""
    names = []
    for line in section(text, "Role Variables").splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            names += re.findall(rf"`({re.escape(role)}_\w+)`", cells[1])
    return names


def public_defaults(role: str) -> list[str]:
    path = ROOT / "roles" / role / "defaults" / "main.yml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text()) or {}
    return [name for name in data if not name.startswith("_")]


def readme(role: str) -> str:
    path = ROOT / "roles" / role / "README.md"
    assert path.is_file(), f"roles/{role} has no README.md"
    return path.read_text()


def test_roles_found():
    assert "base" in ROLES and len(ROLES) > 1, ROLES


@pytest.mark.parametrize("role", ROLES)
def test_role_has_a_readme_with_title_and_summary(role):
    lines = prose_lines(readme(role))
    nonblank = [line for line in lines if line.strip()]
    assert nonblank and nonblank[0] == f"# dsvm.image.{role}", (
        f"roles/{role}/README.md: first line {nonblank[:1]}"
    )
    summary = nonblank[1] if len(nonblank) > 1 else ""
    assert summary and not summary.startswith("#"), (
        f"roles/{role}/README.md: no summary before the first heading"
    )


@pytest.mark.parametrize("role", ROLES)
def test_standard_headings_in_order(role):
    assert heading_problems(readme(role)) == [], f"roles/{role}/README.md"


@pytest.mark.parametrize("role", ROLES)
def test_every_default_variable_in_role_variables(role):
    missing = missing_variables(readme(role), public_defaults(role))
    assert not missing, (
        f"roles/{role}/README.md: `## Role Variables` does not mention {missing} "
        f"(roles/{role}/defaults/main.yml)"
    )


@pytest.mark.parametrize("role", ROLES)
def test_role_variables_table_names_only_defaults(role):
    unknown = sorted(set(table_variables(readme(role), role)) - set(public_defaults(role)))
    assert not unknown, (
        f"roles/{role}/README.md documents {unknown}, which roles/{role}/defaults/main.yml does not define"
    )


def test_root_readme_links_every_role_readme():
    text = (ROOT / "README.md").read_text()
    unlinked = [r for r in ROLES if f"(roles/{r}/README.md)" not in text]
    assert not unlinked, f"README.md does not link roles/<role>/README.md for {unlinked}"


# The checks themselves: they must catch what they are for.

GOOD = """# dsvm.image.x

Summary.

## Requirements
## Role Variables

| `x_port` | `1` | |

### More

`x_user` here too.

## Dependencies
## Example Playbook

```yaml
## not a heading
x_hidden: 1
```

## Testing
## Limitations
## Extra
"""


def test_checks_accept_a_good_readme():
    assert heading_problems(GOOD) == []
    assert missing_variables(GOOD, ["x_port", "x_user"]) == []


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace("## Dependencies\n", ""),
        GOOD.replace("## Requirements\n## Role Variables\n", "## Role Variables\n## Requirements\n"),
        GOOD.replace("## Testing\n## Limitations\n", "## Limitations\n## Testing\n"),
        GOOD.replace("## Requirements\n", "## Overview\n## Requirements\n"),
        GOOD.replace("## Extra\n", "## Extra\n## Testing\n"),
    ],
    ids=["missing", "swapped", "limitations first", "extra first", "repeated"],
)
def test_heading_check_catches_drift(text):
    assert heading_problems(text)


def test_table_check_reads_only_the_first_column_of_role_variables():
    text = GOOD + "\n| `x_stale` | `x_port` |\n"  # after Role Variables: not read
    assert table_variables(text, "x") == ["x_port"]
    assert table_variables(GOOD.replace("| `x_port` |", "| `x_old`, `x_port` |"), "x") == ["x_old", "x_port"]


def test_variable_check_catches_a_missing_or_misplaced_variable():
    # x_hidden is only in a code block outside Role Variables; x_port_extra is not x_port.
    assert missing_variables(GOOD, ["x_hidden", "x_absent"]) == ["x_hidden", "x_absent"]
    assert missing_variables(GOOD.replace("`x_port`", "`x_port_extra`"), ["x_port"]) == ["x_port"]

"""Print the declared minimum versions of pyproject.toml as pins, one per line.

``scripts/test`` installs these into a second venv (the floor job): every ``name>=X`` of
``[project].dependencies`` becomes ``name==X``, plus what that minimum needs to install and
work as it did when it was released (its companions below).

``--pythons`` prints the declared Python range instead, as ``FLOOR NEWEST`` (``3.10 3.13``):
the minimum of ``requires-python`` (the floor job's interpreter) and the newest
``Programming Language :: Python :: 3.X`` classifier (the newest job's).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pytest needs tomli there; a uv-made venv has no pip
    try:
        import tomli as tomllib
    except ImportError:
        from pip._vendor import tomli as tomllib

# What a minimum needs beside it: boto3 X pins botocore to X.*, and the floor is X itself;
# pandas before 2.2.2 is built against numpy 1 and fails on numpy 2 ("numpy.dtype size
# changed"), which its metadata does not say.
COMPANIONS = {
    "boto3": lambda version: [f"botocore=={version}"],
    "pandas": lambda version: ["numpy<2"],
}


def floors(pyproject: Path) -> list[str]:
    data = tomllib.loads(pyproject.read_text())
    pins = []
    for requirement in data["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;\s]*)", requirement.strip())
        if not match:
            raise SystemExit(f"floors.py: no plain '>=' floor in {requirement!r}")
        name, version = match.groups()
        pins.append(f"{name}=={version}")
        pins.extend(COMPANIONS.get(name.lower(), lambda v: [])(version))
    return pins


def pythons(pyproject: Path) -> tuple[str, str]:
    """The oldest and the newest declared Python, ``("3.10", "3.13")``: ``requires-python``'s
    minimum and the newest version classifier, which must list every minor version between."""
    project = tomllib.loads(pyproject.read_text())["project"]
    match = re.fullmatch(r">=\s*3\.(\d+)", project["requires-python"].strip())
    if not match:
        raise SystemExit(f"floors.py: no plain '>=3.X' in {project['requires-python']!r}")
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(
        int(rest) for c in project["classifiers"] if (rest := c.removeprefix(prefix)).isdigit()
    )
    floor = int(match.group(1))
    if not minors or minors != list(range(floor, floor + len(minors))):
        listed = ", ".join(f"3.{minor}" for minor in minors) or "none"
        raise SystemExit(
            f"floors.py: the Python classifiers ({listed}) do not run from "
            f"requires-python's 3.{floor} without a gap"
        )
    return f"3.{floor}", f"3.{minors[-1]}"


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    if sys.argv[1:] == ["--pythons"]:
        print(*pythons(root / "pyproject.toml"))
    else:
        print("\n".join(floors(root / "pyproject.toml")))
    sys.exit(0)

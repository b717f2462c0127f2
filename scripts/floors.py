"""Print the declared minimum versions of pyproject.toml as pins, one per line.

``scripts/test`` installs these into a second venv (the floor job): every ``name>=X`` of
``[project].dependencies`` becomes ``name==X``, plus what that minimum needs to install and
work as it did when it was released (its companions below).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
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


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(floors(root / "pyproject.toml")))
    sys.exit(0)

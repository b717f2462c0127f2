"""Validation at the boundary: every name, region, ARN, duration and flag a user gives is
checked here, once, before any prompt, file read or network call.

Magics, the Python API and the panel call the same functions, so a value refused in one is
refused in all, with the same one-line message. Every failure is an ``AwsCredError`` naming
the problem and what to do; a value that could be a secret is never echoed (it goes through
``masking.scrub`` and is shortened).
"""

from __future__ import annotations

import builtins
import difflib
import functools
import keyword
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import AwsCredError
from .masking import one_line

# Names IPython itself keeps in the user namespace: output history and helpers.
_IPYTHON_NAMES = frozenset(
    {"In", "Out", "get_ipython", "exit", "quit", "_", "__", "___", "_i", "_ii", "_iii", "_oh"}
    | {"_ih", "_dh", "_sh", "_exit_code"}
)
_IPYTHON_NUMBERED = re.compile(r"_i?\d+")

# STS limits: RoleSessionName is 2-64 of [\w+=,.@-]; DurationSeconds 900..43200.
_ROLE_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
MIN_DURATION = 900
MAX_DURATION = 43200
# arn:PARTITION:iam::ACCOUNT:role/PATH/NAME — the name at most 64 characters.
_ROLE_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):role/"
    r"(?P<path>(?:[\x21-\x7e]+/)*)(?P<name>[\w+=,.@-]{1,64})",
    re.ASCII,
)
_MFA_SERIAL = re.compile(
    r"arn:[a-z-]+:iam::\d{12}:(?:mfa|u2f)/[\w+=,.@/-]{1,512}|[\w+=/:,.@-]{9,256}", re.ASCII
)


def shown(value: object, limit: int = 40) -> str:
    """A value quoted for an error message: scrubbed of anything secret-shaped, on one line,
    shortened."""
    text = one_line(value, limit=limit)
    return repr(text)


# --------------------------------------------------------------------------- quoting
def split_line(line: str) -> list[str]:
    """Split a magic's argument line like a shell does: ``"my profile"`` and ``'ops'`` lose
    their quotes; an unbalanced quote is one line, not a ``ValueError`` traceback."""
    try:
        return shlex.split(line, comments=False, posix=True)
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        reason = str(exc).rstrip(".").lower()
        raise AwsCredError(
            f'Cannot read the arguments ({reason}): close the quote, e.g. %aws_use "my profile".'
        ) from None


def parse_args(magic: Any, line: str) -> Any:
    """``parse_argstring`` with shell quoting: the parser of an ``@magic_arguments`` function
    applied to ``split_line(line)``. Argparse errors stay IPython's one-line ``UsageError``."""
    return magic.parser.parse_args(split_line(line))


# --------------------------------------------------------------------------- flags
def refuse_conflicts(args: Any, *groups: Iterable[str]) -> None:
    """Refuse flags that cannot go together. Each group holds argparse ``dest`` names of
    which at most one may be given; the message names the two flags."""
    for group in groups:
        given = [name for name in group if getattr(args, name, None) not in (None, False, "", [])]
        if len(given) > 1:
            flags = [f"--{name.replace('_', '-')}" for name in given]
            raise AwsCredError(
                f"{' and '.join(flags[:2])} cannot be used together: give only one of them."
            )


# --------------------------------------------------------------------------- variable names
def check_var(
    name: object,
    namespace: Mapping[str, Any] | None = None,
    *,
    what: str = "Session variable",
) -> str:
    """A name a session may be injected as, or ``AwsCredError`` saying why not.

    Refused: non-identifiers, keywords (also soft ones like ``match``), builtins, IPython's
    own names (``In``, ``Out``, ``_oh``, ``_12``, ``get_ipython``…), dunder names, and a
    name that already holds something other than a boto3 session in ``namespace``
    (``boto3``, ``pd``, your own data): the message says what it holds and how to free it.
    """
    if not isinstance(name, str):
        raise AwsCredError(f"{what} name must be text, not {type(name).__name__}.")
    text = name.strip()
    if not text:
        raise AwsCredError(f"{what} name is empty: give a Python name like s_dev.")
    if not text.isidentifier() or not text.isascii():
        raise AwsCredError(
            f"{what} name {shown(text)} is not a Python variable name: use letters, digits "
            "and _, not starting with a digit (e.g. s_dev)."
        )
    if text.startswith("__") and text.endswith("__"):
        raise AwsCredError(f"{what} name {text!r} is reserved by Python: pick another name.")
    if text in _IPYTHON_NAMES or _IPYTHON_NUMBERED.fullmatch(text):
        raise AwsCredError(
            f"{what} name {text!r} is one of IPython's own variables: pick another name."
        )
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        raise AwsCredError(f"{what} name {text!r} is a Python keyword: pick another, e.g. s_dev.")
    if hasattr(builtins, text):
        raise AwsCredError(
            f"{what} name {text!r} would hide Python's built-in {text}(): pick another name."
        )
    if namespace is not None and text in namespace:
        held = namespace[text]
        if not _is_session(held):
            raise AwsCredError(
                f"{what} name {text!r} already holds {_describe(held)}: pick another name, "
                f"or free it first with `del {text}`."
            )
    return text


def _is_session(value: Any) -> bool:
    if value is None:
        return False
    cls = type(value)
    return cls.__name__ == "Session" and cls.__module__.startswith("boto3")


def _describe(value: Any) -> str:
    import types

    if isinstance(value, types.ModuleType):
        return f"the module {value.__name__}"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if callable(value) and hasattr(value, "__name__"):
        return f"the function {value.__name__}"
    cls = type(value)
    module = "" if cls.__module__ == "builtins" else f"{cls.__module__.split('.')[0]}."
    return f"a {module}{cls.__name__}"


# --------------------------------------------------------------------------- profile names
def check_profile_name(name: object, *, what: str = "Profile") -> str:
    """A profile (or sso-session) name as botocore reads it from ``[profile NAME]``.

    Quotes have already gone (``split_line``); refused are empty names, control characters
    and newlines, brackets, and names longer than any config would hold.
    """
    if not isinstance(name, str):
        raise AwsCredError(f"{what} name must be text, not {type(name).__name__}.")
    text = name.strip()
    if not text:
        raise AwsCredError(f"{what} name is empty: see %aws_profiles for the names.")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise AwsCredError(
            f"{what} name {shown(text)} holds a control character or line break: type the "
            "name as %aws_profiles shows it."
        )
    if any(c in "[]" for c in text):
        raise AwsCredError(
            f"{what} name {shown(text)} holds '[' or ']': give the name without the "
            "[profile …] brackets."
        )
    if len(text) > 128:
        raise AwsCredError(f"{what} name is {len(text)} characters long: at most 128.")
    return text


def check_role_session_name(name: object) -> str:
    """An STS RoleSessionName: 2-64 characters of letters, digits and ``+=,.@_-``."""
    if not isinstance(name, str) or not _ROLE_SESSION_NAME.fullmatch(name.strip()):
        raise AwsCredError(
            f"Role session name {shown(name)} is not valid: 2-64 letters, digits or +=,.@_- "
            "(e.g. analyst-notebook)."
        )
    return name.strip()


# --------------------------------------------------------------------------- regions
@functools.lru_cache(maxsize=1)
def _partitions() -> tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]:
    """(id, regionRegex, regions) for each partition in botocore's partition data."""
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    return tuple(
        (p["id"], re.compile(p["regionRegex"]), frozenset(p.get("regions", {}))) for p in data
    )


def known_regions() -> list[str]:
    """Every region botocore's partition data names (without the ``*-global`` pseudo ones)."""
    return sorted(
        r for _id, _pattern, regions in _partitions() for r in regions if "global" not in r
    )


def _region_words() -> frozenset[str]:
    return frozenset(
        part for region in known_regions() for part in region.split("-") if part.isalpha()
    )


def check_region(region: object, *, source: str = "Region") -> str | None:
    """A region name botocore can sign for, or ``None`` for no region.

    Accepted: every region in botocore's partition data, and names that match a partition's
    pattern and are built from the words known regions use (``us-east-3`` one day), so a
    newer region than this botocore knows still works. Anything else is refused with the
    closest known names as a "did you mean".
    """
    value, problem = _region(region, source)
    if problem is not None:
        del region  # it may be a secret pasted into `region`: not in this frame's locals
        raise AwsCredError(problem)
    return value


def region_problem(region: object, *, source: str = "Region") -> str | None:
    """Why ``region`` is refused (the message ``check_region`` raises), or ``None``."""
    return _region(region, source)[1]


def _region(region: object, source: str) -> tuple[str | None, str | None]:
    if region is None:
        return None, None
    if not isinstance(region, str):
        return None, f"{source} must be text, not {type(region).__name__}."
    text = str(region).strip()
    if not text:
        return None, f"{source} is empty: give a region like us-east-1, or leave it out."
    known = known_regions()
    if text in known:
        return text, None
    words = _region_words()
    for _id, pattern, _regions in _partitions():
        if pattern.fullmatch(text) and all(
            part.isdigit() or part in words for part in text.split("-")
        ):
            return text, None
    close = difflib.get_close_matches(text.lower(), known, n=3, cutoff=0.6)
    if close:
        hint = f" Did you mean {', '.join(close[:-1]) + ' or ' if close[1:] else ''}{close[-1]}?"
    else:
        hint = " Give one like us-east-1 or eu-west-1."
    return None, f"{source} {shown(text)} is not an AWS region.{hint}"


# --------------------------------------------------------------------------- ARNs, durations
def check_role_arn(arn: object) -> str:
    """An IAM role ARN: ``arn:aws:iam::123456789012:role/NAME`` (any partition, any path)."""
    text = arn.strip() if isinstance(arn, str) else ""
    match = _ROLE_ARN.fullmatch(text)
    partitions = {pid for pid, _pattern, _regions in _partitions()}
    if not match or match["partition"] not in partitions:
        raise AwsCredError(
            f"Role ARN {shown(arn, 60)} is not valid: it looks like "
            "arn:aws:iam::123456789012:role/NAME (12-digit account, role name up to 64)."
        )
    return text


def check_mfa_serial(serial: object) -> str:
    """An MFA device: ``arn:aws:iam::123456789012:mfa/NAME`` or a hardware serial number."""
    text = serial.strip() if isinstance(serial, str) else ""
    if not _MFA_SERIAL.fullmatch(text):
        raise AwsCredError(
            f"MFA device {shown(serial, 60)} is not valid: give its ARN "
            "(arn:aws:iam::123456789012:mfa/NAME) or serial number."
        )
    return text


def check_duration(seconds: object, *, maximum: int = MAX_DURATION) -> int:
    """Seconds of a role session: a whole number from 900 (15 minutes) to ``maximum``
    (12 hours; a role's own maximum may be lower, and STS says so)."""
    value: Any = seconds
    if isinstance(value, str):
        text = value.strip().lower()
        units = {"s": 1, "m": 60, "h": 3600}
        factor = units.get(text[-1:], 0)
        number = text[:-1] if factor else text
        try:
            value = int(number) * (factor or 1)
        except ValueError:
            raise AwsCredError(
                f"Duration {shown(seconds)} is not a number of seconds: e.g. 3600, 60m or 1h."
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AwsCredError(f"Duration must be whole seconds, not {type(value).__name__}.")
    if not MIN_DURATION <= value <= maximum:
        raise AwsCredError(
            f"Duration {value} s is out of range: from {MIN_DURATION} (15 min) to {maximum} s."
        )
    return value

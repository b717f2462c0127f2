"""Temporary keys typed or pasted by the user: parse the blocks AWS hands out, check formats.

Values parsed here are secrets. They live only in a ``KeyInput`` (whose repr is masked) on
their way to ``boto3.Session``; error messages name the field, never the value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from .errors import AwsCredError
from .masking import KeyId, Secret, mask_access_key

ACCESS_KEY_ID = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")
SECRET_ACCESS_KEY = re.compile(r"[A-Za-z0-9/+]{40}")

# Names a value can have in the portal's bash / cmd / PowerShell / INI snippets.
_FIELDS = {
    "access_key_id": ("AWS_ACCESS_KEY_ID", "aws_access_key_id"),
    "secret_access_key": ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
    "session_token": (
        "AWS_SESSION_TOKEN",
        "aws_session_token",
        "AWS_SECURITY_TOKEN",
        "aws_security_token",
    ),
    "region": ("AWS_DEFAULT_REGION", "AWS_REGION", "region"),
    # `aws configure export-credentials --format env` prints when the keys expire.
    "expiration": ("AWS_CREDENTIAL_EXPIRATION", "aws_credential_expiration"),
}
# `export NAME="value"`, `set NAME=value`, `$Env:NAME="value"`, `name = value`; the lines may
# have been joined into one by a browser, so a value ends at whitespace, a quote or `;`.
# The prefixes are case-insensitive, as cmd and PowerShell are (`SET`, `$env:`).
_NAME_OF = {name.lower(): field for field, names in _FIELDS.items() for name in names}
_ASSIGNMENTS = re.compile(
    r"(?:^|(?<=[\s;\"']))(?i:export\s+|set\s+|\$env:)?(?P<name>"
    + "|".join(re.escape(n) for names in _FIELDS.values() for n in names)
    + r")\s*=\s*(?P<quote>[\"']?)(?P<value>[^\s\"';]*)",
    re.MULTILINE,
)
# A fragment of base64 right after a value: the rest of a value broken across lines.
_CONTINUATION = re.compile(r"[A-Za-z0-9/+=]{4,}")
_KEYWORDS = {"export", "set", "rem"}


def _is_comment(prefix: str) -> bool:
    """Is the assignment after ``prefix`` (the text since the previous one) commented out?
    ``#`` anywhere (also in one joined line), or ``;``, ``REM``, ``::``, ``//`` at the start
    of its line."""
    if "#" in prefix:
        return True
    line = prefix.rsplit("\n", 1)[-1].lstrip()
    return line.startswith((";", "::", "//")) or line.lower().startswith("rem ")


def _broken_after(text: str) -> bool:
    """Does ``text`` (what follows an unquoted value, up to the next assignment) start with
    the rest of that value, put on the next line or after a space?"""
    words = text.split()
    if not words or _is_comment(text.split(words[0], 1)[0] + words[0][:1]):
        return False
    first = words[0]
    if first.lower() in _KEYWORDS or first.startswith(("[", "$")):
        return False
    shaped = _CONTINUATION.fullmatch(first)
    return bool(shaped) and (len(first) >= 16 or bool(re.search(r"[0-9/+=]", first)))


def _assignments(text: str) -> tuple[list[tuple[str, str, Secret]], str | None]:
    """``(field, name as written, value)`` for every assignment that is not commented out,
    and the problem that refuses the block (a value broken across lines, an unclosed quote).

    Never raises: this frame holds the values in plain strings and match objects, which a
    traceback showing local variables would print; the caller raises from a clean frame.
    """
    found = []
    matches = list(_ASSIGNMENTS.finditer(text))
    previous_end = 0
    for index, match in enumerate(matches):
        prefix = text[previous_end : match.start()]
        previous_end = match.end()
        if _is_comment(prefix):
            continue
        name, quote, value = match["name"], match["quote"], match["value"]
        after_end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        after = text[match.end() : after_end]
        if quote and not after.startswith(quote):
            broken = not after.strip() or after[:1].isspace() or after[:1] in "\"'"
            what = "continues on the next line" if broken else "has an unclosed quote"
            return [], f"The value of {name} {what}: paste it again as one line."
        if not quote and _broken_after(after):
            return [], (
                f"The value of {name} seems broken across lines: paste it again as one line, "
                "without line breaks."
            )
        found.append((_NAME_OF[name.lower()], name, Secret(value)))
    return found, None


def _read_block(text: str) -> tuple[dict[str, Secret], str | None]:
    """The fields of a block and the problem refusing it (see ``_assignments``)."""
    assignments, problem = _assignments(text)
    found: dict[str, Secret] = {}
    named: dict[str, str] = {}
    for field, name, value in assignments:
        if not value:
            continue
        if field in found and found[field] != value:
            names = name if named[field] == name else f"{named[field]} and {name}"
            return {}, (
                f"{names} given twice with different values: paste only one block (values "
                "not shown)."
            )
        found.setdefault(field, value)
        named.setdefault(field, name)
    return found, problem


@dataclass(frozen=True)
class KeyInput:
    """Keys on their way to a session. The repr shows only the masked key id; the secret
    and token are ``Secret`` strings, which hide in tracebacks that show local variables."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    region: str | None = None
    expires: dt.datetime | None = None  # AWS_CREDENTIAL_EXPIRATION, when the block has it

    def __post_init__(self) -> None:
        object.__setattr__(self, "access_key_id", KeyId(self.access_key_id))
        object.__setattr__(self, "secret_access_key", Secret.wrap(self.secret_access_key))
        object.__setattr__(self, "session_token", Secret.wrap(self.session_token))

    def __repr__(self) -> str:
        token = ", with session token" if self.session_token else ""
        return f"KeyInput({mask_access_key(self.access_key_id)}{token}, region={self.region!r})"

    __str__ = __repr__

    def secrets(self) -> tuple[str | None, ...]:
        return (self.secret_access_key, self.session_token)


def looks_like_block(text: str) -> bool:
    """True when ``text`` is (the start of) a pasted snippet rather than a bare key id: an
    assignment of a known name, or an INI ``[section]`` header."""
    names = "|".join(re.escape(name) for names in _FIELDS.values() for name in names)
    return bool(re.search(rf"(?i)\b({names})\s*=", text) or re.match(r"\s*\[[^\]]+\]", text))


def block_is_complete(text: str) -> bool:
    """True once a pasted block holds a key id, a secret and, for ASIA keys, a token (or is
    broken in a way more lines cannot fix)."""
    try:
        found = parse_key_block(text)
    except AwsCredError:  # refused whatever follows (a broken value stays broken)
        return True
    if "access_key_id" not in found or "secret_access_key" not in found:
        return False
    return not found["access_key_id"].startswith("ASIA") or "session_token" in found


def parse_key_block(text: str) -> dict[str, str]:
    """Pull keys (and a region) out of a pasted block.

    Accepts the AWS access portal's ``export AWS_…=…`` lines (also joined into one line),
    Windows ``set`` and PowerShell ``$Env:`` forms, and a ``[profile]`` INI snippet.
    Commented-out lines (``#``, ``;``, ``REM``) do not count. Returns only the fields found,
    as ``Secret`` strings; raises ``AwsCredError`` naming the variable (never the value)
    when one is given twice with different values or is broken across lines.
    """
    text = Secret.wrap(text) or ""
    found, problem = _read_block(text)
    if problem:
        raise AwsCredError(problem)
    return found


def check_key_id(access_key_id: str | None) -> str:
    """The stripped access key id, or ``AwsCredError`` saying what is wrong (no echo)."""
    access_key_id = KeyId((access_key_id or "").strip())
    if not access_key_id:
        raise AwsCredError("The access key id is empty: paste the AKIA… or ASIA… key id.")
    if not ACCESS_KEY_ID.fullmatch(access_key_id):
        raise AwsCredError(
            "The access key id is not valid: it must be 20 characters, AKIA… (long-term) "
            "or ASIA… (temporary), upper-case letters and digits."
        )
    return access_key_id


def check_keys(
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None = None,
    region: str | None = None,
) -> KeyInput:
    """Validate formats and return a ``KeyInput``; raise ``AwsCredError`` saying which field
    is wrong and how, without echoing any value."""
    access_key_id = check_key_id(access_key_id)
    secret_access_key = Secret.wrap((secret_access_key or "").strip())
    session_token = Secret.wrap((session_token or "").strip() or None)
    if not secret_access_key:
        raise AwsCredError("The secret access key is empty: paste the secret access key.")
    if not SECRET_ACCESS_KEY.fullmatch(secret_access_key):
        raise AwsCredError(
            "The secret access key is not valid: it must be 40 characters of letters, "
            "digits, '/' and '+'."
        )
    if access_key_id.startswith("ASIA") and not session_token:
        raise AwsCredError(
            "ASIA… keys are temporary and need their session token: paste the session token too."
        )
    if access_key_id.startswith("AKIA") and session_token:
        raise AwsCredError(
            "AKIA… keys are long-term and take no session token: leave the token empty "
            "(was the secret pasted again at the token prompt?)."
        )
    if session_token and (len(session_token) < 16 or re.search(r"\s", session_token)):
        raise AwsCredError(
            "The session token is not valid: it is one long line without spaces; paste it again."
        )
    return KeyInput(access_key_id, secret_access_key, session_token, (region or "").strip() or None)


def keys_from_block(text: str, region: str | None = None) -> KeyInput:
    """Parse and check a pasted block; ``region`` overrides one found in the block."""
    text = Secret.wrap(text) or ""
    found = parse_key_block(text)
    if "access_key_id" not in found:
        raise AwsCredError(
            "No AWS_ACCESS_KEY_ID found in the pasted text: paste the whole block from the "
            "AWS access portal (export …, set …, $Env:… or [profile] lines)."
        )
    keys = check_keys(
        found.get("access_key_id"),
        found.get("secret_access_key"),
        found.get("session_token"),
        region or found.get("region"),
    )
    if "expiration" in found:
        keys = replace(keys, expires=parse_expiration(found["expiration"]))
    return keys


def parse_expiration(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``AWS_CREDENTIAL_EXPIRATION`` (ISO 8601, as the AWS CLI prints it) as a UTC time;
    ``AwsCredError`` when it is not a time or has already passed."""
    try:
        expires = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise AwsCredError(
            "AWS_CREDENTIAL_EXPIRATION is not a time: expected ISO 8601 such as "
            "2026-12-01T18:00:00Z."
        ) from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.timezone.utc)
    expires = expires.astimezone(dt.timezone.utc)
    if expires <= (now or dt.datetime.now(dt.timezone.utc)):
        stamp = expires.strftime("%Y-%m-%d %H:%M UTC")
        raise AwsCredError(f"These keys expired at {stamp}: get fresh ones from the portal.")
    return expires

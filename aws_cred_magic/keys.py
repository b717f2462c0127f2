"""Temporary keys typed or pasted by the user: parse the blocks AWS hands out, check formats.

Values parsed here are secrets. They live only in a ``KeyInput`` (whose repr is masked) on
their way to ``boto3.Session``; error messages name the field, never the value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from .errors import AwsCredError
from .masking import mask_access_key

ACCESS_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")
SECRET_ACCESS_KEY = re.compile(r"^[A-Za-z0-9/+]{40}$")

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
_ASSIGNMENT = r"(?:^|[\s;])(?i:export\s+|set\s+|\$env:)?{name}\s*=\s*[\"']?([^\s\"';]+)"


@dataclass(frozen=True)
class KeyInput:
    """Keys on their way to a session. The repr shows only the masked key id."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    region: str | None = None
    expires: dt.datetime | None = None  # AWS_CREDENTIAL_EXPIRATION, when the block has it

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
    """True once a pasted block holds a key id, a secret and, for ASIA keys, a token."""
    found = parse_key_block(text)
    if "access_key_id" not in found or "secret_access_key" not in found:
        return False
    return not found["access_key_id"].startswith("ASIA") or "session_token" in found


def parse_key_block(text: str) -> dict[str, str]:
    """Pull keys (and a region) out of a pasted block.

    Accepts the AWS access portal's ``export AWS_…=…`` lines (also joined into one line),
    Windows ``set`` and PowerShell ``$Env:`` forms, and a ``[profile]`` INI snippet.
    Returns only the fields found.
    """
    found: dict[str, str] = {}
    for field, names in _FIELDS.items():
        for name in names:
            pattern = re.compile(_ASSIGNMENT.format(name=re.escape(name)), re.MULTILINE)
            match = pattern.search(text)
            if match:
                found[field] = match.group(1)
                break
    return found


def check_keys(
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None = None,
    region: str | None = None,
) -> KeyInput:
    """Validate formats and return a ``KeyInput``; raise ``AwsCredError`` saying which field
    is wrong and how, without echoing any value."""
    access_key_id = (access_key_id or "").strip()
    secret_access_key = (secret_access_key or "").strip()
    session_token = (session_token or "").strip() or None
    if not access_key_id:
        raise AwsCredError("The access key id is empty: paste the AKIA… or ASIA… key id.")
    if not ACCESS_KEY_ID.match(access_key_id):
        raise AwsCredError(
            "The access key id is not valid: it must be 20 characters, AKIA… (long-term) "
            "or ASIA… (temporary), upper-case letters and digits."
        )
    if not secret_access_key:
        raise AwsCredError("The secret access key is empty: paste the secret access key.")
    if not SECRET_ACCESS_KEY.match(secret_access_key):
        raise AwsCredError(
            "The secret access key is not valid: it must be 40 characters of letters, "
            "digits, '/' and '+'."
        )
    if access_key_id.startswith("ASIA") and not session_token:
        raise AwsCredError(
            "ASIA… keys are temporary and need their session token: paste the session token too."
        )
    if session_token and (len(session_token) < 16 or re.search(r"\s", session_token)):
        raise AwsCredError(
            "The session token is not valid: it is one long line without spaces; paste it again."
        )
    return KeyInput(access_key_id, secret_access_key, session_token, (region or "").strip() or None)


def keys_from_block(text: str, region: str | None = None) -> KeyInput:
    """Parse and check a pasted block; ``region`` overrides one found in the block."""
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

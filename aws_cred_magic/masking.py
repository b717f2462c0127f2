"""The one place that decides what of a credential may be shown.

An access key id is an identifier, useful to tell two keys apart, so its last four
characters are shown. A secret access key or a session token is never shown, not even
in part. Every output of the project (tables, reprs, logs, exception text, widget
state) goes through these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "*" * 16
REDACTED = "<redacted>"

# A secret access key is 40 characters of base64; a session token is a long base64 blob.
# Either can appear in text we did not write (a process's stderr, a botocore message).
# Signed URLs carry them percent-encoded (%2F, %2B, %3D), so an escape counts as one character.
_SECRET_LIKE = re.compile(
    r"(?<![A-Za-z0-9/+=%])(?:[A-Za-z0-9/+=]|%[0-9A-Fa-f]{2}){40,}(?![A-Za-z0-9/+=%])"
)
# Query-string signing: the token and signature are values of these parameters.
_SECRET_PARAMETER = re.compile(
    r"(?i)\b(X-Amz-Security-Token|X-Amz-Signature|SessionToken|Signature)=[^&\s\"'<>]+"
)
# A web identity token (JWT): three base64url parts joined by dots.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_KEY_ID_LIKE = re.compile(r"\b((?:AKIA|ASIA|AROA|AIDA|ABIA|ACCA)[A-Z0-9]{12,})\b")


def mask_access_key(access_key_id: str | None) -> str:
    """Show an access key id as 16 ``*`` and its last 4 characters.

    Returns ``""`` for no key. A value too short to be a key id shows no character at
    all, so a mistyped secret pasted into the key-id field is not half-revealed.
    """
    if not access_key_id:
        return ""
    access_key_id = str(access_key_id).strip()
    if len(access_key_id) < 16:
        return MASK
    return MASK + access_key_id[-4:]


def scrub(text: object, secrets: Iterable[str | None] = ()) -> str:
    """Remove secrets from ``text`` before it is shown or logged.

    Known secret values are replaced first; then anything shaped like a secret key or a
    token, and access key ids are masked.
    """
    result = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            result = result.replace(secret, REDACTED)
    result = _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}={REDACTED}", result)
    result = _JWT.sub(REDACTED, result)
    result = _SECRET_LIKE.sub(REDACTED, result)
    return _KEY_ID_LIKE.sub(lambda m: mask_access_key(m.group(1)), result)


def one_line(text: object, secrets: Iterable[str | None] = (), limit: int = 300) -> str:
    """Scrub ``text`` and fold it onto one line of at most ``limit`` characters."""
    flat = " ".join(scrub(text, secrets).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

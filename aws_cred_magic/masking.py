"""The one place that decides what of a credential may be shown.

An access key id is an identifier, useful to tell two keys apart, so its last four
characters are shown. A secret access key or a session token is never shown, not even
in part. Every output of the project (tables, reprs, logs, exception text, widget
state) goes through these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "*" * 16
REDACTED = "<redacted>"
NOT_A_KEY_ID = "<not a key id>"

# What an access key id looks like: a 4-letter kind (AKIA long-term, ASIA temporary, and the
# other IAM unique-id prefixes) and 16 upper-case letters or digits. Only such a value shows
# its tail: a secret pasted into the key-id field, or swapped with it, shows nothing.
KEY_ID_SHAPE = re.compile(r"(?:AKIA|ASIA|AROA|AIDA|ABIA|ACCA|AGPA|ANPA|ANVA|APKA|AIPA)[A-Z0-9]{16}")

# A secret access key is 40 characters of base64; a session token is a long base64 blob.
# Either can appear in text we did not write (a process's stderr, a botocore message).
# Signed URLs carry them percent-encoded (%2F, %2B, %3D), so an escape counts as one character.
# A '%' next to the run is not part of it (it may be an escape cut short, or punctuation).
_SECRET_LIKE = re.compile(
    r"(?<![A-Za-z0-9/+=])(?:[A-Za-z0-9/+=]|%[0-9A-Fa-f]{2}){40,}(?![A-Za-z0-9/+=])"
)
# Query-string signing: the token and signature are values of these parameters.
_SECRET_PARAMETER = re.compile(
    r"(?i)\b(X-Amz-Security-Token|X-Amz-Signature|SessionToken|Signature)=[^&\s\"'<>]+"
)
# A web identity token (JWT): three base64url parts joined by dots.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
# IAM Identity Center: access and refresh tokens (aoa…, aor…), client secrets (base64 JSON,
# eyJ…), and the value of any field that carries one (JSON bodies, headers, query strings).
_SSO_TOKEN = re.compile(r"\bao[ar][A-Za-z0-9+/=:_-]{16,}")
_BASE64_JSON = re.compile(r"\beyJ[A-Za-z0-9_=-]{16,}(?:\.[A-Za-z0-9_=-]*)*")
_TOKEN_FIELD = re.compile(
    r"(?i)([\"']?\b(?:access_?token|refresh_?token|client_?secret|device_?code|id_?token|"
    r"x-amz-sso_bearer_token)[\"']?\s*[:=]\s*b?[\"']?)[^\"'&\s,}]+"
)
_KEY_ID_LIKE = re.compile(
    r"\b((?:AKIA|ASIA|AROA|AIDA|ABIA|ACCA|AGPA|ANPA|ANVA|APKA|AIPA)[A-Z0-9]{12,})\b"
)


class Secret(str):
    """A secret that is an ordinary ``str`` to every library (boto3 signs with it) but whose
    ``repr`` hides it, so a traceback that shows local variables (``%xmode Verbose``,
    ``traceback.format_exc(capture_locals=True)``) shows ``<secret>`` instead."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<secret>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("<secret>")

    @classmethod
    def wrap(cls, value: str | None) -> Secret | None:
        """``value`` as a ``Secret`` (``None`` and ``""`` stay as they are)."""
        return cls(value) if value else value  # type: ignore[return-value]


class KeyId(str):
    """An access key id that is an ordinary ``str`` but whose ``repr`` is masked."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(mask_access_key(str(self)))


def mask_access_key(access_key_id: str | None) -> str:
    """Show an access key id as 16 ``*`` and its last 4 characters.

    Returns ``""`` for no key. A value not shaped like a key id (``KEY_ID_SHAPE``) shows no
    character at all but ``<not a key id>``, so a secret in the key-id field (swapped in a
    credentials file, pasted in the wrong box) is never half-revealed.
    """
    if not access_key_id:
        return ""
    text = str(access_key_id).strip()
    if not KEY_ID_SHAPE.fullmatch(text):
        return NOT_A_KEY_ID
    return MASK + text[-4:]


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
    result = _TOKEN_FIELD.sub(lambda m: m.group(1) + REDACTED, result)
    result = _JWT.sub(REDACTED, result)
    result = _SSO_TOKEN.sub(REDACTED, result)
    result = _BASE64_JSON.sub(REDACTED, result)
    result = _SECRET_LIKE.sub(REDACTED, result)
    return _KEY_ID_LIKE.sub(lambda m: mask_access_key(m.group(1)), result)


def one_line(text: object, secrets: Iterable[str | None] = (), limit: int = 300) -> str:
    """Scrub ``text`` and fold it onto one line of at most ``limit`` characters."""
    flat = " ".join(scrub(text, secrets).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

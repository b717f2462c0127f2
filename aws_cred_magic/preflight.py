"""Preflight: refuse a switch that cannot work, judged from files alone (no network).

``%aws_use`` and the panel promise that if anything is wrong, nothing changes. botocore
defers SSO and web-identity credentials until first use, so a session for an SSO profile
with no cached login, or for a role whose web identity token file is missing, builds fine
and fails later. These checks look at what botocore will look at and say so in one line
before anything changes.

Kept small on purpose: real SSO sign-in and token status (issue 10) extend
``sso_login_problem`` here, so that every caller of ``unusable_reason`` benefits.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
from collections.abc import Iterable
from typing import Any

from .discover import classify_profile, expand_path


def unusable_reason(
    profiles: dict[str, dict[str, Any]],
    name: str,
    *,
    sso_sessions: dict[str, dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> str | None:
    """Why profile ``name`` cannot give credentials without the network, or ``None``.

    Follows ``source_profile`` through assume-role chains to the profile that supplies the
    base credentials, and judges it as botocore's provider order does (web identity and
    SSO come before static keys). Only certain failures are reported: anything that might
    work (a refreshable SSO token, a file that cannot be read for another reason) passes.
    """
    seen: set[str] = set()
    current = name
    while current not in seen:
        seen.add(current)
        settings = profiles.get(current)
        if settings is None:
            return None  # botocore reports the missing source profile itself
        kind = classify_profile(settings)
        if kind in ("assume-role",) and isinstance(settings.get("source_profile"), str):
            current = settings["source_profile"]
            continue
        if kind == "web-identity":
            return web_identity_problem(name, current, settings)
        if kind == "sso":
            return sso_login_problem(name, current, settings, sso_sessions or {}, now=now)
        return None
    return None  # a loop: botocore raises InfiniteLoopConfigError on its own


def web_identity_problem(name: str, holder: str, settings: dict[str, Any]) -> str | None:
    """The token file of a ``web_identity_token_file`` profile must exist."""
    path = settings.get("web_identity_token_file")
    if not isinstance(path, str) or os.path.exists(expand_path(path)):
        return None
    via = "" if holder == name else f" (through source profile {holder!r})"
    return (
        f"Profile {name!r}{via} reads its web identity token from {path}, which does not "
        "exist: create the token file (or fix web_identity_token_file) and switch again."
    )


def sso_login_problem(
    name: str,
    holder: str,
    settings: dict[str, Any],
    sso_sessions: dict[str, dict[str, Any]],
    *,
    now: dt.datetime | None = None,
) -> str | None:
    """An SSO profile needs a cached login that has not expired, or one botocore can
    refresh (an ``sso-session`` token with a refresh token and a live registration)."""
    session_name = settings.get("sso_session")
    key = session_name if isinstance(session_name, str) else settings.get("sso_start_url")
    if not isinstance(key, str) or not key:
        return None  # botocore explains a broken SSO configuration better
    token = read_sso_token(key)
    now = now or dt.datetime.now(dt.timezone.utc)
    login = f"aws sso login --profile {holder}"
    via = "" if holder == name else f" (through source profile {holder!r})"
    if token is None:
        return (
            f"Profile {name!r}{via} signs in with IAM Identity Center (SSO) and there is no "
            f"cached SSO login: run `{login}` in a terminal, then switch again."
        )
    expires = _parse_time(token.get("expiresAt"))
    if expires is None or expires > now:
        return None
    if isinstance(session_name, str) and token.get("refreshToken"):
        registration = _parse_time(token.get("registrationExpiresAt"))
        if registration is None or registration > now:
            return None  # botocore refreshes it on first use
    stamp = expires.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Profile {name!r}{via} signs in with IAM Identity Center (SSO) and its cached "
        f"login expired at {stamp}: run `{login}` in a terminal, then switch again."
    )


def read_sso_token(cache_key: str) -> dict[str, Any] | None:
    """botocore's cached SSO token for ``cache_key`` (sso-session name or start URL), read
    from the directory botocore uses. Holds secrets: never show it, only its times."""
    from botocore.credentials import SSOProvider

    digest = hashlib.sha1(cache_key.encode("utf-8")).hexdigest()
    path = os.path.join(SSOProvider._SSO_TOKEN_CACHE_DIR, digest + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            token = json.load(handle)
    except (OSError, ValueError):
        return None
    return token if isinstance(token, dict) and token.get("accessToken") else None


def _parse_time(value: Any) -> dt.datetime | None:
    """``2026-12-01T18:00:00Z``, ``…+00:00`` or the old CLI's ``…UTC``; None if unreadable."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace("UTC", "+00:00").replace("Z", "+00:00")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """`` did you mean 'customer-a'?`` for a near miss among ``names``, else ``""``."""
    close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"

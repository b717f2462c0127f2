"""Preflight: refuse a switch that cannot work, judged from files alone (no network).

``%aws_use`` and the panel promise that if anything is wrong, nothing changes. botocore
defers SSO and web-identity credentials until first use, so a session for an SSO profile
with no cached login, or for a role whose web identity token file is missing, builds fine
and fails later. These checks look at what botocore will look at and say so in one line
before anything changes.

SSO token status comes from ``sso.py`` (the sign-in, refresh and cache live there), so every
caller of ``unusable_reason`` judges a login exactly as %aws_profiles and the panel do.
"""

from __future__ import annotations

import datetime as dt
import difflib
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
    refresh (an ``sso-session`` token with a refresh token and a live registration).
    The state comes from ``sso.token_status``, the same as %aws_profiles and the panel."""
    from .sso import SsoTarget, token_status

    session_name = settings.get("sso_session")
    if isinstance(session_name, str):
        start_url = sso_sessions.get(session_name, {}).get("sso_start_url", "")
        target = SsoTarget(start_url if isinstance(start_url, str) else "", "", session_name)
    else:
        start_url = settings.get("sso_start_url")
        if not isinstance(start_url, str) or not start_url:
            return None  # botocore explains a broken SSO configuration better
        target = SsoTarget(start_url, "")
    status = token_status(target, now=now)
    if status.usable:
        return None
    login = f"%aws_sso_login {holder}"
    via = "" if holder == name else f" (through source profile {holder!r})"
    if status.state == "no login":
        return (
            f"Profile {name!r}{via} signs in with IAM Identity Center (SSO) and there is no "
            f"cached SSO login: run {login} (or Sign in in %aws_panel), then switch again."
        )
    stamp = status.expires_at.strftime("%Y-%m-%d %H:%M UTC") if status.expires_at else "?"
    return (
        f"Profile {name!r}{via} signs in with IAM Identity Center (SSO) and its cached "
        f"login expired at {stamp}: run {login}, then switch again."
    )


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """`` did you mean 'customer-a'?`` for a near miss among ``names``, else ``""``."""
    close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"

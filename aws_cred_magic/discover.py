"""Discover: which files botocore reads, which profiles they hold, which profile is chosen.

Everything is read through botocore's own loaders (``configloader``) from a botocore session,
so file paths, ``~``/``$VAR`` expansion and section rules are exactly botocore's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError
from .masking import one_line

if TYPE_CHECKING:  # pragma: no cover
    import botocore.session
    import pandas


def expand_path(path: str | None) -> str:
    """Expand ``~`` and ``$VAR`` the way botocore's config loader does."""
    return os.path.expandvars(os.path.expanduser(path)) if path else ""


@dataclass(frozen=True)
class ProfileChoice:
    """The profile a session uses and what chose it."""

    name: str
    chosen_by: str  # "explicit", "AWS_DEFAULT_PROFILE", "AWS_PROFILE" or "default"

    @property
    def explicit(self) -> bool:
        return self.chosen_by == "explicit"


def profile_choice(session: botocore.session.Session) -> ProfileChoice:
    """Which profile ``session`` uses, following botocore's order.

    The session's own variable wins, then ``AWS_DEFAULT_PROFILE`` (read before
    ``AWS_PROFILE``), then ``AWS_PROFILE``, then ``default``.
    """
    explicit = session.instance_variables().get("profile")
    if explicit is not None:
        return ProfileChoice(explicit, "explicit")
    name = session.get_config_variable("profile")
    if name is None:
        return ProfileChoice("default", "default")
    for variable in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
        if os.environ.get(variable) == name:
            return ProfileChoice(name, variable)
    return ProfileChoice(name, "configuration")


@dataclass
class ConfigFiles:
    """The two shared files as botocore parses them, kept apart so we can say where a value
    comes from. ``merged`` is botocore's own ``full_config`` (credentials file wins)."""

    config_path: str
    credentials_path: str
    config_sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    credentials_sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    merged: dict[str, Any] = field(default_factory=dict)

    def profile(self, name: str) -> dict[str, Any]:
        """The merged settings of profile ``name`` (``{}`` if absent)."""
        return self.merged.get("profiles", {}).get(name, {})

    def config_section_of(self, name: str) -> str | None:
        """The config-file section header that defines profile ``name``, if any."""
        for header in (f"profile {name}", name if name == "default" else None):
            if header and header in self.config_sections:
                return header
        return None

    def where(self, name: str, key: str | None = None) -> str:
        """``"<file> [<section>]"`` for the place(s) profile ``name`` (and ``key``) is set.

        The credentials file is named first because its values win.
        """
        places = []
        creds = self.credentials_sections.get(name)
        if creds is not None and (key is None or key in creds):
            places.append(f"{self.credentials_path} [{name}]")
        header = self.config_section_of(name)
        if header and (key is None or key in self.config_sections[header]):
            places.append(f"{self.config_path} [{header}]")
        return "; ".join(places)

    def sso_session(self, name: Any) -> dict[str, Any]:
        if not isinstance(name, str):  # an indented block where a name belongs
            return {}
        return self.merged.get("sso_sessions", {}).get(name, {})


def new_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session that reads the shared files through the parse cache
    (``configcache``): the same session botocore builds, without parsing again."""
    from .configcache import SharedParseSession

    return SharedParseSession(profile=profile)


def load_config_files(session: botocore.session.Session) -> ConfigFiles:
    """Both shared files as botocore's loaders parse them (once per file version).

    Raises ``botocore.exceptions.ConfigParseError`` for a malformed file, as botocore would.
    """
    from botocore.exceptions import ConfigNotFound

    from .configcache import default_cache

    cache = getattr(session, "_parse_cache", None) or default_cache()

    files = ConfigFiles(
        config_path=expand_path(session.get_config_variable("config_file")),
        credentials_path=expand_path(session.get_config_variable("credentials_file")),
    )
    for path, attr in (
        (files.config_path, "config_sections"),
        (files.credentials_path, "credentials_sections"),
    ):
        try:
            setattr(files, attr, cache.raw(path))
        except ConfigNotFound:
            setattr(files, attr, {})
    files.merged = session.full_config
    return files


def classify_profile(settings: dict[str, Any]) -> str:
    """The kind of a profile, named after the provider that claims it first."""
    if "role_arn" in settings and "web_identity_token_file" not in settings:
        return "credential_source" if "credential_source" in settings else "assume-role"
    if "web_identity_token_file" in settings:
        return "web-identity"
    if "sso_account_id" in settings or "sso_role_name" in settings:
        return "sso"
    if "aws_access_key_id" in settings:
        return "static keys"
    if "login_session" in settings:
        return "login"
    if "credential_process" in settings:
        return "process"
    if "region" in settings:
        return "region-only"
    return "empty"


def needs_mfa(profiles: dict[str, dict[str, Any]], name: str) -> bool:
    """True if profile ``name``, or a role it chains through, asks for an MFA code."""
    seen: set[str] = set()
    current: str | None = name
    while current and current not in seen:
        seen.add(current)
        settings = profiles.get(current, {})
        if "role_arn" not in settings:
            return False
        if "mfa_serial" in settings:
            return True
        current = settings.get("source_profile")
    return False


def describe_profile(settings: dict[str, Any], files: ConfigFiles | None = None) -> str:
    """A short, secret-free description of what a profile is configured to do."""
    kind = classify_profile(settings)
    parts: list[str] = []
    if kind in ("assume-role", "credential_source", "web-identity"):
        parts.append(f"role {settings.get('role_arn', '(no role_arn)')}")
        if "source_profile" in settings:
            parts.append(f"via source_profile {settings['source_profile']}")
        if "credential_source" in settings:
            parts.append(f"via credential_source {settings['credential_source']}")
        if "web_identity_token_file" in settings:
            parts.append(f"token file {settings['web_identity_token_file']}")
        if "mfa_serial" in settings:
            parts.append(f"MFA {settings['mfa_serial']}")
        if "external_id" in settings:
            parts.append("external id set")
    elif kind == "sso":
        session_name = settings.get("sso_session")
        start_url = settings.get("sso_start_url")
        if session_name:
            parts.append(f"sso-session {session_name}")
            if files is not None:
                start_url = start_url or files.sso_session(session_name).get("sso_start_url")
        if start_url:
            parts.append(f"start url {start_url}")
        if settings.get("sso_account_id"):
            parts.append(f"account {settings['sso_account_id']}")
        if settings.get("sso_role_name"):
            parts.append(f"role {settings['sso_role_name']}")
    elif kind == "static keys":
        from .masking import mask_access_key

        parts.append(f"key {mask_access_key(settings.get('aws_access_key_id'))}")
        if "aws_session_token" in settings or "aws_security_token" in settings:
            parts.append("with session token")
    elif kind == "login":
        parts.append(f"login session {settings['login_session']}")
    elif kind == "process":
        from .masking import scrub  # a command line may carry a secret as an argument

        parts.append(f"runs {scrub(settings['credential_process'])}")
    return ", ".join(parts)


def _with_sso_status(name: str, detail: str, files: ConfigFiles) -> str:
    """Append an SSO profile's login state (``valid until …``, ``expired``, ``refreshable``,
    ``no login``), read from the token cache without any network call."""
    from .sso import status_text

    status = status_text(name, files.merged)
    return f"{detail}; login {status}" if status else detail


def profiles_frame(session: botocore.session.Session | None = None) -> pandas.DataFrame:
    """Every profile in the config and credentials files as a DataFrame.

    Columns: ``profile``, ``kind``, ``region``, ``source``, ``detail``, ``current``
    (True for the profile boto3 uses when none is named). Raises ``AwsCredError`` naming
    the file when one is malformed.
    """
    import pandas as pd
    from botocore.exceptions import ConfigParseError

    session = session or new_session()
    try:
        files = load_config_files(session)
    except ConfigParseError as exc:
        raise AwsCredError(
            one_line(f"Cannot read the AWS configuration: {exc} (fix the file's INI syntax)")
        ) from None
    current = profile_choice(session).name
    rows = []
    for name, settings in files.merged.get("profiles", {}).items():
        rows.append(
            {
                "profile": name,
                "kind": classify_profile(settings),
                "region": settings.get("region") or None,
                "source": files.where(name),
                "detail": _with_sso_status(name, describe_profile(settings, files), files),
                "current": name == current,
            }
        )
    rows.sort(key=lambda row: (row["profile"] != "default", row["profile"]))
    columns = ["profile", "kind", "region", "source", "detail", "current"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["current_profile"] = current
    frame.attrs["config_file"] = files.config_path
    frame.attrs["credentials_file"] = files.credentials_path
    return frame

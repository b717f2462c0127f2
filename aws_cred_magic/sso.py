"""IAM Identity Center (SSO): sign in from the notebook, token status, refresh, accounts and
roles, logout.

The sign-in is the OAuth device authorization flow, run with botocore's own ``sso-oidc``
client exactly as ``aws sso login`` (AWS CLI v2) runs it: RegisterClient (a cached, unexpired
registration is reused), StartDeviceAuthorization, then CreateToken polled in a background
thread that honours ``interval`` and ``slow_down`` (a terminal waits for it in the foreground:
``wait_in_foreground``). The token is written where botocore's SSO
providers read it (``~/.aws/sso/cache/<sha1>.json``, the CLI's file name and fields, mode 0600,
atomically), so botocore resolves credentials from it unchanged. Refreshing goes through
botocore's ``SSOTokenProvider``; role credentials through botocore's ``SSOCredentialFetcher``.

Every network call is bounded by the caller's timeout, and no access token, refresh token,
client secret or device code is ever shown, logged or put in an exception.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError, describe_error, error_name
from .model import format_expiry

if TYPE_CHECKING:  # pragma: no cover
    import boto3
    import pandas

_logger = logging.getLogger(__name__)
# RFC 8628 §3.5: on slow_down the client adds 5 seconds to its polling interval; without an
# interval from the server it polls every 5 seconds.
SLOW_DOWN_DELAY = 5.0
DEFAULT_INTERVAL = 5.0
# Never poll more often than this, whatever the server says.
MIN_POLL_WAIT = 0.1
# The AWS CLI re-registers a client whose secret expires within 15 minutes.
REGISTRATION_EXPIRY_WINDOW = dt.timedelta(minutes=15)
_DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_STAMP = "%Y-%m-%dT%H:%M:%SZ"  # how botocore and the CLI write times in the SSO cache


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if not isinstance(value, str):
        return None
    import dateutil.parser  # botocore's own parser for these fields

    try:
        parsed = dateutil.parser.parse(value)
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- what to sign in to


@dataclass(frozen=True)
class SsoTarget:
    """An IAM Identity Center to sign in to: an ``[sso-session]`` or a legacy profile's
    start URL. No secret inside."""

    start_url: str
    region: str
    session_name: str | None = None  # None: a legacy profile with sso_start_url itself
    scopes: tuple[str, ...] | None = None  # sso_registration_scopes, as the CLI parses them
    profile: str | None = None  # the profile it was found through, if any

    @property
    def label(self) -> str:
        if self.session_name:
            return f"sso-session {self.session_name}"
        return f"start URL {self.start_url}"

    @property
    def cache_path(self) -> str:
        """The token file botocore reads: sha1 of the session name, or of the start URL."""
        key = self.session_name if self.session_name is not None else self.start_url
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return os.path.join(token_cache_dir(self), digest + ".json")

    @property
    def registration_path(self) -> str:
        """The client registration file the AWS CLI v2 writes for this target."""
        args = {
            "tool": "botocore",
            "startUrl": self.start_url,
            "region": self.region,
            "scopes": list(self.scopes) if self.scopes is not None else None,
            "session_name": self.session_name,
        }
        digest = hashlib.sha1(json.dumps(args, sort_keys=True).encode("utf-8")).hexdigest()
        return os.path.join(token_cache_dir(self), digest + ".json")


def token_cache_dir(target: SsoTarget | None = None) -> str:
    """botocore's SSO cache directory (fixed when botocore was imported, from HOME).

    An sso-session token is read by ``botocore.tokens.SSOTokenProvider``, a legacy one by
    ``botocore.credentials.SSOProvider``; each class holds its own copy of the path.
    """
    if target is not None and target.session_name is None:
        from botocore.credentials import SSOProvider

        return SSOProvider._SSO_TOKEN_CACHE_DIR
    from botocore.tokens import SSOTokenProvider

    return SSOTokenProvider._SSO_TOKEN_CACHE_DIR


def _parse_scopes(raw: Any) -> tuple[str, ...] | None:
    """``sso_registration_scopes`` split as the CLI does (comma list, empties dropped)."""
    if raw is None:
        return None
    return tuple(s.strip() for s in str(raw).split(",") if s.strip())


def _config(config: dict[str, Any] | None) -> dict[str, Any]:
    if config is not None:
        return config
    from botocore.exceptions import ConfigParseError

    from .discover import new_session

    try:
        return new_session().full_config  # botocore's merge, through the parse cache
    except ConfigParseError as exc:
        raise AwsCredError(describe_error(exc)) from None


def is_sso_profile(settings: dict[str, Any]) -> bool:
    """True if botocore's SSO credential provider claims this profile."""
    return "sso_account_id" in settings or "sso_role_name" in settings or "sso_session" in settings


def target_for(
    profile: str | None = None,
    sso_session: str | None = None,
    config: dict[str, Any] | None = None,
) -> SsoTarget:
    """The Identity Center behind ``profile`` or the ``[sso-session sso_session]`` section.

    Raises ``AwsCredError`` naming what is missing, as botocore's SSO provider would refuse.
    """
    config = _config(config)
    sessions = config.get("sso_sessions", {})
    if sso_session is not None:
        settings = sessions.get(sso_session)
        if settings is None:
            known = ", ".join(sorted(sessions)) or "none"
            raise AwsCredError(
                f"No [sso-session {sso_session}] in the AWS config (sso-sessions: {known})."
            )
        return _session_target(sso_session, settings)
    if profile is None:
        raise AwsCredError("Name a profile or --sso-session NAME.")
    profiles = config.get("profiles", {})
    if profile not in profiles:
        raise AwsCredError(f"The profile {profile!r} does not exist: see %aws_profiles.")
    settings = profiles[profile]
    if not is_sso_profile(settings):
        raise AwsCredError(
            f"The profile {profile!r} is not an IAM Identity Center (SSO) profile: it has no "
            "sso_session or sso_account_id / sso_role_name."
        )
    name = settings.get("sso_session")
    if name is not None:
        if not isinstance(name, str) or name not in sessions:
            raise AwsCredError(
                f"The profile {profile!r} names an sso_session that is not in the AWS config."
            )
        target = _session_target(name, sessions[name])
        return SsoTarget(target.start_url, target.region, name, target.scopes, profile)
    missing = _missing(settings)
    if missing:
        raise AwsCredError(f"The profile {profile!r} is missing {', '.join(missing)}.")
    return SsoTarget(settings["sso_start_url"], settings["sso_region"], None, None, profile)


def _missing(settings: dict[str, Any]) -> list[str]:
    """The settings a sign-in needs that are absent, or not a plain value (an indented block
    parses as a dict, which botocore refuses)."""
    return [
        key
        for key in ("sso_start_url", "sso_region")
        if not settings.get(key) or not isinstance(settings.get(key), str)
    ]


def _session_target(name: str, settings: dict[str, Any]) -> SsoTarget:
    missing = _missing(settings)
    if missing:
        raise AwsCredError(f"[sso-session {name}] is missing {', '.join(missing)}.")
    return SsoTarget(
        settings["sso_start_url"],
        settings["sso_region"],
        name,
        _parse_scopes(settings.get("sso_registration_scopes")),
    )


def all_targets(config: dict[str, Any] | None = None) -> list[SsoTarget]:
    """Every sso-session, and every legacy start URL, in the AWS config (once each)."""
    config = _config(config)
    found: dict[str, SsoTarget] = {}
    for name, settings in sorted(config.get("sso_sessions", {}).items()):
        try:
            target = _session_target(name, settings)
        except AwsCredError:
            continue
        found[target.cache_path] = target
    for profile, settings in sorted(config.get("profiles", {}).items()):
        if is_sso_profile(settings) and "sso_session" not in settings:
            try:
                target = target_for(profile, config=config)
            except AwsCredError:
                continue
            found.setdefault(target.cache_path, target)
    return list(found.values())


def default_target(profile: str | None, config: dict[str, Any] | None = None) -> SsoTarget:
    """What ``%aws_sso_login`` with no argument signs in to: ``profile`` if it is an SSO
    profile, else the only sso-session in the config."""
    config = _config(config)
    if profile and is_sso_profile(config.get("profiles", {}).get(profile, {})):
        return target_for(profile, config=config)
    sessions = sorted(config.get("sso_sessions", {}))
    if len(sessions) == 1:
        return target_for(sso_session=sessions[0], config=config)
    names = ", ".join(sessions) or "none"
    raise AwsCredError(
        f"Which IAM Identity Center? Name an SSO profile or --sso-session NAME (sso-sessions: "
        f"{names})."
    )


# --------------------------------------------------------------------------- the token cache


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json_atomically(path: str, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` readable by its owner only (0600), all or nothing: a
    reader (botocore in another process) sees the old file or the new one, never half."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".aws-cred-magic-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


@dataclass(frozen=True)
class TokenStatus:
    """The state of the cached sign-in of a target: ``valid``, ``refreshable`` (expired, but
    botocore can refresh it), ``expired`` or ``no login``. No secret inside."""

    target: SsoTarget
    state: str
    expires_at: dt.datetime | None = None

    @property
    def usable(self) -> bool:
        return self.state in ("valid", "refreshable")

    def text(self, now: dt.datetime | None = None) -> str:
        """``valid until 2026-12-01 14:00 UTC (in 7 h 59 min)``, ``expired …, refreshable``…"""
        if self.state == "no login":
            return "no login"
        when = format_expiry(self.expires_at, now)
        if self.state == "valid":
            return f"valid until {when}"
        stamp = when.split(" (")[0]
        if self.state == "refreshable":
            return f"expired {stamp}, refreshable"
        return f"expired {stamp}"

    def __str__(self) -> str:
        return self.text()


def _refreshable(token: dict[str, Any], now: dt.datetime) -> bool:
    """What botocore's ``SSOTokenProvider`` needs to refresh: a refresh token and a client
    registration that has not expired."""
    if not all(token.get(k) for k in ("refreshToken", "clientId", "clientSecret")):
        return False
    registration_expires = _parse_time(token.get("registrationExpiresAt"))
    return registration_expires is not None and registration_expires > now


def token_status(target: SsoTarget, now: dt.datetime | None = None) -> TokenStatus:
    """Read the cached token of ``target`` (no network) and say what it is good for."""
    now = now or _now()
    token = _read_json(target.cache_path)
    if not token or "accessToken" not in token:
        return TokenStatus(target, "no login")
    expires = _parse_time(token.get("expiresAt"))
    if expires is None:
        return TokenStatus(target, "no login")
    if expires > now:
        return TokenStatus(target, "valid", expires)
    # Only sso-session tokens are refreshed by botocore (legacy profiles have no provider).
    if target.session_name is not None and _refreshable(token, now):
        return TokenStatus(target, "refreshable", expires)
    return TokenStatus(target, "expired", expires)


def status_text(profile: str, config: dict[str, Any]) -> str | None:
    """The SSO login state of ``profile`` for tables (None if it is not an SSO profile)."""
    settings = config.get("profiles", {}).get(profile, {})
    if not is_sso_profile(settings):
        return None
    try:
        return token_status(target_for(profile, config=config)).text()
    except AwsCredError:
        return None


def _login_hint(target: SsoTarget) -> str:
    if target.profile:
        return f"%aws_sso_login {target.profile}"
    if target.session_name:
        return f"%aws_sso_login --sso-session {target.session_name}"
    return "%aws_sso_login PROFILE"


# --------------------------------------------------------------------------- clients


def _client(service: str, target: SsoTarget, timeout: float, core: Any = None) -> Any:
    """botocore's own ``sso-oidc`` / ``sso`` client: unsigned (these APIs take tokens, not
    keys), in the Identity Center's region, one attempt, bounded by ``timeout``.
    ``AWS_ENDPOINT_URL_SSO_OIDC`` / ``AWS_ENDPOINT_URL_SSO`` redirect it as botocore says."""
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    from .identity import protect_botocore_logs

    protect_botocore_logs()
    config = Config(
        region_name=target.region,
        signature_version=UNSIGNED,
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    try:
        core = core or botocore.session.Session()
        return core.create_client(service, config=config)
    except Exception as exc:
        raise AwsCredError(describe_error(exc)) from None


# --------------------------------------------------------------------------- the device flow


class DeviceLogin:
    """One sign-in: the device authorization flow for ``target``, polled in a thread.

    ``start()`` returns at once; ``status`` goes ``starting`` → ``pending`` (show
    ``verification_uri_complete`` and ``user_code``) → ``signed in``, or ``denied``,
    ``expired``, ``cancelled``, ``failed`` (``message`` says why). ``on_change(login)`` is
    called from the thread after every change; ``cancel()`` stops it within a moment.
    """

    FINAL = ("signed in", "denied", "expired", "cancelled", "failed")

    def __init__(
        self,
        target: SsoTarget,
        *,
        timeout: float,
        on_change: Callable[[DeviceLogin], None] | None = None,
        slow_down_delay: float = SLOW_DOWN_DELAY,
    ) -> None:
        self.target = target
        self.timeout = float(timeout)
        self.on_change = on_change
        self.slow_down_delay = slow_down_delay
        self.status = "starting"
        self.message = f"Starting sign-in to {target.label}…"
        self.user_code: str | None = None
        self.verification_uri: str | None = None
        self.verification_uri_complete: str | None = None
        self.expires_at: dt.datetime | None = None  # of the device code
        self.token_expires_at: dt.datetime | None = None
        self.interval: float = DEFAULT_INTERVAL
        self.polls = 0
        self._cancelled = threading.Event()
        self._done = threading.Event()
        self.thread: threading.Thread | None = None
        self._new_registration: dict[str, Any] | None = None  # written with the token

    # -- control
    def start(self) -> DeviceLogin:
        self.thread = threading.Thread(target=self.run, daemon=True, name="aws-sso-login")
        self.thread.start()
        return self

    def cancel(self) -> None:
        self._cancelled.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the flow ends (or ``timeout``); True if it ended."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        if self.expires_at is None:
            return 0
        return max(0, int((self.expires_at - (now or _now())).total_seconds()))

    # -- the flow
    def run(self) -> None:
        """The whole flow, in the calling thread. Never raises: the outcome is ``status``."""
        try:
            self._run()
        except AwsCredError as exc:
            self._finish("failed", str(exc))
        except Exception as exc:  # any botocore error: one scrubbed line, never a secret
            self._finish("failed", f"Sign-in to {self.target.label} failed: {describe_error(exc)}")
        finally:
            self._done.set()

    def _run(self) -> None:
        client = _client("sso-oidc", self.target, self.timeout)
        registration = self._registration(client)
        if self._cancelled.is_set():
            return self._finish("cancelled", "Sign-in cancelled: nothing was written.")
        authorization = client.start_device_authorization(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            startUrl=self.target.start_url,
        )
        self.user_code = authorization["userCode"]
        self.verification_uri = authorization["verificationUri"]
        self.verification_uri_complete = (
            authorization.get("verificationUriComplete") or authorization["verificationUri"]
        )
        self.expires_at = _now() + dt.timedelta(seconds=int(authorization["expiresIn"]))
        interval = authorization.get("interval")
        self.interval = float(DEFAULT_INTERVAL if interval is None else interval)
        self._set(
            "pending",
            f"Open {self.verification_uri_complete} and confirm the code {self.user_code}.",
        )
        device_code = authorization["deviceCode"]
        while True:
            if self._cancelled.wait(max(self.interval, MIN_POLL_WAIT)):
                return self._finish("cancelled", "Sign-in cancelled: nothing was written.")
            if _now() >= self.expires_at:
                return self._finish(
                    "expired", "The sign-in code expired before it was approved: start again."
                )
            self.polls += 1
            try:
                response = client.create_token(
                    grantType=_DEVICE_GRANT,
                    clientId=registration["clientId"],
                    clientSecret=registration["clientSecret"],
                    deviceCode=device_code,
                )
            except Exception as exc:
                name = error_name(exc)
                if name == "AuthorizationPendingException":
                    continue
                if name == "SlowDownException":
                    self.interval += self.slow_down_delay
                    continue
                if name == "ExpiredTokenException":
                    return self._finish(
                        "expired", "The sign-in code expired before it was approved: start again."
                    )
                if name == "AccessDeniedException":
                    return self._finish("denied", f"Sign-in to {self.target.label} was denied.")
                raise
            if self._cancelled.is_set():
                return self._finish("cancelled", "Sign-in cancelled: nothing was written.")
            if self._new_registration is not None:  # kept only once it has signed someone in
                _write_json_atomically(self.target.registration_path, self._new_registration)
            self.token_expires_at = write_token(self.target, response, registration)
            return self._finish(
                "signed in",
                f"Signed in to {self.target.label}: token "
                f"{TokenStatus(self.target, 'valid', self.token_expires_at).text()}.",
            )

    def _registration(self, client: Any) -> dict[str, Any]:
        """The cached client registration if it is good for 15 more minutes (as the CLI
        decides), else a new one, cached where the CLI caches it once the sign-in succeeds
        (a cancelled, denied or expired sign-in writes nothing to the SSO cache)."""
        path = self.target.registration_path
        cached = _read_json(path)
        if cached and cached.get("clientId") and cached.get("clientSecret"):
            expires = _parse_time(cached.get("expiresAt"))
            if expires is not None and expires - _now() > REGISTRATION_EXPIRY_WINDOW:
                return cached
        name = self.target.session_name or f"{int(time.time())}"
        kwargs: dict[str, Any] = {"clientName": f"botocore-client-{name}", "clientType": "public"}
        if self.target.scopes:
            kwargs["scopes"] = list(self.target.scopes)
        response = client.register_client(**kwargs)
        expires_at = dt.datetime.fromtimestamp(response["clientSecretExpiresAt"], dt.timezone.utc)
        registration: dict[str, Any] = {
            "clientId": response["clientId"],
            "clientSecret": response["clientSecret"],
            "expiresAt": expires_at.strftime(_STAMP),
        }
        if self.target.scopes:
            registration["scopes"] = list(self.target.scopes)
        self._new_registration = registration
        return registration

    def _set(self, status: str, message: str) -> None:
        self.status, self.message = status, message
        if self.on_change is not None:
            try:
                self.on_change(self)
            except Exception as exc:  # a display callback must not end the sign-in
                _logger.warning(
                    "aws_cred_magic: showing the sign-in failed: %s", describe_error(exc)
                )

    def _finish(self, status: str, message: str) -> None:
        self._set(status, message)

    def __repr__(self) -> str:
        return f"<DeviceLogin {self.target.label}: {self.status}>"


def wait_in_foreground(
    login: DeviceLogin,
    show_pending: Callable[[DeviceLogin], None],
    *,
    tick: float = 0.2,
) -> DeviceLogin:
    """Run ``login`` and wait for its outcome in the calling thread (a terminal): call
    ``show_pending(login)`` once the link and code are known, then block until the request
    is approved, denied or expires. Ctrl-C (``KeyboardInterrupt``) cancels it: nothing is
    written to the SSO cache. Returns the signed-in login; any other outcome is an
    ``AwsCredError`` with its one-line message. Every wait is bounded: each call by the
    login's timeout, the whole by the device code's expiry."""
    if login.thread is None:
        login.start()
    shown = False
    try:
        while not login.wait(tick):
            if not shown and login.status == "pending":
                show_pending(login)
                shown = True
    except KeyboardInterrupt:
        login.cancel()
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop waiting too
            login.wait(login.timeout + 1.0)  # a CreateToken in flight ends within its timeout
        if login.status != "signed in":  # approved just before Ctrl-C: that is the outcome
            raise AwsCredError("Sign-in cancelled: nothing was written.") from None
    if login.status != "signed in":
        raise AwsCredError(login.message)
    return login


def start_login(logins: dict[str, DeviceLogin], target: SsoTarget, timeout: float) -> DeviceLogin:
    """A new sign-in for ``target``; one still polling for the same target is cancelled."""
    previous = logins.get(target.cache_path)
    if previous is not None and not previous.done:
        previous.cancel()
    login = DeviceLogin(target, timeout=timeout)
    logins[target.cache_path] = login
    return login


def write_token(
    target: SsoTarget, response: dict[str, Any], registration: dict[str, Any]
) -> dt.datetime:
    """Write CreateToken's answer to botocore's SSO cache as the AWS CLI v2 does; returns
    the token's expiry. A legacy profile's token holds startUrl, region, accessToken and
    expiresAt; an sso-session's also the registration and the refresh token, which is what
    lets botocore's ``SSOTokenProvider`` refresh it."""
    expires_at = _now() + dt.timedelta(seconds=int(response["expiresIn"]))
    token: dict[str, Any] = {
        "startUrl": target.start_url,
        "region": target.region,
        "accessToken": response["accessToken"],
        "expiresAt": expires_at.strftime(_STAMP),
    }
    if target.session_name is not None:
        token["clientId"] = registration["clientId"]
        token["clientSecret"] = registration["clientSecret"]
        token["registrationExpiresAt"] = registration["expiresAt"]
        if response.get("refreshToken"):
            token["refreshToken"] = response["refreshToken"]
    _write_json_atomically(target.cache_path, token)
    return expires_at.replace(microsecond=0)


# --------------------------------------------------------------------------- using the token


def _token_provider(target: SsoTarget, core: Any) -> Any:
    """botocore's ``SSOTokenProvider`` for ``target``: the profile's own when signed in
    through a profile, else one fixed on the sso-session (botocore's refresh logic either way)."""
    from botocore.tokens import SSOTokenProvider

    if target.profile is not None:
        return SSOTokenProvider(core, profile_name=target.profile)

    class SessionTokenProvider(SSOTokenProvider):
        def _load_sso_config(self) -> dict[str, str]:
            return {
                "session_name": target.session_name,
                "sso_region": target.region,
                "sso_start_url": target.start_url,
            }

    return SessionTokenProvider(core)


def _bounded_core(timeout: float) -> Any:
    """A botocore session whose clients (those botocore's providers make too) are bounded."""
    import botocore.session

    from .identity import _bounded_config

    core = botocore.session.Session()
    create_client = core.create_client
    bound = _bounded_config(timeout)

    def bounded_create_client(*args: Any, **kwargs: Any) -> Any:
        given = kwargs.get("config")
        kwargs["config"] = given.merge(bound) if given is not None else bound
        return create_client(*args, **kwargs)

    core.create_client = bounded_create_client
    return core


def refresh(target: SsoTarget, timeout: float) -> TokenStatus:
    """Refresh an expired sso-session token through botocore's ``SSOTokenProvider`` (which
    rewrites the cache); raises ``AwsCredError`` naming ``%aws_sso_login`` if it cannot."""
    if target.session_name is None:
        raise AwsCredError(
            f"The SSO login for {target.label} cannot be refreshed: run {_login_hint(target)}."
        )
    provider = _token_provider(target, _bounded_core(timeout))
    try:
        provider.load_token().get_frozen_token()
    except Exception as exc:
        raise AwsCredError(
            f"Refreshing the SSO login for {target.label} failed ({describe_error(exc)}): run "
            f"{_login_hint(target)}."
        ) from None
    status = token_status(target)
    if status.state != "valid":
        raise AwsCredError(
            f"The SSO login for {target.label} could not be refreshed: run {_login_hint(target)}."
        )
    return status


def ensure_login(target: SsoTarget, timeout: float) -> TokenStatus:
    """A valid token for ``target``: as it is, refreshed if it can be, else ``AwsCredError``
    with one line naming ``%aws_sso_login``. Nothing else changes."""
    status = token_status(target)
    if status.state == "valid":
        return status
    if status.state == "refreshable":
        return refresh(target, timeout)
    what = "has no cached login" if status.state == "no login" else f"login {status.text()}"
    subject = f"Profile {target.profile!r} ({target.label})" if target.profile else target.label
    raise AwsCredError(f"{subject} {what}: run {_login_hint(target)} first.")


def check_profile(profile: str, config: dict[str, Any], timeout: float) -> TokenStatus | None:
    """For ``%aws_use``: an SSO profile whose login expired but can be refreshed is refreshed
    now, through botocore's ``SSOTokenProvider`` (``AwsCredError`` naming %aws_sso_login if
    that fails). Returns the status of an SSO profile, None for any other; a missing or
    dead login is refused by ``preflight`` in the same words as for a role's source."""
    if not is_sso_profile(config.get("profiles", {}).get(profile, {})):
        return None
    try:
        target = target_for(profile, config=config)
    except AwsCredError:
        return None  # botocore's own error for the broken configuration follows
    status = token_status(target)
    if status.state == "refreshable":
        return refresh(target, timeout)
    return status


def access_token(target: SsoTarget, timeout: float) -> str:
    """The cached access token (refreshed if needed). For calls to the portal only."""
    ensure_login(target, timeout)
    token = _read_json(target.cache_path) or {}
    return str(token.get("accessToken", ""))


def accounts_frame(target: SsoTarget, timeout: float) -> pandas.DataFrame:
    """The accounts and roles the signed-in user may use (ListAccounts, ListAccountRoles):
    one row per account and role, columns ``account_id, account_name, email, role_name``."""
    import pandas as pd

    token = access_token(target, timeout)
    client = _client("sso", target, timeout)
    rows = []
    try:
        for page in client.get_paginator("list_accounts").paginate(accessToken=token):
            for account in page.get("accountList", []):
                roles = client.get_paginator("list_account_roles").paginate(
                    accessToken=token, accountId=account["accountId"]
                )
                for role_page in roles:
                    for role in role_page.get("roleList", []):
                        rows.append(
                            {
                                "account_id": account["accountId"],
                                "account_name": account.get("accountName"),
                                "email": account.get("emailAddress"),
                                "role_name": role["roleName"],
                            }
                        )
    except Exception as exc:
        raise AwsCredError(_portal_error(exc, target, [token])) from None
    frame = pd.DataFrame(rows, columns=["account_id", "account_name", "email", "role_name"])
    frame.attrs["sso"] = target.label
    return frame


def _portal_error(exc: BaseException, target: SsoTarget, secrets: Iterable[str]) -> str:
    if error_name(exc) == "UnauthorizedException":
        return (
            f"The portal no longer accepts the SSO login for {target.label}: run "
            f"{_login_hint(target)}."
        )
    return describe_error(exc, secrets)


def role_session(
    target: SsoTarget,
    account_id: str,
    role_name: str,
    *,
    region: str | None,
    timeout: float,
) -> boto3.Session:
    """A ``boto3.Session`` for any account and role of a signed-in Identity Center, without
    writing config: botocore's ``SSOCredentialFetcher`` (GetRoleCredentials, cached and
    refreshed like an SSO profile's) behind ``DeferredRefreshableCredentials``."""
    import boto3
    from botocore.credentials import DeferredRefreshableCredentials, SSOCredentialFetcher
    from botocore.utils import JSONFileCache, SSOTokenLoader

    ensure_login(target, timeout)
    core = _bounded_core(timeout)
    fetcher_kwargs: dict[str, Any] = {
        "start_url": target.start_url,
        "sso_region": target.region,
        "role_name": role_name,
        "account_id": account_id,
        "client_creator": core.create_client,
        "token_loader": SSOTokenLoader(cache=JSONFileCache(token_cache_dir(target))),
    }
    if target.session_name is not None:
        fetcher_kwargs["sso_session_name"] = target.session_name
        fetcher_kwargs["token_provider"] = _token_provider(
            SsoTarget(target.start_url, target.region, target.session_name, target.scopes),
            core,
        )
    fetcher = SSOCredentialFetcher(**fetcher_kwargs)
    core._credentials = DeferredRefreshableCredentials(
        method="sso", refresh_using=fetcher.fetch_credentials
    )
    session = boto3.Session(botocore_session=core, region_name=region or target.region)
    try:
        session.get_credentials().get_frozen_credentials()  # GetRoleCredentials, bounded
    except Exception as exc:
        raise AwsCredError(
            f"No credentials for account {account_id} role {role_name} via {target.label}: "
            f"{_portal_error(exc, target, [])}"
        ) from None
    return session


def logout(targets: Iterable[SsoTarget], timeout: float) -> list[str]:
    """Sign out of each target: the portal's Logout, then remove the cached token file this
    extension (or the CLI) wrote for it. Client registrations and every other file stay.
    Returns one line per target."""
    lines = []
    for target in targets:
        token = _read_json(target.cache_path)
        if not token:
            lines.append(f"{target.label}: not signed in")
            continue
        note = ""
        if token.get("accessToken"):
            try:
                _client("sso", target, timeout).logout(accessToken=token["accessToken"])
            except Exception as exc:  # still remove the token: logging out locally matters
                note = f" (the portal did not confirm: {_portal_error(exc, target, [])})"
        with contextlib.suppress(FileNotFoundError):  # gone already: signed out all the same
            os.unlink(target.cache_path)
        lines.append(f"{target.label}: signed out, cached token removed{note}")
    return lines

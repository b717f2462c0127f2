"""Export: the chosen session reaches every S3 reader in the kernel, not only boto3.

With the opt-in on (``%config AwsCredMagics.export_env = True``, ``%aws_use … --env``, the
panel's checkbox) every switch of the current session rewrites the process environment:

* a profile session exports ``AWS_PROFILE`` (and its region), so libraries that build their
  own sessions (s3fs, polars, pyarrow, papermill, dask, …) resolve the same profile and keep
  its own refresh; any key variables are removed, since botocore reads them first;
* a keys or role session exports its keys with ``AWS_CREDENTIAL_EXPIRATION``; before each
  cell, ``refresh()`` re-exports them once botocore has refreshed the session (a role calls
  AssumeRole again by itself about 15 minutes before expiry).

s3fs caches one filesystem per set of arguments, so ``pd.read_csv("s3://…")`` would go on
reading as the identity it first saw: its instance cache is cleared on every export, but only
if s3fs is already imported (nothing here imports an optional reader). The environment as it
was before the first export comes back on ``%aws_env --unset``, on turning the opt-in off,
and on unload.

Also here: explicit per-call options for the readers analysts use, each refreshing the
session's keys first and failing with one clear line when they have expired.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError, describe_error
from .masking import mask_access_key

if TYPE_CHECKING:  # pragma: no cover
    import boto3

# Every variable an export may set or remove, in the order they are reported.
EXPORT_NAMES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


def fresh_credentials(session: boto3.Session, *, timeout: float, name: str = "") -> Any:
    """The session's keys as they are now, refreshed first if botocore says so; every call
    a refresh makes waits at most ``timeout`` seconds. ``AwsCredError`` if there are none,
    or if they have expired and cannot be refreshed."""
    from .identity import _bounded_credential_calls, _session_secrets

    label = f"{name}: " if name else ""
    try:
        with _bounded_credential_calls(session, timeout):
            credentials = session.get_credentials()
            if credentials is None:
                from botocore.exceptions import NoCredentialsError

                raise NoCredentialsError()
            frozen = credentials.get_frozen_credentials()
    except AwsCredError:
        raise
    except Exception as exc:  # RuntimeError for expired keys, STS and network errors
        message = describe_error(exc, _session_secrets(session))
        if "expired" in message.lower():
            message += " (get fresh keys, or assume the role again with %aws_assume)"
        raise AwsCredError(label + message) from None
    expiry = expiry_of(credentials)
    if expiry is not None and expiry <= dt.datetime.now(dt.timezone.utc):
        raise AwsCredError(
            f"{label}these credentials expired at {expiry:%Y-%m-%d %H:%M} UTC and cannot "
            "refresh: get fresh keys, or assume the role again with %aws_assume."
        )
    return frozen


def expiry_of(credentials: Any) -> dt.datetime | None:
    expiry = getattr(credentials, "_expiry_time", None)
    if isinstance(expiry, dt.datetime):
        return expiry if expiry.tzinfo else expiry.replace(tzinfo=dt.timezone.utc)
    return None


def environment_for(record: Any, *, timeout: float) -> dict[str, str | None]:
    """The AWS_* variables that make other libraries resolve ``record``'s identity."""
    session = record.session
    region = session.region_name
    values: dict[str, str | None] = dict.fromkeys(EXPORT_NAMES)
    values["AWS_DEFAULT_REGION"] = values["AWS_REGION"] = region
    if record.profile is not None:
        values["AWS_PROFILE"] = record.profile
        return values
    frozen = fresh_credentials(session, timeout=timeout, name=record.name)
    values["AWS_ACCESS_KEY_ID"] = frozen.access_key
    values["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
    values["AWS_SESSION_TOKEN"] = values["AWS_SECURITY_TOKEN"] = frozen.token
    # Pasted keys tell their expiry (AWS_CREDENTIAL_EXPIRATION) though botocore cannot know it.
    expiry = expiry_of(session.get_credentials()) or getattr(record, "expires", None)
    if expiry is not None and expiry <= dt.datetime.now(dt.timezone.utc):
        raise AwsCredError(
            f"{record.name}: these keys expired at {expiry:%Y-%m-%d %H:%M} UTC: get fresh ones "
            "from the portal (%aws_keys)."
        )
    if expiry is not None:
        values["AWS_CREDENTIAL_EXPIRATION"] = expiry.astimezone(dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return values


def forget_cached_filesystems() -> list[str]:
    """Clear the filesystem caches of readers already imported (never imports one)."""
    cleared = []
    s3fs = sys.modules.get("s3fs")
    if s3fs is not None:
        s3fs.S3FileSystem.clear_instance_cache()
        cleared.append("s3fs")
    return cleared


class EnvExport:
    """What the opt-in exported last, so a refresh re-exports only when the keys moved."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.record: Any = None
        self.access_key: str | None = None
        self.expiry: str | None = None
        self.warned: str | None = None
        state.observe(self._on_state_change)

    @property
    def active(self) -> bool:
        return self.record is not None

    def export(self, record: Any, values: dict[str, str | None] | None = None) -> str:
        """Export ``record`` (``values`` from ``environment_for`` if already computed);
        returns the one-line summary (no secret)."""
        if values is None:
            values = environment_for(record, timeout=self.state.timeout)
        self._pin_regions()
        # ``values`` were read while an earlier export's region was in the environment.
        region = record.session.region_name
        values = {**values, "AWS_DEFAULT_REGION": region, "AWS_REGION": region}
        names = self.state.namespace.set_env(values)
        forget_cached_filesystems()
        self.record = record
        self.access_key = values["AWS_ACCESS_KEY_ID"]
        self.expiry = values["AWS_CREDENTIAL_EXPIRATION"]
        self.warned = None
        if values["AWS_PROFILE"]:
            what = f"AWS_PROFILE={values['AWS_PROFILE']}"
        else:
            what = f"key {mask_access_key(self.access_key)}"
            if self.expiry:
                what += f", expiring {self.expiry}"
        return f"exported {record.name} ({what}) as {', '.join(names)}"

    def _pin_regions(self) -> None:
        # botocore re-reads AWS_DEFAULT_REGION on every access: without a pin, exporting it
        # would move every held session made without --region to the exported one's region.
        for held in list(self.state.records.values()):
            core = held.session._session
            if core.instance_variables().get("region"):
                continue  # pinned already, or made with a region
            region = self._own_region(core)
            if region:
                core.set_config_variable("region", region)

    def _own_region(self, core: Any) -> str | None:
        """The region botocore gives a session (made without one) in the user's own
        environment, i.e. without what an export set: AWS_DEFAULT_REGION as the user had it,
        else the profile's ``region``. A session made while an export is on would otherwise
        take the exported session's region instead of its profile's."""
        region = self.state.namespace.env_before("AWS_DEFAULT_REGION")
        if region:
            return region
        try:
            return core.get_scoped_config().get("region")
        except Exception:  # a profile that no longer parses: botocore's own answer stands
            return core.get_config_variable("region")

    def _on_state_change(self, state: Any) -> None:
        """A session made or switched to while the export is on gets its own region."""
        if self.active:
            self._pin_regions()

    def refresh(self) -> str | None:
        """Before a cell: re-export the keys if botocore refreshed them (or is about to).
        Never raises; a failure is returned once, as a warning line."""
        record = self.record
        if record is None or record.profile is not None:
            return None
        if self.state.records.get(record.name) is not record:
            return None  # switched or dropped without an export: nothing of ours to refresh
        try:
            frozen = fresh_credentials(record.session, timeout=self.state.timeout)
            if frozen.access_key == self.access_key:
                expires = getattr(record, "expires", None)  # pasted keys cannot refresh
                if expires is not None and expires <= dt.datetime.now(dt.timezone.utc):
                    raise AwsCredError(
                        f"{record.name}'s keys expired at {expires:%Y-%m-%d %H:%M} UTC: "
                        "paste fresh ones with %aws_keys --env."
                    )
                return None
            return self.export(record)
        except AwsCredError as exc:
            message = f"aws_cred_magic: could not refresh the exported credentials: {exc}"
            if message == self.warned:
                return None
            self.warned = message
            return message

    def clear(self) -> list[str]:
        self.record = self.access_key = self.expiry = None
        names = self.state.namespace.unset_env()
        forget_cached_filesystems()
        return names


# --------------------------------------------------------------------------- per-call options
def _endpoint_s3() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


def polars_storage_options(session: boto3.Session, *, timeout: float) -> dict[str, str]:
    """``pl.read_csv("s3://…", storage_options=…)`` with ``session``'s keys as they are now."""
    from .sessions import StorageOptions

    frozen = fresh_credentials(session, timeout=timeout)
    options = StorageOptions(aws_access_key_id=frozen.access_key)
    options["aws_secret_access_key"] = frozen.secret_key
    if frozen.token:
        options["aws_session_token"] = frozen.token
    if session.region_name:
        options["aws_region"] = session.region_name
    endpoint = _endpoint_s3()
    if endpoint:
        options["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            options["aws_allow_http"] = "true"
    return options


def pyarrow_filesystem(session: boto3.Session, *, timeout: float) -> Any:
    """A ``pyarrow.fs.S3FileSystem`` with ``session``'s keys as they are now (its repr shows
    none). Build a new one after the keys refresh: pyarrow keeps what it is given."""
    try:
        from pyarrow import fs
    except ImportError:
        raise AwsCredError("pyarrow is not installed: pip install pyarrow") from None
    frozen = fresh_credentials(session, timeout=timeout)
    kwargs: dict[str, Any] = {
        "access_key": frozen.access_key,
        "secret_key": frozen.secret_key,
        "session_token": frozen.token,
        "connect_timeout": timeout,
        "request_timeout": timeout,
    }
    if session.region_name:
        kwargs["region"] = session.region_name
    endpoint = _endpoint_s3()
    if endpoint:
        scheme, _, rest = endpoint.partition("://")
        kwargs["endpoint_override"] = rest or scheme
        if rest:
            kwargs["scheme"] = scheme
    return fs.S3FileSystem(**kwargs)

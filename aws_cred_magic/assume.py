"""Assume a role ad hoc: a ``boto3.Session`` for any role ARN, sourced from any session.

No config file is read or written for the role itself. The credentials are botocore's own:
an ``AssumeRoleCredentialFetcher`` behind ``DeferredRefreshableCredentials``, so the session
refreshes itself before expiry exactly as a ``role_arn`` profile would, and its source can be
any session (a profile, keys, or another role), so roles chain A → B → C.

Every input is checked here, once, before any network call; STS errors become one line that
names the likely cause (a wrong external ID is AccessDenied from the role's trust policy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError, describe_error, error_name
from .identity import DEFAULT_TIMEOUT, STS_FALLBACK_REGION, _bounded_config, _session_secrets
from .masking import one_line

if TYPE_CHECKING:  # pragma: no cover
    import boto3

# Role chaining (a role assumed with another role's credentials) lasts at most one hour,
# whatever the role allows; validate.check_duration holds STS's general 15 min to 12 h.
MAX_CHAINED_DURATION = 3600
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)

# The methods whose credentials are themselves a role's: assuming a role from them is
# "role chaining", which STS limits to one hour.
ROLE_METHODS = frozenset({"assume-role", "assume-role-with-web-identity", "sso"})


def check_external_id(external_id: object) -> str:
    """An STS ExternalId: 2 to 1224 characters of letters, digits and ``+=,.@:/_-``."""
    # An external ID is a shared identifier rather than a secret, but it is never echoed:
    # it can be long, and a pasted one may be another customer's.
    text = external_id if isinstance(external_id, str) else ""
    if not _EXTERNAL_ID.fullmatch(text):
        raise AwsCredError(
            f"The external ID ({len(text)} characters) is not valid: 2 to 1224 letters, "
            "digits or +=,.@:/_- (as the role's owner gave it to you)."
        )
    return text


def check_mfa_code(code: str) -> str:
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == 6):
        raise AwsCredError("The MFA code must be the 6 digits your device shows.")
    return code


def check_chained_duration(seconds: int | None) -> int | None:
    """STS's limit for role chaining: at most one hour."""
    if seconds is not None and seconds > MAX_CHAINED_DURATION:
        raise AwsCredError(
            f"Duration {seconds} s is too long for a chained role: a role assumed with another "
            "role's credentials lasts at most 1 h (3600 s). Use --duration 1h or less."
        )
    return seconds


@dataclass(frozen=True)
class RoleRequest:
    """A checked AssumeRole request. The external ID is kept, never shown."""

    role_arn: str
    external_id: str | None = None
    session_name: str | None = None
    duration_seconds: int | None = None
    mfa_serial: str | None = None
    region: str | None = None

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    def extra_args(self) -> dict[str, Any]:
        """The AssumeRole parameters besides RoleArn, in botocore's spelling."""
        args: dict[str, Any] = {}
        if self.session_name:
            args["RoleSessionName"] = self.session_name
        if self.external_id:
            args["ExternalId"] = self.external_id
        if self.mfa_serial:
            args["SerialNumber"] = self.mfa_serial
        if self.duration_seconds:
            args["DurationSeconds"] = self.duration_seconds
        return args

    def describe(self) -> str:
        """``role customer-a-writer (111122223333, external ID, 1 h)``: no secret."""
        details = [self.account]
        if self.external_id:
            details.append("external ID")
        if self.mfa_serial:
            details.append("MFA")
        if self.duration_seconds:
            details.append(_format_seconds(self.duration_seconds))
        return f"role {self.role_name} ({', '.join(details)})"

    def __repr__(self) -> str:
        return f"<RoleRequest {self.describe()}>"


def _format_seconds(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def role_request(
    role_arn: str,
    *,
    external_id: str | None = None,
    session_name: str | None = None,
    duration: str | int | None = None,
    mfa_serial: str | None = None,
    region: str | None = None,
    chained: bool = False,
) -> RoleRequest:
    """Check every input of an AssumeRole call; ``AwsCredError`` names the first bad one."""
    from . import validate

    seconds = None if duration in (None, "") else validate.check_duration(duration)
    if chained:
        check_chained_duration(seconds)
    return RoleRequest(
        role_arn=validate.check_role_arn(role_arn),
        external_id=check_external_id(external_id) if external_id is not None else None,
        session_name=(
            validate.check_role_session_name(session_name) if session_name is not None else None
        ),
        duration_seconds=seconds,
        mfa_serial=validate.check_mfa_serial(mfa_serial) if mfa_serial is not None else None,
        region=validate.check_region(region) if region is not None else None,
    )


def is_role_source(session: boto3.Session) -> bool:
    """True when the session's credentials are a role's (assuming from them is chaining)."""
    credentials = session._session._credentials
    if credentials is None:
        credentials = session.get_credentials()
    return getattr(credentials, "method", None) in ROLE_METHODS


def role_session(
    source: boto3.Session,
    request: RoleRequest,
    *,
    timeout: float | Callable[[], float] = DEFAULT_TIMEOUT,
    mfa_code: str | None = None,
) -> boto3.Session:
    """A new session whose credentials are ``request``'s role, assumed with ``source``'s.

    Nothing is called yet: the first use of the credentials calls AssumeRole (as for a
    ``role_arn`` profile), and botocore calls it again before they expire. Each AssumeRole,
    and a refresh of the source's own credentials, waits at most ``timeout`` seconds (a
    number, or a callable read at each call so the setting can change).
    """
    import boto3
    import botocore.session
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        DeferredRefreshableCredentials,
        create_mfa_serial_refresher,
    )

    from .identity import _bounded_credential_calls, bound_credential_calls

    def seconds() -> float:
        return float(timeout()) if callable(timeout) else float(timeout)

    region = request.region or source.region_name
    try:
        core = botocore.session.Session(profile=source.profile_name)
        session = boto3.Session(botocore_session=core, region_name=region)
    except Exception as exc:  # the source's profile vanished from a rewritten file
        raise AwsCredError(describe_error(exc)) from None
    source_credentials = source.get_credentials()
    if source_credentials is None:
        raise AwsCredError(
            "The source session has no credentials (NoCredentialsError): run %aws_chain to "
            "see why, or name another source with --from VAR or --profile P."
        )
    bound_credential_calls(source)

    def client_creator(service_name: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", region or STS_FALLBACK_REGION)
        kwargs["config"] = _bounded_config(seconds())
        return core.create_client(service_name, **kwargs)

    prompter = _code_prompter(mfa_code) if mfa_code is not None else None
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=client_creator,
        source_credentials=source_credentials,
        role_arn=request.role_arn,
        extra_args=request.extra_args(),
        mfa_prompter=prompter,
    )

    def fetch() -> dict[str, Any]:
        # The source's own refresh (a role profile, SSO) builds clients through the source
        # session: bound those too, for this call only.
        with _bounded_credential_calls(source, seconds()):
            return fetcher.fetch_credentials()

    refresh: Callable[[], dict[str, Any]] = fetch
    if request.mfa_serial:
        refresh = create_mfa_serial_refresher(fetch)
    credentials = DeferredRefreshableCredentials(refresh_using=refresh, method="assume-role")
    core._credentials = credentials
    core._aws_cred_magic_role = request  # whoami shows no profile for it
    return session


def _aws_message(exc: BaseException) -> str:
    """AWS's own message for an API error (without botocore's "An error occurred" frame)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(exc)


def _code_prompter(code: str) -> Callable[[str], str]:
    checked = check_mfa_code(code)
    used = []

    def prompter(prompt: str = "") -> str:
        if used:  # botocore asks again only on refresh, which the refresher refuses
            raise AwsCredError("The MFA code was used once already: assume the role again.")
        used.append(True)
        return checked

    return prompter


def first_assume(
    session: boto3.Session, request: RoleRequest, *, source: boto3.Session, source_label: str
) -> Any:
    """Call AssumeRole now (freeze the credentials) so a refusal shows at once; returns the
    frozen credentials, or raises ``AwsCredError`` with one line naming the cause."""
    credentials = session._session._credentials
    try:
        return credentials.get_frozen_credentials()
    except AwsCredError:
        raise
    except Exception as exc:
        secrets = [*_session_secrets(source), *_session_secrets(session)]
        raise AwsCredError(assume_error(exc, request, source_label, secrets)) from None


def assume_error(
    exc: BaseException,
    request: RoleRequest,
    source_label: str,
    secrets: list[str | None] | None = None,
) -> str:
    """One line for a failed AssumeRole: what STS said, and the likely cause."""
    name = error_name(exc)
    secrets = list(secrets or [])
    if request.external_id:
        secrets.append(request.external_id)
    who = f"{source_label} may not assume {request.role_arn}"
    said = _aws_message(exc)
    if name == "AccessDenied":
        if request.external_id:
            cause = (
                "the role's trust policy refused this caller or this external ID: check the "
                "external ID the role's owner gave you"
            )
        else:
            cause = (
                "the role's trust policy refused this caller: if the role requires an external "
                "ID, pass --external-id"
            )
        cause += "; or the caller's own policy does not allow sts:AssumeRole"
        return one_line(f"AccessDenied: {who} ({cause}). STS said: {said}", secrets, limit=600)
    if name == "ValidationError" and "duration" in str(exc).lower():
        return one_line(
            f"ValidationError: {exc} (the role allows a shorter session: use a smaller "
            "--duration, or ask for a larger MaxSessionDuration)",
            secrets,
        )
    return describe_error(exc, secrets)


def assume_into(
    state: Any,
    role_arn: str,
    *,
    source_var: str | None = None,
    profile: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    duration: str | int | None = None,
    mfa_serial: str | None = None,
    mfa_code: str | None = None,
    region: str | None = None,
    var: str | None = None,
) -> Any:
    """Assume ``role_arn`` for ``state`` (a ``CredentialState``) and activate the session.

    The source is the named session ``source_var``, else ``profile``, else the current
    session. Inputs are checked first; then AssumeRole is called once, so a refusal (a wrong
    external ID) fails here and leaves every session as it was.
    """
    from .sessions import SessionRecord

    if source_var is not None and profile is not None:
        raise AwsCredError("Use either --from VAR or --profile P as the source, not both.")
    request = role_request(
        role_arn,
        external_id=external_id,
        session_name=session_name,
        duration=duration,
        mfa_serial=mfa_serial,
        region=region,
    )
    if mfa_code is not None:
        check_mfa_code(mfa_code)
    state._refuse_switch_inside_cell()
    name = var or state.session_var
    if profile is not None:
        source = state.build_profile_session(profile)
        parent, label, source_name = f"profile {profile}", f"profile {profile}", None
    else:
        record = state.records.get(source_var) if source_var else state.current_record()
        if source_var and record is None:
            raise AwsCredError(f"No session named {source_var!r}: see %aws_sessions.")
        if record is not None:
            if record.mfa_pending:
                raise AwsCredError(
                    f"{record.name} waits for its MFA code: run %aws_whoami --var "
                    f"{record.name} (it prompts) first."
                )
            source, source_name = record.session, record.name
            # A session replaced by its own role keeps the lineage, not the reused name.
            parent = record.lineage if record.name == name else f"{record.name} ← {record.lineage}"
            label = f"{record.name} ({record.lineage})"
        else:
            source = state.current_session()
            parent = label = f"boto3's default chain (profile {source.profile_name})"
            source_name = None
    if is_role_source(source):
        check_chained_duration(request.duration_seconds)
    session = role_session(source, request, timeout=lambda: state.timeout, mfa_code=mfa_code)
    first_assume(session, request, source=source, source_label=label)
    record = SessionRecord(
        name,
        session,
        request.describe(),
        None,
        source_var=source_name if source_name != name else None,
        parent=parent,
    )
    state.activate(record)
    return record


def assume_from_session(
    source: boto3.Session,
    role_arn: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    mfa_code: str | None = None,
    **options: Any,
) -> boto3.Session:
    """The role's session, assumed with any ``boto3.Session`` (checked, then AssumeRole once)."""
    request = role_request(role_arn, **options)
    if mfa_code is not None:
        check_mfa_code(mfa_code)
    if is_role_source(source):
        check_chained_duration(request.duration_seconds)
    session = role_session(source, request, timeout=timeout, mfa_code=mfa_code)
    first_assume(session, request, source=source, source_label="the source session")
    return session

"""One-line, secret-free explanations of what went wrong.

Magics turn these into ``UsageError``; the panel shows them next to the fields; tables put
them in their ``detail`` or ``error`` column. Every message goes through ``masking``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .masking import one_line


class AwsCredError(Exception):
    """A problem the user can fix, with a message that says how. Never holds a secret."""


_MFA_ADVICE = "use %aws_use PROFILE (it prompts for the code) or the panel's MFA field"

# What to do about the errors analysts meet most, keyed by botocore/STS error name.
_ADVICE = {
    "InvalidClientTokenId": "AWS does not know this access key id: check it, or pick another one",
    "SignatureDoesNotMatch": "the secret access key does not match the key id: paste it again",
    "ExpiredToken": "the session token has expired: get fresh keys or log in again",
    "ExpiredTokenException": "the session token has expired: get fresh keys or log in again",
    "AccessDenied": "these credentials may not call this API: check the role's policy",
    "NoCredentialsError": "run %aws_chain to see why, then %aws_use or %aws_keys",
    "ProfileNotFound": "see %aws_profiles for the profiles that exist",
    "ConfigParseError": "fix the file's syntax (INI sections like [profile name])",
    "NoRegionError": "set a region: --region us-east-1, or region = ... in the profile",
    "EndpointConnectionError": "the endpoint did not answer: check the network or endpoint URL",
    "ConnectTimeoutError": "no answer in time: check the network or raise the timeout",
    "ReadTimeoutError": "no answer in time: check the network or raise the timeout",
    "MfaCodeRequired": _MFA_ADVICE,
    "RefreshWithMFAUnsupportedError": _MFA_ADVICE,
    "SSOTokenLoadError": "no valid SSO login cached: run %aws_sso_login PROFILE",
    "UnauthorizedSSOTokenError": "the SSO login has expired: run %aws_sso_login PROFILE",
}


def error_name(exc: BaseException) -> str:
    """The name that identifies an error: the AWS error code for API errors, else the class."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def describe_error(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """``"<ErrorName>: <message> (<what to do>)"`` on one line, with secrets scrubbed."""
    if isinstance(exc, AwsCredError):
        return one_line(exc, secrets)
    name = error_name(exc)
    message = str(exc) or type(exc).__doc__ or ""
    advice = _ADVICE.get(name) or _ADVICE.get(type(exc).__name__)
    suffix = f" ({advice})" if advice and advice not in message else ""
    # Shorten AWS's own wording, never the advice: it is what says what to do.
    return one_line(f"{name}: {message}", secrets, limit=300 - len(suffix)) + suffix

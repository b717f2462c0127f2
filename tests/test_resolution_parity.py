"""resolution_table() agrees with botocore itself, configuration by configuration.

Every case builds an isolated AWS world (files, env, local scripts and fake endpoints), then
asks botocore for its answer in that same world (``boto3.Session(...).get_credentials()``)
and compares it with the table: the winner's method and masked access key, or the error
botocore raises, or no credentials at all. Nothing here hard-codes who should win: the
oracle is botocore. Cases where botocore would run a process or call an endpoint are
compared with ``probe=True`` against scripts in the temp HOME and loopback servers.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

import aws_cred_magic

from .conftest import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    TEMP_KEY_ID,
    FakeMetadataServer,
    free_port,
)

KEY_A = "AKIAPARITYKEYAAAA0A1"  # masked: ****...A0A1
KEY_B = "AKIAPARITYKEYBBBB0B2"
KEY_C = "AKIAPARITYKEYCCCC0C3"
KEY_P = "AKIAPARITYPROCESS0P4"
SECRET = CANARY_SECRET
ROLE = "arn:aws:iam::123456789012:role/parity"


def masked(key: str | None) -> str:
    """The mask the table must show, written independently of aws_cred_magic.masking."""
    return "*" * 16 + key[-4:] if key else ""


# --------------------------------------------------------------------------- the oracle


@dataclass
class Answer:
    kind: str  # "winner", "none" or "error"
    method: str | None = None
    key: str = ""  # masked
    error: str | None = None  # exception class name
    stage: str | None = None  # "session" (boto3.Session() raised) or "chain"
    provider: str | None = None  # METHOD of the chain provider that raised


def _raising_provider(exc: BaseException) -> str | None:
    """The chain provider whose load() raised, read from the traceback."""
    from botocore.credentials import CredentialResolver

    tb = exc.__traceback__
    while tb is not None:
        frame_self = tb.tb_frame.f_locals.get("self")
        if isinstance(frame_self, CredentialResolver) and tb.tb_next is not None:
            provider = tb.tb_next.tb_frame.f_locals.get("self")
            return getattr(provider, "METHOD", None)
        tb = tb.tb_next
    return None


def session_kwargs(kwargs: dict) -> dict:
    names = {
        "profile": "profile_name",
        "region": "region_name",
        "aws_access_key_id": "aws_access_key_id",
        "aws_secret_access_key": "aws_secret_access_key",
        "aws_session_token": "aws_session_token",
        "aws_account_id": "aws_account_id",
    }
    return {names[k]: v for k, v in kwargs.items() if k in names}


def botocore_answer(kwargs: dict) -> tuple[Answer, Any]:
    """What botocore does for these arguments in the current environment."""
    try:
        session = boto3.Session(**session_kwargs(kwargs))
    except Exception as exc:
        return Answer("error", error=type(exc).__name__, stage="session"), None
    try:
        creds = session.get_credentials()
    except Exception as exc:
        error = Answer("error", error=type(exc).__name__, stage="chain")
        error.provider = _raising_provider(exc)
        return error, session
    if creds is None:
        return Answer("none"), session
    from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

    if isinstance(creds, DeferredRefreshableCredentials):
        key = None  # reading it would call STS / SSO
    elif isinstance(creds, RefreshableCredentials):
        key = creds._access_key  # no refresh
    else:
        key = creds.access_key
    return Answer("winner", method=creds.method, key=masked(key)), session


def table_answer(df) -> Answer:
    winners = df[df["winner"]]
    assert len(winners) <= 1, df
    if len(winners) == 1:
        row = winners.iloc[0]
        assert row["status"] == "winner"
        return Answer("winner", method=row["method"], key=row["access_key"])
    errors = df[df["status"] == "error"]
    if len(errors):
        row = errors.iloc[0]
        name = row["detail"].split(":", 1)[0]
        stage = "session" if row["method"] == "session" else "chain"
        return Answer("error", error=name, stage=stage, provider=row["method"])
    return Answer("none")


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    aws: Any
    request: Any  # fake endpoints are started only for the cases that use them

    @property
    def imds(self):
        return self.request.getfixturevalue("shared_servers")["imds"]

    @property
    def container(self):
        return self.request.getfixturevalue("shared_servers")["container"]

    def process(self, name: str, document: dict | None = None, exit_code: int = 0) -> str:
        """A credential_process command: a python script in HOME printing ``document``."""
        body = f"import json, sys\nsys.stdout.write({json.dumps(json.dumps(document or {}))})\n"
        if exit_code:
            body += f"sys.stderr.write('boom')\nsys.exit({exit_code})\n"
        path = self.aws.file(f"bin/{name}.py", body)
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"

    def good_process(self, key: str = KEY_P, expires: bool = False) -> str:
        doc = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": SECRET}
        if expires:
            later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
            doc["Expiration"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")
            doc["SessionToken"] = CANARY_TOKEN
        return self.process("good" + key[-2:], doc)

    def env_keys(self, key: str = KEY_A) -> None:
        self.aws.setenv("AWS_ACCESS_KEY_ID", key)
        self.aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)

    def imds_on(self, url: str) -> None:
        self.aws.delenv("AWS_EC2_METADATA_DISABLED")
        self.aws.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.rstrip("/") + "/")


@dataclass
class Case:
    setup: Callable[[World], dict]
    probe: bool = False


CASES: dict[str, Case] = {}


def case(case_id: str, probe: bool = False):
    def register(setup: Callable[[World], dict]) -> Callable[[World], dict]:
        assert case_id not in CASES, case_id
        CASES[case_id] = Case(setup, probe)
        return setup

    return register


def creds_section(name: str, key: str, token: bool = False) -> str:
    text = f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {SECRET}\n"
    if token:
        text += f"aws_session_token = {CANARY_TOKEN}\n"
    return text


# ---- nothing, env, profile precedence


@case("empty-world")
def _(w):
    return {}


@case("env-keys")
def _(w):
    w.env_keys()
    return {}


@case("env-keys-with-session-token")
def _(w):
    w.env_keys(TEMP_KEY_ID)
    w.aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    return {}


@case("env-access-key-without-secret")
def _(w):
    w.aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    return {}


@case("env-empty-access-key-falls-to-default-profile")
def _(w):
    w.aws.setenv("AWS_ACCESS_KEY_ID", "")
    w.aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {}


@case("env-expiration-future")
def _(w):
    w.env_keys(TEMP_KEY_ID)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    w.aws.setenv("AWS_CREDENTIAL_EXPIRATION", later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return {}


@case("env-expiration-past")
def _(w):
    w.env_keys(TEMP_KEY_ID)
    w.aws.setenv("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")
    return {}


@case("env-keys-beat-default-profile")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {}


@case("env-keys-beat-AWS_PROFILE")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_credentials(creds_section("dev", KEY_B))
    w.aws.setenv("AWS_PROFILE", "dev")
    return {}


@case("explicit-profile-removes-env")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_credentials(creds_section("dev", KEY_B))
    return {"profile": "dev"}


@case("explicit-default-profile-removes-env")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {"profile": "default"}


@case("explicit-profile-without-creds-ignores-env")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_config("[profile dev]\nregion = eu-west-1\n")
    return {"profile": "dev"}


@case("AWS_DEFAULT_PROFILE-read-before-AWS_PROFILE")
def _(w):
    w.aws.write_credentials(creds_section("one", KEY_A) + creds_section("two", KEY_B))
    w.aws.setenv("AWS_PROFILE", "one")
    w.aws.setenv("AWS_DEFAULT_PROFILE", "two")
    return {}


@case("AWS_PROFILE-selects-profile")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_A) + creds_section("two", KEY_B))
    w.aws.setenv("AWS_PROFILE", "two")
    return {}


@case("explicit-profile-beats-AWS_PROFILE")
def _(w):
    w.aws.write_credentials(creds_section("one", KEY_A) + creds_section("two", KEY_B))
    w.aws.setenv("AWS_PROFILE", "one")
    return {"profile": "two"}


@case("env-access-key-with-empty-secret")
def _(w):
    w.aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    w.aws.setenv("AWS_SECRET_ACCESS_KEY", "")
    return {}


@case("AWS_DEFAULT_PROFILE-empty-string-with-AWS_PROFILE")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_A) + creds_section("dev", KEY_B))
    w.aws.setenv("AWS_DEFAULT_PROFILE", "")
    w.aws.setenv("AWS_PROFILE", "dev")
    return {}


@case("explicit-empty-profile-name")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {"profile": ""}


@case("explicit-profile-ignores-missing-AWS_PROFILE")
def _(w):
    w.aws.write_credentials(creds_section("dev", KEY_B))
    w.aws.setenv("AWS_PROFILE", "ghost")
    return {"profile": "dev"}


@case("env-keys-shadow-broken-assume-role")
def _(w):
    w.env_keys(KEY_A)
    w.aws.write_config(f"[default]\nrole_arn = {ROLE}\n")
    return {}


# ---- missing profiles and malformed files (boto3.Session() raises)


@case("explicit-missing-profile")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_A))
    return {"profile": "nope"}


@case("AWS_PROFILE-missing-even-with-env-keys")
def _(w):
    w.env_keys()
    w.aws.setenv("AWS_PROFILE", "nope")
    return {}


@case("AWS_PROFILE-default-with-no-files")
def _(w):
    w.aws.setenv("AWS_PROFILE", "default")
    return {}


@case("malformed-config-file")
def _(w):
    w.aws.write_config("this line has no section\n[default]\nregion=us-east-1\n")
    return {}


@case("malformed-credentials-with-env-keys")
def _(w):
    w.env_keys()
    w.aws.write_credentials("aws_access_key_id = orphan\n[default]\n")
    return {}


# ---- file section rules


@case("config-profile-prefix-keys")
def _(w):
    w.aws.write_config(
        f"[profile dev]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    return {"profile": "dev"}


@case("config-section-without-prefix-is-not-a-profile")
def _(w):
    w.aws.write_config(f"[dev]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n")
    return {"profile": "dev"}


@case("credentials-profile-prefix-is-literal-name")
def _(w):
    w.aws.write_credentials(creds_section("profile dev", KEY_B))
    return {"profile": "profile dev"}


@case("credentials-file-beats-config-file-keys")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B))
    w.aws.write_config(
        f"[default]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    return {}


@case("config-default-and-profile-default-sections")
def _(w):
    w.aws.write_config(
        f"[default]\naws_access_key_id = {KEY_A}\naws_secret_access_key = {SECRET}\n"
        f"[profile default]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    return {}


@case("credentials-empty-access-key-value")
def _(w):
    w.aws.write_credentials(f"[default]\naws_access_key_id =\naws_secret_access_key = {SECRET}\n")
    w.aws.write_config(
        f"[default]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    return {}


@case("credentials-key-without-secret-secret-only-in-config")
def _(w):
    w.aws.write_credentials(f"[default]\naws_access_key_id = {KEY_B}\n")
    w.aws.write_config(f"[default]\naws_secret_access_key = {SECRET}\n")
    return {}


@case("config-file-keys-for-AWS_PROFILE")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_A))
    w.aws.write_config(
        f"[profile dev]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    w.aws.setenv("AWS_PROFILE", "dev")
    return {}


@case("region-from-credentials-file-wins")
def _(w):
    w.aws.write_credentials(creds_section("dev", KEY_B) + "region = eu-central-1\n")
    w.aws.write_config("[profile dev]\nregion = us-west-2\n")
    return {"profile": "dev"}


@case("AWS_DEFAULT_REGION-beats-profile-AWS_REGION-ignored")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B))
    w.aws.write_config("[default]\nregion = us-west-2\n")
    w.aws.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    w.aws.setenv("AWS_REGION", "sa-east-1")
    return {}


@case("region-argument-beats-everything")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B))
    w.aws.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    return {"region": "ca-central-1"}


@case("AWS_DEFAULT_REGION-empty-string")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B) + "region = eu-west-2\n")
    w.aws.setenv("AWS_DEFAULT_REGION", "")
    return {}


@case("profile-default-section-in-config")
def _(w):
    w.aws.write_config(
        f"[profile default]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    return {"profile": "default"}


# ---- assume role


@case("assume-role-source-profile")
def _(w):
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-in-credentials-file")
def _(w):
    w.aws.write_credentials(
        creds_section("base", KEY_B) + f"[admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-with-mfa-does-not-prompt")
def _(w):
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/me\nexternal_id = xyz\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-chain-of-three")
def _(w):
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(
        f"[profile a]\nrole_arn = {ROLE}-a\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}-b\nsource_profile = base\n"
    )
    return {"profile": "a", "region": "us-east-1"}


@case("assume-role-cycle")
def _(w):
    w.aws.write_config(
        f"[profile a]\nrole_arn = {ROLE}-a\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}-b\nsource_profile = a\n"
    )
    return {"profile": "a", "region": "us-east-1"}


@case("assume-role-self-reference-with-static-keys")
def _(w):
    w.aws.write_credentials(
        creds_section("me", KEY_B) + f"role_arn = {ROLE}\nsource_profile = me\n"
    )
    return {"profile": "me", "region": "us-east-1"}


@case("assume-role-self-reference-without-keys")
def _(w):
    w.aws.write_config(f"[profile me]\nrole_arn = {ROLE}\nsource_profile = me\n")
    return {"profile": "me", "region": "us-east-1"}


@case("assume-role-missing-source-profile")
def _(w):
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = ghost\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-source-profile-without-credentials")
def _(w):
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "[profile base]\nregion = us-east-1\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-neither-source")
def _(w):
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-both-sources")
def _(w):
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "credential_source = Environment\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-Environment")
def _(w):
    w.env_keys()
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = Environment\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-Environment-without-env-keys")
def _(w):
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = Environment\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-is-case-sensitive")
def _(w):
    w.env_keys()
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = environment\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-imds-disabled")
def _(w):
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-imds", probe=True)
def _(w):
    w.imds_on(w.imds.url)
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-imds-refused", probe=True)
def _(w):
    w.imds_on(f"http://127.0.0.1:{free_port()}/")
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-credential-source-container", probe=True)
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-source-profile-runs-process", probe=True)
def _(w):
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\ncredential_process = {w.good_process()}\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-source-profile-process-fails", probe=True)
def _(w):
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\ncredential_process = {w.process('fails', exit_code=3)}\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-shadowed-by-env-with-AWS_PROFILE")
def _(w):
    w.env_keys()
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n")
    w.aws.setenv("AWS_PROFILE", "admin")
    return {"region": "us-east-1"}


@case("assume-role-sourced-from-sso-profile")
def _(w):
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = sso\n[profile sso]\n{SSO_LEGACY}"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-sourced-from-login-profile")
def _(w):
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = console\n"
        "[profile console]\nlogin_session = arn:aws:iam::123456789012:user/me\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-sourced-from-web-identity-profile")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = wi\n"
        f"[profile wi]\nweb_identity_token_file = {token}\nrole_arn = {ROLE}-wi\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-source-with-partial-keys")
def _(w):
    w.aws.write_credentials(f"[base]\naws_access_key_id = {KEY_B}\n")
    w.aws.write_config(f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n")
    return {"profile": "admin", "region": "us-east-1"}


@case("assume-role-bad-duration-is-ignored")
def _(w):
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\nduration_seconds = soon\n"
    )
    return {"profile": "admin", "region": "us-east-1"}


# ---- web identity


@case("web-identity-env-vars")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    w.aws.setenv("AWS_ROLE_ARN", ROLE)
    return {"region": "us-east-1"}


@case("web-identity-profile")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.write_config(
        f"[profile wi]\nweb_identity_token_file = {token}\nrole_arn = {ROLE}\n"
        "role_session_name = parity\n"
    )
    return {"profile": "wi", "region": "us-east-1"}


@case("web-identity-env-token-role-only-in-profile-gotcha")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    w.aws.write_config(f"[default]\nrole_arn = {ROLE}\n")
    return {"region": "us-east-1"}


@case("web-identity-token-without-role-arn")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    return {"region": "us-east-1"}


@case("web-identity-env-ignored-for-explicit-profile")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    w.aws.setenv("AWS_ROLE_ARN", ROLE)
    w.aws.write_credentials(creds_section("dev", KEY_B))
    return {"profile": "dev", "region": "us-east-1"}


@case("web-identity-profile-beats-source-profile")
def _(w):
    token = w.aws.file("token", "eyJ-web-identity-token")
    w.aws.write_credentials(creds_section("base", KEY_B))
    w.aws.write_config(
        f"[profile wi]\nweb_identity_token_file = {token}\nrole_arn = {ROLE}\n"
        "source_profile = base\n"
    )
    return {"profile": "wi", "region": "us-east-1"}


@case("web-identity-empty-env-token-falls-to-profile-keys")
def _(w):
    w.aws.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
    w.aws.setenv("AWS_ROLE_ARN", ROLE)
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {"region": "us-east-1"}


# ---- SSO


SSO_LEGACY = (
    "sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
    "sso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
)


@case("sso-legacy")
def _(w):
    w.aws.write_config(f"[profile sso]\n{SSO_LEGACY}")
    return {"profile": "sso"}


@case("sso-session")
def _(w):
    w.aws.write_config(
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = ReadOnly\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    return {"profile": "sso"}


@case("sso-missing-region")
def _(w):
    w.aws.write_config(
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
    )
    return {"profile": "sso"}


@case("sso-session-section-missing")
def _(w):
    w.aws.write_config(
        "[profile sso]\nsso_session = ghost\nsso_account_id = 123456789012\n"
        "sso_role_name = ReadOnly\n"
    )
    return {"profile": "sso"}


@case("sso-beats-static-keys-of-same-profile")
def _(w):
    w.aws.write_credentials(creds_section("sso", KEY_B))
    w.aws.write_config(f"[profile sso]\n{SSO_LEGACY}")
    return {"profile": "sso"}


@case("sso-role-name-without-account")
def _(w):
    w.aws.write_config(
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_role_name = ReadOnly\n"
    )
    return {"profile": "sso"}


@case("sso-session-conflicting-start-url")
def _(w):
    w.aws.write_config(
        "[profile sso]\nsso_session = corp\nsso_start_url = https://other.awsapps.com/start\n"
        "sso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    return {"profile": "sso"}


# ---- login


@case("login-session-without-awscrt")
def _(w):
    w.aws.write_config("[profile console]\nlogin_session = arn:aws:iam::123456789012:user/me\n")
    return {"profile": "console"}


# ---- credential_process


@case("process-static", probe=True)
def _(w):
    w.aws.write_config(f"[default]\ncredential_process = {w.good_process()}\n")
    return {}


@case("process-with-expiration", probe=True)
def _(w):
    w.aws.write_config(f"[default]\ncredential_process = {w.good_process(TEMP_KEY_ID, True)}\n")
    return {}


@case("process-exits-nonzero", probe=True)
def _(w):
    w.aws.write_config(f"[default]\ncredential_process = {w.process('fails', exit_code=2)}\n")
    return {}


@case("process-bad-version", probe=True)
def _(w):
    bad = {"Version": 2, "AccessKeyId": KEY_P, "SecretAccessKey": SECRET}
    w.aws.write_config(f"[default]\ncredential_process = {w.process('v2', bad)}\n")
    return {}


@case("process-in-credentials-file", probe=True)
def _(w):
    w.aws.write_credentials(f"[dev]\ncredential_process = {w.good_process()}\n")
    return {"profile": "dev"}


@case("process-beats-config-file-keys", probe=True)
def _(w):
    w.aws.write_config(
        f"[default]\ncredential_process = {w.good_process()}\n"
        f"aws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n"
    )
    return {}


@case("credentials-file-keys-beat-process", probe=True)
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B))
    w.aws.write_config(f"[default]\ncredential_process = {w.process('fails', exit_code=1)}\n")
    return {}


# ---- AWS_CREDENTIAL_FILE and boto2 config


@case("ec2-credential-file")
def _(w):
    path = w.aws.file("ec2creds", f"AWSAccessKeyId={KEY_C}\nAWSSecretKey={SECRET}\n")
    w.aws.setenv("AWS_CREDENTIAL_FILE", str(path))
    return {}


@case("ec2-credential-file-missing")
def _(w):
    w.aws.setenv("AWS_CREDENTIAL_FILE", str(w.aws.home / "no-such-file"))
    return {}


@case("ec2-credential-file-missing-secret")
def _(w):
    path = w.aws.file("ec2creds", f"AWSAccessKeyId={KEY_C}\n")
    w.aws.setenv("AWS_CREDENTIAL_FILE", str(path))
    return {}


@case("ec2-credential-file-without-key-falls-through")
def _(w):
    path = w.aws.file("ec2creds", "SomethingElse=1\n")
    w.aws.setenv("AWS_CREDENTIAL_FILE", str(path))
    boto = w.aws.file(
        "boto.cfg", f"[Credentials]\naws_access_key_id = {KEY_A}\naws_secret_access_key = x\n"
    )
    w.aws.setenv("BOTO_CONFIG", str(boto))
    return {}


@case("boto-config")
def _(w):
    boto = w.aws.file(
        "boto.cfg",
        f"[Credentials]\naws_access_key_id = {KEY_A}\naws_secret_access_key = {SECRET}\n",
    )
    w.aws.setenv("BOTO_CONFIG", str(boto))
    return {}


@case("boto-config-missing-does-not-fall-back-to-home")
def _(w):
    w.aws.file(
        ".boto", f"[Credentials]\naws_access_key_id = {KEY_A}\naws_secret_access_key = {SECRET}\n"
    )
    w.aws.setenv("BOTO_CONFIG", str(w.aws.home / "missing.cfg"))
    return {}


@case("boto-home-file")
def _(w):
    w.aws.file(
        ".boto", f"[Credentials]\naws_access_key_id = {KEY_A}\naws_secret_access_key = {SECRET}\n"
    )
    return {}


# ---- container and IMDS


@case("container-full-uri", probe=True)
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    return {}


@case("container-with-auth-token-file", probe=True)
def _(w):
    token = w.aws.file("ecs-token", "secret-header-value")
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    w.aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token))
    return {}


@case("container-disallowed-host")
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds")
    return {}


@case("container-disallowed-host-probed", probe=True)
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds")
    return {}


@case("container-disallowed-host-and-missing-token-file")
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds")
    w.aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(w.aws.home / "missing"))
    return {}


@case("container-auth-token-with-newline")
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    w.aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\ndef")
    return {}


@case("container-missing-token-file")
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    w.aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(w.aws.home / "missing"))
    return {}


@case("container-beats-imds", probe=True)
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    w.imds_on(w.imds.url)
    return {}


@case("imds", probe=True)
def _(w):
    w.imds_on(w.imds.url)
    return {}


@case("imds-connection-refused", probe=True)
def _(w):
    w.imds_on(f"http://127.0.0.1:{free_port()}/")
    return {}


@case("imds-shadowed-by-profile-keys", probe=True)
def _(w):
    w.imds_on(w.imds.url)
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {}


# ---- explicit keys


@case("explicit-keys")
def _(w):
    return {"aws_access_key_id": KEY_A, "aws_secret_access_key": SECRET}


@case("explicit-keys-beat-env-and-profile")
def _(w):
    w.env_keys(KEY_B)
    w.aws.write_credentials(creds_section("default", KEY_C))
    return {
        "aws_access_key_id": TEMP_KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": CANARY_TOKEN,
    }


@case("explicit-access-key-alone")
def _(w):
    return {"aws_access_key_id": KEY_A}


@case("explicit-secret-alone")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {"aws_secret_access_key": SECRET}


@case("explicit-account-id-alone")
def _(w):
    w.aws.write_credentials(creds_section("default", KEY_B))
    return {"aws_account_id": "123456789012"}


@case("explicit-keys-with-missing-profile")
def _(w):
    return {"profile": "nope", "aws_access_key_id": KEY_A, "aws_secret_access_key": SECRET}


@case("explicit-keys-with-profile-region")
def _(w):
    w.aws.write_config("[profile dev]\nregion = eu-north-1\n")
    return {"profile": "dev", "aws_access_key_id": KEY_A, "aws_secret_access_key": SECRET}


# ---- fidelity: values botocore cannot use, found without running anything


@case("sso-session-holding-an-indented-block")
def _(w):
    w.aws.write_config(
        "[default]\nsso_session =\n  a = b\nsso_account_id = 111122223333\nsso_role_name = r\n"
    )
    return {}


@case("sso-start-url-holding-an-indented-block")
def _(w):
    w.aws.write_config(
        "[default]\nsso_start_url =\n  a = b\nsso_region = us-east-1\n"
        "sso_account_id = 111122223333\nsso_role_name = r\n"
    )
    return {}


@case("sso-session-block-in-a-role-source")
def _(w):
    w.aws.write_config(
        f"[default]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "[profile base]\nsso_session =\n  a = b\nsso_account_id = 1\nsso_role_name = r\n"
    )
    return {"region": "us-east-1"}


EXPLICIT = {"aws_access_key_id": KEY_A, "aws_secret_access_key": SECRET}


@case("explicit-keys-with-fractional-metadata-timeout")
def _(w):
    w.aws.write_config("[default]\nmetadata_service_timeout = 0.5\n")
    return dict(EXPLICIT)


@case("explicit-keys-with-bad-imds-endpoint-mode")
def _(w):
    w.aws.write_config("[default]\nec2_metadata_service_endpoint_mode = ipv5\n")
    return dict(EXPLICIT)


@case("explicit-keys-with-fractional-metadata-timeout-in-env")
def _(w):
    w.aws.setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.5")
    w.aws.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "two")
    return dict(EXPLICIT)


@case("process-command-missing", probe=True)
def _(w):
    w.aws.write_config(f"[default]\ncredential_process = {w.aws.home}/bin/nope --json\n")
    return {}


@case("process-not-on-path", probe=True)
def _(w):
    w.aws.setenv("PATH", str(w.aws.home / "bin"))
    w.aws.write_config("[default]\ncredential_process = aws-vault-not-installed exec x\n")
    return {}


@case("process-not-executable", probe=True)
def _(w):
    path = w.aws.file("bin/tool", "#!/bin/sh\necho {}\n", mode=0o644)
    w.aws.write_config(f"[default]\ncredential_process = {path}\n")
    return {}


@case("process-is-a-directory", probe=True)
def _(w):
    w.aws.file("bin/dir/x", "")
    w.aws.write_config(f"[default]\ncredential_process = {w.aws.home}/bin/dir\n")
    return {}


@case("process-interpreter-missing", probe=True)
def _(w):
    path = w.aws.file("bin/tool", "#!/nonexistent/python3\nprint(1)\n", mode=0o755)
    w.aws.write_config(f"[default]\ncredential_process = {path}\n")
    return {}


@case("process-on-path-not-executable-then-missing", probe=True)
def _(w):
    w.aws.file("bin/a/granted", "#!/bin/sh\n", mode=0o644)
    w.aws.setenv("PATH", f"{w.aws.home}/bin/a:{w.aws.home}/bin/b")
    w.aws.write_config("[default]\ncredential_process = granted credential-process\n")
    return {}


@case("process-on-path-found", probe=True)
def _(w):
    w.aws.file(
        "bin/a/good-tool",
        f"#!{sys.executable}\nimport json\nprint(json.dumps({{'Version': 1, "
        f"'AccessKeyId': '{KEY_P}', 'SecretAccessKey': '{SECRET}'}}))\n",
        mode=0o755,
    )
    w.aws.setenv("PATH", f"{w.aws.home}/bin/a")
    w.aws.write_config("[default]\ncredential_process = good-tool\n")
    return {}


@case("role-sourced-from-missing-process", probe=True)
def _(w):
    w.aws.write_config(
        f"[default]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\ncredential_process = {w.aws.home}/bin/gone\n"
    )
    return {"region": "us-east-1"}


EXEC_CASES = [
    "process-command-missing",
    "process-not-on-path",
    "process-not-executable",
    "process-is-a-directory",
    "process-interpreter-missing",
    "process-on-path-not-executable-then-missing",
    "process-on-path-found",
    "role-sourced-from-missing-process",
]


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def shared_servers():
    """The conftest fake IMDS and container endpoints, started once for this module
    (stopping one takes half a second)."""
    servers = {
        "imds": FakeMetadataServer("imds", "AKIATESTIMDSROLE0007"),
        "container": FakeMetadataServer("container", "AKIATESTCONTAINER008"),
    }
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def world(aws, request) -> World:
    return World(aws, request)


def test_enough_configurations():
    assert len(CASES) >= 45


@pytest.mark.parametrize("case_id", list(CASES))
def test_table_agrees_with_botocore(world, case_id):
    spec = CASES[case_id]
    kwargs = spec.setup(world)
    df = aws_cred_magic.resolution_table(**kwargs, probe=spec.probe, timeout=5.0)
    expected, session = botocore_answer(kwargs)
    got = table_answer(df)
    context = f"\n{df[['method', 'status', 'access_key', 'detail']].to_string()}"

    assert got.kind == expected.kind, f"botocore: {expected}, table: {got}{context}"
    if expected.kind == "winner":
        assert (got.method, got.key) == (expected.method, expected.key), context
    elif expected.kind == "error":
        assert got.error == expected.error, context
        assert got.stage == expected.stage, context
        if expected.stage == "session":
            assert df.iloc[0]["method"] == "session", context
        else:
            assert got.provider == expected.provider, context
        error_row = df[df["status"] == "error"].iloc[0]
        assert error_row["detail"].startswith(f"{expected.error}: "), context
        # Nothing after the error row is claimed as reached.
        after = df[df["order"] > error_row["order"]]
        assert set(after["status"]) <= {"not reached", "not configured"}, context

    # The rows never contradict each other.
    assert df["winner"].sum() <= 1
    if got.kind == "winner":
        assert "error" not in set(df["status"]), context
    if session is not None:
        assert df.attrs["region"] == session.region_name, context
        assert df.attrs["profile"] == session.profile_name, context
    else:  # the profile botocore looked for when boto3.Session() failed
        import botocore.session

        looked_up = botocore.session.Session(profile=kwargs.get("profile"))
        looked_up = looked_up.get_config_variable("profile")
        assert df.attrs["profile"] == ("default" if looked_up is None else looked_up), context
    assert list(df.columns) == [
        "order",
        "method",
        "provider",
        "status",
        "winner",
        "access_key",
        "location",
        "expires",
        "detail",
    ]


def test_canary_key_id_is_only_shown_masked(aws):
    aws.write_credentials(creds_section("default", CANARY_KEY_ID))
    df = aws_cred_magic.resolution_table()
    assert CANARY_KEY_ID not in df.to_string()
    assert masked(CANARY_KEY_ID) in set(df["access_key"])


# --------------------------------------------------------------------------- secrets


SECRET_CASES: dict[str, Case] = {}


def secret_case(case_id: str, probe: bool = False):
    def register(setup: Callable[[World], dict]) -> Callable[[World], dict]:
        SECRET_CASES[case_id] = Case(setup, probe)
        return setup

    return register


@secret_case("env-keys-and-token")
def _(w):
    w.env_keys(CANARY_KEY_ID)
    w.aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    w.aws.setenv("AWS_SECURITY_TOKEN", CANARY_TOKEN)
    return {}


@secret_case("env-secret-without-key-id")
def _(w):
    w.aws.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    w.aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    return {}


@secret_case("files-winner-and-shadowed")
def _(w):
    w.aws.write_credentials(creds_section("default", CANARY_KEY_ID, token=True))
    w.aws.write_config(
        f"[default]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {CANARY_SECRET}\n"
        f"aws_session_token = {CANARY_TOKEN}\n"
    )
    return {}


@secret_case("explicit-keys-and-token")
def _(w):
    return {
        "aws_access_key_id": CANARY_KEY_ID,
        "aws_secret_access_key": CANARY_SECRET,
        "aws_session_token": CANARY_TOKEN,
    }


@secret_case("explicit-keys-with-missing-profile")
def _(w):
    return {
        "profile": "ghost",
        "aws_access_key_id": CANARY_KEY_ID,
        "aws_secret_access_key": CANARY_SECRET,
        "aws_session_token": CANARY_TOKEN,
    }


@secret_case("malformed-credentials-holding-secret")
def _(w):
    w.aws.write_credentials(f"aws_secret_access_key = {CANARY_SECRET}\n[default\n")
    return {}


@secret_case("secret-on-a-process-command-line")
def _(w):
    w.aws.write_config(
        f"[default]\ncredential_process = {shlex.quote(sys.executable)} -m tool "
        f"--secret {CANARY_SECRET} --token {CANARY_TOKEN}\n"
    )
    return {}


@secret_case("role-sourced-from-process-with-secret-argument")
def _(w):
    w.aws.write_config(
        f"[default]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\ncredential_process = tool --secret {CANARY_SECRET}\n"
    )
    return {"region": "us-east-1"}


@secret_case("process-output", probe=True)
def _(w):
    w.aws.write_config(f"[default]\ncredential_process = {w.good_process(CANARY_KEY_ID, True)}\n")
    return {}


@secret_case("process-failing-with-secret-on-stderr", probe=True)
def _(w):
    script = w.aws.file(
        "bin/leaky.py",
        f"import sys\nsys.stderr.write('bad {CANARY_SECRET} {CANARY_TOKEN}')\nsys.exit(1)\n",
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    w.aws.write_config(f"[default]\ncredential_process = {command}\n")
    return {}


@secret_case("container-and-imds-responses", probe=True)
def _(w):
    w.aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", w.container.url + "/creds")
    w.aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", CANARY_TOKEN)
    w.imds_on(w.imds.url)
    return {}


@secret_case("ec2-file-and-boto-config")
def _(w):
    path = w.aws.file("ec2creds", f"AWSAccessKeyId={CANARY_KEY_ID}\nAWSSecretKey={CANARY_SECRET}\n")
    w.aws.setenv("AWS_CREDENTIAL_FILE", str(path))
    boto = w.aws.file(
        "boto.cfg",
        f"[Credentials]\naws_access_key_id = {KEY_A}\naws_secret_access_key = {CANARY_SECRET}\n",
    )
    w.aws.setenv("BOTO_CONFIG", str(boto))
    return {}


@secret_case("expired-env-credentials")
def _(w):
    w.env_keys(CANARY_KEY_ID)
    w.aws.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    w.aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    w.aws.setenv("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")
    return {}


def _everything_shown(df) -> str:
    return "\n".join(
        [df.to_string(), repr(df), df.to_html(), repr(df.attrs), str(df.attrs)]
        + [str(value) for value in df.astype(str).to_numpy().ravel()]
    )


@pytest.mark.parametrize("case_id", list(SECRET_CASES))
def test_no_secret_in_the_table(world, case_id):
    spec = SECRET_CASES[case_id]
    kwargs = spec.setup(world)
    df = aws_cred_magic.resolution_table(**kwargs, probe=spec.probe, timeout=5.0)
    shown = _everything_shown(df)
    for secret in (CANARY_SECRET, CANARY_TOKEN):
        assert secret not in shown, f"{case_id}: secret shown\n{df.to_string()}"
        assert secret[:12] not in shown and secret[-12:] not in shown
    assert CANARY_KEY_ID not in shown  # key ids are shown masked only


# --------------------------------------------------------------------------- dry runs


PROBED_CASES = [case_id for case_id, spec in CASES.items() if spec.probe]


@pytest.mark.parametrize("case_id", PROBED_CASES)
def test_dry_run_names_the_same_source(world, case_id):
    """probe=False judges process/container/IMDS from configuration: the same source as
    botocore wins, without its key; a source that would fail at run time is still named
    (the probed comparison above shows the failure); only IMDS stays unknown."""
    kwargs = CASES[case_id].setup(world)
    expected, _session = botocore_answer(kwargs)
    df = aws_cred_magic.resolution_table(**kwargs)
    context = f"\n{df[['method', 'status', 'access_key', 'detail']].to_string()}"
    got = table_answer(df)
    imds = df[df["method"] == "iam-role"].iloc[0]
    role = df[df["method"] == "assume-role"].iloc[0]
    if expected.kind == "winner" and expected.method == "iam-role":
        assert got.kind == "none" and imds["status"] == "unknown", context
    elif role["status"] == "unknown":
        # A role sourced from IMDS: whether botocore assumes it or raises depends on IMDS.
        assert expected.method == "assume-role" or expected.kind == "error", context
        assert got.kind == "none" and "instance metadata" in role["detail"], context
    elif expected.kind == "winner":
        assert got.kind == "winner" and got.method == expected.method, context
        if expected.method in ("custom-process", "container-role"):
            assert got.key == "", context  # nothing was run or fetched
    elif expected.kind == "none":
        assert got.kind == "none" and imds["status"] == "unknown", context
    else:
        # Either the same error (found from configuration alone), or the provider that
        # raised at run time is the configured winner.
        assert (got.kind, got.error) == ("error", expected.error) or (
            got.kind == "winner" and got.method == expected.provider
        ), context


@pytest.mark.parametrize("case_id", EXEC_CASES)
def test_dry_run_knows_what_popen_will_raise(world, case_id):
    """Without running anything, the dry run finds what botocore's Popen raises for the
    command (missing, not executable, not on PATH, a missing interpreter), and names the
    same winner when the command would start."""
    kwargs = CASES[case_id].setup(world)
    expected, _session = botocore_answer(kwargs)
    df = aws_cred_magic.resolution_table(**kwargs)
    got = table_answer(df)
    context = f"\n{df[['method', 'status', 'access_key', 'detail']].to_string()}"
    assert got.kind == expected.kind, f"botocore: {expected}{context}"
    if expected.kind == "error":
        assert (got.error, got.provider) == (expected.error, expected.provider), context
        assert got.error in ("FileNotFoundError", "PermissionError"), context
    else:
        assert got.method == expected.method and got.key == "", context


def test_chain_botocore_cannot_build_is_one_session_error(aws):
    """No keys passed: botocore raises while building its chain; the table says so in one
    row, with botocore's error, and names no winner."""
    aws.write_config("[default]\nmetadata_service_timeout = 0.5\n")
    aws.write_credentials(creds_section("default", KEY_B))
    expected, _session = botocore_answer({})
    df = aws_cred_magic.resolution_table()
    assert expected.kind == "error" and not df["winner"].any()
    assert list(df["method"]) == ["session"]
    assert df.iloc[0]["detail"].startswith(f"{expected.error}: ")


def test_explicit_keys_win_when_the_chain_cannot_be_built(aws):
    aws.write_config("[default]\nmetadata_service_timeout = 0.5\n")
    df = aws_cred_magic.resolution_table(**EXPLICIT)
    expected, _session = botocore_answer(EXPLICIT)
    assert (expected.kind, expected.method) == ("winner", "explicit")
    assert list(df["status"]) == ["winner", "not reached"]
    assert "would fail: ValueError" in df.iloc[1]["detail"]
    assert df.attrs["summary"].startswith("explicit wins")


@pytest.mark.parametrize(
    "where, key",
    [
        ("env", KEY_A + "\n"),
        ("env", " " + KEY_A + " "),
        ("env", KEY_A[:8] + "\u200b" + KEY_A[8:]),
        ("file", KEY_A + "\u200b"),
        ("file", "\ufeff" + KEY_A),
        ("explicit", KEY_A + "\n"),
    ],
)
def test_key_id_with_hidden_characters_is_flagged(aws, where, key):
    """botocore signs with the key id exactly as given, so AWS rejects it: the row says so
    instead of showing a clean-looking key."""
    kwargs = {}
    if where == "env":
        aws.setenv("AWS_ACCESS_KEY_ID", key)
        aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    elif where == "file":
        aws.write_credentials(
            f"[default]\naws_access_key_id = {key}\naws_secret_access_key = {SECRET}\n"
        )
    else:
        kwargs = {"aws_access_key_id": key, "aws_secret_access_key": SECRET}
    expected, session = botocore_answer(kwargs)
    assert session.get_credentials().access_key == key  # botocore keeps the value as is
    df = aws_cred_magic.resolution_table(**kwargs)
    winner = df[df["winner"]].iloc[0]
    assert winner["method"] == expected.method
    assert "the access key id has" in winner["detail"]
    assert "AWS will reject" in winner["detail"]
    assert KEY_A[:-4] not in winner["detail"]  # the flag never shows the key


def test_clean_key_id_is_not_flagged(aws):
    aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    df = aws_cred_magic.resolution_table()
    assert "access key id has" not in df[df["winner"]].iloc[0]["detail"]


def test_profiles_never_raise_on_indented_blocks(aws):
    aws.write_config(
        "[default]\nsso_session =\n  a = b\nsso_account_id = 1\nsso_role_name = r\n"
        "[profile p]\nsso_start_url =\n  a = b\nsso_account_id = 1\nsso_role_name = r\n"
        "[profile q]\ncredential_process =\n  a = b\n[profile r]\nrole_arn =\n  a = b\n"
    )
    frame = aws_cred_magic.profiles()
    assert sorted(frame["profile"]) == sorted(boto3.Session().available_profiles)
    for name in frame["profile"]:
        aws_cred_magic.resolution_table(name)  # never raises
        aws_cred_magic.resolution_table(name, probe=True, timeout=0.5)


# --------------------------------------------------------------------------- row wording


def row_of(df, method):
    rows = df[df["method"] == method]
    assert len(rows) == 1, df
    return rows.iloc[0]


def test_explicit_profile_shows_env_as_removed(aws):
    aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    aws.write_credentials(creds_section("dev", KEY_B))
    df = aws_cred_magic.resolution_table("dev")
    env = row_of(df, "env")
    assert env["status"] == "removed" and not env["winner"]
    assert "explicit profile" in env["detail"] and "ignored" in env["detail"]
    assert df.iloc[0]["method"] == "env"  # shown where botocore would have had it
    winner = row_of(df, "shared-credentials-file")
    assert winner["status"] == "winner"
    assert winner["location"] == f"{aws.credentials} [dev]"
    assert df.attrs["profile"] == "dev" and df.attrs["profile_chosen_by"] == "explicit"


def test_env_shadows_profile_chosen_by_AWS_PROFILE(aws):  # noqa: N802
    aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    aws.setenv("AWS_PROFILE", "dev")
    aws.write_credentials(creds_section("dev", KEY_B))
    df = aws_cred_magic.resolution_table()
    assert row_of(df, "env")["status"] == "winner"
    shadowed = row_of(df, "shared-credentials-file")
    assert shadowed["status"] == "shadowed"
    assert shadowed["access_key"] == masked(KEY_B)
    assert "env" in shadowed["detail"] and "AWS_PROFILE" in shadowed["detail"]
    assert df.attrs["profile_chosen_by"] == "AWS_PROFILE"


def test_later_source_of_the_same_profile_is_shadowed(aws):
    aws.write_credentials(creds_section("default", KEY_B))
    aws.write_config(f"[default]\naws_access_key_id = {KEY_C}\naws_secret_access_key = {SECRET}\n")
    df = aws_cred_magic.resolution_table()
    config = row_of(df, "config-file")
    assert config["status"] == "shadowed"
    assert "shared-credentials-file" in config["detail"]
    assert config["location"] == f"{aws.config} [default]"
    assert config["access_key"] == masked(KEY_C)


def test_shadowed_broken_source_says_it_would_fail(aws):
    aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    aws.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    aws.write_config(f"[default]\nrole_arn = {ROLE}\n")
    df = aws_cred_magic.resolution_table()
    role = row_of(df, "assume-role")
    assert role["status"] == "shadowed"
    assert "would fail: PartialCredentialsError" in role["detail"]


def test_assume_role_row_names_its_file_section_and_chain(aws):
    aws.write_credentials(creds_section("base", KEY_B))
    aws.write_config(
        f"[profile a]\nrole_arn = {ROLE}-a\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}-b\nsource_profile = base\n"
    )
    df = aws_cred_magic.resolution_table("a", region="us-east-1")
    role = row_of(df, "assume-role")
    assert role["status"] == "winner"
    assert f"{aws.config} [profile a]" in role["location"]
    assert f"{ROLE}-a via source_profile b" in role["detail"]
    assert f"{ROLE}-b via source_profile base" in role["detail"]
    assert masked(KEY_B) in role["detail"]


def test_error_row_stops_the_chain(aws):
    aws.setenv("AWS_ACCESS_KEY_ID", KEY_A)
    aws.write_credentials(creds_section("default", KEY_B))
    df = aws_cred_magic.resolution_table()
    assert not df["winner"].any()
    env = row_of(df, "env")
    assert env["status"] == "error"
    assert env["detail"].startswith("PartialCredentialsError: ")
    later = row_of(df, "shared-credentials-file")
    assert later["status"] == "not reached" and "configured too" in later["detail"]
    assert df.attrs["summary"].startswith("no credentials: PartialCredentialsError")


def test_pre_chain_error_is_a_first_session_row(aws):
    aws.write_credentials(creds_section("default", KEY_B))
    df = aws_cred_magic.resolution_table("ghost")
    first = df.iloc[0]
    assert (first["method"], first["status"]) == ("session", "error")
    assert first["detail"].startswith("ProfileNotFound: ")
    assert "ghost" in first["detail"]
    assert not df["winner"].any()
    assert set(df["status"].iloc[1:]) <= {"not reached"}


def test_an_unexpected_failure_is_one_row_not_an_exception(aws, monkeypatch):
    """Whatever breaks inside the table (here: the region lookup) becomes its one error row."""
    import aws_cred_magic.resolve as resolve_module

    aws.write_credentials(creds_section("default", KEY_B))

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(resolve_module, "_region_and_source", broken)
    df = aws_cred_magic.resolution_table()
    assert list(df["method"]) == ["session"] and not df["winner"].any()
    assert df.iloc[0]["detail"].startswith("RuntimeError: broken on purpose")

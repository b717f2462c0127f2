"""Fixtures shared by the whole suite.

Every test runs in an isolated AWS world: a temporary HOME with its own config and
credentials files, every AWS_* and BOTO_* variable cleared, IMDS disabled unless a test
turns it on, and a guard that fails the test if anything in this process connects to an
address that is not loopback.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import textwrap
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Test credentials: fake, recognisable, and used as canaries in leak checks.
CANARY_KEY_ID = "AKIATESTCANARY000001"
CANARY_SECRET = "canarySecretCANARYsecretCanary0000000001"
CANARY_TOKEN = "FwoGZXIvYXdzECANARYTOKENcanarytokenCANARYTOKEN" + "Q" * 60
TEMP_KEY_ID = "ASIATESTTEMPKEY00002"

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


# --------------------------------------------------------------------------- network guard

_violations: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address) -> None:
    if isinstance(address, tuple) and address and address[0] not in LOOPBACK:
        _violations.append(str(address[0]))
        raise ConnectionRefusedError(f"test network guard: {address[0]} is not loopback")


def _guarded_connect(self, address):
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any test that makes this process connect outside loopback."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    _violations.clear()
    yield
    assert not _violations, f"connections outside loopback: {_violations}"


# --------------------------------------------------------------------------- isolated AWS


@dataclass
class AwsWorld:
    """Paths of the isolated AWS configuration, and helpers to fill them."""

    home: Path
    config: Path
    credentials: Path
    monkeypatch: pytest.MonkeyPatch

    def write_config(self, text: str) -> Path:
        self.config.write_text(textwrap.dedent(text))
        return self.config

    def write_credentials(self, text: str) -> Path:
        self.credentials.write_text(textwrap.dedent(text))
        return self.credentials

    def setenv(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)

    def delenv(self, name: str) -> None:
        self.monkeypatch.delenv(name, raising=False)

    def file(self, name: str, text: str, mode: int | None = None) -> Path:
        path = self.home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        if mode is not None:
            path.chmod(mode)
        return path


def isolate_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> AwsWorld:
    for name in list(os.environ):
        if name.startswith(("AWS_", "BOTO_")) or name == "BOTO_CONFIG":
            monkeypatch.delenv(name)
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_dir / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws_dir / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(aws_dir / "login" / "cache"))
    # botocore computes the SSO cache directory from HOME when it is imported.
    from botocore.credentials import SSOProvider

    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(aws_dir / "sso" / "cache"))
    from botocore.tokens import SSOTokenProvider  # sso-session tokens: its own copy of the path

    monkeypatch.setattr(SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", str(aws_dir / "sso" / "cache"))
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return AwsWorld(home, aws_dir / "config", aws_dir / "credentials", monkeypatch)


@pytest.fixture
def aws(tmp_path, monkeypatch) -> AwsWorld:
    """An isolated HOME with empty AWS files and no AWS_* variables."""
    return isolate_environment(monkeypatch, tmp_path / "home")


def write_expired_process_profile(aws: AwsWorld, name: str = "proc") -> None:
    """Profile ``name`` whose credential_process prints credentials that expired a minute ago
    (the canary secret and token)."""
    import datetime as dt
    import shlex
    import sys

    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).isoformat()
    document = {
        "Version": 1,
        "AccessKeyId": TEMP_KEY_ID,
        "SecretAccessKey": CANARY_SECRET,
        "SessionToken": CANARY_TOKEN,
        "Expiration": past,
    }
    script = aws.file(f"{name}.py", f"print({json.dumps(json.dumps(document))})\n")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    aws.write_config(f"[profile {name}]\nregion = us-east-1\ncredential_process = {command}\n")


# --------------------------------------------------------------------------- fake endpoints


class _MetadataHandler(BaseHTTPRequestHandler):
    server: FakeMetadataServer

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):  # IMDSv2 token
        self.server.requests.append(("PUT", self.path))
        if self.path.endswith("/latest/api/token"):
            self._send(200, "fake-imds-session-token")
        else:
            self._send(404, "")

    def do_GET(self):
        self.server.requests.append(("GET", self.path))
        creds = json.dumps(self.server.credentials_document())
        if self.server.kind == "container":
            self._send(200, creds, "application/json")
        elif self.path.endswith("/iam/security-credentials/"):
            self._send(200, self.server.role)
        elif self.path.endswith(f"/iam/security-credentials/{self.server.role}"):
            self._send(200, creds, "application/json")
        else:
            self._send(404, "")


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (a free port) serving ``handler`` from a daemon thread
    once the subclass has set itself up (``start()``); ``url`` and ``close()``."""

    daemon_threads = True

    def __init__(self, handler: type) -> None:
        super().__init__(("127.0.0.1", 0), handler)

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class FakeMetadataServer(LoopbackServer):
    """IMDS (``kind="imds"``) or container credentials endpoint on 127.0.0.1."""

    def __init__(self, kind: str, access_key: str, expires_in_hours: float = 6.0):
        super().__init__(_MetadataHandler)
        self.kind = kind
        self.access_key = access_key
        self.role = "fake-instance-role"
        self.expires_in_hours = expires_in_hours
        self.requests: list[tuple[str, str]] = []
        self.start()

    def credentials_document(self) -> dict:
        import datetime as dt

        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=self.expires_in_hours)
        return {
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": self.access_key,
            "SecretAccessKey": CANARY_SECRET,
            "Token": CANARY_TOKEN,
            "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class HangingServer:
    """Accepts TCP connections (the kernel's backlog does) and never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def imds_server():
    server = FakeMetadataServer("imds", "AKIATESTIMDSROLE0007")
    yield server
    server.close()


@pytest.fixture
def container_server():
    server = FakeMetadataServer("container", "AKIATESTCONTAINER008")
    yield server
    server.close()


@pytest.fixture
def hanging_server():
    server = HangingServer()
    yield server
    server.close()


# --------------------------------------------------------------------------- moto STS


def shell_with_extension():
    """A fresh in-process IPython shell with the extension loaded (a fixture's body: use
    ``yield from shell_with_extension()``); unloaded and dropped afterwards."""
    import atexit

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # no sqlite file left in the temp HOME
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "aws_cred_magic")
    yield shell
    if "aws_cred_magic" in shell.extension_manager.loaded:
        shell.run_line_magic("unload_ext", "aws_cred_magic")
    atexit.unregister(shell.atexit_operations)  # its exit hook would touch a gone HOME
    InteractiveShell.clear_instance()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server():
    """A moto server on 127.0.0.1 answering STS (and S3) for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def sts(aws, moto_server):
    """The isolated world with STS (and every AWS endpoint) pointed at the moto server."""
    aws.setenv("AWS_ENDPOINT_URL", moto_server)
    aws.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    return moto_server


# --------------------------------------------------------------------------- moto with auth


@dataclass
class IamUser:
    """A real IAM user (and access key) in the moto server, and its ARN."""

    name: str
    access_key_id: str
    secret_access_key: str
    arn: str


def moto_reset_auth(moto_url: str, allowed_unauthenticated: str) -> None:
    """``POST /moto-api/reset-auth``: ``"0"`` makes moto check every signature, ``"inf"``
    (its default) turns checking off again."""
    import urllib.request

    request = urllib.request.Request(
        f"{moto_url}/moto-api/reset-auth",
        data=allowed_unauthenticated.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def sts_auth(sts):
    """The ``sts`` world with moto checking signatures, and an IAM user moto knows.

    The user has no policy: GetCallerIdentity works (it needs none), anything else, such
    as AssumeRole, is AccessDenied. Authentication is turned off again afterwards.
    """
    import uuid

    import boto3

    iam = boto3.Session(
        aws_access_key_id="AKIAMOTOBOOTSTRAP001",
        aws_secret_access_key="bootstrap" * 4 + "0000",
        region_name="us-east-1",
    ).client("iam", endpoint_url=sts)
    name = f"analyst-{uuid.uuid4().hex[:10]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    moto_reset_auth(sts, "0")
    try:
        yield IamUser(name, key["AccessKeyId"], key["SecretAccessKey"], arn)
    finally:
        moto_reset_auth(sts, "inf")


# --------------------------------------------------------------------------- a small world

DEV_KEY_ID = "AKIATESTDEVKEY000002"
ROLE_ARN = "arn:aws:iam::111122223333:role/analyst"


@pytest.fixture
def profiles(aws) -> AwsWorld:
    """The isolated world with four profiles: ``default`` (the canary key, us-east-1),
    ``dev`` (DEV_KEY_ID, us-east-2), ``analyst`` (assume-role into ROLE_ARN from dev,
    eu-west-1) and ``empty`` (a region, no credentials). Secrets are the canary."""
    aws.write_credentials(
        f"""
        [default]
        aws_access_key_id = {CANARY_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [dev]
        aws_access_key_id = {DEV_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}
        """
    )
    aws.write_config(
        f"""
        [default]
        region = us-east-1

        [profile dev]
        region = us-east-2

        [profile analyst]
        role_arn = {ROLE_ARN}
        source_profile = dev
        region = eu-west-1

        [profile empty]
        region = us-west-2
        """
    )
    return aws


@pytest.fixture
def idc(profiles, sts):
    """The isolated world (profiles + moto STS) with the SSO profiles of tests/test_sso.py
    and a local Identity Center that answers at once (interval 0) and hands out moto STS
    keys. Its endpoint variables are set in the environment, so a terminal IPython started
    from the test reaches it too."""
    from aws_cred_magic.local_sso import LocalIdentityCenter

    from .test_sso import SSO_CONFIG

    with open(profiles.config, "a") as handle:
        handle.write(SSO_CONFIG)
    server = LocalIdentityCenter(sts_url=sts, interval=0)
    for name, value in server.endpoint_env().items():
        profiles.setenv(name, value)
    yield server
    server.close()


# --------------------------------------------------------------------------- B2B roles (issue 11)


@pytest.fixture(scope="module")
def b2b_world(moto_server):
    """Customer roles with external IDs, per-role buckets and a role chain (tests/b2b.py)."""
    from .b2b import build_b2b

    return build_b2b(moto_server)


@pytest.fixture
def b2b(b2b_world, sts, aws):
    """The B2B world with moto's IAM enforcement on, the service user's keys as ``default``."""
    from .b2b import enforce

    aws.write_credentials(
        f"""
        [default]
        aws_access_key_id = {b2b_world.key_id}
        aws_secret_access_key = {b2b_world.secret}
        """
    )
    aws.write_config("[default]\nregion = us-east-1\n")
    enforce(sts, True)
    try:
        yield b2b_world
    finally:
        enforce(sts, False)

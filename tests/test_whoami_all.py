"""%aws_whoami --all: a bounded pool that refills as calls finish, the cap a setting."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from aws_cred_magic.identity import DEFAULT_CONCURRENCY, run_concurrently
from aws_cred_magic.masking import mask_access_key

from .conftest import LoopbackServer, shell_with_extension


def test_pool_refills_so_one_slow_call_holds_back_nothing():
    """The first call waits until every other call has finished. A refilling pool of two
    runs all the others beside it; fixed batches of two would wait for the first (and time
    out here)."""
    others_done = threading.Event()
    finished: list[int] = []
    lock = threading.Lock()

    def call(item: int) -> str:
        if item == 0:
            return "waited" if others_done.wait(5) else "held back"
        with lock:
            finished.append(item)
            if len(finished) == 5:
                others_done.set()
        return "fast"

    results = run_concurrently(call, list(range(6)), limit=2)
    assert results == ["waited"] + ["fast"] * 5
    assert sorted(finished) == [1, 2, 3, 4, 5]


def test_pool_never_exceeds_its_cap_and_keeps_order():
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Semaphore(0)

    def call(item: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        release.acquire(timeout=0.05)  # keep calls overlapping for a moment
        with lock:
            in_flight -= 1
        return item * 10

    assert run_concurrently(call, list(range(40)), limit=7) == [i * 10 for i in range(40)]
    assert 1 < peak <= 7
    assert run_concurrently(call, [], limit=7) == []


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


def test_concurrency_is_a_setting(ip):
    magics = ip.magics_manager.registry["AwsCredMagics"]
    assert magics.state.concurrency == DEFAULT_CONCURRENCY
    ip.run_line_magic("config", "AwsCredMagics.concurrency = 3")
    assert magics.state.concurrency == 3


# --------------------------------------------------------------------------- shared clients
# --all resolves each profile's credentials with botocore's own chain but sends every
# GetCallerIdentity through one STS client per distinct client configuration. These tests
# check that each profile's request is still the one botocore itself would send.


class _RecordingSts(LoopbackServer):
    """GetCallerIdentity on 127.0.0.1 that records each request and answers with the
    access key id the request was signed with, so a row shows whose keys signed it."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(_RecordingHandler)
        self.latency = latency
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self.start()


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _RecordingSts

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization", "")
        key = auth.split("Credential=", 1)[-1].split("/", 1)[0]
        with self.server._lock:
            self.server.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body, "key": key}
            )
        time.sleep(self.server.latency)
        answer = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/echo</Arn>"
            f"<UserId>{key}</UserId><Account>123456789012</Account>"
            "</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId>"
            "</ResponseMetadata></GetCallerIdentityResponse>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def _key_of(index: int) -> str:
    return f"AKIATESTSHARED{index:06d}"


def _what_botocore_signs(request: dict) -> dict:
    """A recorded request without what changes from one signing to the next (the time and
    the signature it yields) or names the SDK (the user agent)."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    auth = headers.pop("authorization")
    scope, signed = auth.split(", ")[0], auth.split(", ")[1]
    for name in ("x-amz-date", "user-agent", "amz-sdk-invocation-id", "amz-sdk-request"):
        headers.pop(name, None)
    credential = scope.split("Credential=")[1].split("/")
    return {
        "path": request["path"],
        "body": request["body"],
        "headers": headers,
        "scope": (credential[0], *credential[2:]),  # key, region, service, aws4_request
        "signed": signed,
    }


@pytest.fixture
def two_sts():
    servers = (_RecordingSts(latency=0.05), _RecordingSts(latency=0.05))
    yield servers
    for server in servers:
        server.close()


def test_all_sends_each_profile_the_request_botocore_would(aws, two_sts, monkeypatch):
    """Thirty profiles with their own keys, regions, endpoints (a profile's endpoint_url,
    a services section, the two STS endpoint styles) and a session token, through --all
    with many calls in flight: every row is signed with its own profile's keys, and each
    request equals, up to time and signature, the one boto3.Session(profile_name=p) sends."""
    import boto3
    import botocore.session
    from botocore.config import Config

    first, second = two_sts
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    config = [f"[services alt]\nsts =\n  endpoint_url = {second.url}\n"]
    credentials = []
    names = []
    for i in range(30):
        name = "default" if i == 0 else f"p{i:02d}"
        names.append(name)
        header = "[default]" if i == 0 else f"[profile {name}]"
        lines = [header, f"region = {regions[i % 3]}"]
        lines.append("services = alt" if i % 4 == 1 else f"endpoint_url = {first.url}")
        if i % 5 == 2:
            lines.append("sts_regional_endpoints = legacy")
        config.append("\n".join(lines) + "\n")
        keys = [f"[{name}]", f"aws_access_key_id = {_key_of(i)}"]
        keys.append(f"aws_secret_access_key = secret{i:04d}" + "s" * 30)
        if i % 3 == 2:
            keys.append(f"aws_session_token = token{i:04d}" + "t" * 40)
        credentials.append("\n".join(keys) + "\n")
    aws.write_config("\n".join(config))
    aws.write_credentials("\n".join(credentials))

    gen = shell_with_extension()
    ip = next(gen)
    try:
        ip.run_line_magic("config", "AwsCredMagics.concurrency = 16")
        frame = ip.run_line_magic("aws_whoami", "--all")
    finally:
        gen.close()
    assert list(frame["profile"]) == names
    assert frame["error"].isna().all(), frame["error"].dropna().tolist()
    # Each row was answered for its own key (shown masked: the echo is shaped like a key
    # id): no request was signed with another profile's keys.
    assert list(frame["user_id"]) == [mask_access_key(_key_of(i)) for i in range(30)]
    ours = {r["key"]: _what_botocore_signs(r) for s in two_sts for r in s.requests}
    where = {r["key"]: s.url for s in two_sts for r in s.requests}
    assert len(ours) == 30
    for server in two_sts:
        server.requests.clear()
        server.latency = 0.0  # the calls below are one at a time

    bounded = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    loader = None  # one loader for the service models (their loading is most of the time)
    for name in names:
        core = botocore.session.Session(profile=name)  # = boto3.Session(profile_name=name)
        loader = loader or core.get_component("data_loader")
        core.register_component("data_loader", loader)
        boto3.Session(botocore_session=core).client("sts", config=bounded).get_caller_identity()
    theirs = {r["key"]: _what_botocore_signs(r) for s in two_sts for r in s.requests}
    assert {r["key"]: s.url for s in two_sts for r in s.requests} == where
    assert where[_key_of(1)] == second.url and where[_key_of(0)] == first.url
    for key, request in theirs.items():
        assert ours[key] == request, key
    token_rows = [i for i in range(30) if i % 3 == 2]
    for i in token_rows:  # a session token travels with its own profile only
        assert ours[_key_of(i)]["headers"]["x-amz-security-token"].startswith(f"token{i:04d}")
    assert all("x-amz-security-token" not in ours[_key_of(i)]["headers"] for i in (0, 1, 3))


def test_all_builds_one_client_per_configuration(aws, two_sts, monkeypatch):
    """Twelve profiles in two regions make two STS clients, not twelve; the data loader the
    sessions share does not grow with each run (boto3.Session appends to its search path)."""
    from aws_cred_magic import identity
    from aws_cred_magic.sessions import SessionFactory

    first, _ = two_sts
    aws.write_config(
        "\n".join(
            f"[profile p{i}]\nregion = {'eu-west-1' if i % 2 else 'us-west-2'}\n"
            f"endpoint_url = {first.url}\n"
            for i in range(12)
        )
    )
    aws.write_credentials(
        "\n".join(
            f"[p{i}]\naws_access_key_id = {_key_of(i)}\naws_secret_access_key = {'x' * 40}\n"
            for i in range(12)
        )
    )
    built = []
    build = identity.SharedStsClients._build

    def counting_build(self, core, region):
        built.append(region)
        return build(self, core, region)

    monkeypatch.setattr(identity.SharedStsClients, "_build", counting_build)
    factory = SessionFactory()
    loader = factory._loader
    paths = list(loader.search_paths)
    for _run in range(2):
        frame = identity.whoami_many(
            [(f"p{i}", (lambda i=i: factory(f"p{i}"))) for i in range(12)], concurrency=6
        )
        assert list(frame["user_id"]) == [_key_of(i) for i in range(12)]
    assert sorted(built) == ["eu-west-1", "eu-west-1", "us-west-2", "us-west-2"]  # 2 per run
    assert loader.search_paths == paths


def test_a_shared_client_has_no_credentials_outside_a_call():
    from aws_cred_magic.errors import AwsCredError
    from aws_cred_magic.identity import _CredentialsOfThisThread

    credentials = _CredentialsOfThisThread()
    with pytest.raises(AwsCredError, match="no credentials outside"):
        credentials.get_frozen_credentials()
    with pytest.raises(AwsCredError):
        _ = credentials.access_key

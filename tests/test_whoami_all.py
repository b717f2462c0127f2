"""%aws_whoami --all: a bounded pool that refills as calls finish, the cap a setting."""

from __future__ import annotations

import json
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
    the signature it yields, the invocation id) and the features the user agent lists."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    auth = headers.pop("authorization")
    scope, signed = auth.split(", ")[0], auth.split(", ")[1]
    for name in ("x-amz-date", "amz-sdk-invocation-id", "amz-sdk-request"):
        headers.pop(name, None)
    # The user agent names the SDK and its settings; its m/ part lists the features a
    # request used, which differs with where botocore resolved the credentials.
    agent = headers.pop("user-agent", "")
    headers["user-agent"] = " ".join(t for t in agent.split() if not t.startswith("m/"))
    credential = scope.split("Credential=")[1].split("/")
    return {
        "path": request["path"],
        "body": request["body"],
        "headers": headers,
        "scope": (credential[0], *credential[2:]),  # key, region, service, aws4_request
        "signed": signed,
    }


def _whoami_all(concurrency: int):
    """``%aws_whoami --all`` in a fresh shell, ``concurrency`` calls in flight."""
    gen = shell_with_extension()
    ip = next(gen)
    try:
        ip.run_line_magic("config", f"AwsCredMagics.concurrency = {concurrency}")
        return ip.run_line_magic("aws_whoami", "--all")
    finally:
        gen.close()


def _call_as_boto3_does(names: list[str]) -> None:
    """GetCallerIdentity for each profile as ``boto3.Session(profile_name=name)`` makes it
    (one try), sharing only the loader of service models, whose loading is most of the time."""
    import boto3
    import botocore.session
    from botocore.config import Config

    bounded = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    loader = None
    for name in names:
        core = botocore.session.Session(profile=name)  # = boto3.Session(profile_name=name)
        loader = loader or core.get_component("data_loader")
        core.register_component("data_loader", loader)
        boto3.Session(botocore_session=core).client("sts", config=bounded).get_caller_identity()


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

    frame = _whoami_all(concurrency=16)
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

    _call_as_boto3_does(names)
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


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs):
        yield self._body


def _fake_sts_send(recorded: list[dict]):
    """``URLLib3Session.send`` answering STS without a socket: AssumeRole with keys of
    the role's own, GetCallerIdentity with the key id the request was signed with."""
    import datetime as dt
    from urllib.parse import parse_qs

    from botocore.awsrequest import AWSResponse

    lock = threading.Lock()

    def send(self, request):
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else bytes(body)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        headers = {
            k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
        }
        key = headers.get("Authorization", "").split("Credential=", 1)[-1].split("/", 1)[0]
        with lock:
            recorded.append(
                {
                    "url": request.url,
                    "path": request.url,
                    "headers": headers,
                    "body": body,
                    "key": key,
                    "action": form.get("Action"),
                }
            )
        if form.get("Action") == "AssumeRole":
            index = int(form["RoleArn"].rsplit("r", 1)[-1])
            expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            answer = (
                '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
                f"<Credentials><AccessKeyId>{_role_key(index)}</AccessKeyId>"
                f"<SecretAccessKey>rolesecret{index:04d}{'r' * 26}</SecretAccessKey>"
                f"<SessionToken>roletoken{index:04d}{'q' * 40}</SessionToken>"
                f"<Expiration>{expires}</Expiration></Credentials>"
                f"<AssumedRoleUser><AssumedRoleId>AROA:{index}</AssumedRoleId>"
                f"<Arn>arn:aws:sts::123456789012:assumed-role/r{index}/s</Arn></AssumedRoleUser>"
                "</AssumeRoleResult></AssumeRoleResponse>"
            )
        else:
            answer = (
                '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/echo</Arn>"
                f"<UserId>{key}</UserId><Account>123456789012</Account>"
                "</GetCallerIdentityResult></GetCallerIdentityResponse>"
            )
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, _Raw(answer.encode()))

    return send


def _role_key(index: int) -> str:
    return f"ASIATESTROLE{index:08d}"


def test_all_shares_clients_across_endpoint_styles_roles_and_processes(aws, monkeypatch):
    """Without an endpoint override, so STS's own endpoint rules decide (legacy and
    regional endpoints, FIPS, dual-stack): static-key, assume-role and credential_process
    profiles through --all are each signed with their own credentials (a role's assumed
    inside the shared call), share clients where their settings match, and send exactly
    the GetCallerIdentity that boto3.Session(profile_name=p) sends."""
    import sys

    import botocore.httpsession
    import botocore.session

    from aws_cred_magic import identity

    styles = [
        "sts_regional_endpoints = legacy",
        "sts_regional_endpoints = regional",
        "use_fips_endpoint = true",
        "use_dualstack_endpoint = true",
    ]
    config, credentials, names, expected = [], [], [], {}
    config.append("[profile base]\nregion = us-east-1\n")
    credentials.append(
        f"[base]\naws_access_key_id = {_key_of(99)}\naws_secret_access_key = {'b' * 40}\n"
    )
    for i in range(16):
        name = f"p{i:02d}"
        names.append(name)
        lines = [
            f"[profile {name}]",
            f"region = {['us-east-1', 'eu-west-1'][i % 2]}",
            styles[i % 4],
        ]
        kind = ("keys", "role", "process")[i % 3]
        if kind == "role":
            lines += [f"role_arn = arn:aws:iam::123456789012:role/r{i}", "source_profile = base"]
            expected[name] = _role_key(i)
        elif kind == "process":
            document = json.dumps(
                {"Version": 1, "AccessKeyId": _key_of(i), "SecretAccessKey": "p" * 40}
            )
            script = aws.file(f"proc{i}.py", f"print({document!r})\n")
            lines.append(f"credential_process = {sys.executable} {script}")
            expected[name] = _key_of(i)
        else:
            credentials.append(
                f"[{name}]\naws_access_key_id = {_key_of(i)}\naws_secret_access_key = {'k' * 40}\n"
            )
            expected[name] = _key_of(i)
        config.append("\n".join(lines) + "\n")
    aws.write_config("\n".join(config))
    aws.write_credentials("\n".join(credentials))

    recorded: list[dict] = []
    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", _fake_sts_send(recorded))
    built = []
    build = identity.SharedStsClients._build
    monkeypatch.setattr(
        identity.SharedStsClients,
        "_build",
        lambda self, core, region: built.append(region) or build(self, core, region),
    )

    frame = _whoami_all(concurrency=8)
    rows = frame.set_index("profile")
    assert rows["error"].isna().all(), rows["error"].dropna().to_dict()
    for name in names:
        assert rows.loc[name, "user_id"] == mask_access_key(expected[name]), name
    assert 2 <= len(built) <= 8 < len(names) + 1  # region x endpoint style, not per profile
    ours = {
        r["key"]: _what_botocore_signs(r) for r in recorded if r["action"] == "GetCallerIdentity"
    }
    hosts = {r["url"].split("/")[2] for r in recorded if r["action"] == "GetCallerIdentity"}
    assert {
        "sts.amazonaws.com",
        "sts.eu-west-1.amazonaws.com",
        "sts-fips.us-east-1.amazonaws.com",
    } <= hosts

    recorded.clear()
    _call_as_boto3_does(names)
    theirs = {
        r["key"]: _what_botocore_signs(r) for r in recorded if r["action"] == "GetCallerIdentity"
    }
    for name in names:
        key = expected[name]
        assert ours[key] == theirs[key], name

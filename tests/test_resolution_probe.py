"""probe=True really loads credential_process / container / IMDS, within a bounded time;
probe=False touches neither the network nor a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import boto3
import pandas as pd
import pytest

import aws_cred_magic

from .conftest import CANARY_SECRET, FakeMetadataServer, LoopbackServer

ROLE = "arn:aws:iam::123456789012:role/probe"
KEY_P = "AKIAPROBEPROCESS00P9"
KEY_C = "AKIAPROBECONFIGKEY0C"


def masked(key: str) -> str:
    return "*" * 16 + key[-4:]


def row(df, method: str):
    rows = df[df["method"] == method]
    assert len(rows) == 1, df
    return rows.iloc[0]


def imds_on(aws, url: str) -> None:
    aws.delenv("AWS_EC2_METADATA_DISABLED")
    aws.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.rstrip("/") + "/")


def process_command(aws, name: str, key: str = KEY_P, sleep: float = 0.0) -> str:
    doc = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": CANARY_SECRET}
    script = aws.file(
        f"bin/{name}.py",
        f"import json, sys, time\ntime.sleep({sleep})\nprint(json.dumps({doc!r}))\n",
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def timed_table(**kwargs):
    start = time.monotonic()
    df = aws_cred_magic.resolution_table(**kwargs)
    return df, time.monotonic() - start


# --------------------------------------------------------------------------- real endpoints


def test_probe_imds_returns_masked_key_and_expiry(aws, imds_server):
    imds_on(aws, imds_server.url)
    df = aws_cred_magic.resolution_table(probe=True)
    winner = row(df, "iam-role")
    assert winner["status"] == "winner" and winner["winner"]
    assert winner["access_key"] == masked(imds_server.access_key)
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)
    assert isinstance(winner["expires"], pd.Timestamp)
    assert abs(winner["expires"].to_pydatetime() - expected) < dt.timedelta(minutes=5)
    assert df.attrs["probed"] is True
    assert ("PUT", "/latest/api/token") in imds_server.requests


def test_probe_container_returns_masked_key_and_expiry(aws, container_server):
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container_server.url + "/creds")
    df = aws_cred_magic.resolution_table(probe=True)
    winner = row(df, "container-role")
    assert winner["status"] == "winner"
    assert winner["access_key"] == masked(container_server.access_key)
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)
    assert abs(winner["expires"].to_pydatetime() - expected) < dt.timedelta(minutes=5)
    assert row(df, "iam-role")["status"] == "not configured"


def test_probe_container_with_expired_credentials_says_so(aws):
    server = FakeMetadataServer("container", "AKIATESTEXPIRED00099", expires_in_hours=-1)
    try:
        aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url + "/creds")
        df = aws_cred_magic.resolution_table(probe=True)
    finally:
        server.close()
    winner = row(df, "container-role")
    assert winner["status"] == "winner"
    assert winner["expires"] < pd.Timestamp.now(tz="UTC")
    assert "expired" in winner["detail"]


def test_probe_runs_process_and_shows_its_key(aws):
    aws.write_config(f"[default]\ncredential_process = {process_command(aws, 'ok')}\n")
    dry = aws_cred_magic.resolution_table()
    probed = aws_cred_magic.resolution_table(probe=True)
    assert row(dry, "custom-process")["status"] == "winner"
    assert row(dry, "custom-process")["access_key"] == ""
    assert "not run" in row(dry, "custom-process")["detail"]
    assert row(probed, "custom-process")["status"] == "winner"
    assert row(probed, "custom-process")["access_key"] == masked(KEY_P)


def test_probe_assume_role_names_the_source_key(aws):
    aws.write_config(
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\ncredential_process = {process_command(aws, 'src')}\n"
    )
    df = aws_cred_magic.resolution_table("admin", region="us-east-1", probe=True)
    winner = row(df, "assume-role")
    assert winner["status"] == "winner"
    assert "source_profile base" in winner["detail"]
    assert f"custom-process {masked(KEY_P)}" in winner["detail"]


def test_failing_process_is_winner_dry_and_error_probed(aws):
    script = aws.file(
        "bin/fail.py", "import sys\nsys.stderr.write('no creds today')\nsys.exit(5)\n"
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    aws.write_config(
        f"[default]\ncredential_process = {command}\n"
        f"aws_access_key_id = {KEY_C}\naws_secret_access_key = {CANARY_SECRET}\n"
    )
    dry = aws_cred_magic.resolution_table()
    assert row(dry, "custom-process")["status"] == "winner"
    assert row(dry, "config-file")["status"] == "shadowed"

    probed = aws_cred_magic.resolution_table(probe=True)
    assert not probed["winner"].any()
    error = row(probed, "custom-process")
    assert error["status"] == "error"
    assert error["detail"].startswith("CredentialRetrievalError: ")
    assert "no creds today" in error["detail"]
    assert row(probed, "config-file")["status"] == "not reached"


# --------------------------------------------------------------------------- bounded time


def test_probe_is_bounded_against_hanging_imds(aws, hanging_server):
    imds_on(aws, hanging_server.url)
    df, elapsed = timed_table(probe=True, timeout=1.0)
    assert elapsed < 1.8
    imds = row(df, "iam-role")
    assert imds["status"] == "unknown" and not imds["winner"]
    assert "no answer within 1 s" in imds["detail"]
    assert not df["winner"].any()


def test_default_timeout_is_one_second(aws, hanging_server):
    imds_on(aws, hanging_server.url)
    df, elapsed = timed_table(probe=True)
    assert elapsed < 1.8
    assert row(df, "iam-role")["status"] == "unknown"


def test_probe_is_bounded_against_hanging_container(aws, hanging_server, monkeypatch):
    """A container endpoint that never answers: the wait stops at the bound and the row
    keeps the dry verdict (botocore stops at this source), marked as not verified."""
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", hanging_server.url + "/creds")
    df, elapsed = timed_table(probe=True, timeout=1.0)
    assert elapsed < 1.8
    container = row(df, "container-role")
    assert container["status"] == "winner" and container["access_key"] == ""
    assert "no answer within 1 s, so not verified" in container["detail"]
    dry = row(aws_cred_magic.resolution_table(), "container-role")
    assert dry["status"] == container["status"]  # probing never knows less

    # The oracle, made fast: botocore stops at this source (it raises, it never moves on).
    from botocore.exceptions import CredentialRetrievalError
    from botocore.utils import ContainerMetadataFetcher

    monkeypatch.setattr(ContainerMetadataFetcher, "TIMEOUT_SECONDS", 0.1)
    monkeypatch.setattr(ContainerMetadataFetcher, "SLEEP_TIME", 0)
    with pytest.raises(CredentialRetrievalError) as raised:
        boto3.Session().get_credentials()
    assert raised.value.kwargs["provider"] == "container-role"


def test_probe_waits_once_for_hanging_container_and_imds(aws, hanging_server):
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", hanging_server.url + "/creds")
    imds_on(aws, hanging_server.url)
    df, elapsed = timed_table(probe=True, timeout=1.0)
    assert elapsed < 1.8  # concurrently: one timeout in all, not one per source
    assert row(df, "container-role")["status"] == "winner"
    assert "not verified" in row(df, "container-role")["detail"]
    assert row(df, "iam-role")["status"] == "not reached"


def test_source_after_a_hanging_container_is_not_the_winner(
    aws, hanging_server, imds_server, monkeypatch
):
    # botocore never falls through a container error to IMDS: while the container has not
    # answered, IMDS cannot be named the winner even though it answered.
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", hanging_server.url + "/creds")
    imds_on(aws, imds_server.url)
    df, elapsed = timed_table(probe=True, timeout=1.0)
    assert elapsed < 1.8
    context = df[["method", "status", "detail"]].to_string()
    assert row(df, "container-role")["status"] == "winner", context
    assert "not verified" in row(df, "container-role")["detail"]
    imds = row(df, "iam-role")
    assert imds["status"] == "shadowed" and "container-role comes first" in imds["detail"]

    # The oracle, made fast: botocore's own container fetcher with short timeouts raises
    # instead of falling through to the IMDS that answers.
    from botocore.exceptions import CredentialRetrievalError
    from botocore.utils import ContainerMetadataFetcher

    monkeypatch.setattr(ContainerMetadataFetcher, "TIMEOUT_SECONDS", 0.1)
    monkeypatch.setattr(ContainerMetadataFetcher, "SLEEP_TIME", 0)
    with pytest.raises(CredentialRetrievalError):
        boto3.Session().get_credentials()


def test_slow_process_keeps_the_dry_verdict(aws):
    # botocore waits for the process and uses it; the config-file keys after it never count.
    aws.write_config(
        f"[default]\ncredential_process = {process_command(aws, 'slow', sleep=2.5)}\n"
        f"aws_access_key_id = {KEY_C}\naws_secret_access_key = {CANARY_SECRET}\n"
    )
    df, elapsed = timed_table(probe=True, timeout=0.5)
    assert elapsed < 1.8  # the 0.5 s bound, not the process's 2.5 s
    process = row(df, "custom-process")
    assert process["status"] == "winner", df[["method", "status", "detail"]].to_string()
    assert "did not finish within 0.5 s, so not verified" in process["detail"]
    assert process["access_key"] == ""  # nothing it printed is shown as if verified
    assert row(df, "config-file")["status"] == "shadowed"
    # The oracle: botocore waits for the process and uses its key.
    creds = boto3.Session().get_credentials()
    assert (creds.method, creds.access_key) == ("custom-process", KEY_P)


def test_role_sourced_from_a_slow_process_keeps_the_dry_verdict(aws):
    aws.write_config(
        f"[default]\nrole_arn = {ROLE}\nsource_profile = base\nregion = us-east-1\n"
        f"[profile base]\ncredential_process = {process_command(aws, 'slowsrc', sleep=2.5)}\n"
    )
    df, elapsed = timed_table(probe=True, timeout=0.5)
    assert elapsed < 1.8  # the 0.5 s bound, not the process's 2.5 s
    role = row(df, "assume-role")
    assert role["status"] == "winner", df[["method", "status", "detail"]].to_string()
    assert "not verified" in role["detail"] and "source_profile base" in role["detail"]
    assert boto3.Session().get_credentials().method == "assume-role"  # the oracle


def test_the_probe_bound_counts_from_the_call():
    """A cold call imports botocore before any probe can start; the bound still counts
    from the call, so the wait is ``timeout`` in all, as the setting promises. What came
    before takes at most a quarter of the bound from the probes: a slow import never
    leaves them no time."""
    from botocore.credentials import InstanceMetadataProvider

    from aws_cred_magic.resolve import _ProbeRun

    release = threading.Event()

    class Hanging(InstanceMetadataProvider):
        def __init__(self) -> None:  # no fetcher: the default bound applies
            pass

        def load(self):
            release.wait(10)

    try:
        # 2 s in all: 0.3 s before leaves 1.7 s; 0.8 s or 100 s before, the quarter's
        # cut (0.5 s) leaves 1.5 s.
        for before, expected in ((0.3, 1.7), (0.8, 1.5), (100.0, 1.5)):
            run = _ProbeRun([Hanging()], True, 2.0, called=time.monotonic() - before)
            start = time.monotonic()
            assert run.finish() == [None]  # did not finish in time
            waited = time.monotonic() - start
            assert expected - 0.05 <= waited < expected + 0.15, (before, waited)
    finally:
        release.set()


def test_pandas_is_imported_while_probes_wait(aws, hanging_server):
    """In a fresh interpreter, the cold pandas import happens during the probe's wait, not
    after it: by the time the chain is resolved (before any DataFrame), pandas is in."""
    imds_on(aws, hanging_server.url)
    code = (
        "import sys\n"
        "from aws_cred_magic.resolve import resolve\n"
        "assert 'pandas' not in sys.modules\n"
        "resolve(probe=False)\n"
        "print('dry', 'pandas' in sys.modules)\n"
        "resolve(probe=True, timeout=1.0)\n"
        "print('probed', 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["dry", "False", "probed", "True"]


# --------------------------------------------------------------------------- first answers


class _AnsweringServer(LoopbackServer):
    """A container or IMDS endpoint on loopback that answers each request with ``status``
    and ``body`` after ``delay`` seconds (IMDS: token, role name, then credentials)."""

    def __init__(self, status: int = 200, body: str = "", delay: float = 0.0):
        super().__init__(type("Handler", (_AnswerHandler,), {}))
        self.status, self.body, self.delay = status, body, delay
        self.start()


class _AnswerHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        server = self.server
        time.sleep(server.delay)
        if self.path.endswith("/api/token"):
            body = "token"
        elif self.path.endswith("security-credentials/"):
            body = "slow-role"
        else:
            body = server.body
        self.send_response(server.status if not self.path.endswith("token") else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_PUT = _answer  # noqa: N815

    def log_message(self, *args) -> None:
        pass


def _botocore_container_error(monkeypatch) -> str:
    """What botocore raises for this container endpoint (its retries made instant)."""
    from botocore.utils import ContainerMetadataFetcher

    monkeypatch.setattr(ContainerMetadataFetcher, "SLEEP_TIME", 0)
    try:
        boto3.Session().get_credentials()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        monkeypatch.undo()
    raise AssertionError("botocore did not raise")


@pytest.mark.parametrize(
    "status, body", [(500, "oops"), (200, "not json"), (200, '{"AccessKeyId": "x"}')]
)
def test_first_container_answer_that_decides_is_the_error(aws, monkeypatch, status, body):
    """HTTP 500 or a bad payload: botocore retries 3 times, 1 s apart, and raises; the probe
    reports that error from the first answer, within the bound."""
    server = _AnsweringServer(status, body)
    try:
        aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url + "/creds")
        df, elapsed = timed_table(probe=True, timeout=3.0)
        container = row(df, "container-role")
        expected = _botocore_container_error(monkeypatch)
    finally:
        server.close()
    assert elapsed < 1.5  # the first answer decides: no waiting for the 3 s bound
    assert container["status"] == "error", df[["method", "status", "detail"]].to_string()
    assert container["detail"].split(":")[0] == expected.split(":")[0]
    assert not df["winner"].any()


def test_refused_container_connection_is_the_error(aws, monkeypatch):
    from .conftest import free_port

    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{free_port()}/creds")
    df, elapsed = timed_table(probe=True, timeout=3.0)
    expected = _botocore_container_error(monkeypatch)
    assert elapsed < 1.5  # the first answer decides: no waiting for the 3 s bound
    container = row(df, "container-role")
    assert container["status"] == "error"
    assert container["detail"].startswith(expected.split(":")[0] + ":")
    assert "CredentialRetrievalError" in expected


def test_slow_imds_within_the_users_longer_timeout_is_known(aws):
    """IMDS answering each request in 1.2 s under metadata_service_timeout = 3: botocore
    waits and gets credentials, so the probe waits as long (the user's own setting)."""
    import datetime as dt
    import json

    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)
    document = {
        "Code": "Success",
        "AccessKeyId": "AKIAPROBESLOWIMDS0S1",
        "SecretAccessKey": CANARY_SECRET,
        "Token": "token",
        "Expiration": later.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    server = _AnsweringServer(200, json.dumps(document), delay=0.4)
    try:
        imds_on(aws, server.url)
        aws.write_config("[default]\nmetadata_service_timeout = 3\n")
        df, elapsed = timed_table(probe=True)  # the default bound, 0.9 s
        creds = boto3.Session().get_credentials()  # the oracle
    finally:
        server.close()
    imds = row(df, "iam-role")
    assert (creds.method, creds.access_key) == ("iam-role", document["AccessKeyId"])
    assert imds["status"] == "winner" and imds["access_key"][-4:] == creds.access_key[-4:]
    assert elapsed > 0.9  # it waited past the default bound, as botocore does


def test_default_imds_settings_keep_the_short_bound():
    from botocore.credentials import InstanceMetadataProvider
    from botocore.utils import InstanceMetadataFetcher

    from aws_cred_magic.resolve import probe_bound

    default = InstanceMetadataProvider(InstanceMetadataFetcher())
    longer = InstanceMetadataProvider(InstanceMetadataFetcher(timeout=3, num_attempts=2))
    assert probe_bound(default, 0.9) == 0.9
    assert probe_bound(longer, 0.9) == 18


# --------------------------------------------------------------------------- no side effects


class _Recorder:
    def __init__(self):
        self.connects: list = []
        self.processes: list = []


@pytest.fixture
def recorder(monkeypatch):
    """Record every socket connect and every child process started in this process."""
    record = _Recorder()
    # Probes of earlier tests may still be retrying in daemon threads: only threads born
    # during this test count.
    earlier = set(threading.enumerate()) - {threading.current_thread()}

    def ours() -> bool:
        return threading.current_thread() not in earlier

    guarded_connect = socket.socket.connect  # the loopback guard, already installed
    guarded_connect_ex = socket.socket.connect_ex
    real_execute_child = subprocess.Popen._execute_child

    def connect(self, address):
        if ours():
            record.connects.append(address)
        return guarded_connect(self, address)

    def connect_ex(self, address):
        if ours():
            record.connects.append(address)
        return guarded_connect_ex(self, address)

    def execute_child(self, args, *rest, **kwargs):
        if ours():
            record.processes.append(args)
        return real_execute_child(self, args, *rest, **kwargs)

    class RecordingPopen(subprocess.Popen):
        def __init__(self, args, *rest, **kwargs):
            if ours():
                record.processes.append(args)
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    # botocore binds subprocess.Popen as a default argument at import time, so patch the
    # class's spawning method too, not only the module attribute.
    monkeypatch.setattr(subprocess.Popen, "_execute_child", execute_child)
    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    return record


@pytest.fixture(scope="module")
def endpoints():
    """A fake IMDS and container endpoint shared by the side-effect tests (stopping one
    takes half a second); each test starts with an empty request log."""
    imds = FakeMetadataServer("imds", "AKIATESTIMDSROLE0007")
    container = FakeMetadataServer("container", "AKIATESTCONTAINER008")
    yield imds, container
    imds.close()
    container.close()


@pytest.fixture
def imds_and_container(endpoints):
    for server in endpoints:
        server.requests.clear()
    return endpoints


def _side_effect_world(aws, imds_server, container_server, layout: str) -> dict:
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container_server.url + "/creds")
    imds_on(aws, imds_server.url)
    command = process_command(aws, "proc")
    if layout == "process-in-profile":
        aws.write_config(f"[default]\ncredential_process = {command}\n")
        return {}
    if layout == "role-sourced-from-process":
        aws.write_config(
            f"[default]\nrole_arn = {ROLE}\nsource_profile = base\n"
            f"[profile base]\ncredential_process = {command}\n"
        )
        return {"region": "us-east-1"}
    if layout == "role-sourced-from-container":
        aws.write_config(f"[default]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n")
        return {"region": "us-east-1"}
    if layout == "role-sourced-from-imds":
        aws.write_config(
            f"[default]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n"
            f"[profile other]\ncredential_process = {command}\n"
        )
        return {"region": "us-east-1"}
    if layout == "process-in-explicit-profile":
        aws.write_config(f"[profile p]\ncredential_process = {command}\n")
        return {"profile": "p"}
    assert layout == "container-and-imds-only"
    return {}


LAYOUTS = [
    "process-in-profile",
    "role-sourced-from-process",
    "role-sourced-from-container",
    "role-sourced-from-imds",
    "process-in-explicit-profile",
    "container-and-imds-only",
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_probe_false_opens_no_socket_and_starts_no_process(
    aws, imds_and_container, recorder, layout
):
    imds_server, container_server = imds_and_container
    kwargs = _side_effect_world(aws, imds_server, container_server, layout)
    df = aws_cred_magic.resolution_table(**kwargs)
    assert recorder.connects == []
    assert recorder.processes == []
    assert imds_server.requests == [] and container_server.requests == []
    assert df.attrs["probed"] is False
    # The source that needs the network or a process is still judged from configuration.
    # One winner, or an honest "unknown" where only IMDS could tell (IMDS itself, or a
    # role whose source credentials come from IMDS).
    assert df["winner"].sum() == 1 or (df["status"] == "unknown").sum() == 1


def test_the_recorder_sees_what_probe_true_does(aws, imds_and_container, recorder):
    imds_server, container_server = imds_and_container
    # Positive control: the same world with probe=True does run the process and connect.
    _side_effect_world(aws, imds_server, container_server, "process-in-profile")
    aws_cred_magic.resolution_table(probe=True, timeout=5.0)
    assert recorder.processes, "the recorder missed botocore's credential_process"
    assert any(address[0] == "127.0.0.1" for address in recorder.connects)
    assert container_server.requests and imds_server.requests
    # ... and sees botocore spawning from this very thread too.
    recorder.processes.clear()
    boto3.Session().get_credentials()
    assert recorder.processes


def test_probe_false_leaves_imds_unknown_not_winner(aws, imds_server):
    imds_on(aws, imds_server.url)
    df = aws_cred_magic.resolution_table()
    imds = row(df, "iam-role")
    assert imds["status"] == "unknown" and not df["winner"].any()
    assert "probe=True" in imds["detail"]
    assert imds_server.requests == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for the user: it only waits to be reaped
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("as_role_source", [False, True])
def test_probe_kills_a_process_still_running_after_the_table(aws, as_role_source):
    """A credential_process that outlives the probe's bound (and the child it started) is
    killed soon after the table returns, never left running; the row keeps the dry verdict."""
    pids = aws.home / "pids"
    script = aws.file(
        "bin/forever.py",
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{__import__(\"os\").getpid()}} {{child.pid}}')\n"
        "time.sleep(60)\n",
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    if as_role_source:
        aws.write_config(
            f"[default]\nrole_arn = {ROLE}\nsource_profile = base\nregion = us-east-1\n"
            f"[profile base]\ncredential_process = {command}\n"
        )
    else:
        aws.write_config(f"[default]\ncredential_process = {command}\n")
    df, elapsed = timed_table(probe=True, timeout=0.8)
    method = "assume-role" if as_role_source else "custom-process"
    assert row(df, method)["status"] == "winner"
    assert "not verified" in row(df, method)["detail"]
    deadline = time.monotonic() + 10
    while not pids.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = [int(pid) for pid in pids.read_text().split()]
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in started), "the process or its child still runs"

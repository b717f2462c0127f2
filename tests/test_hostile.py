"""Hostile input, faults and leaks, in a real IPython shell.

The catalogue feeds bad input to every magic, the Python API and the panel. Each one must
be refused with one line (``UsageError`` for a magic, ``AwsCredError`` for the API) that
names the problem; ``session`` and boto3's default stay the same objects, the AWS files
and AWS_* variables stay as they were, nothing was prompted for when the arguments were
already wrong, and no canary shows in any channel: the output, the error, its traceback
formatted with ``capture_locals``, a plain root ``logging.basicConfig(level=DEBUG)``, and
IPython's history.

The faults (hanging processes, STS and endpoints; HTTP 500; garbage; Ctrl-C) must each end
within a bound from a setting. The block parser and the masking get property tests.
"""

from __future__ import annotations

import atexit
import getpass
import io
import json
import logging
import os
import re
import shlex
import signal
import sys
import tempfile
import textwrap
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from aws_cred_magic.errors import AwsCredError
from aws_cred_magic.keys import check_keys, keys_from_block, parse_key_block
from aws_cred_magic.masking import KEY_ID_SHAPE, MASK, NOT_A_KEY_ID, mask_access_key, scrub

from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, DEV_KEY_ID, TEMP_KEY_ID

# Hypothesis keeps caches under ./.hypothesis: keep them out of the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "aws_cred_magic-hypothesis")
settings.register_profile(
    "aws_cred_magic", database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("aws_cred_magic")

OTHER_SECRET = "otherSecretOTHERsecretOther00000000000002"[:40]
PIECES = (
    CANARY_SECRET,
    CANARY_SECRET[:16],
    CANARY_SECRET[-16:],
    OTHER_SECRET[:16],
    CANARY_TOKEN,
    CANARY_TOKEN[:24],
    "CANARYTOKENcanarytoken",
)


class Canaries:
    """Reached from cells as ``C.secret`` etc., so no canary is typed into a cell (and its
    history) and the cell's own frame shows only this repr."""

    key = CANARY_KEY_ID
    temp_key = TEMP_KEY_ID
    secret = CANARY_SECRET
    token = CANARY_TOKEN

    def __repr__(self) -> str:
        return "<canaries>"

    def args(self, kind: str) -> tuple:
        """Arguments for use_keys, returned by a call so a verbose traceback (which shows
        the names and attributes of the failing line) does not show them as the cell's."""
        return {
            "broken token": (CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN + " broken"),
            "bad region": (TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN),
            "token for AKIA": (CANARY_KEY_ID, CANARY_SECRET, CANARY_SECRET),
        }[kind]

    def block(self) -> str:
        return (
            bash(token=None)
            + f'\nexport AWS_SESSION_TOKEN="{CANARY_TOKEN[:30]}\n{CANARY_TOKEN[30:]}"'
        )


def bash(key=TEMP_KEY_ID, secret=CANARY_SECRET, token=CANARY_TOKEN, extra=""):
    lines = [f'export AWS_ACCESS_KEY_ID="{key}"', f'export AWS_SECRET_ACCESS_KEY="{secret}"']
    if token:
        lines.append(f'export AWS_SESSION_TOKEN="{token}"')
    return "\n".join(lines) + extra


# --------------------------------------------------------------------------- the world


def write_world(aws) -> None:
    """The conftest ``profiles`` world plus hostile profiles."""
    aws.write_credentials(
        f"""
        [default]
        aws_access_key_id = {CANARY_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [dev]
        aws_access_key_id = {DEV_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [my profile]
        aws_access_key_id = {DEV_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [swapped]
        aws_access_key_id = {CANARY_SECRET}
        aws_secret_access_key = {CANARY_KEY_ID}

        [badregion]
        aws_access_key_id = {DEV_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [secretregion]
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

        [profile my profile]
        region = eu-west-1

        [profile analyst]
        role_arn = arn:aws:iam::111122223333:role/analyst
        source_profile = dev
        region = eu-west-1

        [profile swapped]
        region = us-east-1

        [profile badregion]
        region = us-east-1/../../x

        [profile secretregion]
        region = {CANARY_SECRET}
        """
    )


def new_shell() -> InteractiveShell:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "aws_cred_magic")
    return shell


@pytest.fixture
def root_log():
    """A plain ``logging.basicConfig(level=DEBUG)`` on the root logger, into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    logging.basicConfig(stream=buffer, level=logging.DEBUG, force=True)
    for name in ("werkzeug", "moto"):  # the fake AWS logs what it receives, as AWS would
        logging.getLogger(name).setLevel(logging.WARNING)
    yield buffer
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.handlers[:], root.level = saved[0], saved[1]


@pytest.fixture
def answers(monkeypatch):
    """What getpass returns, in order; an item that is an exception class is raised. A
    prompt with no answer left fails the input (it should have been refused first)."""
    queue: list = []
    asked: list[str] = []

    def fake_getpass(prompt="", stream=None):
        asked.append(prompt)
        if not queue:
            raise AssertionError(f"unexpected prompt {prompt!r}")
        item = queue.pop(0)
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item()
        return item

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return queue, asked


@pytest.fixture
def shell(aws, sts, root_log, answers):
    write_world(aws)
    ip = new_shell()
    ip.user_ns["C"] = Canaries()
    ip.run_cell("import boto3\nimport aws_cred_magic\ndf = [1, 2, 3]", store_history=True)
    ip.run_cell("import types\npd = types.ModuleType('pandas')", store_history=True)
    ip.run_cell("%aws_use dev", store_history=True)
    ip.run_cell("%aws_use default --var s_default", store_history=True)
    ip.run_cell(
        "from aws_cred_magic.widget import PanelController\n"
        "P = PanelController(get_ipython().magics_manager.registry['AwsCredMagics'].state)\n"
        "P.load_profiles()",
        store_history=True,
    )
    assert isinstance(ip.user_ns["session"], boto3.Session)
    yield ip
    ip.user_ns["P"].close()
    if "aws_cred_magic" in ip.extension_manager.loaded:
        ip.run_line_magic("unload_ext", "aws_cred_magic")
    atexit.unregister(ip.atexit_operations)
    InteractiveShell.clear_instance()


# --------------------------------------------------------------------------- the catalogue

NAMES = [
    "__builtins__",
    "__name__",
    "_oh",
    "_ih",
    "_",
    "__",
    "_5",
    "_i3",
    "get_ipython",
    "In",
    "Out",
    "exit",
    "class",
    "None",
    "lambda",
    "match",
    "print",
    "list",
    "boto3",
    "pd",
    "df",
    "C",
    "1bad",
    "not-a-name",
    "'a b'",
]
REGIONS = [
    ('"bad region"', "not an AWS region"),
    ("us-east-1/../../x", "not an AWS region"),
    ('""', "empty"),
    ("us-est-1", "Did you mean"),
    ("localhost", "not an AWS region"),
    ("US-EAST-1", "Did you mean us-east-1"),
    ("http://127.0.0.1:1", "not an AWS region"),
]
SECRET_REGION = ("$SECRET", "not an AWS region")  # $SECRET: the canary, put in by the runner

# (code, getpass answers, fragment of the one-line error)
CATALOGUE: list[tuple[str, list, str]] = []
for name in NAMES:
    fragment = "name" if name not in ("df", "boto3", "pd", "C") else "already holds"
    CATALOGUE.append((f"%aws_use dev --var {name}", [], fragment))
    CATALOGUE.append((f"%aws_keys --var {name}", [], fragment))
for name in ("print", "boto3", "_oh", "class", "1bad"):
    CATALOGUE.append((f"P.apply_profile('dev', region=None, var={name!r})", [], "name"))
    CATALOGUE.append((f"P.apply_keys(block=C.secret, region=None, var={name!r})", [], "name"))
for region, fragment in [*REGIONS, SECRET_REGION]:
    CATALOGUE += [
        (f"%aws_use dev --region {region}", [], fragment),
        (f"%aws_keys --region {region}", [], fragment),
        (f"%%aws_profile dev --region {region}\nRAN = True", [], fragment),
        (f"%aws_chain --profile dev --region {region}", [], fragment),
    ]
CATALOGUE += [
    ("aws_cred_magic.use_profile('dev', region='us-east-1/../../x')", [], "not an AWS region"),
    ("aws_cred_magic.use_profile('dev', region='')", [], "empty"),
    ("aws_cred_magic.use_keys(C.key, C.secret, region='us-est-1')", [], "Did you mean"),
    ("P.apply_profile('dev', region='eu-wst-1', var='session')", [], "Did you mean"),
    ("%aws_use badregion", [], "region of profile 'badregion'"),
    ("%aws_use secretregion", [], "region of profile 'secretregion'"),
    ("%%aws_profile badregion\nRAN = True", [], "not an AWS region"),
    ("aws_cred_magic.use_profile('secretregion')", [], "not an AWS region"),
    # quoting
    ('%aws_use "my profile', [], "no closing quotation"),
    ("%aws_use 'dev", [], "no closing quotation"),
    ('%aws_chain --profile "dev', [], "no closing quotation"),
    ("%aws_whoami --profile 'dev", [], "no closing quotation"),
    ('%%aws_profile "dev\nRAN = True', [], "no closing quotation"),
    ('%aws_keys --region "us-east-1', [], "no closing quotation"),
    ('%aws_use dev --var "s', [], "no closing quotation"),
    ("%aws_use dev\\", [], "no escaped character"),
    ('%aws_use ""', [], "Profile name is empty"),
    ("%aws_use '[profile dev]'", [], "brackets"),
    ("%aws_use nosuch", [], "ProfileNotFound"),
    ("%aws_use 'no such'", [], "ProfileNotFound"),
    ("aws_cred_magic.use_profile('dev\\nprod')", [], "control character"),
    ("aws_cred_magic.use_profile('')", [], "empty"),
    # conflicting flags
    ("%aws_whoami --all --profile dev", [], "--all and --profile cannot be used together"),
    ("%aws_whoami --all --var s_default", [], "--all and --var"),
    ("%aws_whoami --sessions --var s_default", [], "--sessions and --var"),
    ("%aws_whoami --sessions --profile dev", [], "--sessions and --profile"),
    ("%aws_whoami --all --sessions", [], "--all and --sessions"),
    ("%aws_whoami --profile dev --var s_default", [], "--profile and --var"),
    ("%aws_env --unset --var s_default", [], "--unset and --var"),
    ("%aws_sessions --drop nosuch", [], "No session named"),
    ("%aws_env --var nosuch", [], "No session named"),
    ("%aws_whoami --bogus", [], "unrecognized arguments"),
    # EOF / Ctrl-C at the prompts
    ("%aws_keys", [EOFError], "Cancelled"),
    ("%aws_keys", [KeyboardInterrupt], "Cancelled"),
    ("%aws_keys", [CANARY_KEY_ID, EOFError], "Cancelled"),
    ("%aws_keys", [TEMP_KEY_ID, CANARY_SECRET, KeyboardInterrupt], "Cancelled"),
    ("%aws_keys", [f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"', EOFError], "Cancelled"),
    # pasted blocks
    (
        "%aws_keys",
        [
            f"export AWS_ACCESS_KEY_ID={CANARY_KEY_ID}\n"
            f"# export AWS_SECRET_ACCESS_KEY={CANARY_SECRET}",
            "",
        ],
        "secret access key is empty",
    ),
    ("%aws_keys", [bash(extra=f'\nexport AWS_SECRET_ACCESS_KEY="{OTHER_SECRET}"')], "twice"),
    (
        "%aws_keys",
        [bash(extra=f'\n$Env:AWS_SECRET_ACCESS_KEY="{OTHER_SECRET}"')],
        "AWS_SECRET_ACCESS_KEY given twice",
    ),
    (
        "%aws_keys",
        [bash(extra=f"\nexport AWS_SECURITY_TOKEN={CANARY_TOKEN[:-3]}XYZ")],
        "AWS_SESSION_TOKEN and AWS_SECURITY_TOKEN given twice",
    ),
    (
        "%aws_keys",
        [
            bash(token=None)
            + f'\nexport AWS_SESSION_TOKEN="{CANARY_TOKEN[:40]}\n{CANARY_TOKEN[40:]}"'
        ],
        "AWS_SESSION_TOKEN continues on the next line",
    ),
    (
        "%aws_keys",
        [bash(token=None) + f"\nexport AWS_SESSION_TOKEN={CANARY_TOKEN[:40]}\n{CANARY_TOKEN[40:]}"],
        "AWS_SESSION_TOKEN seems broken across lines",
    ),
    ("%aws_keys", [bash(key=CANARY_KEY_ID)], "take no session token"),
    ("%aws_keys", [CANARY_KEY_ID, CANARY_SECRET, CANARY_SECRET], "take no session token"),
    ("%aws_keys", [CANARY_SECRET], "access key id is not valid"),
    ("%aws_keys", [bash(secret=CANARY_SECRET + "x")], "secret access key is not valid"),
    ("%aws_keys", [f"export AWS_SECRET_ACCESS_KEY={CANARY_SECRET}", ""], "No AWS_ACCESS_KEY_ID"),
    ("P.apply_keys(block=C.secret, region=None, var='session')", [], "AWS_ACCESS_KEY_ID"),
    (
        "P.apply_keys(access_key_id=C.key, secret_access_key=C.secret, session_token=C.secret,"
        " region=None, var='session')",
        [],
        "take no session token",
    ),
    ("aws_cred_magic.use_keys(C.key, C.secret, C.secret)", [], "take no session token"),
    ("aws_cred_magic.use_keys(C.secret, C.key)", [], "access key id is not valid"),
    ("aws_cred_magic.use_keys(C.key, C.secret[:-1])", [], "secret access key is not valid"),
    ("aws_cred_magic.use_keys(C.temp_key, C.secret)", [], "need their session token"),
    ("aws_cred_magic.use_keys('', '')", [], "access key id is empty"),
    ("P.apply_profile('dev', region=None, var='session', mfa_code='12ab')", [], "6 digits"),
    ("P.apply_profile('', region=None, var='session')", [], "Pick a profile"),
]


def files_of(aws) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(aws.home.rglob("*")) if p.is_file()}


def aws_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


def our_frames_text(error: BaseException) -> str:
    """What ``traceback.TracebackException(..., capture_locals=True)`` would print: every
    frame with the repr of each local variable, along the chain a formatter follows
    (``__cause__``, and ``__context__`` unless suppressed). A repr that raises (botocore's
    session repr does, for a missing profile) counts as shown empty."""
    parts = []
    seen = set()
    pending = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc}")
        for frame, _line in traceback.walk_tb(exc.__traceback__):
            for name, value in frame.f_locals.items():
                try:
                    parts.append(f"{name} = {value!r}")
                except Exception:
                    parts.append(f"{name} = <repr failed>")
        pending.append(exc.__cause__)
        if not exc.__suppress_context__:
            pending.append(exc.__context__)
    return "\n".join(parts)


def leaks(text: str) -> list[str]:
    return [piece[:6] + "…" for piece in PIECES if piece in text]


def check_one(ip, aws, root_log, answers, code, typed, fragment) -> list[str]:
    """Run one hostile input; return what went wrong (empty: it held)."""
    queue, asked = answers
    queue[:] = [CANARY_SECRET if t == "$SECRET" else t for t in typed]
    asked.clear()
    code = code.replace("$SECRET", CANARY_SECRET)
    before = (ip.user_ns.get("session"), boto3.DEFAULT_SESSION, files_of(aws), aws_env())
    ip.user_ns.pop("RAN", None)
    log_start = root_log.tell()
    typed_secret = CANARY_SECRET in code  # the user typed it into the cell: it is in history
    with capture_output() as captured:
        result = ip.run_cell(code, store_history=not typed_secret)
    problems = []
    error = result.error_in_exec or result.error_before_exec
    expected = UsageError if code.startswith("%") else AwsCredError
    message = str(error) if error is not None else ""
    if type(error) is not expected:
        problems.append(f"raised {type(error).__name__}, not {expected.__name__}: {message}")
    if "\n" in message or not message:
        problems.append("not one line")
    if fragment.lower() not in message.lower():
        problems.append(f"message lacks {fragment!r}: {message!r}")
    if expected is UsageError and captured.stderr.strip() != f"UsageError: {message}":
        problems.append(f"stderr is not the one line: {captured.stderr[:200]!r}")
    if "Traceback" in captured.stdout and expected is UsageError:
        problems.append("a traceback was printed")
    now = (ip.user_ns.get("session"), boto3.DEFAULT_SESSION, files_of(aws), aws_env())
    if now[0] is not before[0] or now[1] is not before[1]:
        problems.append("session or boto3's default changed")
    if now[2] != before[2]:
        problems.append("files changed")
    if now[3] != before[3]:
        problems.append("AWS_* variables changed")
    if "RAN" in ip.user_ns:
        problems.append("the cell body ran")
    if queue:
        problems.append(f"{len(queue)} answers not asked for")
    if not typed and asked:
        problems.append(f"prompted before refusing: {asked}")
    channels = captured.stdout + captured.stderr + message + repr(error)
    if error is not None and not typed_secret:
        channels += our_frames_text(error)
    root_log.seek(log_start)
    channels += root_log.read()
    channels += repr(ip.user_ns.get("session")) + repr(ip.user_ns.get("P").status)
    for leak in leaks(channels):
        problems.append(f"leaked {leak}")
    return problems


def test_catalogue_of_hostile_input_is_refused_in_one_line(shell, aws, root_log, answers):
    assert len(CATALOGUE) >= 80
    failures = {}
    started = time.monotonic()
    for code, typed, fragment in CATALOGUE:
        problems = check_one(shell, aws, root_log, answers, code, typed, fragment)
        if problems:
            failures[code.replace(CANARY_SECRET, "$SECRET")[:90]] = problems
    elapsed = time.monotonic() - started
    held = len(CATALOGUE) - len(failures)
    print(f"hostile inputs: {len(CATALOGUE)} tried, {held} held, in {elapsed:.1f} s")
    assert not failures, json.dumps(failures, indent=1)
    # The history holds no canary either: none was typed, none was echoed.
    manager = shell.history_manager
    history = repr(manager.input_hist_raw) + repr(manager.output_hist)
    history += repr(list(manager.get_range(raw=True, output=True)))
    assert not leaks(history)


def test_quoted_names_work_like_in_a_shell(shell):
    for code, profile in (('%aws_use "my profile"', "my profile"), ("%aws_use 'dev'", "dev")):
        result = shell.run_cell(code, store_history=False)
        assert result.success, result.error_in_exec
        assert shell.user_ns["session"].profile_name == profile


def test_a_name_the_user_freed_can_be_used(shell):
    assert shell.run_cell("del df", store_history=False).success
    assert shell.run_cell("%aws_use dev --var df", store_history=False).success
    assert isinstance(shell.user_ns["df"], boto3.Session)


def test_verbose_tracebacks_show_no_secret(shell):
    """``%xmode Verbose`` prints every frame's local variables; a failing use_keys holds the
    secret and token in its parameters."""
    shell.run_line_magic("xmode", "Verbose")
    try:
        for call in (
            "aws_cred_magic.use_keys(*C.args('broken token'))",
            "aws_cred_magic.use_keys(*C.args('bad region'), region='bad region')",
            "aws_cred_magic.use_keys(*C.args('token for AKIA'))",
            "P.apply_keys(block=C.block(), region=None, var='session')",
        ):
            with capture_output() as captured:
                result = shell.run_cell(call, store_history=False)
            assert isinstance(result.error_in_exec, AwsCredError)
            shown = captured.stdout + captured.stderr
            assert "Traceback" in shown or "AwsCredError" in shown
            assert not leaks(shown), shown
            formatted = "".join(
                traceback.TracebackException.from_exception(
                    result.error_in_exec, capture_locals=True
                ).format()
            )
            assert "<secret>" in formatted or "KeyInput" in formatted or "apply_keys" in formatted
            assert not leaks(formatted), formatted
    finally:
        shell.run_line_magic("xmode", "Context")


def test_swapped_key_and_secret_show_no_part_of_the_secret(shell, aws):
    """Key id and secret swapped in the credentials file: where the key id would show its
    last four characters, the secret shows ``<not a key id>``."""
    for code in ("%aws_chain --profile swapped", "%aws_profiles", "%aws_use swapped --var sw"):
        with capture_output() as captured:
            result = shell.run_cell(code, store_history=False)
        assert result.success, result.error_in_exec
        shown = captured.stdout + captured.stderr
        if result.result is not None:
            data, _ = shell.display_formatter.format(result.result)
            shown += "".join(str(v) for v in data.values())
        assert not leaks(shown), code
        assert "<not a key id>" in shown or "&lt;not a key id&gt;" in shown, code
        assert "*" * 16 + CANARY_SECRET[-4:] not in shown.replace(masked_default(), ""), code


def masked_default() -> str:
    return "*" * 16 + CANARY_KEY_ID[-4:]


def test_a_secret_in_a_region_is_never_shown_in_tables(shell):
    for code in ("%aws_profiles", "%aws_chain --profile secretregion"):
        result = shell.run_cell(code, store_history=False)
        data, _ = shell.display_formatter.format(result.result)
        shown = "".join(str(v) for v in data.values()) + repr(result.result)
        assert not leaks(shown), code


def test_a_large_config_shows_at_most_display_max_rows(aws, tmp_path):
    import pandas as pd

    from aws_cred_magic.discover import profiles_frame
    from aws_cred_magic.frames import ProfilesFrame, styled

    aws.write_config("".join(f"[profile p{i:05d}]\nregion = us-east-1\n" for i in range(3000)))
    frame = styled(profiles_frame(), ProfilesFrame, "3000 profiles")
    with pd.option_context("display.max_rows", 20):
        html = frame._repr_html_()
        text = repr(frame)
    assert html.count("<tr") <= 20 + 2 and "more rows" in html
    assert "p00000" in html and "p02999" in html and "p01500" not in html
    assert len(html) < 20_000
    assert len(text.splitlines()) < 40 and "p01500" not in text
    assert len(frame) == 3000  # the data stays whole


# --------------------------------------------------------------------------- faults

TIMEOUT = 1.0


def hanging_process(aws, name: str) -> tuple[str, str]:
    """A credential_process that starts a child and both sleep; they write their pids."""
    pids = aws.home / f"{name}.pids"
    body = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
        time.sleep(60)
        """
    )
    path = aws.file(f"{name}.py", body)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}", str(pids)


def assert_killed(pids_file: str) -> None:
    deadline = time.monotonic() + 3
    with open(pids_file) as file:
        pids = [int(p) for p in file.read().split()]
    assert len(pids) == 2
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                # A zombie is dead but unreaped by its parent (init reaps it soon).
                with open(f"/proc/{pid}/stat") as stat:
                    if stat.read().split()[2] != "Z":
                        alive.append(pid)
            except (ProcessLookupError, FileNotFoundError):
                pass
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError(f"still running: {alive}")


class _FakeSts(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body = self.server.answer  # type: ignore[attr-defined]
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_sts():
    servers = []

    def start(status: int, body: str) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSts)
        server.daemon_threads = True
        server.answer = (status, body)  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fshell(aws, root_log, answers):
    """A shell with the extension, the world, and a short timeout."""
    write_world(aws)
    ip = new_shell()
    ip.user_ns["C"] = Canaries()
    ip.run_cell("import aws_cred_magic", store_history=False)
    ip.run_line_magic("config", f"AwsCredMagics.timeout = {TIMEOUT}")
    ip.run_line_magic("config", f"AwsCredMagics.probe_timeout = {TIMEOUT}")
    yield ip
    if "aws_cred_magic" in ip.extension_manager.loaded:
        ip.run_line_magic("unload_ext", "aws_cred_magic")
    atexit.unregister(ip.atexit_operations)
    InteractiveShell.clear_instance()


def timed(ip, code: str, bound: float):
    started = time.monotonic()
    with capture_output() as captured:
        result = ip.run_cell(code, store_history=False)
    elapsed = time.monotonic() - started
    assert elapsed < bound, f"{code!r} took {elapsed:.1f} s (bound {bound} s)"
    shown = captured.stdout + captured.stderr + str(result.error_in_exec or "")
    if result.result is not None:
        data, _ = ip.display_formatter.format(result.result)
        shown += "".join(str(v) for v in data.values())
    assert not leaks(shown), code
    return result, shown


def one_line_usage_error(result) -> str:
    error = result.error_in_exec
    assert type(error) is UsageError, repr(error)
    assert "\n" not in str(error)
    return str(error)


def add_profile(aws, text: str) -> None:
    aws.config.write_text(aws.config.read_text() + textwrap.dedent(text))


def test_fault_hanging_process_in_whoami_all_is_killed(fshell, aws, sts):
    command, pids = hanging_process(aws, "hang")
    add_profile(aws, f"\n[profile hang]\nregion = us-east-1\ncredential_process = {command}\n")
    result, shown = timed(fshell, "%aws_whoami --all", TIMEOUT + 4)
    frame = result.result
    row = frame[frame.profile == "hang"].iloc[0]
    assert f"did not finish in {TIMEOUT:g} s" in row.error
    assert frame[frame.profile == "dev"].iloc[0].account  # the others still answered
    assert_killed(pids)


def test_fault_hanging_process_as_a_role_source_in_whoami_all(fshell, aws, sts):
    command, pids = hanging_process(aws, "hangsrc")
    add_profile(
        aws,
        f"""
        [profile hangsrc]
        credential_process = {command}
        [profile hangrole]
        role_arn = arn:aws:iam::111122223333:role/r
        source_profile = hangsrc
        region = us-east-1
        """,
    )
    result, _ = timed(fshell, "%aws_whoami --all", TIMEOUT * 2 + 5)
    frame = result.result.set_index("profile")
    assert "did not finish" in frame.loc["hangrole", "error"]
    assert "did not finish" in frame.loc["hangsrc", "error"]
    assert_killed(pids)


def test_fault_hanging_process_at_use_is_killed_and_nothing_changes(fshell, aws, sts):
    command, pids = hanging_process(aws, "hang")
    add_profile(aws, f"\n[profile hang]\nregion = us-east-1\ncredential_process = {command}\n")
    fshell.run_cell("%aws_use dev", store_history=False)
    before = fshell.user_ns["session"], boto3.DEFAULT_SESSION
    result, _ = timed(fshell, "%aws_use hang", TIMEOUT + 4)
    assert "did not finish" in one_line_usage_error(result)
    assert (fshell.user_ns["session"], boto3.DEFAULT_SESSION) == before
    assert_killed(pids)


def test_fault_hanging_process_in_a_profile_cell_does_not_run_the_body(fshell, aws, sts):
    command, pids = hanging_process(aws, "hang")
    add_profile(aws, f"\n[profile hang]\nregion = us-east-1\ncredential_process = {command}\n")
    result, _ = timed(fshell, "%%aws_profile hang\nRAN = True", TIMEOUT + 4)
    assert "did not finish" in one_line_usage_error(result)
    assert "RAN" not in fshell.user_ns
    assert_killed(pids)


def test_fault_process_printing_garbage(fshell, aws):
    path = aws.file("garbage.py", "print('this is not json {')\n")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"
    add_profile(aws, f"\n[profile garbage]\nregion = us-east-1\ncredential_process = {command}\n")
    result, _ = timed(fshell, "%aws_use garbage", TIMEOUT + 4)
    one_line_usage_error(result)


def test_fault_failing_process_logs_no_secret_with_a_plain_root_handler(fshell, aws, root_log):
    """botocore logs a WARNING with the traceback of the failed process, whose stderr holds
    the secret; ``basicConfig()``'s handler prints the exception text."""
    path = aws.file(
        "leaky.py",
        "import sys\nsys.stderr.write('denied for ' + sys.argv[1] + ' ' + sys.argv[2])\n"
        "sys.exit(3)\n",
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"
    add_profile(
        aws,
        f"""
        [profile leaky]
        region = us-east-1
        credential_process = {command} {CANARY_SECRET} {CANARY_TOKEN}
        [profile leakyrole]
        role_arn = arn:aws:iam::111122223333:role/r
        source_profile = leaky
        region = us-east-1
        """,
    )
    for code in ("%aws_use leaky", "%aws_whoami --profile leaky", "%aws_whoami --all"):
        timed(fshell, code, TIMEOUT + 6)
    logging.getLogger("botocore.credentials").warning("probe", exc_info=False)
    text = root_log.getvalue()
    assert "probe" in text  # the root handler did print botocore's records
    assert not leaks(text), text[-2000:]


def test_fault_exception_text_is_scrubbed_on_every_botocore_logger(fshell, root_log):
    from aws_cred_magic.identity import protect_botocore_logs

    protect_botocore_logs()
    for name in ("botocore.credentials", "botocore.utils", "botocore.endpoint", "urllib3"):
        try:
            raise RuntimeError(f"stderr was {CANARY_SECRET} / {CANARY_TOKEN}")
        except RuntimeError:
            logging.getLogger(name).warning("failed", exc_info=True, stack_info=True)
    text = root_log.getvalue()
    assert text.count("RuntimeError: stderr was") == 4 and text.count("Stack (most recent") == 4
    assert not leaks(text)


def test_fault_a_logger_created_later_is_scrubbed_at_the_root_handler(fshell, root_log):
    """aiobotocore and s3fs create their loggers on first use, after the extension loaded:
    the root handler's filter scrubs them; the user's own loggers pass untouched."""
    from aws_cred_magic.identity import protect_botocore_logs

    protect_botocore_logs()
    late = logging.getLogger("aiobotocore.created_later")
    try:
        raise RuntimeError(f"stderr was {CANARY_SECRET}")
    except RuntimeError:
        late.warning("refresh failed for %s", CANARY_TOKEN, exc_info=True)
    logging.getLogger("analysis").warning("digest %s", "A" * 48)
    text = root_log.getvalue()
    assert "refresh failed for <redacted>" in text and "RuntimeError: stderr was" in text
    assert not leaks(text)
    assert "digest " + "A" * 48 in text


def test_fault_hanging_sts_at_whoami(fshell, aws, hanging_server):
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    result, _ = timed(fshell, "%aws_whoami --profile dev", TIMEOUT * 2 + 3)
    assert "in time" in one_line_usage_error(result)


def test_fault_hanging_sts_at_use_check_changes_nothing(fshell, aws, hanging_server):
    fshell.run_cell("%aws_use default", store_history=False)
    before = fshell.user_ns["session"], boto3.DEFAULT_SESSION
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    result, _ = timed(fshell, "%aws_use dev --check", TIMEOUT * 2 + 3)
    one_line_usage_error(result)
    assert (fshell.user_ns["session"], boto3.DEFAULT_SESSION) == before


def test_fault_hanging_assume_role_behind_aws_env(fshell, aws, hanging_server):
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    assert fshell.run_cell("%aws_use analyst", store_history=False).success
    env = aws_env()
    result, _ = timed(fshell, "%aws_env", TIMEOUT * 2 + 3)
    assert "in time" in one_line_usage_error(result)
    assert aws_env() == env


def test_fault_hanging_assume_role_behind_storage_options(fshell, aws, hanging_server):
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    assert fshell.run_cell("%aws_use analyst", store_history=False).success
    result, _ = timed(fshell, "aws_cred_magic.storage_options()", TIMEOUT * 2 + 3)
    assert isinstance(result.error_in_exec, AwsCredError)
    assert "in time" in str(result.error_in_exec)


@pytest.mark.parametrize(
    "status, body",
    [
        (500, "<html>Internal Server Error</html>"),
        (503, ""),
        (200, "garbage, not XML <<<"),
        (200, f"<Response>{CANARY_SECRET}</Response>"),
    ],
    ids=["http-500", "http-503-empty", "garbage", "echoed-secret"],
)
def test_fault_sts_answers_badly(fshell, aws, fake_sts, status, body):
    aws.setenv("AWS_ENDPOINT_URL_STS", fake_sts(status, body))
    fshell.run_cell("%aws_use dev", store_history=False)
    result, shown = timed(fshell, "%aws_whoami", TIMEOUT * 2 + 3)
    # botocore cannot read a 5xx or a garbage answer: one line. An answer it can read (the
    # echoed secret) may succeed, but fails, if at all, in one line too.
    unreadable = status != 200 or "garbage" in body
    assert result.error_in_exec is not None or not unreadable
    if result.error_in_exec is not None:
        one_line_usage_error(result)
    result, _ = timed(fshell, "%aws_whoami --all", TIMEOUT * 2 + 5)
    rows = result.result
    assert len(rows) >= 7 and (status == 200 or rows.error.notna().all())


def test_fault_hanging_container_endpoint_under_probe(fshell, aws, hanging_server):
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", hanging_server.url + "/creds")
    result, shown = timed(fshell, "%aws_chain --probe", TIMEOUT + 3)
    assert result.error_in_exec is None


def test_fault_container_endpoint_answering_500_under_probe(fshell, aws, fake_sts):
    url = fake_sts(500, "oops")
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url + "/creds")
    fshell.run_cell("%aws_use dev", store_history=False)
    result, _ = timed(fshell, "%aws_chain --profile empty --probe", TIMEOUT + 3)
    assert result.error_in_exec is None


def test_fault_hanging_imds_under_probe(fshell, aws, hanging_server):
    aws.setenv("AWS_EC2_METADATA_DISABLED", "false")
    aws.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", hanging_server.url)
    result, _ = timed(fshell, "%aws_chain --profile empty --probe", TIMEOUT + 3)
    assert result.error_in_exec is None


# A press that lands in a weakref finaliser is swallowed there (hence the repeat): pytest
# reports it as an unraisable exception, which is the point, not a problem.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_fault_ctrl_c_while_sts_hangs_leaves_the_session(fshell, aws, hanging_server):
    fshell.run_cell("%aws_use default", store_history=False)
    before = fshell.user_ns["session"], boto3.DEFAULT_SESSION
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    fshell.run_line_magic("config", "AwsCredMagics.timeout = 20.0")
    # Ctrl-C as the terminal sends it: SIGINT, again every 0.3 s (one may land where Python
    # swallows it, e.g. in a weakref finaliser) until the cell ends; only a cell in
    # progress is interrupted.
    armed, done = [True], threading.Event()

    def interrupt(signum, frame):
        if armed[0]:
            raise KeyboardInterrupt

    def press_ctrl_c():
        while not done.wait(0.3):
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, interrupt)
    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    started = time.monotonic()
    try:
        presser.start()
        try:
            with capture_output() as captured:
                result = fshell.run_cell("%aws_use dev --check", store_history=False)
        except KeyboardInterrupt:  # never let it reach pytest, which would stop the run
            pytest.fail("Ctrl-C escaped the shell's run_cell")
        finally:
            armed[0] = False
            done.set()
        presser.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed
    assert isinstance(result.error_in_exec, KeyboardInterrupt), result.error_in_exec
    assert not leaks(captured.stdout + captured.stderr)
    assert (fshell.user_ns["session"], boto3.DEFAULT_SESSION) == before
    assert fshell.run_cell("1 + 1", store_history=False).result == 2  # the shell lives on


def test_fault_ctrl_d_and_ctrl_c_at_every_keys_prompt(fshell, answers):
    queue, _asked = answers
    fshell.run_cell("%aws_use dev", store_history=False)
    before = fshell.user_ns["session"]
    for typed in ([EOFError], [TEMP_KEY_ID, KeyboardInterrupt], [TEMP_KEY_ID, "x" * 40, EOFError]):
        queue[:] = typed
        result, _ = timed(fshell, "%aws_keys", 2)
        assert "Cancelled" in one_line_usage_error(result)
        assert fshell.user_ns["session"] is before and not queue


# --------------------------------------------------------------------------- properties

B64 = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", min_size=1
)
NAMES_OF_FIELDS = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "aws_secret_access_key",
    "aws_session_token",
    "AWS_DEFAULT_REGION",
    "region",
]
line_strategy = st.one_of(
    st.tuples(
        st.sampled_from(["export ", "set ", "$Env:", "", "# export ", "; ", "REM set "]),
        st.sampled_from(NAMES_OF_FIELDS),
        st.sampled_from(["=", " = "]),
        st.sampled_from(['"', "'", ""]),
        st.sampled_from([CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID, CANARY_KEY_ID, "us-east-1"]),
        st.sampled_from(['"', "'", ""]),
    ).map("".join),
    st.sampled_from(["[profile x]", "", "  ", CANARY_TOKEN[30:], "#", "export"]),
    st.text(max_size=30),
)
blocks = st.lists(line_strategy, max_size=8).flatmap(
    lambda lines: st.sampled_from(["\n", " ", "; ", "\r\n", ""]).map(lambda sep: sep.join(lines))
)


@settings(max_examples=150)
@given(blocks)
def test_property_block_parser_raises_only_its_error_and_never_shows_a_secret(text):
    for call in (parse_key_block, keys_from_block):
        try:
            value = call(text)
        except AwsCredError as exc:
            message = str(exc)
            assert "\n" not in message
            assert not leaks(message) and TEMP_KEY_ID not in message
            # The frames below this test's own (which holds the generated input).
            below = traceback.TracebackException(
                type(exc), exc, exc.__traceback__.tb_next, capture_locals=True
            )
            tb = "".join(below.format())
            assert not leaks(tb) and CANARY_SECRET not in tb
        else:
            assert not leaks(repr(value))


_PROSE = re.compile(r"[A-Za-z .,:;'()_-]*")


@settings(max_examples=150)
@given(st.text(max_size=80), st.text(max_size=80), st.one_of(st.none(), st.text(max_size=80)))
def test_property_check_keys_raises_only_its_error(key, secret, token):
    try:
        keys = check_keys(key, secret, token)
    except AwsCredError as exc:
        message = str(exc)
        assert "\n" not in message
        for value in (secret, token):
            # A value made only of letters and punctuation may be a word of the message
            # itself ("temporar" in "temporary"); any other value of 8+ characters is a leak.
            if value and len(value.strip()) >= 8 and not _PROSE.fullmatch(value.strip()):
                assert value.strip() not in message
    else:
        assert secret.strip() not in repr(keys) and (not token or token.strip() not in repr(keys))


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=60), B64.filter(lambda s: len(s) >= 20), st.none()))
def test_property_masking_shows_a_tail_only_of_key_id_shapes(value):
    shown = mask_access_key(value)
    if not value:
        assert shown == ""
    elif KEY_ID_SHAPE.fullmatch(value.strip()):
        assert shown == MASK + value.strip()[-4:]
    else:
        assert shown == NOT_A_KEY_ID


@settings(max_examples=150)
@given(
    st.text(max_size=40),
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
        min_size=40,
        max_size=40,
    ),
    st.text(max_size=40),
)
def test_property_scrub_removes_every_40_character_secret(before, secret, after):
    cleaned = scrub(before + " " + secret + " " + after)
    assert secret not in cleaned
    assert scrub(f"{before}{CANARY_TOKEN}{after}").count(CANARY_TOKEN) == 0


@settings(max_examples=150)
@given(
    st.text(max_size=30),
    st.sampled_from(
        [
            CANARY_SECRET,
            CANARY_TOKEN,
            "X-Amz-Security-Token=" + CANARY_TOKEN[:20],
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmFseXN0In0.c2lnbmF0dXJlc2ln",
            CANARY_SECRET.replace("/", "%2F")[:30] + "%2B" + CANARY_SECRET[:20],
        ]
    ),
    st.text(max_size=30),
)
def test_property_tables_scrub_every_secret_shaped_cell(before, secret, after):
    import pandas as pd

    from aws_cred_magic.frames import ProfilesFrame, styled

    frame = styled(pd.DataFrame({"detail": [f"{before} {secret} {after}"]}), ProfilesFrame)
    shown = frame.iloc[0, 0]
    for piece in (CANARY_SECRET[:16], CANARY_TOKEN[:16], "c2lnbmF0dXJl", CANARY_TOKEN[:20]):
        if piece in secret:
            assert piece not in shown

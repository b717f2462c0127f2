"""``python -m aws_cred_magic.demo`` end to end: the quickstart runs in Chromium, Ctrl-C
stops everything, and the user's own ``~/.aws`` is neither read nor written.

The demo runs as a subprocess with HOME pointing at a fake "real" home whose ``~/.aws`` files
are garbage (botocore cannot parse them, so any read by botocore would fail the demo) holding
canary values, with read-detection through the access time; AWS_PROFILE and the AWS_*_FILE
variables point at that fake configuration too, as they might in a user's shell.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.test_browser import (
    KERNEL_TIMEOUT_MS,
    cell,
    expect,
    launch_chromium,
    run_app_command,
    sync_api,
    wait_for_kernel,
    watch_requests,
)

pytestmark = pytest.mark.browser

READY_TIMEOUT = 90  # seconds from start to "JupyterLab is ready" on a busy 2-core machine
STOP_TIMEOUT = 20

CANARY_KEY_ID = "AKIAREALHOMECANARY01"
CANARY_SECRET = "realHomeCanarySecretDoNotReadMe0000000001"
GARBAGE = f"""[default
aws_access_key_id = {CANARY_KEY_ID}
aws_secret_access_key = {CANARY_SECRET}
= this is not an INI file =
"""


# --------------------------------------------------------------------------- processes


def _process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, start time, command line) for every live, non-zombie process."""
    table: dict[int, tuple[int, str, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        # fields[0] is field 3 of proc(5): the parent pid is field 4, the start time field 22.
        table[int(entry)] = (int(fields[1]), fields[19], cmdline.replace(b"\0", b" ").decode())
    return table


def _descendants(root: int) -> dict[tuple[int, str], str]:
    """(pid, start time) -> command line of every process below ``root``."""
    table = _process_table()
    found: dict[tuple[int, str], str] = {}
    parents = {root}
    while parents:
        children = {pid for pid, (ppid, _, _) in table.items() if ppid in parents}
        for pid in children:
            found[(pid, table[pid][1])] = table[pid][2]
        parents = children
    return found


def _still_running_items(processes: dict[tuple[int, str], str]) -> list:
    """The entries of ``processes`` whose process is still alive (same pid, same start)."""
    table = _process_table()
    return [
        (key, cmd)
        for key, cmd in processes.items()
        if key[0] in table and table[key[0]][1] == key[1]
    ]


def _still_running(processes: dict[tuple[int, str], str], marker: str) -> list[str]:
    """The processes of ``processes`` still alive, and any process naming ``marker``."""
    table = _process_table()
    alive = [cmd for _, cmd in _still_running_items(processes)]
    alive += [cmd for pid, (_, _, cmd) in table.items() if marker in cmd and cmd not in alive]
    return alive


def _wait_until_gone(
    processes: dict[tuple[int, str], str], marker: str, timeout: float
) -> list[str]:
    deadline = time.monotonic() + timeout
    while (alive := _still_running(processes, marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _wait_for_line(lines: queue.Queue, pattern: re.Pattern[str], timeout: float, seen: list):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern.pattern!r}; the demo printed: {seen}")


# --------------------------------------------------------------------------- the fake real home


def _fake_real_home(home: Path) -> dict[Path, os.stat_result]:
    """Write garbage canary files into ``home/.aws``, with access times set before their
    modification time: under relatime (and strictatime) the next read updates them."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    for name in ("credentials", "config"):
        path = aws / name
        path.write_text(GARBAGE)
        mtime = path.stat().st_mtime_ns
        os.utime(path, ns=(mtime - 3600 * 10**9, mtime))
    return _snapshot(home)


def _snapshot(home: Path) -> dict[Path, os.stat_result]:
    """Every file and directory under ``home`` with its stat (nothing is read)."""
    return {path: path.stat() for path in [home, *home.rglob("*")]}


def _atime_detects_reads(directory: Path) -> bool:
    """Whether this filesystem updates access times when a file like the canaries is read."""
    probe = directory / "atime-probe"
    probe.write_text("x")
    mtime = probe.stat().st_mtime_ns
    os.utime(probe, ns=(mtime - 3600 * 10**9, mtime))
    before = probe.stat().st_atime_ns
    probe.read_text()
    return probe.stat().st_atime_ns != before


# --------------------------------------------------------------------------- the test


def test_demo_runs_quickstart_and_ctrl_c_stops_everything(tmp_path):
    home = tmp_path / "real-home"
    before = _fake_real_home(home)
    sandbox = tmp_path / "sandbox"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BOTO_"))}
    env.update(
        HOME=str(home),
        AWS_PROFILE="real-profile-never-used",
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
    )
    started = time.monotonic()
    stderr = open(tmp_path / "demo.stderr", "w")  # noqa: SIM115 - closed in the finally below
    demo = subprocess.Popen(
        [sys.executable, "-m", "aws_cred_magic.demo", "--dir", str(sandbox)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
        start_new_session=True,  # the SIGINT below reaches the demo alone, as in a terminal
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(demo.stdout, lines), daemon=True).start()
    printed: list[str] = []
    processes: dict[tuple[int, str], str] = {}
    try:
        try:
            moto = _wait_for_line(lines, re.compile(r"at http://127\.0\.0\.1:(\d+)"), 60, printed)
            ready = _wait_for_line(
                lines, re.compile(r"JupyterLab is ready: (\S+)"), READY_TIMEOUT, printed
            )
        except AssertionError:
            print((tmp_path / "demo.stderr").read_text()[-4000:])
            raise
        url = ready.group(1)
        lab_port = int(re.search(r"127\.0\.0\.1:(\d+)/", url).group(1))
        moto_port = int(moto.group(1))

        quickstart = json.loads((sandbox / "notebooks" / "quickstart.ipynb").read_text())
        sources = ["".join(c["source"]).strip() for c in quickstart["cells"]]
        whoami = sources.index("%aws_whoami")
        whoami_after_use = sources.index("%aws_whoami", sources.index("%aws_use customer-a"))
        keys = sources.index("%aws_keys --var portal")
        sign_in = sources.index("sign_in = %aws_sso_login sso-analytics\nsign_in")
        portal = (sandbox / "portal-keys.txt").read_text()

        with sync_api.sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            outside = watch_requests(context)
            page = context.new_page()
            page.goto(url)
            expect(page.get_by_role("tab", name=re.compile("quickstart.ipynb"))).to_be_visible(
                timeout=KERNEL_TIMEOUT_MS
            )
            expect(cell(page, whoami)).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
            wait_for_kernel(page)
            run_app_command(page, "notebook:run-all-cells")
            expect(cell(page, whoami).locator(".jp-OutputArea-output")).to_contain_text(
                "user/analyst", timeout=60_000
            )
            # Further on, %aws_use switched to the customer-a role (assumed on loopback STS).
            expect(cell(page, whoami_after_use).locator(".jp-OutputArea-output")).to_contain_text(
                "111111111111", timeout=60_000
            )
            # Run All then waits at %aws_keys' hidden prompt: answer it with the portal block.
            prompt = cell(page, keys).locator("input.jp-Stdin-input")
            expect(prompt).to_have_attribute("type", "password")
            prompt.fill(" ".join(portal.splitlines()))
            prompt.press("Enter")
            # Then at the SSO sign-in: open its link in a second page and Approve there, as a
            # person would; Run All goes on once the local Identity Center says yes.
            link = cell(page, sign_in).locator("a.aws-sso-link")
            expect(link).to_be_visible(timeout=60_000)
            code = cell(page, sign_in).locator("code.aws-sso-code").inner_text()
            approval = context.new_page()
            approval.goto(link.get_attribute("href"))
            expect(approval.locator("#user-code")).to_have_text(code)
            approval.locator("#approve").click()
            expect(approval.locator("#result")).to_contain_text("approved")
            approval.close()
            expect(cell(page, sign_in + 1).locator(".jp-Cell-outputArea")).to_contain_text(
                "AWSReservedSSO_AnalyticsReadOnly", timeout=60_000
            )
            expect(cell(page, len(sources) - 1).locator(".jp-Cell-outputArea")).to_contain_text(
                "portal", timeout=60_000
            )
            page.screenshot(path=str(tmp_path / "quickstart.png"))
            content = page.content()
            pasted = re.findall(r'(?:SECRET_ACCESS_KEY|SESSION_TOKEN)="([^"]+)"', portal)
            assert len(pasted) == 2
            shown = sum(secret in content for secret in pasted)
            assert shown == 0, "a pasted secret is shown on the page"  # count: no secret printed
            ran = time.monotonic() - started

            processes = _descendants(demo.pid)
            commands = list(processes.values())
            assert any("jupyter" in cmd and "lab" in cmd for cmd in commands), commands
            assert any("ipykernel" in cmd for cmd in commands), commands

            # Ctrl-C, with the browser still open on the notebook.
            interrupted = time.monotonic()
            demo.send_signal(signal.SIGINT)
            demo.wait(STOP_TIMEOUT)
            stopped = time.monotonic() - interrupted
            browser.close()
        assert not outside, f"the browser requested non-loopback addresses: {outside}"
    finally:
        if demo.poll() is None:  # the test failed before its Ctrl-C: stop the demo anyway
            started_by_demo = _descendants(demo.pid)
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait(10)
            # Whatever it left behind, by pid (and only if it still runs in the sandbox).
            for (pid, _start), cmd in _still_running_items(started_by_demo):
                if str(sandbox) in cmd:
                    os.kill(pid, signal.SIGKILL)
        stderr.close()

    with contextlib.suppress(AssertionError):  # the rest of what the demo printed
        _wait_for_line(lines, re.compile(r"(?!)"), 5, printed)
    out = "".join(printed)
    assert demo.returncode == 0, out
    assert "Stopping the demo" in out

    # JupyterLab and its kernels are gone, and nothing still runs in the sandbox.
    alive = _wait_until_gone(processes, str(sandbox), timeout=10)
    assert not alive, f"still running after Ctrl-C: {alive}"
    assert not _port_open(lab_port), "JupyterLab still listens"
    assert not _port_open(moto_port), "the local AWS server still listens"

    # The user's ~/.aws: not read (access times), not written, nothing added to HOME.
    after = _snapshot(home)
    assert sorted(after) == sorted(before), "files were added to or removed from HOME"
    atime_works = _atime_detects_reads(tmp_path)
    for path, stat in before.items():
        assert after[path].st_mtime_ns == stat.st_mtime_ns, f"{path} was modified"
        if path.is_file() and atime_works:
            assert after[path].st_atime_ns == stat.st_atime_ns, f"{path} was read"
    for name in ("credentials", "config"):
        assert (home / ".aws" / name).read_text() == GARBAGE
    print(f"demo ready + quickstart run: {ran:.1f} s, Ctrl-C to all stopped: {stopped:.1f} s")

"""Speed figures for aws_cred_magic, measured next to botocore doing the same job.

Run: .venv/bin/python scripts/benchmark.py   (everything on 127.0.0.1, in a temp HOME)

1. resolution_table() vs boto3.Session(profile).get_credentials(), static-keys profile.
2. resolution_table(probe=True) vs botocore, with IMDS answering nothing (a socket that
   accepts and never replies).
3. %load_ext aws_cred_magic in a fresh interpreter, and what it imports.
4. %aws_whoami --all over 20 profiles against a loopback STS with 150 ms of latency,
   next to the same GetCallerIdentity calls made one after another.
5. The panel with 500 profiles: dropdown filled, and a switch applied (kernel time).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATIC_KEY = "AKIAEXAMPLEBENCH0001"
STATIC_SECRET = "benchSecretBENCHsecretBenchSECRET0000001"
STS_LATENCY = 0.150


def isolated_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="aws-cred-bench-"))
    (home / ".aws").mkdir()
    for name in list(os.environ):
        if name.startswith(("AWS_", "BOTO_")):
            del os.environ[name]
    os.environ.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return home


def write_profiles(home: Path, count: int) -> None:
    config, credentials = [], []
    for i in range(count):
        name = "default" if i == 0 else f"team-{i:03d}"
        header = "[default]" if i == 0 else f"[profile {name}]"
        config.append(f"{header}\nregion = eu-west-1\n")
        credentials.append(
            f"[{name}]\naws_access_key_id = {STATIC_KEY}\naws_secret_access_key = {STATIC_SECRET}\n"
        )
    (home / ".aws" / "config").write_text("\n".join(config))
    (home / ".aws" / "credentials").write_text("\n".join(credentials))


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def bench_static(home: Path) -> None:
    import boto3

    import aws_cred_magic

    write_profiles(home, 3)
    ours = timed(lambda: aws_cred_magic.resolution_table("team-001"), 50)
    theirs = timed(lambda: boto3.Session(profile_name="team-001").get_credentials(), 50)
    print("1. static-keys profile, median of 50")
    print(f"   botocore  boto3.Session(profile).get_credentials()  {ms(theirs)}")
    print(f"   ours      resolution_table(profile)                 {ms(ours)}")
    print(f"   ratio     {ours / theirs:.2f}x (target: within 1.5x)")


def bench_hanging_imds(home: Path) -> None:
    import boto3

    import aws_cred_magic

    (home / ".aws" / "config").write_text("")
    (home / ".aws" / "credentials").write_text("")
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)
    os.environ.pop("AWS_EC2_METADATA_DISABLED")
    os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = f"http://127.0.0.1:{hang.getsockname()[1]}/"
    try:
        start = time.perf_counter()
        botocore_result = boto3.Session().get_credentials()
        theirs = time.perf_counter() - start
        start = time.perf_counter()
        table = aws_cred_magic.resolution_table(probe=True)
        ours = time.perf_counter() - start
    finally:
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        os.environ.pop("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        hang.close()
    imds = table[table.method == "iam-role"].iloc[0]
    print("2. IMDS accepts connections and never answers (no other credentials)")
    print(f"   botocore  get_credentials() -> {botocore_result}   {ms(theirs)}")
    print(f"   ours      resolution_table(probe=True) -> {imds.status!r}   {ms(ours)}")
    print(f"   speed-up  {theirs / ours:.1f}x (target: at least 2x)")


def bench_load_ext() -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        start = time.perf_counter()
        ip.run_line_magic("load_ext", "aws_cred_magic")
        took = time.perf_counter() - start
        heavy = [m for m in ("boto3", "botocore", "pandas", "ipywidgets") if m in sys.modules]
        print(f"{took * 1000:.1f} {','.join(heavy) or '-'}")
        """
    )
    command = [sys.executable, "-c", code]
    runs = [subprocess.run(command, capture_output=True, text=True) for _ in range(5)]
    values = [float(r.stdout.split()[0]) for r in runs]
    heavy = runs[-1].stdout.split()[1]
    print("3. %load_ext aws_cred_magic in a fresh interpreter, median of 5")
    print(f"   cost      {statistics.median(values):8.1f} ms; heavy modules imported: {heavy}")


class _SlowStsServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 would drop concurrent connections


class _SlowSts(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(STS_LATENCY)
        body = textwrap.dedent(
            """\
            <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <GetCallerIdentityResult>
                <Arn>arn:aws:iam::123456789012:user/bench</Arn>
                <UserId>AIDAEXAMPLEBENCH</UserId>
                <Account>123456789012</Account>
              </GetCallerIdentityResult>
              <ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata>
            </GetCallerIdentityResponse>"""
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the STS stand-in did not start")


def serve_sts(port: int) -> None:
    _SlowStsServer(("127.0.0.1", port), _SlowSts).serve_forever()


def bench_whoami_all(home: Path) -> None:
    import boto3
    from IPython.core.interactiveshell import InteractiveShell

    write_profiles(home, 20)
    # The STS stand-in runs in its own process, as AWS would: its CPU is not ours.
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve-sts", str(port)])
    _wait_for_port(port)
    os.environ["AWS_ENDPOINT_URL_STS"] = f"http://127.0.0.1:{port}"
    try:
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "aws_cred_magic")
        ip.run_line_magic("aws_whoami", "--all")  # warm-up
        frame = ip.run_line_magic("aws_whoami", "--all")
        together = timed(lambda: ip.run_line_magic("aws_whoami", "--all"), 5)

        def one_call(name: str = "team-001") -> None:
            boto3.Session(profile_name=name).client("sts").get_caller_identity()

        single = timed(one_call, 5)
        start = time.perf_counter()
        for name in frame["profile"]:
            one_call(name)
        one_by_one = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()
        os.environ.pop("AWS_ENDPOINT_URL_STS")
    ok = int(frame["error"].isna().sum())
    latency = f"{STS_LATENCY * 1000:.0f} ms"
    print(f"4. GetCallerIdentity over {len(frame)} profiles, STS latency {latency}")
    print(f"   single call (median of 5)        {ms(single)}")
    print(f"   one after another (20 calls)     {ms(one_by_one)}")
    print(f"   %aws_whoami --all ({ok} ok, median of 5) {ms(together)}")
    print(f"   ratio to a single call           {together / single:.2f}x (target: within 2x)")


def bench_panel(home: Path) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    write_profiles(home, 500)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "aws_cred_magic")
    import aws_cred_magic

    aws_cred_magic.panel().close()  # warm-up: imports ipywidgets and botocore data
    start = time.perf_counter()
    panel = aws_cred_magic.panel()
    build = time.perf_counter() - start
    refresh = timed(lambda: panel._on_refresh_click(), 5)
    panel._profile.value = "team-250"
    os.environ["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9"  # the background check fails fast

    def switch() -> None:
        panel._apply.click()
        panel.controller.check_thread.join()

    def switch_kernel_time() -> float:
        start = time.perf_counter()
        panel._apply.click()
        took = time.perf_counter() - start
        panel.controller.check_thread.join()
        return took

    switch()
    applied = statistics.median(switch_kernel_time() for _ in range(10))
    os.environ.pop("AWS_ENDPOINT_URL_STS")
    print(f"5. panel with {len(panel._profile.options)} profiles (kernel time)")
    print(f"   panel built, dropdown filled     {ms(build)}")
    print(f"   refresh (reread files, refill)   {ms(refresh)}")
    print(f"   switch applied (Apply click)     {ms(applied)}  (target: under 100 ms)")
    panel.close()


def main() -> None:
    home = isolated_home()
    print(f"aws_cred_magic benchmark (Python {sys.version.split()[0]}, temp HOME {home})\n")
    bench_static(home)
    bench_hanging_imds(home)
    bench_load_ext()
    bench_whoami_all(home)
    bench_panel(home)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-sts"]:
        serve_sts(int(sys.argv[2]))
    else:
        main()

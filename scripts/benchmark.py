"""Speed figures for aws_cred_magic, measured next to botocore doing the same job.

Run: .venv/bin/python scripts/benchmark.py [--quick] [--big]   (127.0.0.1 only, temp HOME)

Every ratio divides our time by a botocore baseline measured in the same run, the two
interleaved call by call (so a busy machine slows both alike), median of at least 5.

A. Scaling with the number of profiles (N = 10, 100, 1,000, 5,000), static-keys profiles:
   - resolution_table(profile) / boto3.Session(profile).get_credentials(); also right after
     the files changed (our parse cache misses, as botocore always does);
   - profiles() / botocore.session.Session().available_profiles;
   - the panel's refresh (reread files, refill the dropdown) / available_profiles; also
     right after the config file changed.
B. %aws_whoami --all at N = 20, 50, 100 (each profile its own keys, three regions) against
   a loopback STS with 150 ms of latency, as a ratio to one GetCallerIdentity call
   (boto3.Session(profile).client("sts")), and its CPU per profile (linear in N when flat).
C. A cold resolution_table(probe=True) in a fresh interpreter against an IMDS that accepts
   connections and never answers, vs botocore's own get_credentials() there.
D. %load_ext aws_cred_magic in a fresh interpreter, and what it imports.
E. (--big) %aws_chain --profile X with 50,000 profiles, first and next calls in a fresh
   kernel, vs botocore's own resolve of X.
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
PROFILE = "team-001"  # the profile the single-profile figures resolve


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


def write_profiles(home: Path, count: int, regions: tuple[str, ...] = ("eu-west-1",)) -> None:
    """``count`` static-keys profiles, each with its own key id, in ``regions`` in turn."""
    config, credentials = [], []
    for i in range(count):
        name = "default" if i == 0 else f"team-{i:03d}"
        header = "[default]" if i == 0 else f"[profile {name}]"
        config.append(f"{header}\nregion = {regions[i % len(regions)]}\n")
        key = f"{STATIC_KEY[:12]}{i:08d}"
        credentials.append(
            f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {STATIC_SECRET}\n"
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
    print("D. %load_ext aws_cred_magic in a fresh interpreter, median of 5")
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


def interleaved(pairs: dict[str, tuple], repeat: int) -> dict[str, tuple[float, float]]:
    """For each name, (ours, theirs) medians, the calls interleaved: ours, theirs, ours, …
    after one warm-up call each."""
    samples: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for ours, theirs in pairs.values():
        ours()
        theirs()
    for _ in range(repeat):
        for name, (ours, theirs) in pairs.items():
            for fn, into in ((ours, samples[name][0]), (theirs, samples[name][1])):
                start = time.perf_counter()
                fn()
                into.append(time.perf_counter() - start)
    return {k: (statistics.median(a), statistics.median(b)) for k, (a, b) in samples.items()}


def verdict(ratio: float, limit: float | None, higher_is_better: bool = False) -> str:
    if limit is None:
        return ""
    met = ratio >= limit if higher_is_better else ratio <= limit
    sign = ">=" if higher_is_better else "<="
    return f"{'met' if met else 'MISSED'} ({sign} {limit:g}x)"


RESULTS: list[tuple[str, str, str]] = []  # (what, figure, verdict) for the summary


def record(what: str, figure: str, check: str) -> None:
    RESULTS.append((what, figure, check))
    print(f"   {what:<44} {figure:<34} {check}")


def bench_scaling(home: Path, sizes: list[int], repeat: int) -> None:
    import boto3
    import botocore.session
    from IPython.core.interactiveshell import InteractiveShell

    import aws_cred_magic

    ip = InteractiveShell.instance()
    if "aws_cred_magic" not in ip.extension_manager.loaded:
        ip.run_line_magic("load_ext", "aws_cred_magic")
    panel = aws_cred_magic.panel()
    table_target = {10: 1.2, 1000: 1.0, 5000: 1.0}
    profiles_target = {1000: 1.0, 5000: 1.0}
    panel_target = {1000: 0.2, 5000: 0.2}  # unchanged files: nothing to parse again
    print(f"A. scaling with the number of profiles (median of {repeat}, interleaved)")
    for count in sizes:
        write_profiles(home, count)

        def table() -> None:
            aws_cred_magic.resolution_table(PROFILE)

        def table_after_edit() -> None:
            os.utime(home / ".aws" / "config")  # a new mtime: our cache parses again
            aws_cred_magic.resolution_table(PROFILE)

        def botocore_resolve() -> None:
            boto3.Session(profile_name=PROFILE).get_credentials()

        def botocore_profiles() -> None:
            _ = botocore.session.Session().available_profiles

        def panel_after_edit() -> None:
            os.utime(home / ".aws" / "config")  # the panel's refresh then parses it again
            panel._on_refresh_click()

        medians = interleaved(
            {
                "table": (table, botocore_resolve),
                "table after an edit": (table_after_edit, botocore_resolve),
                "profiles()": (aws_cred_magic.profiles, botocore_profiles),
                "panel refresh": (panel._on_refresh_click, botocore_profiles),
                "panel refresh after an edit": (panel_after_edit, botocore_profiles),
            },
            repeat,
        )
        assert len(panel._profile.options) == count
        print(f"   N = {count:,} profiles")
        for name, (ours, theirs) in medians.items():
            target = {
                "table": table_target,
                "profiles()": profiles_target,
                "panel refresh": panel_target,
            }.get(name, {})
            record(
                f"{name} (N={count:,})",
                f"{ms(ours)} / {ms(theirs)} = {ours / theirs:5.2f}x",
                verdict(ours / theirs, target.get(count)),
            )
    panel.close()


def bench_whoami_all(home: Path, sizes: list[int], repeat: int) -> None:
    import boto3
    from IPython.core.interactiveshell import InteractiveShell

    # The STS stand-in runs in its own process, as AWS would: its CPU is not ours.
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve-sts", str(port)])
    _wait_for_port(port)
    os.environ["AWS_ENDPOINT_URL_STS"] = f"http://127.0.0.1:{port}"
    targets = {20: 1.5, 100: 2.0}
    print(
        f"B. %aws_whoami --all, STS latency {STS_LATENCY * 1000:.0f} ms "
        f"(median of {repeat}, interleaved with one call)"
    )
    try:
        ip = InteractiveShell.instance()
        if "aws_cred_magic" not in ip.extension_manager.loaded:
            ip.run_line_magic("load_ext", "aws_cred_magic")
        for count in sizes:
            # Own keys (no two calls alike) in three regions (three STS clients), as a
            # real organisation's profiles would be.
            write_profiles(home, count, regions=("eu-west-1", "us-east-1", "ap-southeast-2"))
            cpu: list[float] = []

            def together(cpu: list[float] = cpu, count: int = count) -> None:
                start = time.process_time()
                frame = ip.run_line_magic("aws_whoami", "--all")
                cpu.append(time.process_time() - start)
                assert len(frame) == count and frame["error"].isna().all(), frame

            def one_call() -> None:
                boto3.Session(profile_name="team-001").client("sts").get_caller_identity()

            ours, theirs = interleaved({"all": (together, one_call)}, repeat)["all"]
            per_profile = statistics.median(cpu) / count
            record(
                f"--all (N={count})",
                f"{ms(ours)} / {ms(theirs)} = {ours / theirs:5.2f}x",
                verdict(ours / theirs, targets.get(count)),
            )
            record(f"--all CPU per profile (N={count})", ms(per_profile), "")
    finally:
        server.terminate()
        server.wait()
        os.environ.pop("AWS_ENDPOINT_URL_STS")


def bench_cold_probe(home: Path, repeat: int) -> None:
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)
    (home / ".aws" / "config").write_text("")
    (home / ".aws" / "credentials").write_text("")
    env = dict(os.environ)
    env.pop("AWS_EC2_METADATA_DISABLED", None)
    # Users' site-packages hold compiled bytecode: let both sides have it (warm-up runs).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = f"http://127.0.0.1:{hang.getsockname()[1]}/"
    ours_code = (
        "import time; t = time.perf_counter(); import aws_cred_magic\n"
        "df = aws_cred_magic.resolution_table(probe=True)\n"
        "print(time.perf_counter() - t, df[df.method == 'iam-role'].status.iloc[0])"
    )
    theirs_code = (
        "import time; t = time.perf_counter(); import boto3\n"
        "c = boto3.Session().get_credentials(); print(time.perf_counter() - t, c)"
    )

    def run(code: str) -> tuple[float, str]:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
        took, answer = done.stdout.decode().split(maxsplit=1)
        return float(took), answer.strip()

    try:
        run(ours_code), run(theirs_code)
        ours, theirs = [], []
        for _ in range(repeat):
            ours.append(run(ours_code))
            theirs.append(run(theirs_code))
    finally:
        hang.close()
    mine = statistics.median(t for t, _ in ours)
    botocore = statistics.median(t for t, _ in theirs)
    print(f"C. cold probe vs an IMDS that never answers, fresh interpreters (median of {repeat})")
    record(
        f"probe=True -> {ours[0][1]!r}; botocore -> {theirs[0][1]}",
        f"{ms(mine)} vs {ms(botocore)} = {botocore / mine:4.2f}x faster",
        verdict(botocore / mine, 1.9, higher_is_better=True),
    )


def bench_big_chain(home: Path, count: int = 50_000, repeat: int = 3) -> None:
    """%aws_chain --profile X over a huge config: the first call in a fresh kernel (which
    parses the files once) and the next ones, vs botocore's own resolve of that profile."""
    write_profiles(home, count)
    ours_code = (
        "import time\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance(); ip.run_line_magic('load_ext', 'aws_cred_magic')\n"
        "import boto3, pandas\n"
        "samples = []\n"
        "for _ in range(3):\n"
        "    t = time.perf_counter(); ip.run_line_magic('aws_chain', '--profile team-001')\n"
        "    samples.append(time.perf_counter() - t)\n"
        "print(samples[0], min(samples[1:]))"
    )
    theirs_code = (
        "import time, boto3\n"
        "t = time.perf_counter(); boto3.Session(profile_name='team-001').get_credentials()\n"
        "print(time.perf_counter() - t)"
    )
    first, later, theirs = [], [], []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", ours_code], capture_output=True, text=True)
        cold, warm = (float(x) for x in done.stdout.split()[-2:])
        first.append(cold)
        later.append(warm)
        done = subprocess.run([sys.executable, "-c", theirs_code], capture_output=True, text=True)
        theirs.append(float(done.stdout.split()[-1]))
    botocore = statistics.median(theirs)
    print(f"E. %aws_chain --profile over {count:,} profiles, fresh kernels (median of {repeat})")
    for what, samples in (("first call", first), ("next calls", later)):
        ours = statistics.median(samples)
        record(
            f"%aws_chain --profile, {what} (N={count:,})",
            f"{ms(ours)} / {ms(botocore)} = {ours / botocore:5.2f}x",
            verdict(ours / botocore, 1.5),
        )


def main() -> None:
    quick = "--quick" in sys.argv
    home = isolated_home()
    repeat = 5
    print(f"aws_cred_magic benchmark (Python {sys.version.split()[0]}, temp HOME {home})\n")
    bench_scaling(home, [10, 100] if quick else [10, 100, 1000, 5000], repeat)
    bench_whoami_all(home, [20] if quick else [20, 50, 100], repeat)
    bench_cold_probe(home, repeat)
    bench_load_ext()
    if "--big" in sys.argv:
        bench_big_chain(home)
    missed = [what for what, _figure, check in RESULTS if check.startswith("MISSED")]
    print(f"\n{len(RESULTS) - len(missed)} of {len(RESULTS)} figures without a miss; missed:")
    print("   " + ("\n   ".join(missed) if missed else "none"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-sts"]:
        serve_sts(int(sys.argv[2]))
    else:
        main()

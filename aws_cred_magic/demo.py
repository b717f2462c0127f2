"""The demo: a sandboxed AWS world on 127.0.0.1 and JupyterLab on the quickstart notebook.

``python -m aws_cred_magic.demo`` (what ``./scripts/demo`` runs) starts:

* a moto server on 127.0.0.1 standing in for STS, IAM and S3;
* a sandbox directory with its own HOME, AWS config and credentials files holding realistic
  profiles (static keys, an assume-role chain, a credential_source profile, an MFA role, an
  SSO profile, a credential_process profile and a broken one) — the user's ``~/.aws`` is
  never read nor touched;
* a local IAM Identity Center on 127.0.0.1 (``local_sso``) for the SSO profile: sign in
  from the panel or ``%aws_sso_login``, approve in its page, and the profile works;
* a container-credentials endpoint on 127.0.0.1 (what ECS would offer) for the
  credential_source profile;
* JupyterLab on 127.0.0.1, on a copy of ``notebooks/``, with every AWS endpoint pointed at
  the local server. Ctrl-C stops everything it started.

``--real`` starts JupyterLab on your own configuration instead (no sandbox, real AWS).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .local_sso import LocalIdentityCenter

REPO = Path(__file__).resolve().parent.parent
DEMO_REGION = "eu-west-1"
CUSTOMER_ACCOUNTS = {"customer-a": "111111111111", "customer-b": "222222222222"}
SERVICE_ACCOUNT = "123456789012"  # moto's default account: the analyst's own
# The B2B case (several_identities.ipynb): each customer lets your service assume a writer
# role, but only with the external ID they gave you, and that role reaches only their bucket.
# moto checks trust policies for roles of the caller's own account only, so in the sandbox
# both roles live in the service's account; the buckets are strictly one per role.
B2B_CUSTOMERS = {
    "customer-a": {"external_id": "acme-7Q2-2026", "bucket": "customer-a-inbox"},
    "customer-b": {"external_id": "globex-55-2026", "bucket": "customer-b-inbox"},
}
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(port: int | None = None):
    """A moto server on 127.0.0.1; returns ``(server, url)``."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


class ContainerEndpoint(ThreadingHTTPServer):
    """Serves one set of credentials the way the ECS container endpoint does."""

    daemon_threads = True

    def __init__(self, document: dict) -> None:
        document = dict(document)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v2/credentials"


def _local_client(service: str, moto_url: str, region: str, key_id: str, secret: str):
    """A client for the local moto server that reads no AWS file and no AWS_PROFILE.

    The demo process runs with the user's own environment: a plain ``boto3.client`` would
    parse ``~/.aws/config`` (and fail on a malformed one, or on an AWS_PROFILE naming a
    profile that is not there), breaking the promise that the demo never reads ``~/.aws``.
    """
    import boto3
    import botocore.session

    core = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )
    return boto3.Session(botocore_session=core).client(
        service,
        endpoint_url=moto_url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def _bootstrap_client(service: str, moto_url: str, account: str = SERVICE_ACCOUNT):
    """A setup client for ``account`` (moto's ``x-moto-account-id``), before enforcement."""
    client = _local_client(
        service,
        moto_url,
        "us-east-1",
        "AKIAEXAMPLEBOOTSTRAP",
        "bootstrap-secret-for-the-local-moto-server",
    )

    def in_account(request: object, **kwargs: object) -> None:
        request.headers["x-moto-account-id"] = account  # type: ignore[attr-defined]

    client.meta.events.register("before-sign.*.*", in_account)
    return client


def _iam_user_keys(moto_url: str, user: str, policy: dict | None = None) -> dict[str, str]:
    """Create an IAM user with an access key (and an inline policy) in the local moto."""
    iam = _bootstrap_client("iam", moto_url)
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user, PolicyName="demo", PolicyDocument=json.dumps(policy or ADMIN_POLICY)
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def _trust(external_id: str | None = None) -> str:
    statement: dict = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _role(moto_url: str, arn: str, policy: dict, external_id: str | None = None) -> None:
    """Create the role ``arn`` names, in its own account, with ``policy``."""
    account, name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
    iam = _bootstrap_client("iam", moto_url, account)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(external_id))
    iam.put_role_policy(RoleName=name, PolicyName="demo", PolicyDocument=json.dumps(policy))


def _b2b_world(moto_url: str) -> None:
    """Two customers' writer roles (external IDs) and their buckets, a CSV in customer a's."""
    s3 = _bootstrap_client("s3", moto_url)
    for customer, spec in B2B_CUSTOMERS.items():
        bucket = spec["bucket"]
        _role(
            moto_url,
            f"arn:aws:iam::{SERVICE_ACCOUNT}:role/{customer}-writer",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    }
                ],
            },
            spec["external_id"],
        )
        s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=B2B_CUSTOMERS["customer-a"]["bucket"],
        Key="orders.csv",
        Body=b"order,product,qty\n1001,widget,3\n1002,gadget,1\n1003,widget,5\n",
    )


def enforce_iam(moto_url: str, on: bool = True) -> None:
    """Make moto check every signature and IAM policy from now on (or stop checking)."""
    request = urllib.request.Request(
        f"{moto_url}/moto-api/reset-auth",
        data=b"0" if on else b"inf",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def build_sandbox(
    root: Path,
    moto_url: str,
    identity_center: LocalIdentityCenter | None = None,
    *,
    enforce: bool = False,
) -> dict[str, str]:
    """Write the sandbox's AWS files under ``root`` and return the environment to run in.

    Static keys are real keys of IAM users created in the local moto server, so
    GetCallerIdentity names those users; every role a profile names exists in its account.
    With ``enforce``, moto then checks signatures and IAM policies (trust policies with
    external IDs, each customer role reaching only its bucket) until ``enforce_iam(url,
    False)``: moto's switch is process-wide, so whoever turns it on turns it off.
    """
    root = Path(root)
    home = root / "home"
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True, exist_ok=True)
    # The analyst may do anything but touch the customers' buckets: only their roles may.
    inboxes = [spec["bucket"] for spec in B2B_CUSTOMERS.values()]
    analyst_policy = {
        "Version": "2012-10-17",
        "Statement": [
            *ADMIN_POLICY["Statement"],
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{b}{suffix}" for b in inboxes for suffix in ("", "/*")],
            },
        ],
    }
    analyst = _iam_user_keys(moto_url, "analyst", analyst_policy)
    reporting = _iam_user_keys(moto_url, "reporting")
    vault = _iam_user_keys(moto_url, "vault-issued")
    container = _iam_user_keys(moto_url, "ci-runner")

    process_script = root / "fake-vault.py"
    process_script.write_text(
        "import json\n"
        f"print(json.dumps({{'Version': 1, 'AccessKeyId': {vault['id']!r}, "
        f"'SecretAccessKey': {vault['secret']!r}}}))\n"
    )
    (aws_dir / "credentials").write_text(
        textwrap.dedent(
            f"""\
            [default]
            aws_access_key_id = {analyst["id"]}
            aws_secret_access_key = {analyst["secret"]}

            [reporting]
            aws_access_key_id = {reporting["id"]}
            aws_secret_access_key = {reporting["secret"]}
            """
        )
    )
    a, b = CUSTOMER_ACCOUNTS["customer-a"], CUSTOMER_ACCOUNTS["customer-b"]
    (aws_dir / "config").write_text(
        textwrap.dedent(
            f"""\
            [default]
            region = {DEMO_REGION}

            [profile reporting]
            region = us-east-1

            # Two customers' read roles, each in its own account, assumed from your own keys.
            [profile customer-a]
            role_arn = arn:aws:iam::{a}:role/customer-a-readonly
            source_profile = default
            region = {DEMO_REGION}

            [profile customer-b]
            role_arn = arn:aws:iam::{b}:role/customer-b-readonly
            source_profile = default
            region = us-west-2

            # A chain: data-admin is assumed from the customer-a role.
            [profile data-admin]
            role_arn = arn:aws:iam::{a}:role/data-admin
            source_profile = customer-a
            region = {DEMO_REGION}

            # Role assumed with the container's credentials (as on ECS or CodeBuild).
            [profile ci]
            role_arn = arn:aws:iam::123456789012:role/ci-deployer
            credential_source = EcsContainer
            region = {DEMO_REGION}

            # A role that needs an MFA code (any 6 digits work against the local STS).
            [profile admin-mfa]
            role_arn = arn:aws:iam::123456789012:role/admin
            source_profile = default
            mfa_serial = arn:aws:iam::123456789012:mfa/analyst
            region = {DEMO_REGION}

            [profile sso-analytics]
            sso_session = corp
            sso_account_id = 333333333333
            sso_role_name = AnalyticsReadOnly
            region = {DEMO_REGION}

            [sso-session corp]
            sso_start_url = https://corp-demo.awsapps.com/start
            sso_region = {DEMO_REGION}
            sso_registration_scopes = sso:account:access

            [profile vault]
            credential_process = {sys.executable} {process_script}
            region = {DEMO_REGION}

            # Broken on purpose: its source profile does not exist.
            [profile broken]
            role_arn = arn:aws:iam::123456789012:role/nowhere
            source_profile = does-not-exist
            region = {DEMO_REGION}
            """
        )
    )
    a_account, b_account = CUSTOMER_ACCOUNTS["customer-a"], CUSTOMER_ACCOUNTS["customer-b"]
    for arn in (
        f"arn:aws:iam::{a_account}:role/customer-a-readonly",
        f"arn:aws:iam::{b_account}:role/customer-b-readonly",
        f"arn:aws:iam::{a_account}:role/data-admin",
        f"arn:aws:iam::{SERVICE_ACCOUNT}:role/ci-deployer",
        f"arn:aws:iam::{SERVICE_ACCOUNT}:role/admin",
        "arn:aws:iam::444444444444:role/portal-PowerUser",
    ):
        _role(moto_url, arn, ADMIN_POLICY)
    _b2b_world(moto_url)
    _write_portal_keys(root, moto_url, analyst)

    # The local IAM Identity Center (aws_cred_magic.local_sso) for the sso-analytics
    # profile: sign in from the panel or %aws_sso_login. Its role keys are moto STS keys of
    # the AWSReservedSSO_* roles Identity Center provisions in each account, assumed with
    # the keys of its own IAM user.
    if identity_center is None:
        identity_center = LocalIdentityCenter(sts_url=moto_url)
    identity_center.sts_keys = _iam_user_keys(moto_url, "identity-center")
    read_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
    }
    for account, (_name, _email, roles) in identity_center.accounts.items():
        for role in roles:
            policy = read_only if "ReadOnly" in role else ADMIN_POLICY
            _role(moto_url, identity_center.role_arn(account, role), policy)
    # What ECS hands a task: temporary keys of the task role (a token only goes with those;
    # moto refuses a session token beside an IAM user's key).
    task_role = f"arn:aws:iam::{SERVICE_ACCOUNT}:role/ci-task"
    _role(moto_url, task_role, ADMIN_POLICY)
    sts = _local_client("sts", moto_url, DEMO_REGION, container["id"], container["secret"])
    task = sts.assume_role(RoleArn=task_role, RoleSessionName="ecs-task", DurationSeconds=43200)
    endpoint = ContainerEndpoint(
        {
            "AccessKeyId": task["Credentials"]["AccessKeyId"],
            "SecretAccessKey": task["Credentials"]["SecretAccessKey"],
            "Token": task["Credentials"]["SessionToken"],
            "Expiration": task["Credentials"]["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    if enforce:
        enforce_iam(moto_url, True)
    return {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(aws_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
        "BOTO_CONFIG": str(root / "no-boto-config"),  # exclusive: never ~/.boto or /etc
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ENDPOINT_URL_STS": moto_url,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.url,
        "AWS_LOGIN_CACHE_DIRECTORY": str(aws_dir / "login" / "cache"),
        "AWS_CRED_MAGIC_SANDBOX": str(root),
        **identity_center.endpoint_env(),
    }


def _write_portal_keys(root: Path, moto_url: str, analyst: dict[str, str]) -> None:
    """Temporary keys as the AWS access portal shows them, for the keys demo."""
    sts = _local_client("sts", moto_url, DEMO_REGION, analyst["id"], analyst["secret"])
    creds = sts.assume_role(
        RoleArn="arn:aws:iam::444444444444:role/portal-PowerUser", RoleSessionName="you"
    )["Credentials"]
    (root / "portal-keys.txt").write_text(
        f'export AWS_ACCESS_KEY_ID="{creds["AccessKeyId"]}"\n'
        f'export AWS_SECRET_ACCESS_KEY="{creds["SecretAccessKey"]}"\n'
        f'export AWS_SESSION_TOKEN="{creds["SessionToken"]}"\n'
    )


def _sandbox_env(base: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BOTO_"))}
    env.update(base)
    return env


def start_lab(
    notebook_dir: Path,
    env: dict[str, str],
    state_dir: Path,
    port: int,
    token: str,
    app: str = "lab",
):
    """JupyterLab on 127.0.0.1 in its own process group (so it stops as a whole).

    ``app="notebook"`` runs Jupyter Notebook 7 (``jupyter notebook``) instead, with the same
    flags: it is a JupyterLab-based application and takes the same server options.
    """
    if app not in ("lab", "notebook"):
        raise ValueError(f"app must be 'lab' or 'notebook', not {app!r}")
    settings = state_dir / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = dict(env)
    env.update(
        JUPYTER_CONFIG_DIR=str(state_dir / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(state_dir / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        app,
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={notebook_dir}",
        "--expose-app-in-browser",
        f"--LabServerApp.user_settings_dir={settings}",
        f"--LabServerApp.workspaces_dir={state_dir / 'lab-workspaces'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(state_dir / "jupyter.log", "w")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for_lab(process: subprocess.Popen, port: int, token: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("JupyterLab did not start in time")


def stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def prepare_sandbox_dir(root: Path, source: Path) -> Path:
    """Empty ``root`` for a new sandbox but keep its ``notebooks/``: the notebooks there are
    the user's, maybe edited. A notebook is copied from ``source`` only when it is missing.
    Returns the notebooks directory."""
    notebooks = root / "notebooks"
    if root.exists():
        for entry in root.iterdir():
            if entry == notebooks:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    notebooks.mkdir(parents=True, exist_ok=True)
    kept = []
    for original in sorted(source.glob("*.ipynb")):
        target = notebooks / original.name
        if target.exists():
            kept.append(original.name)
        else:
            shutil.copy2(original, target)
    if kept:
        print(f"Kept your notebooks as they are: {', '.join(kept)} (delete one to get it anew)")
    return notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aws_cred_magic.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--real", action="store_true", help="Use your own AWS configuration.")
    parser.add_argument("--port", type=int, default=0, help="JupyterLab port (default: free).")
    parser.add_argument("--dir", type=Path, default=REPO / ".sandbox", help="Sandbox directory.")
    args = parser.parse_args(argv)

    root: Path = args.dir.resolve()
    notebooks = prepare_sandbox_dir(root, REPO / "notebooks")
    moto = None
    if args.real:
        env = dict(os.environ)
        print("Real mode: your own AWS configuration and real AWS endpoints.", flush=True)
    else:
        moto, moto_url = start_moto()
        env = _sandbox_env(build_sandbox(root, moto_url, enforce=True))
        print(f"Sandbox: {root} (local STS/IAM/S3 at {moto_url}; ~/.aws untouched)", flush=True)
        print(
            f"Local IAM Identity Center: {env['AWS_ENDPOINT_URL_SSO_OIDC']} (sign in to "
            "sso-analytics from the panel or with %aws_sso_login; approve in the page it links)"
        )
        print(f"Temporary keys to paste into %aws_keys or the panel: {root / 'portal-keys.txt'}")
    port = args.port or free_port()
    token = secrets.token_hex(16)
    lab = start_lab(notebooks, env, root, port, token)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Ctrl-C must stop the demo even when it was started from a script, where background
    # jobs inherit SIGINT as ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        wait_for_lab(lab, port, token)
        url = f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token={token}"
        print(f"JupyterLab is ready: {url}", flush=True)
        print("Press Ctrl-C to stop the demo.", flush=True)
        while lab.poll() is None:
            time.sleep(0.5)
        return lab.returncode or 0
    except KeyboardInterrupt:
        print("\nStopping the demo…", flush=True)
        return 0
    finally:
        stop_process_group(lab)
        if moto is not None:
            moto.stop()


if __name__ == "__main__":
    sys.exit(main())

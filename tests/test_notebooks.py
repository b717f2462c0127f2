"""The shipped notebooks, executed top to bottom in a real kernel inside the demo sandbox.

The sandbox is the demo's own (``build_sandbox``): profiles, IAM users and portal keys in the
moto server on 127.0.0.1, every AWS endpoint pointed at it. The kernel inherits the
environment of this process, so the sandbox's variables are what it sees. Assertions read
the outputs a reader would see, then scan the whole executed notebook, outputs and saved
widget state, for every secret the sandbox holds.
"""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import _guarded_connect, _guarded_connect_ex, _violations

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# Every socket the kernel connects to must be loopback: an IPython startup file in the
# sandbox's HOME installs this guard in the kernel and records any other address.
KERNEL_GUARD = """\
import socket as _socket

def _aws_cred_magic_guard(connect, log):
    def guarded(self, address):
        if isinstance(address, tuple) and address and address[0] not in (
            "127.0.0.1", "::1", "localhost"
        ):
            with open(log, "a") as file:
                file.write(str(address[0]) + "\\n")
            raise ConnectionRefusedError(f"test guard: {address[0]} is not loopback")
        return connect(self, address)
    return guarded

_socket.socket.connect = _aws_cred_magic_guard(_socket.socket.connect, LOG_PATH)
_socket.socket.connect_ex = _aws_cred_magic_guard(_socket.socket.connect_ex, LOG_PATH)
del _socket, _aws_cred_magic_guard
"""

# Appended to the quickstart (in memory only): the portal block really passes through the
# panel's password field, then Apply, which must leave no secret in the widget state.
PANEL_CELL = """\
import os
from pathlib import Path

import aws_cred_magic

_portal = Path(os.environ["AWS_CRED_MAGIC_SANDBOX"], "portal-keys.txt").read_text()
_panel = aws_cred_magic.panel()
_panel._tabs.selected_index = 1
_panel._block.value = _portal
print("typed:", _panel._block.value == _portal and "AWS_SESSION_TOKEN" in _portal)
_panel._var.value = "portal"
_panel._apply.click()
_panel.controller.check_thread.join(30)
del _portal
_fields = (_panel._block, _panel._key_id, _panel._secret, _panel._token, _panel._mfa)
print("cleared:", [len(field.value) for field in _fields])
print("message:", _panel._message.value)
print("status:", _panel._status.value)
print("whoami:", aws_cred_magic.whoami(portal).arn)
_panel
"""


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    guard_log: Path
    identity_center: Any = None  # the local IAM Identity Center (its issued tokens)

    def secrets(self) -> list[str]:
        """Every secret value in the sandbox: the secret keys of the credentials file, the
        portal block's secret key and session token, the credential_process script's key."""
        found: list[str] = []
        credentials = (self.root / "home" / ".aws" / "credentials").read_text()
        found += re.findall(r"^aws_secret_access_key = (\S+)$", credentials, re.MULTILINE)
        portal = (self.root / "portal-keys.txt").read_text()
        for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            found += re.findall(rf'^export {name}="([^"]+)"$', portal, re.MULTILINE)
        vault = (self.root / "fake-vault.py").read_text()
        found += re.findall(r"'SecretAccessKey': '([^']+)'", vault)
        assert len(found) == 5 and all(len(s) >= 16 for s in found), "sandbox layout changed"
        return found

    def access_key_ids(self) -> list[str]:
        """The full access key ids: the notebook may show them masked only."""
        text = (self.root / "home" / ".aws" / "credentials").read_text()
        text += (self.root / "portal-keys.txt").read_text()
        text += (self.root / "fake-vault.py").read_text()
        ids = re.findall(r"\b((?:AKIA|ASIA)[A-Z0-9]{16})\b", text)
        assert len(ids) == 4, "sandbox layout changed"
        return ids

    def portal(self, name: str) -> str:
        text = (self.root / "portal-keys.txt").read_text()
        return re.search(rf'^export {name}="([^"]+)"$', text, re.MULTILINE).group(1)


def _reset_moto(url: str) -> None:
    """The sandbox creates fixed IAM users and buckets: start from an empty moto."""
    request = urllib.request.Request(f"{url}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, moto_server):
    from aws_cred_magic.demo import build_sandbox
    from aws_cred_magic.local_sso import LocalIdentityCenter

    root = tmp_path_factory.mktemp("sandbox")
    with pytest.MonkeyPatch.context() as mp:
        # Module-scoped: the autouse loopback guard is not active yet, so install it here.
        mp.setattr(socket.socket, "connect", _guarded_connect)
        mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
        seen = len(_violations)
        _reset_moto(moto_server)
        # IAM enforcement on: external IDs and per-role buckets are checked for real. The
        # local IAM Identity Center approves every sign-in at once: nobody opens the approval
        # page under nbclient (the browser tests click Approve for real).
        identity_center = LocalIdentityCenter(sts_url=moto_server)
        identity_center.auto_approve = True
        env = build_sandbox(root, moto_server, identity_center, enforce=True)
        assert len(_violations) == seen, f"connections outside loopback: {_violations}"
        for name in list(os.environ):
            if name.startswith(("AWS_", "BOTO_")):
                mp.delenv(name)
        for name, value in env.items():
            mp.setenv(name, value)
        ipython_dir = Path(env["HOME"]) / ".ipython"
        startup = ipython_dir / "profile_default" / "startup"
        startup.mkdir(parents=True)
        guard_log = root / "kernel-network-violations.txt"
        (startup / "00-loopback-guard.py").write_text(
            KERNEL_GUARD.replace("LOG_PATH", repr(str(guard_log)))
        )
        mp.setenv("IPYTHONDIR", str(ipython_dir))
        try:
            yield Sandbox(root, env, guard_log, identity_center)
        finally:
            from aws_cred_magic.demo import enforce_iam

            enforce_iam(moto_server, False)  # moto's switch is process-wide
            identity_center.close()


def _execute(sandbox: Sandbox, name: str, extra_cells: tuple[str, ...] = ()):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in extra_cells)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=90, resources={"metadata": {"path": str(sandbox.root)}}
    )
    client.execute()  # a cell that raises fails the test, unless tagged raises-exception
    return nb


@pytest.fixture(scope="module")
def quickstart(sandbox):
    return _execute(sandbox, "quickstart.ipynb", (PANEL_CELL,))


GUARD_CHECK_CELL = "import socket\nsocket.socket.connect.__qualname__"


@pytest.fixture(scope="module")
def several(sandbox):
    return _execute(sandbox, "several_identities.ipynb", (GUARD_CHECK_CELL,))


# --------------------------------------------------------------------------- helpers


def cell_index(nb, source: str) -> int:
    """The index of the one code cell whose source starts with ``source``."""
    found = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith(source)
    ]
    assert len(found) == 1, f"{len(found)} cells start with {source!r}"
    return found[0]


def text_of(cell) -> str:
    """Everything a reader sees of a cell's outputs, as text (streams and text/plain)."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "".join(parts)


def output_of(nb, source: str, offset: int = 0) -> str:
    return text_of(nb.cells[cell_index(nb, source) + offset])


def widget_state(nb) -> dict:
    return nb.metadata["widgets"][WIDGET_STATE]["state"]


# --------------------------------------------------------------------------- quickstart


def test_quickstart_whoami_names_the_analyst(quickstart):
    first_whoami = next(c for c in quickstart.cells if c.source == "%aws_whoami")
    text = text_of(first_whoami)
    assert "arn:aws:iam::123456789012:user/analyst" in text
    assert "shared-credentials-file" in text and "eu-west-1" in text


def test_quickstart_aws_use_moves_boto3_default(quickstart):
    assert "session = profile customer-a: assume-role" in output_of(
        quickstart, "%aws_use customer-a"
    )
    arn = output_of(quickstart, "%aws_use customer-a", offset=1)
    assert re.search(r"'arn:aws:sts::111111111111:assumed-role/customer-a-readonly/[^']+'", arn)
    whoami = output_of(quickstart, "%aws_use customer-a", offset=2)
    assert "Account     111111111111" in whoami and "Method      assume-role" in whoami


def test_quickstart_cell_as_another_profile_then_back(quickstart):
    inside = output_of(quickstart, "%%aws_profile customer-b")
    assert re.search(r"arn:aws:sts::222222222222:assumed-role/customer-b-readonly/", inside)
    assert "111111111111" not in inside
    after = output_of(quickstart, "session.profile_name  # back to customer-a")
    assert after == "'customer-a'"


def test_quickstart_broken_profile_is_one_line_and_keeps_session(quickstart):
    cell = quickstart.cells[cell_index(quickstart, "%aws_use broken")]
    assert [o.output_type for o in cell.outputs] == ["stream"]
    text = text_of(cell)
    assert text.startswith("UsageError: ")
    assert text.strip().count("\n") == 0
    assert "does-not-exist" in text and "broken" in text
    assert "Traceback" not in text and "File " not in text and "---->" not in text
    assert output_of(quickstart, "%aws_use broken", offset=1) == "'customer-a'"


def test_quickstart_shell_commands_follow_the_session(quickstart):
    shell = output_of(quickstart, '!python -c "import boto3')
    assert re.search(r"arn:aws:sts::111111111111:assumed-role/customer-a-readonly/", shell)


def test_quickstart_panel_cell_applies_pasted_portal_block(quickstart, sandbox):
    out = output_of(quickstart, "import os\nfrom pathlib import Path")
    assert "typed: True" in out  # the secret really was in the password field
    assert "cleared: [0, 0, 0, 0, 0]" in out
    key_id = sandbox.portal("AWS_ACCESS_KEY_ID")
    assert "message: \n" in out  # one line per action: the status line has the verdict
    assert re.search(
        r"status: .*aws-status-ok.*portal = keys pasted in the panel · "
        r"arn:aws:sts::444444444444:assumed-role/portal-PowerUser/you",
        out,
    )
    assert "*" * 16 + key_id[-4:] in out
    assert "whoami: arn:aws:sts::444444444444:assumed-role/portal-PowerUser/you" in out
    views = [
        o
        for o in quickstart.cells[-1].outputs
        if o.output_type == "execute_result" and WIDGET_VIEW in o.data
    ]
    assert len(views) == 1


def test_quickstart_saved_widget_state_is_real_and_secret_free(quickstart, sandbox):
    state = widget_state(quickstart)
    models = [m["state"] for m in state.values()]
    # One panel per kernel: the notebook's %aws_panel and the test's panel() are the same
    # widget (two synced views), saved once with its fields.
    blocks = [m for m in models if m.get("description") == "Paste block"]
    assert len(blocks) == 1 and all(m["_model_name"] == "PasswordModel" for m in blocks)
    assert all(m["value"] == "" for m in blocks)
    profiles = [m for m in models if m.get("description") == "Profile"]
    assert profiles and "customer-a  (assume-role)" in profiles[0]["_options_labels"]
    # The state holds the updates made after the panel was shown (so a secret left in a
    # field would be here): the status line of the pasted portal keys.
    assert any("assumed-role/portal-PowerUser/you" in str(m.get("value")) for m in models)
    saved = json.dumps(state)
    for secret in sandbox.secrets():
        assert secret not in saved
    for key_id in sandbox.access_key_ids():
        assert key_id not in saved
    issued = sandbox.identity_center.issued  # SSO tokens, refresh tokens, client secrets
    assert len(issued) >= 3
    assert [token[:6] for token in issued if token in saved] == []


def test_quickstart_panel_has_a_fallback_where_widgets_cannot_render(quickstart, sandbox):
    """``%aws_panel`` saves text and HTML beside the widget view: what GitHub and nbconvert
    show. The HTML export (no widget JavaScript) must say what the panel is and showed."""
    from nbconvert import HTMLExporter

    index = cell_index(quickstart, "%aws_panel")
    [output] = [o for o in quickstart.cells[index].outputs if WIDGET_VIEW in o.get("data", {})]
    plain, markup = output.data["text/plain"], output.data["text/html"]
    assert plain.startswith("AWS credentials panel (an interactive widget")
    assert "VBox(" not in plain
    assert "Session when shown: session = profile customer-a" in plain
    assert "Status when shown: " in plain
    assert "aws-cred-panel-fallback" in markup and "Session when shown" in markup
    nb = quickstart.copy()
    nb.metadata = {k: v for k, v in nb.metadata.items() if k != "widgets"}  # as on GitHub
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert "AWS credentials panel (an interactive widget" in body
    assert "Session when shown: session = profile customer-a" in body
    for secret in sandbox.secrets():
        assert secret not in plain + markup
    for key_id in sandbox.access_key_ids():
        assert key_id not in plain + markup


# --------------------------------------------------------------------------- several identities


def test_several_identities_sessions_side_by_side(several):
    made = output_of(several, "%aws_use customer-a --var s_a")
    assert "s_a = profile customer-a" in made and "s_b = profile customer-b" in made
    identities = output_of(several, "%aws_whoami --sessions")
    assert "2 ok, 0 failed" in identities
    assert "111111111111" in identities and "222222222222" in identities
    assert output_of(several, "def ensure_bucket") == "['customer-a-data']"


def test_several_identities_reads_back_the_csvs(several):
    frame = output_of(several, "pd.concat(")
    assert re.search(r"customer-a\s+0\s+north\s+120\b", frame), frame
    assert re.search(r"customer-b\s+0\s+north\s+240\b", frame), frame
    assert re.search(r"\s1\s+south\s+80\b", frame) and re.search(r"\s1\s+south\s+160\b", frame)


def test_several_identities_storage_options_repr_hides_secrets(several):
    opts = output_of(several, "opts_a = aws_cred_magic.storage_options(s_a)")
    assert "'secret': '<hidden>'" in opts and "'token': '<hidden>'" in opts
    assert re.search(r"'key': '\*{16}[A-Z0-9]{4}'", opts)


def test_several_identities_every_profile(several):
    table = output_of(several, "%aws_whoami --all")
    assert re.search(r"GetCallerIdentity for every profile: \d+ ok, \d+ failed", table)
    assert "arn:aws:iam::123456789012:user/analyst" in table


def test_quickstart_signs_in_with_sso_and_uses_its_roles(quickstart):
    login = output_of(quickstart, "sign_in = %aws_sso_login sso-analytics")
    assert "sign-in to sso-session corp" in login.lower()  # the view's text fallback
    whoami = output_of(quickstart, "sign_in.wait(600)")
    assert "session = profile sso-analytics: sso" in whoami
    assert "assumed-role/AWSReservedSSO_AnalyticsReadOnly" in whoami
    accounts = output_of(quickstart, "%aws_sso_accounts")
    assert "sso-session corp: 2 accounts, 4 roles you may use" in accounts
    other = output_of(quickstart, "%aws_use --sso-session corp")
    assert "arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_ReadOnly" in other
    assert "login valid until" in output_of(quickstart, "profiles = %aws_profiles")
    assert "sso-session corp: signed out, cached token removed" in output_of(
        quickstart, "%aws_sso_logout"
    )


# --------------------------------------------------------------------------- secrets, network


@pytest.mark.parametrize("name", ["quickstart", "several"])
def test_no_secret_anywhere_in_the_executed_notebook(request, sandbox, name):
    import nbformat

    nb = request.getfixturevalue(name)
    saved = nbformat.writes(nb)  # outputs and metadata (widget state), as saved to disk
    assert len(saved) > 10_000
    for secret in sandbox.secrets():
        assert secret not in saved
    for key_id in sandbox.access_key_ids():
        assert key_id not in saved
    issued = sandbox.identity_center.issued  # SSO tokens, refresh tokens, client secrets
    assert len(issued) >= 3
    assert [token[:6] for token in issued if token in saved] == []
    if name == "quickstart":  # scan the widget state, not only its JSON escaping
        assert WIDGET_STATE in nb.metadata["widgets"]


def test_kernel_connected_to_loopback_only(quickstart, several, sandbox):
    assert not sandbox.guard_log.exists(), sandbox.guard_log.read_text()
    # The guard was really installed in the kernel (by the startup file).
    assert output_of(several, GUARD_CHECK_CELL) == "'_aws_cred_magic_guard.<locals>.guarded'"


# --------------------------------------------------------------------------- re-runs


def _execute_with_papermill(sandbox: Sandbox, name: str, output: Path) -> None:
    import papermill

    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(output),
        kernel_name="python3",
        cwd=str(sandbox.root),
        progress_bar=False,
        log_output=False,
        execution_timeout=90,
    )


@pytest.mark.parametrize("name", ["quickstart.ipynb", "several_identities.ipynb"])
def test_notebook_runs_again_in_the_same_sandbox(quickstart, several, sandbox, name, tmp_path):
    """Run All again (nbclient, as nbconvert does), then once more with papermill, in the
    sandbox the first run (the module's fixtures) already used: the buckets, objects and
    files that run made are still there, so each run after the first is a re-run."""
    import nbformat

    again = _execute(sandbox, name)  # raises on any error but a tagged raises-exception
    assert [c.source for c in again.cells] == [
        c.source for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells
    ]
    output = tmp_path / name
    _execute_with_papermill(sandbox, name, output)  # raises PapermillExecutionError
    assert nbformat.read(output, as_version=4).metadata["papermill"]["exception"] is None


# --------------------------------------------------------------------------- roles ad hoc (B2B)

WRITER = "%aws_assume arn:aws:iam::123456789012:role/customer-"
ASSUME_BOTH = WRITER + "a-writer --external-id acme-7Q2-2026 --profile default --session-name"
WRONG_ID = WRITER + "b-writer --external-id globex-55-2025"
WITH_ENV = WRITER + "a-writer --external-id acme-7Q2-2026 --profile default --env"


def test_several_identities_assumes_both_customers_with_external_ids(several):
    made = output_of(several, ASSUME_BOTH)
    assert "cust_a = role customer-a-writer (123456789012, external ID): assume-role " in made
    assert "lineage: role customer-a-writer (123456789012, external ID) ← profile default" in made
    assert "cust_b = role customer-b-writer (123456789012, external ID)" in made
    assert "acme-7Q2-2026" not in made and "globex-55-2026" not in made
    cell = several.cells[cell_index(several, ASSUME_BOTH) + 1]
    assert cell.source == "%aws_sessions"
    import html

    shown = "".join(o.data.get("text/html", "") for o in cell.outputs if "data" in o)
    shown = html.unescape(re.sub(r"<[^>]+>", "", shown)).replace("\u200b", "")
    assert "role customer-b-writer (123456789012, external ID) ← profile default" in shown, shown


def test_several_identities_reads_one_customer_and_writes_the_other_in_one_cell(several):
    out = output_of(several, "import polars as pl")
    assert "read 3 orders (polars: 3) as customer A, wrote 2 rows as customer B" in out
    back = output_of(several, "pq.read_table(")
    assert re.search(r"gadget\s+1", back) and re.search(r"widget\s+8", back), back


def test_several_identities_each_identity_reaches_only_its_bucket(several):
    out = output_of(several, "from botocore.exceptions import ClientError")
    assert "cust_a  customer-a-inbox: allowed" in out
    assert "cust_a  customer-b-inbox: AccessDenied" in out
    assert "cust_b  customer-a-inbox: AccessDenied" in out
    assert "cust_b  customer-b-inbox: allowed" in out
    assert "you     customer-a-inbox: AccessDenied" in out
    assert "you     customer-b-inbox: AccessDenied" in out


def test_several_identities_wrong_external_id_is_one_line(several):
    text = output_of(several, WRONG_ID).strip()
    assert text.startswith("UsageError: AccessDenied: profile default may not assume "), text
    assert "check the external ID" in text and text.count("\n") == 0
    assert "Traceback" not in text
    after = output_of(several, 'cust_b.client("sts").get_caller_identity()')
    assert "assumed-role/customer-b-writer/b2b-sync" in after


def test_several_identities_env_export_reads_without_options(several):
    out = output_of(several, WITH_ENV)
    assert "((3, 3), (3, 3))" in out, out
    assert "export off: restored" in output_of(several, "%config AwsCredMagics.export_env = False")

"""The panel in a real JupyterLab, driven by Debian's Chromium through Playwright.

A moto server on 127.0.0.1 plays STS; the demo's sandbox (``build_sandbox``) provides the
AWS files and the portal keys; JupyterLab runs on a temporary notebook directory with the
sandbox environment. Nothing here talks to anything but loopback.

Needs ``/usr/bin/chromium`` and the ``playwright`` package (never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

from aws_cred_magic.demo import (  # noqa: E402 - after the skips
    build_sandbox,
    free_port,
    start_lab,
    start_moto,
    stop_process_group,
    wait_for_lab,
)

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
# Screenshots go to a temporary directory (printed at the end of the run); the README's
# pictures are refreshed from a real run with AWS_CRED_MAGIC_DOCS=1, which copies them
# into docs/.
SCREENSHOTS = Path(
    os.environ.get("AWS_CRED_MAGIC_SCREENSHOTS") or tempfile.mkdtemp(prefix="aws-cred-shots-")
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Belt and braces: no host name but localhost resolves, so nothing leaves loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# Generous: two cores running JupyterLab, a kernel, moto and Chromium at once.
KERNEL_TIMEOUT_MS = 60_000
STEP_TIMEOUT_MS = 30_000
expect.set_options(timeout=STEP_TIMEOUT_MS)  # every expect(): Playwright's default is 5 s

# True once the notebook's kernel has its websocket open and is idle. The toolbar's idle
# icon shows earlier than that, and keystrokes sent before the socket connects are dropped.
KERNEL_READY_JS = """() => {
    const kernel = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


# --------------------------------------------------------------------------- helpers
# (also used by test_demo.py)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def watch_requests(context) -> list[str]:
    """Record every request the browser makes to a host that is not loopback."""
    outside: list[str] = []

    def check(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOOPBACK:
            outside.append(request.url)

    context.on("request", check)
    return outside


def wait_for_kernel(page, timeout: float = KERNEL_TIMEOUT_MS) -> None:
    page.wait_for_function(KERNEL_READY_JS, timeout=timeout)


def cell(page, index: int):
    """Cell ``index`` of the notebook on screen (by index: Shift+Enter on the last cell
    appends a new one)."""
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def run_cell(page, index: int, timeout: float = STEP_TIMEOUT_MS):
    """Run cell ``index`` with Shift+Enter, the way a person does, and wait until its
    prompt shows an execution count (``[n]:``). Returns the cell's locator."""
    target = cell(page, index)
    target.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    expect(target.locator(".jp-InputArea-prompt")).to_have_text(
        re.compile(r"^\[\d+\]:$"), timeout=timeout
    )
    return target


def run_app_command(page, command: str, args: dict | None = None) -> None:
    """Execute a JupyterLab command and wait for its promise (needs --expose-app-in-browser)."""
    page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)",
        [command, args or {}],
    )


def save_screenshot(target, name: str) -> Path:
    """A screenshot of a page or locator into SCREENSHOTS (and docs/ when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    target.screenshot(path=str(path))
    if os.environ.get("AWS_CRED_MAGIC_DOCS") == "1" and (DOCS / name).exists():
        shutil.copy(path, DOCS / name)
    return path


def secrets_in_sandbox(root: Path) -> list[str]:
    """Every secret value the sandbox holds: the portal's secret key and session token, the
    secret keys of the credentials file and of the credential_process script."""
    found: list[str] = []
    portal = (root / "portal-keys.txt").read_text()
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        found += re.findall(rf'^export {name}="([^"]+)"$', portal, re.MULTILINE)
    credentials = (root / "home" / ".aws" / "credentials").read_text()
    found += re.findall(r"^aws_secret_access_key = (\S+)$", credentials, re.MULTILINE)
    found += re.findall(r"'SecretAccessKey': '([^']+)'", (root / "fake-vault.py").read_text())
    assert len(found) >= 5, "the sandbox layout changed: update secrets_in_sandbox()"
    return found


# --------------------------------------------------------------------------- fixtures


@dataclass
class Lab:
    port: int
    token: str
    notebooks: Path
    sandbox: Path
    log: Path
    app: str = "lab"  # or "notebook": Jupyter Notebook 7

    def url(self, notebook: str) -> str:
        """The notebook's page. In JupyterLab, in a workspace of its own: it would otherwise
        restore the tabs a previous test left open. Notebook 7 opens one notebook a page."""
        base = f"http://127.0.0.1:{self.port}"
        if self.app == "notebook":
            return f"{base}/notebooks/{notebook}?token={self.token}"
        workspace = Path(notebook).stem
        return f"{base}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"


def _write_notebook(path: Path, sources: list[str]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)


@contextlib.contextmanager
def sandbox_server(root: Path, notebooks: dict[str, list[str]], app: str = "lab") -> Iterator[Lab]:
    """moto on 127.0.0.1, the demo sandbox under ``root``, and JupyterLab (``app="lab"``) or
    Notebook 7 (``app="notebook"``) on ``notebooks`` (file name -> cell sources) with the
    sandbox environment. Everything stops on exit; the server's log is ``Lab.log``."""
    moto, moto_url = start_moto()
    process = None
    try:
        # moto keeps its state per process, shared by every server in it: start from an empty
        # one, or a second sandbox in this process clashes with the first's IAM users.
        reset = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()
        sandbox = root / "sandbox"
        sandbox_env = build_sandbox(sandbox, moto_url)
        directory = root / "notebooks"
        directory.mkdir()
        for name, sources in notebooks.items():
            _write_notebook(directory / name, sources)
        state = root / "state"
        # Save widget state into the notebook (off by default): that is where a secret typed
        # into a widget would be written to disk, so the leak check must cover it.
        widgets = state / "lab-settings" / "@jupyter-widgets" / "jupyterlab-manager"
        widgets.mkdir(parents=True)
        (widgets / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BOTO_"))}
        env.update(sandbox_env)
        port, token = free_port(), secrets.token_hex(16)
        process = start_lab(directory, env, state, port, token, app=app)
        log = state / "jupyter.log"
        try:
            wait_for_lab(process, port, token, timeout=60)
        except RuntimeError:
            print(log.read_text()[-4000:])
            raise
        yield Lab(port, token, directory, sandbox, log, app)
    finally:
        if process is not None:
            stop_process_group(process)
        moto.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """moto on 127.0.0.1, the demo sandbox, and JupyterLab on two small notebooks."""
    notebooks = {
        "profile.ipynb": ["%load_ext aws_cred_magic", "%aws_panel"],
        "keys.ipynb": ["%load_ext aws_cred_magic", "%aws_panel", "%aws_whoami"],
        "displays.ipynb": [
            "%load_ext aws_cred_magic",
            "%aws_chain",
            "%aws_whoami --all",
            "%aws_use customer-a --var s_a\n%aws_use default --var s_b",
            "%aws_whoami --sessions",
            "%aws_sessions",
        ],
    }
    with sandbox_server(tmp_path_factory.mktemp("browser"), notebooks) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def new_page(browser, width: int = 1400, height: int = 1000) -> Iterator:
    """A page in a fresh browser context; on exit, fails if the browser asked for anything
    but loopback."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    outside = watch_requests(context)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"the browser requested non-loopback addresses: {outside}"


@pytest.fixture
def page(browser, lab):
    with new_page(browser) as page:
        yield page


def open_notebook(page, lab: Lab, name: str) -> None:
    page.goto(lab.url(name))
    expect(cell(page, 0)).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    wait_for_kernel(page)


def show_panel(page):
    """Run ``%load_ext`` and ``%aws_panel`` (cells 0 and 1); return the panel's locator."""
    run_cell(page, 0)
    run_cell(page, 1)
    panel = page.locator(".aws-cred-panel")
    expect(panel).to_be_visible()
    # No session yet: the status line says what boto3's default chain resolves to.
    expect(panel.locator(".aws-status")).to_contain_text("boto3's default chain: ")
    return panel


def choose_profile(panel, name: str, region: str) -> None:
    """A real ``select_option`` on the Profile ``<select>``; the Region dropdown then shows
    the profile's region."""
    select = panel.get_by_role("combobox", name="Profile")
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    value = next(v for v in values if v.split()[0] == name)
    select.select_option(value=value)
    expect(select).to_have_value(value)
    expect(panel.get_by_role("combobox", name="Region")).to_have_value(region)


def apply_and_wait(panel, account: str, arn: re.Pattern[str]):
    panel.get_by_role("button", name="Apply").click()
    status = panel.locator(".aws-status")
    expect(status).to_contain_text(arn, timeout=STEP_TIMEOUT_MS)
    expect(status).to_contain_text(f"account {account}")
    expect(status).to_have_class(re.compile(r"\baws-status-ok\b"))
    return status


CUSTOMER_A_ARN = re.compile(r"arn:aws:sts::111111111111:assumed-role/customer-a-readonly/\S+")
PORTAL_ARN = re.compile(r"arn:aws:sts::444444444444:assumed-role/portal-PowerUser/you")


# --------------------------------------------------------------------------- tests


def test_panel_profile_assumes_role_through_local_sts(page, lab):
    """Pick customer-a in the Profile dropdown, Apply: botocore's assume-role provider runs
    against the local STS and the status line shows the role's ARN in account 111111111111."""
    open_notebook(page, lab, "profile.ipynb")
    panel = show_panel(page)

    choose_profile(panel, "customer-a", "eu-west-1")
    apply_and_wait(panel, "111111111111", CUSTOMER_A_ARN)
    expect(panel.locator(".aws-status")).to_contain_text("session = profile customer-a · ")

    panel.get_by_role("button", name="Show chain").click()
    expect(panel.locator(".aws-chain .aws-verdict")).to_contain_text("(assume-role) wins")
    page.wait_for_timeout(300)  # let the chain's layout settle before the pictures
    save_screenshot(panel, "panel.png")
    save_screenshot(page, "jupyterlab.png")


@pytest.mark.parametrize("name", ["quickstart.ipynb", "several_identities.ipynb"])
def test_demo_notebooks_open_unmodified(page, lab, name):
    """Opening a demo notebook and starting its kernel leaves it unmodified: its saved
    metadata is what JupyterLab writes once the kernel connects (no "unsaved" mark)."""
    import platform

    saved = json.loads((REPO / "notebooks" / name).read_text())
    version = saved["metadata"]["language_info"]["version"]
    if version != platform.python_version():  # the kernel reports its own Python
        pytest.skip(f"the notebook records Python {version}; this kernel runs another")
    shutil.copy(REPO / "notebooks" / name, lab.notebooks / name)
    open_notebook(page, lab, name)
    page.wait_for_timeout(1500)  # let the kernel's info reach the model
    dirty = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")
    assert dirty is False


def test_panel_pasted_keys_switch_identity_and_never_reach_the_file(page, lab):
    """Paste the portal's block into the Password field (multi-line, then joined with spaces
    as browsers paste it into a one-line field), Apply: the session is the portal role in
    444444444444, %aws_whoami agrees, and the saved .ipynb (outputs and widget state) holds
    none of the sandbox's secrets."""
    portal_lines = (lab.sandbox / "portal-keys.txt").read_text().strip().splitlines()
    assert len(portal_lines) == 3
    open_notebook(page, lab, "keys.ipynb")
    panel = show_panel(page)

    # 1. The block as copied, with its line breaks. A one-line field cannot hold them:
    # Chromium turns them into spaces.
    panel.get_by_role("tab", name="Temporary keys").click()
    block = panel.get_by_label("Paste block", exact=True)
    block.fill("\n".join(portal_lines))
    assert "\n" not in block.input_value()
    apply_and_wait(panel, "444444444444", PORTAL_ARN)
    expect(block).to_have_value("")  # cleared by the kernel after Apply

    # 2. Another identity in between, so the next status is a fresh answer.
    panel.get_by_role("tab", name="Profile").click()
    choose_profile(panel, "customer-a", "eu-west-1")
    apply_and_wait(panel, "111111111111", CUSTOMER_A_ARN)

    # 3. The block joined into one line with spaces: what a browser paste gives.
    panel.get_by_role("tab", name="Temporary keys").click()
    block.fill(" ".join(portal_lines))
    apply_and_wait(panel, "444444444444", PORTAL_ARN)
    expect(panel.locator(".aws-status")).to_contain_text("session = keys pasted in the panel · ")
    expect(block).to_have_value("")
    for name in ("Key id", "Secret", "Token"):
        expect(panel.get_by_label(name, exact=True)).to_have_value("")

    # %aws_whoami in the next cell sees the same session.
    whoami = run_cell(page, 2)
    output = whoami.locator(".jp-OutputArea-output")
    expect(output).to_contain_text("444444444444")
    expect(output).to_contain_text("portal-PowerUser")

    # Save from the browser, then read what reached the disk.
    run_app_command(page, "docmanager:save")
    path = lab.notebooks / "keys.ipynb"
    text = path.read_text()
    saved = json.loads(text)
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    passwords = [m for m in state.values() if m["model_name"] == "PasswordModel"]
    # Key id, secret, token, pasted block, and the Assume role tab's external ID.
    assert len(passwords) == 5, "the saved widget state should hold the five Password fields"
    assert all(m["state"].get("value", "") == "" for m in passwords)
    assert "444444444444" in json.dumps(saved["cells"][2]["outputs"])

    # Counts only: a failure message must not print the secrets (nor the whole file).
    leaked = sum(s in text or s[:16] in text for s in secrets_in_sandbox(lab.sandbox))
    assert leaked == 0, "sandbox secret(s) written into the notebook file"
    pasted = sum(name in text for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
    assert pasted == 0, "the pasted block was written into the notebook file"
    shutil.copy(path, lab.log.parent / "keys-saved.ipynb")  # for a post-mortem, in tmp


# --------------------------------------------------------------------------- displays

# WCAG contrast of an element's text against what is really behind it: the backgrounds of
# the element and its ancestors composited (translucent tints included) over white.
CONTRAST_JS = """(el) => {
    const parse = (s) => {
        const m = s.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return [0, 0, 0, 0];
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const chain = [];
    for (let n = el; n; n = n.parentElement) chain.unshift(n);
    let bg = [255, 255, 255];
    for (const n of chain) {
        const c = parse(getComputedStyle(n).backgroundColor);
        bg = [0, 1, 2].map((i) => c[i] * c[3] + bg[i] * (1 - c[3]));
    }
    const f = parse(getComputedStyle(el).color);
    const fg = [0, 1, 2].map((i) => f[i] * f[3] + bg[i] * (1 - f[3]));
    const lum = (c) => {
        const v = c.map((x) => {
            x /= 255;
            return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    };
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return {ratio: (hi + 0.05) / (lo + 0.05), fg: fg, bg: bg};
}"""


def assert_inside(element, area) -> None:
    """``element`` is on screen within ``area``, and ``area`` needs no horizontal scroll."""
    box, outer = element.bounding_box(), area.bounding_box()
    assert box and outer and box["width"] > 0 and box["height"] > 0
    assert box["x"] >= outer["x"] - 1, (box, outer)
    assert box["x"] + box["width"] <= outer["x"] + outer["width"] + 1, (box, outer)
    assert area.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "scrolls sideways"


# The --all table's layout, measured: per column, every cell's left edge (the header's too);
# cells whose content is cut or spills; the line boxes of each account id inside an ARN and of
# each expiry; and every place an ARN's text moves to a new line, with the character before.
IDENTITIES_LAYOUT_JS = """(table) => {
    const columns = {};
    for (const row of table.querySelectorAll(':scope > [role=row]')) {
        const cells = row.querySelectorAll(':scope > [role=cell], :scope > [role=columnheader]');
        for (const cell of cells) {
            (columns[cell.className] ||= []).push(Math.round(cell.getBoundingClientRect().left));
        }
    }
    const cut = [];
    const whole = '.aws-id-account, .aws-id-key, .aws-id-region, .aws-id-expiry';
    for (const el of table.querySelectorAll(whole)) {
        if (el.scrollWidth > el.clientWidth + 1) cut.push(el.className + ': ' + el.textContent);
    }
    const accountLines = [...table.querySelectorAll('.aws-id-arn span')]
        .filter((el) => /\\d{12}/.test(el.textContent))
        .map((el) => el.getClientRects().length);
    const expiryLines = [...table.querySelectorAll('.aws-expires')]
        .map((el) => el.getClientRects().length);
    const breaks = [];
    for (const cell of table.querySelectorAll('[role=cell].aws-id-arn')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        let top = null, before = '';
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i++) {
                const range = document.createRange();
                range.setStart(node, i);
                range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (!rect) continue;
                if (top !== null && rect.top > top + 2) breaks.push(before);
                top = rect.top;
                before = node.data[i];
            }
        }
    }
    return {columns, cut, accountLines, expiryLines, breaks};
}"""


def assert_identities_read_at_a_glance(area, theme: str) -> dict:
    """The --all table in ``area``: no sideways scroll, columns aligned in every row (also
    when rows reflow), nothing cut, account ids and expiries on one line each, ARNs broken
    only after ``:`` or ``/``, and readable text."""
    table = area.locator(".aws-id-table")
    assert_inside(table, area)
    layout = table.evaluate(IDENTITIES_LAYOUT_JS)
    misaligned = {k: v for k, v in layout["columns"].items() if max(v) - min(v) > 1}
    assert misaligned == {}, misaligned
    assert layout["cut"] == [], layout["cut"]
    assert layout["accountLines"] and set(layout["accountLines"]) == {1}, layout
    assert layout["expiryLines"] and set(layout["expiryLines"]) == {1}, layout
    assert set(layout["breaks"]) <= {":", "/"}, layout["breaks"]
    for selector in (".aws-id-arn", ".aws-expires", ".aws-id-key", ".aws-id-method"):
        text = table.locator(f"[role=row].aws-id-row {selector}").first
        contrast = text.evaluate(CONTRAST_JS)
        assert contrast["ratio"] >= 4.5, (theme, selector, contrast)
    return layout


@pytest.mark.timeout(240)
@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_chain_and_whoami_all_fit_and_read_in_light_and_dark(browser, lab, theme):
    """At 1280x800, in the light and the dark theme: the chain's winner detail and a failed
    --all row's error lie inside the output area without sideways scrolling, and the
    winner's text has a contrast of at least 4.5:1 with what is behind it."""
    dark = "Dark" in theme
    with new_page(browser, 1280, 800) as page:
        open_notebook(page, lab, "displays.ipynb")
        try:
            run_app_command(page, "apputils:change-theme", {"theme": theme})
            page.wait_for_function(
                "(light) => document.body.dataset.jpThemeLight === light",
                arg="false" if dark else "true",
            )
            run_cell(page, 0)
            chain = run_cell(page, 1)
            output = chain.locator(".jp-OutputArea-output")
            verdict = output.locator(".aws-verdict")
            expect(verdict).to_contain_text("(shared-credentials-file) wins with key ****")
            expect(verdict).to_contain_text("from ~/.aws/credentials [default]")
            winner = output.locator(".aws-row.aws-winner")
            detail = winner.locator(".aws-detail")
            expect(detail).to_contain_text("static keys for profile default")
            assert_inside(detail, output)
            assert_inside(verdict, output)
            # The not-configured sources are one folded line, opened on demand.
            folded = output.locator("details.aws-folded")
            expect(folded.locator("summary")).to_contain_text("not configured: env, ")
            expect(folded.locator(".aws-row").first).to_be_hidden()
            for text in (detail, verdict, winner.locator("td").nth(1)):
                contrast = text.evaluate(CONTRAST_JS)
                assert contrast["ratio"] >= 4.5, (theme, contrast)

            whoami = run_cell(page, 2, timeout=90_000)
            area = whoami.locator(".jp-OutputArea-output")
            expect(area).to_contain_text(re.compile(r"GetCallerIdentity for every profile"))
            failed = area.locator(".aws-row-error", has_text="source_profile").first
            expect(failed).to_contain_text("does-not-exist")
            assert_inside(failed, area)
            contrast = failed.evaluate(CONTRAST_JS)
            assert contrast["ratio"] >= 4.5, (theme, contrast)
            # Wide: one line box per row for the ok rows' short cells, columns aligned.
            wide = assert_identities_read_at_a_glance(area, theme)
            assert area.locator(".aws-id-row .aws-id-arn").count() == 7
            shade = "dark" if dark else "light"
            save_screenshot(chain, f"chain-{shade}.png")
            save_screenshot(whoami, f"whoami-all-{shade}.png")
            # A narrow window (the file browser still open): the rows reflow, the same checks.
            page.set_viewport_size({"width": 800, "height": 800})
            page.wait_for_function(
                "(w) => document.querySelector('.aws-id-table').getBoundingClientRect().width < w",
                arg=600,
            )
            narrow = assert_identities_read_at_a_glance(area, theme)
            heads = narrow["columns"]["aws-id-arn"]
            assert len(set(heads)) == 1 and wide != narrow
            failed = area.locator(".aws-row-error", has_text="source_profile").first
            assert_inside(failed, area)
            save_screenshot(whoami, f"whoami-all-{shade}-800.png")
            # --sessions shares the renderer, with the sessions' lineage as a column.
            page.set_viewport_size({"width": 1280, "height": 800})
            run_cell(page, 3)
            sessions = run_cell(page, 4, timeout=90_000).locator(".jp-OutputArea-output")
            expect(sessions).to_contain_text("GetCallerIdentity for every named session: 2 ok")
            expect(sessions.locator(".aws-id-lineage").nth(1)).to_have_text("profile customer-a")
            assert_identities_read_at_a_glance(sessions, theme)
            # %aws_sessions: its expiry on one line, at both widths (the table itself needs
            # more than the 368 px of a narrow window: only the wide one is checked for that).
            table = run_cell(page, 5).locator(".jp-OutputArea-output")
            expect(table).to_contain_text("2 named sessions")
            assert_inside(table.locator("table"), table)
            for width in (1280, 800):
                page.set_viewport_size({"width": width, "height": 800})
                page.wait_for_timeout(300)
                expiry = table.locator("time.aws-expires")
                assert expiry.count() == 1  # s_a's role keys; s_b's static keys never expire
                assert expiry.evaluate("el => el.getClientRects().length") == 1
        finally:  # the theme is a user setting of the shared server: put it back
            run_app_command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})

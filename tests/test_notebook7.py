"""The panel in Jupyter Notebook 7 (``jupyter notebook``), not only in JupyterLab.

Same world as ``test_browser.py``: a moto server on 127.0.0.1 plays STS, the demo's sandbox
provides the AWS files, and the server (here Notebook 7, with the same flags as JupyterLab)
runs on a temporary notebook directory with the sandbox environment. Debian's Chromium opens
``/notebooks/panel.ipynb``. Nothing here talks to anything but loopback, and when the module
is done the server and its kernel are gone.

Needs ``/usr/bin/chromium`` and the ``notebook`` and ``playwright`` packages.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser
pytest.importorskip("notebook", minversion="7")

from tests.test_browser import (  # noqa: E402 - after the skip
    Lab,
    apply_and_wait,
    browser,  # noqa: F401 - the shared module-scoped Chromium fixture
    choose_profile,
    expect,
    new_page,
    open_notebook,
    sandbox_server,
    show_panel,
)
from tests.test_demo import (  # noqa: E402
    _descendants,
    _port_open,
    _still_running_items,
    _wait_until_gone,
)

CUSTOMER_B_ARN = re.compile(r"arn:aws:sts::222222222222:assumed-role/customer-b-readonly/\S+")


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory) -> Iterator[Lab]:
    """moto on 127.0.0.1, the demo sandbox, and Notebook 7 on one small notebook. On
    teardown, checks that the server and every process it started (its kernel) are gone."""
    root = tmp_path_factory.mktemp("notebook7")
    notebooks = {"panel.ipynb": ["%load_ext aws_cred_magic", "%aws_panel"]}
    started: dict[tuple[int, str], str] = {}
    with sandbox_server(root, notebooks, app="notebook") as server:
        try:
            yield server
        finally:
            # The server and its kernel: both name the temporary directory on their command
            # line (root_dir, and the connection file in JUPYTER_RUNTIME_DIR).
            started = {
                key: cmd for key, cmd in _descendants(os.getpid()).items() if str(root) in cmd
            }
    alive = _wait_until_gone(started, str(root), timeout=15)
    for (pid, _start), _cmd in _still_running_items(started):  # ours, same pid and start
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"still running after the server was stopped: {alive}"
    assert not _port_open(server.port), "Notebook 7 still listens"


@pytest.fixture
def page(browser, notebook7):  # noqa: F811 - pytest injects the imported fixture
    with new_page(browser) as page:
        yield page


@pytest.mark.timeout(120)
def test_panel_in_notebook7_assumes_customer_b_role(page, notebook7):
    """Open the notebook in Notebook 7, run %load_ext and %aws_panel, pick customer-b in the
    Profile dropdown, Apply: the status line shows the customer-b role assumed through the
    local STS, in account 222222222222 (region us-west-2)."""
    open_notebook(page, notebook7, "panel.ipynb")
    # Notebook 7's own application, on its own page (not a redirect into JupyterLab).
    assert page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    assert urlsplit(page.url).path == "/notebooks/panel.ipynb", page.url
    expect(page.locator(".jp-LabShell")).to_have_count(0)

    panel = show_panel(page)
    choose_profile(panel, "customer-b", "us-west-2")
    status = apply_and_wait(panel, "222222222222", CUSTOMER_B_ARN)
    expect(status).to_contain_text("region us-west-2")
    expect(status).to_contain_text("session = profile customer-b")

    page.screenshot(path=str(notebook7.log.parent / "notebook7.png"))

    # What the fixture's teardown must see stopped: the server and the notebook's kernel.
    root = str(notebook7.notebooks.parent)
    ours = [cmd for cmd in _descendants(os.getpid()).values() if root in cmd]
    assert any(re.search(r"jupyter[- ]notebook ", cmd) for cmd in ours), ours
    assert any("ipykernel" in cmd for cmd in ours), ours

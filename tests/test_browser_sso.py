"""The panel's IAM Identity Center sign-in in JupyterLab and Debian's Chromium, as a person
does it: pick the SSO profile, **Sign in**, open the link in a second page and Approve there
(the demo's local Identity Center), **Apply**, and the identity is the SSO role.

Reuses the fixtures and helpers of ``tests/test_browser.py`` (same sandbox, same server).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.test_browser import (
    SCREENSHOTS,
    Lab,
    apply_and_wait,
    browser,  # noqa: F401 - the module-scoped Chromium fixture
    cell,
    choose_profile,
    expect,
    new_page,
    open_notebook,
    run_cell,
    sandbox_server,
    secrets_in_sandbox,
    show_panel,
)

pytestmark = pytest.mark.browser

SSO_ARN = re.compile(
    r"arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_AnalyticsReadOnly_\w+/\S+"
)


@pytest.fixture(scope="module")
def sso_lab(tmp_path_factory) -> Iterator[Lab]:
    notebooks = {"sso.ipynb": ["%load_ext aws_cred_magic", "%aws_panel", "%aws_whoami"]}
    with sandbox_server(tmp_path_factory.mktemp("browser-sso"), notebooks) as server:
        yield server


def test_panel_signs_in_with_sso_approved_in_a_second_page(browser, sso_lab):  # noqa: F811
    with new_page(browser) as page:
        open_notebook(page, sso_lab, "sso.ipynb")
        panel = show_panel(page)
        choose_profile(panel, "sso-analytics", "eu-west-1")
        box = panel.locator(".aws-sso-box")
        expect(box.locator(".aws-sso-status")).to_contain_text("no login")
        box.get_by_role("button", name="Sign in").click()
        link = box.locator("a.aws-sso-link")
        expect(link).to_be_visible()
        code = box.locator("code.aws-sso-code").inner_text()
        assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", code)
        expect(box.locator(".aws-sso-countdown")).to_contain_text("left")
        href = link.get_attribute("href")
        assert href.startswith("http://127.0.0.1:") and href.endswith(f"user_code={code}")

        approval = page.context.new_page()
        approval.goto(href)
        expect(approval.locator("#user-code")).to_have_text(code)
        approval.locator("#approve").click()
        expect(approval.locator("#result")).to_contain_text("approved")
        approval.close()

        expect(box).to_contain_text("Signed in to sso-session corp")
        expect(box.locator(".aws-sso-status")).to_contain_text("valid until")
        expect(box.get_by_role("button", name="Sign in again")).to_be_visible()
        expect(panel.get_by_role("combobox", name="Account / role")).to_be_visible()
        apply_and_wait(panel, "333333333333", SSO_ARN)
        page.screenshot(path=str(SCREENSHOTS / "panel-sso.png"))

        run_cell(page, 2)
        expect(cell(page, 2).locator(".jp-Cell-outputArea")).to_contain_text(
            "AWSReservedSSO_AnalyticsReadOnly"
        )
        content = page.content()
        assert not [s for s in secrets_in_sandbox(sso_lab.sandbox) if s in content]
        cache = sso_lab.sandbox / "home" / ".aws" / "sso" / "cache"
        tokens = [p for p in cache.glob("*.json") if "accessToken" in p.read_text()]
        assert len(tokens) == 1
        token = json.loads(tokens[0].read_text())
        for secret in (token["accessToken"], token["refreshToken"], token["clientSecret"]):
            assert secret not in content

"""The panel's Assume role tab and Export checkbox, headless: real widgets clicked the way the
browser's comm messages would, against moto with IAM enforcement (external IDs checked)."""

from __future__ import annotations

import json
import os

import pytest

import aws_cred_magic
from aws_cred_magic.widget import _widget_tree

from .b2b import ok, shell_with_extension


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


@pytest.fixture
def panel(ip, b2b):
    panel = aws_cred_magic.panel()
    yield panel
    panel.close()


def saved_state(panel) -> str:
    return json.dumps([w.get_state() for w in _widget_tree(panel.widget)], default=str)


def fill(panel, b2b, short: str, external_id: str, var: str, source: str = "profile:default"):
    tab = panel._assume
    panel._tabs.selected_index = 2
    tab.arn.value = b2b.roles[short]
    tab.external_id.value = external_id
    tab.source.value = source
    tab.role_session.value = "panel-user"
    tab.duration.value = "30m"
    panel._var.value = var


def test_tab_lists_sessions_and_profiles(panel, ip, b2b):
    assert list(panel._tabs.titles) == ["Profile", "Temporary keys", "Assume role"]
    values = [value for _label, value in panel._assume.source.options]
    assert values[0] == "current:" and "profile:default" in values
    ok(ip, "%aws_use default --var base")
    labels = [label for label, _value in panel._assume.source.options]
    assert "session base — profile default" in labels  # follows the state


def test_apply_assumes_with_the_external_id_then_clears_it(panel, ip, b2b):
    fill(panel, b2b, "a", b2b.external_ids["a"], "s_a")
    panel._apply.click()
    assert "aws-message-error" not in panel._message.value, panel._message.value
    assert panel._assume.external_id.value == ""
    assert b2b.external_ids["a"] not in saved_state(panel)
    panel.controller.check_thread.join(10)
    assert "s_a = role customer-a-" in panel._status.value, panel._status.value
    assert "assumed-role/customer-a-" in panel._status.value
    assert "/panel-user" in panel._status.value
    session = ip.user_ns["s_a"]
    session.client("s3").put_object(Bucket=b2b.buckets["a"], Key="p.csv", Body=b"1")
    # The new session is a source now: chain from it.
    assert "var:s_a" in [value for _label, value in panel._assume.source.options]


def test_wrong_external_id_shows_access_denied_and_changes_nothing(panel, ip, b2b):
    fill(panel, b2b, "b", "not-the-right-one", "s_b")
    panel._apply.click()
    assert "AccessDenied" in panel._message.value and "external ID" in panel._message.value
    assert "s_b" not in ip.user_ns
    assert panel._assume.external_id.value == ""
    assert "not-the-right-one" not in saved_state(panel)


def test_bad_input_is_one_line_before_any_call(panel, ip, b2b):
    fill(panel, b2b, "a", "x", "s_a")  # an external ID of one character
    panel._apply.click()
    assert "The external ID (1 characters) is not valid" in panel._message.value
    panel._assume.arn.value = ""
    panel._apply.click()
    assert "Type the role ARN first" in panel._message.value


def test_export_checkbox_is_the_setting(panel, ip, b2b):
    assert panel._export.widget.value is False
    ok(ip, "%aws_use default")
    panel._export.widget.value = True
    assert os.environ.get("AWS_PROFILE") == "default"
    ok(ip, "%config AwsCredMagics.export_env = False")
    assert panel._export.widget.value is False and "AWS_PROFILE" not in os.environ
    ok(ip, "%config AwsCredMagics.export_env = True")
    assert panel._export.widget.value is True

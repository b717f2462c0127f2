"""The panel's Refresh over many profiles: no file is parsed again while it is unchanged, no
per-profile work is redone, and an edit still shows at once (the parse cache decides).

These count calls instead of timing them; ``scripts/benchmark.py`` (section A, "panel
refresh") has the figures. A real IPython shell, real widgets and real botocore parsing.
"""

from __future__ import annotations

import botocore.configloader
import pytest

import aws_cred_magic.widget

from .conftest import shell_with_extension

COUNT = 300  # profiles: default, team-001 … team-299
KEY = "AKIAREFRESHTEST00001"
SECRET = "refreshSecretREFRESHsecretRefresh0000001"


def team(i: int) -> str:
    return "default" if i == 0 else f"team-{i:03d}"


def write_world(aws, region_of_050: str = "eu-west-1", more_of_050: str = "") -> None:
    """``COUNT`` static-keys profiles, each with a region; team-050 may differ."""
    config, credentials = [], []
    for i in range(COUNT):
        name = team(i)
        header = "[default]" if i == 0 else f"[profile {name}]"
        region = region_of_050 if i == 50 else "eu-west-1"
        config.append(f"{header}\nregion = {region}\n" + (more_of_050 if i == 50 else ""))
        if not (i == 50 and more_of_050):
            keys = f"aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
            credentials.append(f"[{name}]\n{keys}")
    aws.write_config("\n".join(config))
    aws.write_credentials("\n".join(credentials))


@pytest.fixture
def shell(aws):
    write_world(aws)
    yield from shell_with_extension()


@pytest.fixture
def calls(monkeypatch):
    """How often botocore really parses a file, and how often the panel classifies a
    profile (once per profile each time it builds its entries)."""
    counts = {"parse": 0, "classify": 0, "show_for": []}
    parse = botocore.configloader.raw_config_parse
    classify = aws_cred_magic.widget.classify_profile

    def counted_parse(*args, **kwargs):
        counts["parse"] += 1
        return parse(*args, **kwargs)

    def counted_classify(settings):
        counts["classify"] += 1
        return classify(settings)

    monkeypatch.setattr(botocore.configloader, "raw_config_parse", counted_parse)
    monkeypatch.setattr(aws_cred_magic.widget, "classify_profile", counted_classify)
    return counts


def make_panel(shell):
    from aws_cred_magic.widget import CredentialPanel

    state = shell.magics_manager.registry["AwsCredMagics"].state
    panel = CredentialPanel(state)
    return panel


def count_show_for(panel, calls) -> None:
    show_for = panel._sso.show_for

    def counted(profile):
        calls["show_for"].append(profile)
        return show_for(profile)

    panel._sso.show_for = counted


def reset(calls) -> None:
    calls.update(parse=0, classify=0, show_for=[])


def test_refresh_of_unchanged_files_parses_nothing_and_rebuilds_nothing(shell, aws, calls):
    panel = make_panel(shell)
    try:
        count_show_for(panel, calls)
        options, sources = panel._profile.options, panel._assume.source.options
        assert len(options) == COUNT and options[0] == ("default  (static keys)", "default")
        panel._refresh.click()
        reset(calls)
        for _ in range(3):
            panel._refresh.click()
            assert f"{COUNT} profiles loaded" in panel._message.value
        # Not one parse (the SSO row used to parse both files itself on every refresh),
        # no entry rebuilt, the dropdowns' options left as they were.
        assert calls == {"parse": 0, "classify": 0, "show_for": ["default"] * 3}
        assert panel._profile.options is options and panel._assume.source.options is sources
        assert panel._profile.value == "default"

        # An edit shows at the next refresh: the edited file parsed once, every profile
        # classified once, the new one listed in both dropdowns.
        with aws.config.open("a") as config:
            config.write("\n[profile zz-new]\nregion = ap-south-1\nmfa_serial = x\n")
        panel._refresh.click()
        assert calls["parse"] == 1 and calls["classify"] == COUNT + 1
        assert panel._profile.options[-1] == ("zz-new  (region-only)", "zz-new")
        assert panel._assume.source.options[-1] == ("profile zz-new", "profile:zz-new")
        assert f"{COUNT + 1} profiles loaded" in panel._message.value
        assert panel._profile.value == "default"
    finally:
        panel.close()


def test_an_edit_that_keeps_the_list_still_shows_at_once(shell, aws, calls):
    """Same names and kinds, so the dropdown's options stay: the region (and the SSO row,
    the MFA field) still follow what the file now says."""
    aws.setenv("AWS_PROFILE", "team-050")
    panel = make_panel(shell)
    try:
        assert panel._profile.value == "team-050" and panel._region.value == "eu-west-1"
        options = panel._profile.options
        write_world(aws, region_of_050="sa-east-1")
        panel._refresh.click()
        assert panel._region.value == "sa-east-1"
        assert panel.controller.entry("team-050").region == "sa-east-1"
        assert panel._profile.options is options  # equal, so not sent again

        # The selected profile becomes an IAM Identity Center profile: its row shows.
        assert panel._sso.widget.layout.display == "none"
        write_world(
            aws,
            region_of_050="sa-east-1",
            more_of_050="sso_session = corp\nsso_account_id = 111122223333\n"
            "sso_role_name = Reader\n\n[sso-session corp]\n"
            "sso_start_url = https://corp-refresh.awsapps.com/start\nsso_region = eu-west-1\n",
        )
        panel._refresh.click()
        assert ("team-050  (sso)", "team-050") in panel._profile.options
        assert panel._sso.widget.layout.display == "flex"
        assert "sso-session corp" in panel._sso._status.value
        assert "no login" in panel._sso._status.value
    finally:
        panel.close()


def test_refresh_follows_the_kept_profile_once(shell, aws, calls):
    """New options make the dropdown select their first profile on the way; the profile's
    region, MFA field and SSO row follow only the profile the panel keeps selected."""
    aws.setenv("AWS_PROFILE", "team-050")
    panel = make_panel(shell)
    try:
        count_show_for(panel, calls)
        with aws.config.open("a") as config:
            config.write("\n[profile aaa-first]\nregion = us-west-1\n")
        panel._refresh.click()
        assert panel._profile.options[1] == ("aaa-first  (region-only)", "aaa-first")
        assert calls["show_for"] == ["team-050"]
        assert panel._profile.value == "team-050" and panel._region.value == "eu-west-1"
        # A profile picked by hand follows as before: once, for that profile.
        reset(calls)
        panel._profile.value = "aaa-first"
        assert calls["show_for"] == ["aaa-first"] and panel._region.value == "us-west-1"
    finally:
        panel.close()

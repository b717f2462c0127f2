from aws_cred_magic.masking import NOT_A_KEY_ID, Secret, mask_access_key, one_line, scrub

from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN


def test_access_key_shows_sixteen_stars_and_last_four():
    assert mask_access_key(CANARY_KEY_ID) == "*" * 16 + CANARY_KEY_ID[-4:]
    assert len(mask_access_key(CANARY_KEY_ID)) == 20


def test_short_or_missing_values_reveal_nothing():
    assert mask_access_key(None) == ""
    assert mask_access_key("") == ""
    assert mask_access_key("abcd1234") == NOT_A_KEY_ID


def test_only_key_id_shaped_values_show_a_tail():
    # Key id and secret swapped in a credentials file: the secret shows nothing.
    assert mask_access_key(CANARY_SECRET) == NOT_A_KEY_ID
    assert mask_access_key(CANARY_TOKEN) == NOT_A_KEY_ID
    assert mask_access_key("akiatestcanary000001") == NOT_A_KEY_ID
    assert mask_access_key("AKIATESTCANARY00001") == NOT_A_KEY_ID  # 19 characters
    assert mask_access_key("XKIATESTCANARY000001") == NOT_A_KEY_ID
    for prefix in ("AKIA", "ASIA", "AROA", "AIDA"):
        key = prefix + "TESTCANARY00WXYZ"
        assert mask_access_key(key) == "*" * 16 + "WXYZ"


def test_a_secret_repr_hides_it_but_it_stays_a_str():
    secret = Secret(CANARY_SECRET)
    assert repr(secret) == "<secret>" and repr([secret]) == "[<secret>]"
    assert secret == CANARY_SECRET and isinstance(secret, str) and f"{secret}" == CANARY_SECRET
    assert Secret.wrap(None) is None and Secret.wrap("") == ""


def test_scrub_removes_known_and_secret_shaped_values():
    text = f"key={CANARY_KEY_ID} secret={CANARY_SECRET} token={CANARY_TOKEN} arn:aws:iam::1:role/x"
    cleaned = scrub(text)
    assert CANARY_SECRET not in cleaned and CANARY_TOKEN not in cleaned
    assert CANARY_KEY_ID not in cleaned and mask_access_key(CANARY_KEY_ID) in cleaned
    assert "arn:aws:iam::1:role/x" in cleaned
    assert "hunter2" not in scrub("password hunter2 here", secrets=["hunter2"])


def test_one_line_folds_and_limits():
    assert one_line("a\nb\n  c") == "a b c"
    assert len(one_line("x " * 500, limit=50)) == 50

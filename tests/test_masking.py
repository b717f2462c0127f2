from aws_cred_magic.masking import MASK, mask_access_key, one_line, scrub

from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN


def test_access_key_shows_sixteen_stars_and_last_four():
    assert mask_access_key(CANARY_KEY_ID) == "*" * 16 + CANARY_KEY_ID[-4:]
    assert len(mask_access_key(CANARY_KEY_ID)) == 20


def test_short_or_missing_values_reveal_nothing():
    assert mask_access_key(None) == ""
    assert mask_access_key("") == ""
    assert mask_access_key("abcd1234") == MASK


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

"""The demo's sandbox directory: restarting the demo never deletes a user's notebooks."""

from __future__ import annotations

from aws_cred_magic.demo import prepare_sandbox_dir


def test_restart_keeps_edited_notebooks_and_copies_only_missing_ones(tmp_path, capsys):
    source = tmp_path / "repo-notebooks"
    source.mkdir()
    (source / "quickstart.ipynb").write_text('{"original": 1}')
    (source / "several_identities.ipynb").write_text('{"original": 2}')
    root = tmp_path / ".sandbox"

    notebooks = prepare_sandbox_dir(root, source)
    assert sorted(p.name for p in notebooks.iterdir()) == [
        "quickstart.ipynb",
        "several_identities.ipynb",
    ]
    # The user edits one, deletes the other, adds their own; the sandbox has other files.
    (notebooks / "quickstart.ipynb").write_text('{"edited": true}')
    (notebooks / "several_identities.ipynb").unlink()
    (notebooks / "mine.ipynb").write_text('{"mine": true}')
    (root / "home" / ".aws").mkdir(parents=True)
    (root / "home" / ".aws" / "config").write_text("[default]\n")
    (root / "portal-keys.txt").write_text("old keys")

    notebooks = prepare_sandbox_dir(root, source)
    assert (notebooks / "quickstart.ipynb").read_text() == '{"edited": true}'
    assert (notebooks / "several_identities.ipynb").read_text() == '{"original": 2}'
    assert (notebooks / "mine.ipynb").read_text() == '{"mine": true}'
    assert sorted(p.name for p in root.iterdir()) == ["notebooks"]  # the rest is rebuilt
    assert "Kept your notebooks as they are: quickstart.ipynb" in capsys.readouterr().out

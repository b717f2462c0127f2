"""DataFrames that display well: filter them like any DataFrame, see them styled in Jupyter.

Each class keeps every column of its data and only changes how it shows: a verdict line
(``attrs['summary']``), the columns that answer, theme-aware HTML, and terminal text that
fits the terminal. A frame whose columns were changed by the user shows them all, still
without ``NaN``. Imported only when a table is shown (it imports pandas).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from . import render


class _StyledFrame(pd.DataFrame):
    """A DataFrame with a caption (``attrs['summary']``) and row styles in its HTML."""

    _row_style: Callable[[dict[str, Any]], str] | None = None
    _display_columns: tuple[str, ...] = ()  # the columns that answer, in this order
    _wide_columns: tuple[str, ...] = ()  # free text: wraps in HTML, is cut in a terminal
    _full_row: str = ""  # a column whose text, when set, spans the row (a failed row's error)
    _empty: str = "(no rows)"  # what an empty table says instead of "Empty DataFrame"
    _narrow_drop: tuple[str, ...] = ()  # left out of terminal text narrower than this:
    _narrow_below: int = 0

    @property
    def _constructor(self):
        return type(self)

    def _columns_shown(self) -> list[str]:
        if self._display_columns and all(c in self.columns for c in self._display_columns):
            return list(self._display_columns)
        return [str(c) for c in self.columns]

    def _styled(self) -> bool:
        return bool(self._display_columns) and all(c in self.columns for c in self._display_columns)

    def _records(self) -> list[dict[str, Any]]:
        """The rows as shown: temporary keys without a known expiry say so."""
        records = self.to_dict("records")
        for record in records:
            if record.get("temporary") is True and render.is_blank(record.get("expires")):
                record["expires"] = "temporary, expiry unknown"
        return records

    def _repr_html_(self) -> str:
        summary = self.attrs.get("summary", "")
        if self.empty:
            return render.html_note(summary, self._empty)
        styled = self._styled()
        return render.html_table(
            self,
            caption=summary,
            row_style=type(self)._row_style if styled else None,
            columns=self._columns_shown(),
            wide=self._wide_columns,
            full_row=self._full_row if styled and self._full_row in self.columns else "",
            records=self._records(),
        )

    def __repr__(self) -> str:
        width = render.terminal_width()
        summary = self.attrs.get("summary")
        head = [render.wrap(summary, width)] if summary else []
        if self.empty:
            return "\n".join(head + [self._empty])
        columns = self._columns_shown()
        if width < self._narrow_below:
            columns = [c for c in columns if c not in self._narrow_drop] or columns
        flex = [c for c in self._wide_columns if c in columns] or columns[-1:]
        styled = self._styled()
        body = render.text_table(
            self._records(),
            columns,
            width=width,
            flex=flex,
            full_row=self._full_row if styled and self._full_row in self.columns else "",
        )
        return "\n".join(head + [body])

    def __str__(self) -> str:
        return self.__repr__()


class ChainFrame(_StyledFrame):
    """The resolution table: a verdict line, the rows that matter (winner green, shadowed
    amber, errors red), and the "not configured" ones folded."""

    _row_style = staticmethod(render.status_style)
    _display_columns = ("order", "method", "provider", "status", "access_key", "location", "detail")
    _wide_columns = ("detail", "location")

    def _repr_html_(self) -> str:
        if self._styled() and not self.empty:
            return render.chain_html(self)
        return super()._repr_html_()

    def __repr__(self) -> str:
        if self._styled() and not self.empty:
            return render.chain_text(self)
        return super().__repr__()


class ProfilesFrame(_StyledFrame):
    """The profile catalogue, the current default profile highlighted."""

    _row_style = staticmethod(render.current_style)
    _display_columns = ("profile", "kind", "region", "detail", "source", "current")
    _wide_columns = ("detail", "source")
    _empty = "No profiles: the AWS config and credentials files define none."
    _narrow_drop = ("source",)
    _narrow_below = 110


class SessionsFrame(_StyledFrame):
    """The named sessions of this kernel, the current one highlighted."""

    _row_style = staticmethod(render.current_style)
    # lineage is the origin, followed for a role by what it was assumed with (← s_a ← …)
    _display_columns = ("name", "lineage", "method", "access_key", "region", "expires", "current")
    _wide_columns = ("lineage", "expires")
    _empty = "No named sessions yet: create one with %aws_use or %aws_keys."


class IdentitiesFrame(_StyledFrame):
    """One identity per profile or session; a failed row shows its error across the row."""

    _row_style = staticmethod(render.error_style)
    _wide_columns = ("arn",)
    _full_row = "error"
    _narrow_drop = ("method", "expires")
    _narrow_below = 150

    def _columns_shown(self) -> list[str]:
        first = str(self.columns[0]) if len(self.columns) else ""
        lineage = ["lineage"] if "lineage" in self.columns else []  # --sessions
        wanted = [first, *lineage, "account", "arn", "method", "access_key", "region", "expires"]
        if all(c in self.columns for c in wanted[1:]) and "error" in self.columns:
            return wanted
        return [str(c) for c in self.columns]

    def _styled(self) -> bool:
        return "error" in self.columns and "arn" in self.columns

    def _repr_html_(self) -> str:
        columns = self._columns_shown()
        if self.empty or not self._styled() or "account" not in columns[1:3]:
            return super()._repr_html_()  # columns the user changed: the plain table
        return render.identities_html(self._records(), columns[0], self.attrs.get("summary", ""))


def profiles_summary(frame: pd.DataFrame) -> str:
    """``10 profiles in <config> and <credentials>; default: default``."""
    return (
        f"{render.plural(len(frame), 'profile')} in {frame.attrs['config_file']} and "
        f"{frame.attrs['credentials_file']}; default: {frame.attrs['current_profile']}"
    )


# A cheap test for what ``masking.scrub`` could change: 16 key/secret characters in a row
# (key ids, secrets, tokens, percent-encoded too), a JWT, a signed query parameter.
_MAYBE_SECRET = re.compile(r"[A-Za-z0-9/+=%]{16}|eyJ|(?:ignature|IGNATURE|oken|OKEN)=")


def _scrubbed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that could hold a secret passed through ``scrub``:
    a secret typed into ``region`` or a command line is never shown, in any display."""
    from .masking import scrub

    def clean(value: Any) -> Any:
        # Only text that could hold a key id, a secret, a token or a signed parameter is
        # scrubbed: one search is far cheaper than scrub's five (50,000-row tables).
        if isinstance(value, str) and len(value) >= 12 and _MAYBE_SECRET.search(value):
            return scrub(value)
        return value

    columns = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)
    ]
    if not columns:
        return frame
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].map(clean)
    return frame


class AccountsFrame(_StyledFrame):
    """The accounts and roles an IAM Identity Center sign-in may use."""

    _text_columns = ("account_id", "account_name", "role_name")


def styled(frame: pd.DataFrame, cls: type[_StyledFrame], summary: str = "") -> _StyledFrame:
    """``frame`` as ``cls`` (same data, same attrs) with ``summary`` as its verdict line.
    Text cells that could hold a secret are scrubbed first."""
    from .masking import scrub

    result = cls(_scrubbed(frame))
    # The verdict line is built from attrs (profile, region…): a secret typed into a
    # profile's region must not show there either.
    result.attrs.update(
        {k: scrub(v) if isinstance(v, str) and len(v) >= 12 else v for k, v in frame.attrs.items()}
    )
    if summary:
        result.attrs["summary"] = scrub(summary)
    return result

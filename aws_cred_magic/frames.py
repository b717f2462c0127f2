"""DataFrames that display well: filter them like any DataFrame, see them styled in Jupyter.

Imported only when a table is shown (it imports pandas).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from . import render


class _StyledFrame(pd.DataFrame):
    """A DataFrame with a caption (``attrs['summary']``) and row styles in its HTML."""

    _row_style: Callable[[dict[str, Any]], str] | None = None
    _required_column: str = ""

    @property
    def _constructor(self):
        return type(self)

    def _repr_html_(self) -> str:
        if self._required_column and self._required_column not in self.columns:
            return super()._repr_html_()
        return render.html_table(
            self, caption=self.attrs.get("summary", ""), row_style=type(self)._row_style
        )

    _text_columns: tuple[str, ...] = ()  # a terminal is narrow: the columns that matter

    def __repr__(self) -> str:
        summary = self.attrs.get("summary")
        shown: pd.DataFrame = self
        if self._text_columns and all(c in self.columns for c in self._text_columns):
            first = [self.columns[0]] if self.columns[0] not in self._text_columns else []
            shown = pd.DataFrame(self[first + list(self._text_columns)])
        with pd.option_context(
            "display.max_columns", None, "display.width", 250, "display.max_colwidth", 90
        ):
            body = pd.DataFrame.__repr__(shown)
        return f"{summary}\n{body}" if summary else body


class ChainFrame(_StyledFrame):
    """The resolution table: the winner green, shadowed amber, errors red."""

    _row_style = staticmethod(render.status_style)
    _required_column = "status"
    _text_columns = ("order", "method", "status", "access_key", "location", "detail")


class ProfilesFrame(_StyledFrame):
    """The profile catalogue, the current default profile highlighted."""

    _row_style = staticmethod(render.current_style)
    _required_column = "current"


class IdentitiesFrame(_StyledFrame):
    """One identity per profile or session; failed rows red."""

    _row_style = staticmethod(render.error_style)
    _required_column = "error"
    _text_columns = ("account", "arn", "method", "access_key", "region", "error")


def styled(frame: pd.DataFrame, cls: type[_StyledFrame], summary: str = "") -> _StyledFrame:
    result = cls(frame)
    result.attrs.update(frame.attrs)
    if summary:
        result.attrs["summary"] = summary
    return result

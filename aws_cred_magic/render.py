"""Render: text for terminal IPython, HTML for Jupyter. Inputs hold masked values only.

Plain HTML is written here (escaped), so display needs neither jinja2 nor custom JavaScript.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

# Row colours by status in the resolution table: the winner stands out, problems are visible.
STATUS_STYLES = {
    "winner": "background:#d9f2d9;font-weight:600",
    "shadowed": "background:#fff4d6",
    "error": "background:#fbdada;color:#8a1010",
    "removed": "color:#777;text-decoration:line-through",
    "not reached": "color:#999",
    "unknown": "background:#eef2ff",
    "not configured": "color:#666",
}

_BOX = (
    "border:1px solid #ccd;border-radius:6px;padding:6px 10px;display:inline-block;"
    "font-family:var(--jp-ui-font-family, sans-serif);font-size:13px"
)


def text_block(title: str, fields: Sequence[tuple[str, str]]) -> str:
    """``title`` then aligned ``label: value`` lines."""
    width = max((len(label) for label, _ in fields), default=0)
    lines = [title] + [f"  {label.ljust(width)}  {value}" for label, value in fields]
    return "\n".join(lines)


def html_block(title: str, fields: Sequence[tuple[str, str]], error: bool = False) -> str:
    """A small two-column card."""
    border = "#d33" if error else "#ccd"
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:12px'>{html.escape(label)}</th>"
        f"<td style='text-align:left'>{html.escape(str(value))}</td></tr>"
        for label, value in fields
    )
    return (
        f"<div style='{_BOX};border-color:{border}'><b>{html.escape(title)}</b>"
        f"<table style='border-collapse:collapse'>{rows}</table></div>"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    try:  # NaN / NaT / pd.NA read as blank, not as "nan"
        if value != value:
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, bool):
        return "✔" if value else ""
    return html.escape(str(value))


def html_table(
    frame: Any,
    *,
    caption: str = "",
    row_style: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    """An HTML table of a DataFrame, each row styled by ``row_style(record)``."""
    head = "".join(
        f"<th style='text-align:left;padding:2px 8px'>{html.escape(str(c))}</th>"
        for c in frame.columns
    )
    body = []
    for record in frame.to_dict("records"):
        style = row_style(record) if row_style else ""
        cells = "".join(
            f"<td style='text-align:left;padding:2px 8px;vertical-align:top'>{_cell(v)}</td>"
            for v in record.values()
        )
        body.append(f"<tr style='{style}'>{cells}</tr>")
    cap = (
        f"<caption style='text-align:left;caption-side:top;padding:4px 0'>"
        f"{html.escape(caption)}</caption>"
        if caption
        else ""
    )
    return (
        f"<table class='aws-cred-magic' style='border-collapse:collapse;font-size:12px'>"
        f"{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def status_style(record: dict[str, Any]) -> str:
    return STATUS_STYLES.get(str(record.get("status")), "")


def current_style(record: dict[str, Any]) -> str:
    return "background:#d9f2d9;font-weight:600" if record.get("current") is True else ""


def error_style(record: dict[str, Any]) -> str:
    error = record.get("error")
    return "background:#fbdada" if isinstance(error, str) and error else ""

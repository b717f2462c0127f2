"""Render: text for terminal IPython, HTML for Jupyter. Inputs hold masked values only.

Every display leads with the answer (a verdict line), then the evidence in a compact table;
what is rarely needed folds into an HTML ``<details>`` (no JavaScript). The DataFrames keep
every column: only what is shown changes.

HTML is written here (escaped) rather than with pandas' ``Styler``, which needs jinja2, a
package a kernel-only environment may not have; the row elision follows pandas'
``display.max_rows`` / ``display.min_rows`` as ``Styler`` and ``to_html`` do. Colours are
JupyterLab's theme variables with fallbacks, and a row that sets a background sets the text
colour with it, so light and dark themes both read.

Terminal text fits the terminal (``shutil.get_terminal_size()``): the widest free-text
column is cut with ``…``, an empty cell is blank, never ``NaN``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
from collections.abc import Callable, Sequence
from typing import Any

# ---------------------------------------------------------------------------- theme
TEXT = "var(--jp-content-font-color1, inherit)"
MUTED = "var(--jp-content-font-color2, inherit);opacity:.85"
FONT = "font-family:var(--jp-ui-font-family, sans-serif);font-size:var(--jp-ui-font-size1, 13px)"
BORDER = "var(--jp-border-color2, rgba(128,128,128,.35))"
# Backgrounds are translucent tints: over a white page or a black one the theme's own text
# colour (set with them) keeps its contrast. Errors use JupyterLab's error background.
ROW_STYLES = {
    "winner": (
        "background:rgba(76,175,80,.2);color:var(--jp-content-font-color0, inherit);"
        "font-weight:600;box-shadow:inset 4px 0 0 var(--jp-success-color1, #388e3c)"
    ),
    "shadowed": (
        f"background:rgba(255,152,0,.16);color:{TEXT};"
        "box-shadow:inset 4px 0 0 var(--jp-warn-color1, #f57c00)"
    ),
    "error": (
        f"background:var(--jp-rendermime-error-background, rgba(244,67,54,.2));color:{TEXT};"
        "box-shadow:inset 4px 0 0 var(--jp-error-color1, #d32f2f)"
    ),
    "unknown": (
        f"background:rgba(0,188,212,.14);color:{TEXT};"
        "box-shadow:inset 4px 0 0 var(--jp-info-color1, #0097a7)"
    ),
    "removed": f"color:{MUTED};text-decoration:line-through",
    "not reached": f"color:{MUTED}",
    "not configured": f"color:{MUTED}",
}
# Kept for callers of the old name.
STATUS_STYLES = ROW_STYLES

_CELL = "text-align:left;padding:3px 8px;vertical-align:top;white-space:normal"
_WRAP = "overflow-wrap:anywhere;word-break:break-word"
_TABLE = (
    f"border-collapse:collapse;{FONT};color:{TEXT};background:transparent;"
    "margin:4px 0;table-layout:auto;width:auto;max-width:100%"
)
_BOX = (
    f"border:1px solid {BORDER};border-radius:6px;padding:6px 10px;display:inline-block;"
    f"max-width:100%;box-sizing:border-box;{FONT};color:{TEXT}"
)


# ---------------------------------------------------------------------------- values
def shorten_home(text: str, home: str | None = None) -> str:
    """``/home/me/.aws/config`` -> ``~/.aws/config``: HOME is long and says nothing."""
    home = home if home is not None else os.environ.get("HOME", "")
    home = home.rstrip("/")
    if not home or home == "/" or not text:
        return text
    return text.replace(home + "/", "~/").replace(f"{home}]", "~]")


def is_blank(value: Any) -> bool:
    """None, NaN, NaT, pd.NA and "" are all blank."""
    if value is None:
        return True
    try:  # NaN / NaT / pd.NA are not equal to themselves
        if value != value:
            return True
    except (TypeError, ValueError):
        pass
    if value is _pd_na():
        return True
    return isinstance(value, str) and not value


def _pd_na() -> Any:
    import sys

    pandas = sys.modules.get("pandas")
    return getattr(pandas, "NA", None) if pandas is not None else None


def plain(value: Any) -> str:
    """A cell as text: blank for missing values, ``✔`` for True, dates in UTC, ``~``."""
    if is_blank(value):
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "✔" if value else ""
    if hasattr(value, "strftime"):
        from .model import format_expiry

        return format_expiry(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value)
    return shorten_home(" ".join(str(value).split()))


def _cell(value: Any) -> str:
    return html.escape(plain(value))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 named session``, ``2 named sessions``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def terminal_width(default: int = 100) -> int:
    """Columns of the terminal the text goes to (COLUMNS wins, as in pandas)."""
    return max(40, shutil.get_terminal_size((default, 24)).columns)


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ``…`` where it was cut."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""


def elide(records: list[Any]) -> tuple[list[Any], int, list[Any]]:
    """Head, number skipped and tail, following pandas' ``display.max_rows`` and
    ``display.min_rows`` (60 and 10 by default): a long table shows its ends."""
    max_rows, min_rows = 60, 10
    try:
        import pandas as pd

        max_rows = pd.get_option("display.max_rows")
        min_rows = pd.get_option("display.min_rows") or max_rows
    except ImportError:  # pragma: no cover - the frames import pandas anyway
        pass
    if max_rows is None or len(records) <= max_rows:
        return records, 0, []
    shown = min(min_rows, max_rows) if min_rows else max_rows
    head = (shown + 1) // 2
    tail = shown // 2
    return records[:head], len(records) - head - tail, records[len(records) - tail :]


# ---------------------------------------------------------------------------- text
def text_block(title: str, fields: Sequence[tuple[str, str]], width: int | None = None) -> str:
    """``title`` then aligned ``label: value`` lines, each cut to the terminal width."""
    width = width or terminal_width()
    label_width = max((len(label) for label, _ in fields), default=0)
    lines = [cut(title, width)]
    for label, value in fields:
        lines.append(cut(f"  {label.ljust(label_width)}  {plain(value)}", width))
    return "\n".join(lines)


# Cut, these would mislead (a masked key without its last four, half an account id).
KEEP_WHOLE = frozenset({"access_key", "account", "order", "#"})


def _fit_widths(
    natural: dict[str, int], columns: Sequence[str], flex: Sequence[str], budget: int
) -> dict[str, int]:
    """Column widths within ``budget``: fixed columns keep theirs (the widest shrink first,
    if they must), the ``flex`` columns share what is left by their natural widths."""
    widths = dict(natural)
    fixed = [c for c in columns if c not in flex]
    # Free text is what explains: it keeps at least 40% of the width when it needs it.
    floor = max(8, budget * 2 // 5 // max(len(flex), 1))
    flex_need = sum(min(natural[c], floor) for c in flex)
    for column in sorted((c for c in fixed if c not in KEEP_WHOLE), key=lambda c: -natural[c]):
        excess = sum(widths[c] for c in fixed) + flex_need - budget
        if excess <= 0:
            break
        widths[column] = max(4, widths[column] - excess)
    room = budget - sum(widths[c] for c in fixed)
    wanted = sum(natural[c] for c in flex)
    if flex and wanted > room:
        for column in flex:
            share = max(min(natural[column], floor), room * natural[column] // max(wanted, 1))
            widths[column] = min(natural[column], share)
        spare = room - sum(widths[c] for c in flex)
        for column in flex:  # rounding leftovers go to the first that can use them
            extra = min(spare, natural[column] - widths[column])
            widths[column] += max(0, extra)
            spare -= max(0, extra)
    return widths


def _wrapped(text: str, width: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width``, the last cut with ``…``."""
    import textwrap

    if len(text) <= width:
        return [text]
    parts = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    if len(parts) > lines:
        parts = parts[: lines - 1] + [cut(" ".join(parts[lines - 1 :]), width)]
    return parts or [""]


def _wrapped_arn(text: str, width: int, lines: int) -> list[str]:
    """An ARN in at most ``lines`` lines of ``width``, broken after ``:`` or ``/`` (a piece
    longer than a line is cut where it must); the last line cut with ``…``."""
    if len(text) <= width:
        return [text]
    out = [""]
    for piece in re.split(r"(?<=[:/])", text):
        while piece:
            if len(out[-1]) + len(piece) <= width:
                out[-1] += piece
                piece = ""
            elif out[-1]:
                out.append("")
            else:  # longer than a whole line
                out[-1], piece = piece[:width], piece[width:]
                out.append("")
    out = [line for line in out if line]
    if len(out) > lines:
        out = out[: lines - 1] + [cut("".join(out[lines - 1 :]), width)]
    return out


def text_table(
    records: list[dict[str, Any]],
    columns: Sequence[str],
    *,
    width: int | None = None,
    flex: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    full_row: str = "",
    max_lines: int = 3,
) -> str:
    """A plain table that fits ``width``: the ``flex`` columns (free text) share the room
    the others leave and wrap onto up to ``max_lines`` lines, cut with ``…``. A record whose
    ``full_row`` key holds text shows that text after its first column instead of the other
    cells (a failed row's error). Rows beyond ``display.max_rows`` are elided."""
    width = width or terminal_width()
    headers = headers or {}
    flex = [c for c in flex if c in columns]
    head, skipped, tail = elide(records)
    shown = head + tail
    spans = [full_row and not is_blank(r.get(full_row)) for r in shown]
    cells = [{c: plain(r.get(c)) for c in columns} for r in shown]
    natural = {
        c: max(
            [len(headers.get(c, c))]
            + [
                len(row[c])
                for row, span in zip(cells, spans, strict=False)
                if not span or c == columns[0]
            ]
        )
        for c in columns
    }
    widths = _fit_widths(natural, columns, flex, width - 2 * (len(columns) - 1))

    def block(values: dict[str, str]) -> list[str]:
        stacks = {
            c: (_wrapped_arn if c == "arn" else _wrapped)(values[c], widths[c], max_lines)
            if c in flex
            else [cut(values[c], widths[c])]
            for c in columns
        }
        height = max(len(stack) for stack in stacks.values())
        out = []
        for index in range(height):
            parts = [
                (stacks[c][index] if index < len(stacks[c]) else "").ljust(widths[c])
                for c in columns
            ]
            out.append(cut("  ".join(parts).rstrip(), width))
        return out

    lines = block({c: headers.get(c, c) for c in columns})
    for index, (record, row, span) in enumerate(zip(shown, cells, spans, strict=False)):
        if skipped and index == len(head):
            lines.append(cut(f"… {plural(skipped, 'more row')} …", width))
        if span:
            first = cut(row[columns[0]], widths[columns[0]]).ljust(widths[columns[0]])
            rest = _wrapped(plain(record[full_row]), max(8, width - len(first) - 2), max_lines)
            lines.append(f"{first}  {rest[0]}")
            lines.extend(" " * (len(first) + 2) + more for more in rest[1:])
        else:
            lines.extend(block(row))
    return "\n".join(lines)


def wrap(text: str, width: int | None = None) -> str:
    """A long verdict line wrapped to the terminal, continuation lines indented."""
    import textwrap

    return "\n".join(
        textwrap.wrap(
            shorten_home(text),
            width or terminal_width(),
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    )


# ---------------------------------------------------------------------------- html
def html_block(title: str, fields: Sequence[tuple[str, str]], error: bool = False) -> str:
    """A small two-column card."""
    border = "var(--jp-error-color1, #d32f2f)" if error else BORDER
    rows = "".join(
        f"<tr style='background:transparent'><th style='{_CELL};padding-left:0'>"
        f"{html.escape(label)}</th>"
        + (
            f"<td style='{_CELL};overflow-wrap:break-word'>{arn_html(plain(value))}</td></tr>"
            if plain(value).startswith("arn:")
            else f"<td style='{_CELL};{_WRAP}'>{_cell(value)}</td></tr>"
        )
        for label, value in fields
    )
    return (
        f"<div class='aws-cred-magic aws-card' style='{_BOX};border-color:{border}'>"
        f"<b>{html.escape(title)}</b>"
        f"<table style='{_TABLE}'>{rows}</table></div>"
    )


def html_note(*lines: str) -> str:
    """A few lines of text in the displays' font and theme colours (an empty table)."""
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines if line)
    return f"<div class='aws-cred-magic aws-note' style='{FONT};color:{TEXT}'>{body}</div>"


def _header(columns: Sequence[str], headers: dict[str, str] | None = None) -> str:
    headers = headers or {}
    return "".join(
        f"<th style='{_CELL};border-bottom:1px solid {BORDER}'>"
        f"{html.escape(headers.get(c, c))}</th>"
        for c in columns
    )


def _elision_row(skipped: int, span: int) -> str:
    return (
        f"<tr class='aws-elided' style='background:transparent'><td colspan='{span}' "
        f"style='{_CELL};color:{MUTED}'>… {plural(skipped, 'more row')} "
        "(pandas' display.max_rows; the DataFrame has them all) …</td></tr>"
    )


def _caption_html(caption: str | None) -> str:
    """The one-line verdict above a table (``~`` for the home directory), or nothing."""
    if not caption:
        return ""
    return (
        f"<div class='aws-verdict' style='padding:2px 0 4px;{_WRAP}'>"
        f"{html.escape(shorten_home(caption))}</div>"
    )


def html_table(
    frame: Any,
    *,
    caption: str = "",
    row_style: Callable[[dict[str, Any]], str] | None = None,
    columns: Sequence[str] | None = None,
    wide: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    full_row: str = "",
    css_class: str = "",
    records: list[dict[str, Any]] | None = None,
) -> str:
    """A table of a DataFrame's ``columns`` that fits its output area: ``wide`` columns
    wrap anywhere, rows beyond ``display.max_rows`` are elided. A record whose
    ``full_row`` key holds text shows it across the row after the first cell."""
    columns = list(columns or frame.columns)
    head, skipped, tail = elide(records if records is not None else frame.to_dict("records"))
    # Short values (regions, account ids, masked keys) never break; free text wraps.
    short = {
        c
        for c in columns
        if c not in wide
        and max((len(plain(r.get(c))) for r in head + tail if not _spans(r, full_row)), default=0)
        <= 20
    }
    body = []
    for index, record in enumerate(head + tail):
        if skipped and index == len(head):
            body.append(_elision_row(skipped, len(columns)))
        style = (row_style(record) if row_style else "") or f"background:transparent;color:{TEXT}"
        if full_row and not is_blank(record.get(full_row)):
            cells = (
                f"<td style='{_CELL}'>{_cell(record.get(columns[0]))}</td>"
                f"<td class='aws-row-error' colspan='{len(columns) - 1}' style='{_CELL};{_WRAP}'>"
                f"{_cell(record[full_row])}</td>"
            )
        else:
            cells = "".join(_table_cell(c, record.get(c), wide, short) for c in columns)
        body.append(f"<tr style='{style}'>{cells}</tr>")
    cap = _caption_html(caption)
    return (
        f"<div class='aws-cred-magic {css_class}' style='{FONT};color:{TEXT};max-width:100%'>"
        f"{cap}<table style='{_TABLE}'><thead><tr style='background:transparent'>"
        f"{_header(columns, headers)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _table_cell(column: str, value: Any, wide: Sequence[str], short: set[str]) -> str:
    if column == "expires":  # one line, the time left in its tooltip
        return f"<td style='{_CELL};white-space:nowrap'>{expiry_html(value)}</td>"
    return f"<td style='{_CELL}{_column_style(column, wide, short)}'>{_cell(value)}</td>"


def _spans(record: dict[str, Any], full_row: str) -> bool:
    return bool(full_row) and not is_blank(record.get(full_row))


def _column_style(column: str, wide: Sequence[str], short: set[str]) -> str:
    if column in wide:  # wraps, but keeps a readable width beside nowrap neighbours
        return f";{_WRAP};min-width:10em"
    return ";white-space:nowrap" if column in short else ""


def status_style(record: dict[str, Any]) -> str:
    return ROW_STYLES.get(str(record.get("status")), "")


def current_style(record: dict[str, Any]) -> str:
    return ROW_STYLES["winner"] if record.get("current") is True else ""


def error_style(record: dict[str, Any]) -> str:
    error = record.get("error")
    return ROW_STYLES["error"] if isinstance(error, str) and error else ""


# ---------------------------------------------------------------------------- the chain
CHAIN_COLUMNS = ("order", "provider", "status", "detail")
FOLDED = ("not configured", "not reached")  # rarely needed: one line, opened on demand


def chain_verdict(frame: Any) -> tuple[str, str]:
    """The chain's answer in one line, and its level (``ok`` or ``error``): who wins with
    which key, from where, region and expiry; or where and why resolution stops."""
    from .model import format_expiry

    attrs = frame.attrs
    records = frame.to_dict("records")
    winner = next((r for r in records if r.get("status") == "winner"), None)
    error = next((r for r in records if r.get("status") == "error"), None)
    context = attrs.get("context", "")
    parts: list[str] = []
    if winner is not None:
        level = "ok"
        head = f"{winner.get('provider') or winner.get('method')} ({winner.get('method')}) wins"
        if not is_blank(winner.get("access_key")):
            head += f" with key {winner['access_key']}"
        parts.append(head)
        if not is_blank(winner.get("location")):
            parts.append(f"from {winner['location']}")
    else:
        level = "error"
        parts.append(f"No credentials: {error['detail']}" if error else "No credentials found")
    if attrs.get("profile"):
        parts.append(f"profile {attrs['profile']} ({attrs.get('profile_chosen_by') or '?'})")
    region = f"region {attrs.get('region') or '(none)'}"
    if attrs.get("region_source"):
        region += f" ({attrs['region_source']})"
    parts.append(region)
    if winner is not None:
        expires = winner.get("expires")
        if not is_blank(expires):
            parts.append("expires " + format_expiry(expires.to_pydatetime()))
        elif winner.get("temporary"):
            parts.append("temporary, expiry unknown")
    text = shorten_home(" · ".join(str(p) for p in parts))
    return (f"{context}: {text}" if context else text), level


def _split_folded(records: list[dict[str, Any]]) -> tuple[list, list]:
    shown = [r for r in records if r.get("status") not in FOLDED]
    folded = [r for r in records if r.get("status") in FOLDED]
    return shown, folded


def _folded_line(folded: list[dict[str, Any]]) -> str:
    """``11 not configured: env, sso, …; 2 not reached: …``."""
    groups = []
    for status in FOLDED:
        names = [plain(r.get("method")) for r in folded if r.get("status") == status]
        if names:
            groups.append(f"{len(names)} {status}: {', '.join(names)}")
    return "; ".join(groups)


def _chain_rows(records: list[dict[str, Any]]) -> str:
    rows = []
    for record in records:
        location = plain(record.get("location"))
        detail = _cell(record.get("detail"))
        if location:
            detail += (
                f"<div class='aws-location' style='color:{MUTED};font-weight:normal'>"
                f"{html.escape(location)}</div>"
            )
        key = plain(record.get("access_key"))
        status = html.escape(plain(record.get("status")))
        if key:
            status += f"<div style='font-weight:normal'>{html.escape(key)}</div>"
        style = status_style(record) or f"background:transparent;color:{TEXT}"
        method = _cell(record.get("method"))
        rows.append(
            f"<tr class='aws-row aws-{html.escape(str(record.get('status'))).replace(' ', '-')}'"
            f" style='{style}'>"
            f"<td style='{_CELL}'>{_cell(record.get('order'))}</td>"
            f"<td style='{_CELL}'>{_cell(record.get('provider'))}"
            f"<div style='color:{MUTED};font-weight:normal;white-space:nowrap'>{method}</div></td>"
            f"<td style='{_CELL};white-space:nowrap'>{status}</td>"
            f"<td class='aws-detail' style='{_CELL};{_WRAP}'>{detail}</td></tr>"
        )
    return "".join(rows)


def chain_html(frame: Any) -> str:
    """The chain for Jupyter: the verdict line, the rows that matter, and the
    not-configured ones folded into a ``<details>``."""
    verdict, level = chain_verdict(frame)
    icon, color = ("✔", "var(--jp-success-color1, #388e3c)")
    if level != "ok":
        icon, color = ("✖", "var(--jp-error-color1, #d32f2f)")
    shown, folded = _split_folded(frame.to_dict("records"))
    head = _header(("#", "source", "status", "detail"))
    table = (
        f"<table class='aws-chain-table' style='{_TABLE};width:100%;max-width:900px'>"
        f"<thead><tr style='background:transparent'>{head}</tr></thead>"
        f"<tbody>{_chain_rows(shown)}</tbody></table>"
    )
    details = ""
    if folded:
        details = (
            f"<details class='aws-folded' style='color:{MUTED};margin:2px 0'>"
            f"<summary style='cursor:pointer'>{html.escape(_folded_line(folded))}</summary>"
            f"<table style='{_TABLE};width:100%;max-width:900px'>"
            f"<tbody>{_chain_rows(folded)}</tbody></table></details>"
        )
    return (
        f"<div class='aws-cred-magic aws-chain' style='{FONT};color:{TEXT};max-width:100%'>"
        f"<div class='aws-verdict aws-verdict-{level}' style='padding:2px 0 4px;{_WRAP}'>"
        f"<span style='color:{color}'>{icon}</span> {html.escape(verdict)}</div>"
        f"{table}{details}</div>"
    )


def chain_text(frame: Any, width: int | None = None) -> str:
    """The chain for a terminal: the verdict, the rows that matter, one line for the rest."""
    width = width or terminal_width()
    verdict, level = chain_verdict(frame)
    shown, folded = _split_folded(frame.to_dict("records"))
    columns = ["order", "method", "status", "access_key", "detail"]
    if not any(not is_blank(r.get("access_key")) for r in shown if r.get("status") != "winner"):
        columns.remove("access_key")
    parts = [wrap(("✔ " if level == "ok" else "✖ ") + verdict, width)]
    if shown:
        parts.append(
            text_table(shown, columns, width=width, flex=("detail",), headers={"order": "#"})
        )
    if folded:
        parts.append(wrap(_folded_line(folded), width))
    return "\n".join(parts)


# ---------------------------------------------------------------------------- identities
# ``%aws_whoami --all`` / ``--sessions``: a table whose rows reflow instead of scrolling.
# Each row is a wrapping flex line whose cells have the same basis in every row (and in the
# header), so at any width every row breaks at the same cells and the columns stay aligned:
# one line per profile in a wide notebook, two or three in a narrow one, never a sideways
# scroll. ARNs break only after ``:`` and ``/``, never inside an account id; the expiry is
# one line (the time left is in its tooltip).

_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_ROW = "display:flex;flex-wrap:wrap;align-items:flex-start;max-width:100%"
_ITEM = "box-sizing:border-box;padding:3px 8px;min-width:0;text-align:left"
_NOWRAP = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis"
_DIGITS = "font-variant-numeric:tabular-nums"
_WHOLE_PIECE = 30  # ARN pieces up to this long never break; longer ones may, if they must


def arn_html(text: str) -> str:
    """``text`` (an ARN) for HTML, breakable only after ``:`` and ``/`` (``<wbr>``); a
    12-digit account id inside it never breaks. Escaped."""

    def piece_html(piece: str) -> str:
        if len(piece) <= _WHOLE_PIECE:  # "assumed-role/" is not broken at its hyphen
            return f"<span style='white-space:nowrap'>{html.escape(piece)}</span>"
        # A long name may have to break (at a hyphen, else anywhere), an account id never.
        return _ACCOUNT_ID.sub(
            lambda m: f"<span class='aws-account-id' style='white-space:nowrap'>{m[0]}</span>",
            html.escape(piece),
        )

    return "<wbr>".join(piece_html(piece) for piece in re.split(r"(?<=[:/])", text) if piece)


def expiry_html(value: Any) -> str:
    """One line: ``2026-12-01 10:42 UTC``, the time left in the tooltip (``title``)."""
    from .model import format_expiry

    if is_blank(value):
        return ""
    if not hasattr(value, "strftime"):  # "temporary, expiry unknown"
        text = plain(value)
        short = "expiry unknown" if "unknown" in text else text
        return f"<span title='{html.escape(text, quote=True)}'>{html.escape(short)}</span>"
    when = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    full = format_expiry(when)
    stamp = full.split(" (", 1)[0]
    iso = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    expired = "expired" in full
    style = f"color:var(--jp-error-color1, #d32f2f);{_DIGITS}" if expired else _DIGITS
    return (
        f"<time class='aws-expires' datetime='{iso}' title='{html.escape(full, quote=True)}' "
        f"style='{style}'>{html.escape(stamp)}{' (expired)' if expired else ''}</time>"
    )


def _ch(texts: list[str], low: int, high: int) -> str:
    """A basis for a column of ``texts``: its longest, in ``ch`` (the width of a digit), and
    the cell's padding."""
    longest = max((len(t) for t in texts), default=0)
    return f"calc({min(high, max(low, longest))}ch + 17px)"


def identities_html(records: list[dict[str, Any]], first: str, caption: str = "") -> str:
    """The identities table (``first`` is ``profile`` or ``name``), as described above."""
    head, skipped, tail = elide(records)
    shown = head + tail
    lineage = any("lineage" in r for r in shown)
    # (key, header, basis, grows, style): the same in the header and in every row. A cell
    # that does not grow does not shrink either: the row wraps before it, in every row.
    spec = [(first, first, _ch([plain(r.get(first)) for r in shown] + [first], 6, 18), 0, _WRAP)]
    if lineage:
        spec.append(("lineage", "lineage", "12em", 1, _WRAP))
    spec += [
        ("account", "account", "calc(12ch + 17px)", 0, f"{_NOWRAP};{_DIGITS}"),
        ("arn", "arn", "14em", 3, "overflow-wrap:break-word"),
        ("access_key", "access key · method", "calc(18ch + 17px)", 0, "overflow-wrap:break-word"),
        ("expires", "region · expires", "calc(20ch + 17px)", 0, ""),
    ]

    def item(key: str, basis: str, grow: int, style: str, body: str, role: str) -> str:
        css = "aws-row-error" if key == "error" else f"aws-id-{key.replace('_', '-')}"
        return (
            f"<div role='{role}' class='{css}' "
            f"style='{_ITEM};flex:{grow} {1 if grow else 0} {basis};{style}'>{body}</div>"
        )

    def cell(key: str, record: dict[str, Any]) -> str:
        value = record.get(key)
        if key == "arn":
            return arn_html(plain(value))
        if key == "access_key":  # the masked key whole, botocore's method under it
            return (
                f"<div class='aws-id-key' style='white-space:nowrap'>{_cell(value)}</div>"
                f"<div class='aws-id-method' style='color:{MUTED}'>{_cell(record.get('method'))}"
                "</div>"
            )
        if key == "expires":  # the region, and the expiry on one line under it
            return (
                f"<div class='aws-id-region' style='{_NOWRAP}'>{_cell(record.get('region'))}</div>"
                f"<div class='aws-id-expiry' style='{_NOWRAP}'>{expiry_html(value)}</div>"
            )
        return _cell(value)

    # Bold on an inner span: a bold cell's ``ch`` is wider, and the header would wrap elsewhere.
    header = "".join(
        item(key, basis, grow, style, f"<b>{html.escape(label)}</b>", "columnheader")
        for key, label, basis, grow, style in spec
    )
    rows = [
        f"<div role='row' class='aws-id-head' style='{_ROW};border-bottom:1px solid {BORDER}'>"
        f"{header}</div>"
    ]
    for index, record in enumerate(shown):
        if skipped and index == len(head):
            rows.append(
                f"<div role='row' class='aws-elided' style='{_ITEM};color:{MUTED}'>"
                f"… {plural(skipped, 'more row')} (pandas' display.max_rows; the DataFrame "
                "has them all) …</div>"
            )
        key, _, basis, grow, style = spec[0]
        cells = item(key, basis, grow, style, cell(key, record), "cell")
        if not is_blank(record.get("error")):
            cells += item("error", "20em", 9, _WRAP, _cell(record["error"]), "cell")
        else:
            cells += "".join(
                item(k, b, g, s, cell(k, record), "cell") for k, _, b, g, s in spec[1:]
            )
        style = error_style(record) or f"background:transparent;color:{TEXT}"
        rows.append(
            f"<div role='row' class='aws-id-row' style='{_ROW};{style};"
            f"border-top:1px solid {BORDER}'>{cells}</div>"
        )
    cap = _caption_html(caption)
    return (
        f"<div class='aws-cred-magic aws-identities' style='{FONT};color:{TEXT};"
        f"max-width:100%'>{cap}<div role='table' class='aws-id-table' "
        f"style='max-width:min(100%, 86em);margin:4px 0'>{''.join(rows)}</div></div>"
    )

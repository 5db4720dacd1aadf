"""Previews: a record as a small HTML card that fits the frame OpenRefine shows it in.

The manifest declares the frame's size (``PREVIEW_WIDTH`` x ``PREVIEW_HEIGHT`` pixels); the card
is exactly that size, clips what does not fit, and needs nothing else (inline style, no script,
no images). Every text is escaped.
"""

from __future__ import annotations

import html

PREVIEW_WIDTH = 400
PREVIEW_HEIGHT = 120

_STYLE = (
    "html,body{margin:0;padding:0;overflow:hidden;background:#fff}"
    f".card{{box-sizing:border-box;width:{PREVIEW_WIDTH}px;height:{PREVIEW_HEIGHT}px;"
    "overflow:hidden;padding:6px 8px;font:13px/1.35 system-ui,sans-serif;color:#222}"
    ".card h1{font-size:15px;margin:0 0 2px;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}"
    ".card a{color:#1a4f8b;text-decoration:none}"
    ".card .meta{color:#666;font-size:12px;margin:0 0 3px;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}"
    ".card p{margin:0;display:-webkit-box;-webkit-line-clamp:4;-webkit-box-orient:vertical;"
    "overflow:hidden}"
)


def render_preview(
    *,
    name: str,
    other_names: list[str],
    url: str,
    meta: list[str],
    summary: str,
) -> str:
    """The card of one record: its name (a link to ``url``), other names, a line of ``meta``
    (types, id, Wikidata ID) and its ``summary``."""
    escape = html.escape
    others = " · ".join(escape(n) for n in other_names)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(name)}</title><style>{_STYLE}</style></head><body>"
        f'<div class="card"><h1><a href="{escape(url)}" target="_blank" rel="noopener">'
        f"{escape(name)}</a>{f' <small>{others}</small>' if others else ''}</h1>"
        f'<div class="meta">{escape(" · ".join(meta))}</div>'
        f"<p>{escape(summary)}</p></div></body></html>\n"
    )


def render_missing(identifier: str) -> str:
    """The card for an id we do not have."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found</title>'
        f'<style>{_STYLE}</style></head><body><div class="card"><p>No record has the id '
        f"{html.escape(identifier)}.</p></div></body></html>\n"
    )

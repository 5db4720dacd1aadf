"""Long lists split into numbered pages, so a browse page stays small at any size of the data.

Page 1 has the list's own URL (``/browse/person``); page *n* adds ``/page/n``. The links shown
are the first and last pages, the current one and its neighbours, with gaps between them, as a
reader expects from a catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: Entries per browse page unless a ``PageContext`` says otherwise: a page of 500 people is
#: about 150 kB of HTML.
PAGE_SIZE = 500


@dataclass(frozen=True)
class PageLink:
    """One link of the page navigation: a page number (``url`` None: the current page), or a
    gap (``number`` 0)."""

    number: int
    url: str | None


@dataclass(frozen=True)
class Pagination:
    """Where one page sits in its list."""

    page: int
    pages: int
    total: int
    #: Position (from 1) of the first and last item on this page.
    first: int
    last: int
    previous_url: str | None
    next_url: str | None
    links: tuple[PageLink, ...]


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages a list of ``total`` items takes (an empty list still has its one page).

    >>> page_count(0), page_count(500), page_count(501)
    (1, 1, 2)
    """
    return max(1, -(-total // size))


def page_items(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> Sequence[T]:
    """The items of page ``page`` (from 1)."""
    return items[(page - 1) * size : page * size]


def paginate(
    total: int, page: int, url_of: Callable[[int], str], size: int = PAGE_SIZE
) -> Pagination | None:
    """The navigation of page ``page`` of ``total`` items; None when one page holds them all.

    >>> nav = paginate(5000, 5, lambda n: f"/p/{n}")
    >>> [(link.number, link.url) for link in nav.links]  # doctest: +NORMALIZE_WHITESPACE
    [(1, '/p/1'), (0, None), (4, '/p/4'), (5, None), (6, '/p/6'), (0, None), (10, '/p/10')]
    >>> nav.first, nav.last, nav.previous_url, nav.next_url
    (2001, 2500, '/p/4', '/p/6')
    """
    pages = page_count(total, size)
    if pages == 1:
        return None
    shown = sorted({1, pages, *range(max(1, page - 1), min(pages, page + 1) + 1)})
    links: list[PageLink] = []
    for number in shown:
        if links and number > links[-1].number + 1:
            links.append(PageLink(0, None))
        links.append(PageLink(number, None if number == page else url_of(number)))
    return Pagination(
        page=page,
        pages=pages,
        total=total,
        first=(page - 1) * size + 1,
        last=min(total, page * size),
        previous_url=url_of(page - 1) if page > 1 else None,
        next_url=url_of(page + 1) if page < pages else None,
        links=tuple(links),
    )

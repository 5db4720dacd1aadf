"""Pictures drawn by the server as inline SVG: departures as flows, departures and persecutions
on a timeline. No script, no fonts or files from elsewhere; every label is escaped, every mark
has a ``<title>`` (a tooltip, and a name for screen readers), and the layout is a pure function
of the data, so the same graph always draws the same picture.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from publisher import iris
from publisher.catalog import Catalog
from publisher.site.context import PageContext
from publisher.site.facts import first_date, is_approximate, nodes, p, pairs_of
from publisher.site.links import page_url, record_of
from publisher.site.views import country_of, nodes_of_class
from publisher.site.wording import DateText, term_words

#: Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D1F", "#555555")
WIDTH = 960
_FONT = 'font-family="system-ui, sans-serif"'


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


class _Svg:
    """A tiny SVG writer: every attribute value and text is escaped here, nowhere else."""

    def __init__(self, ident: str, height: float, title: str, desc: str) -> None:
        self.ident = ident
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'class="chart" id="{_esc(ident)}" aria-labelledby="{_esc(ident)}-title '
            f'{_esc(ident)}-desc" {_FONT} font-size="13">',
            f'<title id="{_esc(ident)}-title">{_esc(title)}</title>',
            f'<desc id="{_esc(ident)}-desc">{_esc(desc)}</desc>',
        ]

    def add(
        self, tag: str, text: str | None = None, title: str | None = None, **attrs: object
    ) -> None:
        """One element; ``title`` becomes a child ``<title>``. Underscores in names become '-'."""
        rendered = "".join(
            f' {name.rstrip("_").replace("_", "-")}="{_esc(value)}"'
            for name, value in attrs.items()
            if value is not None
        )
        inner = (f"<title>{_esc(title)}</title>" if title else "") + (_esc(text) if text else "")
        self.parts.append(f"<{tag}{rendered}>{inner}</{tag}>" if inner else f"<{tag}{rendered}/>")

    def open(self, tag: str, **attrs: object) -> None:
        """Start a container element (``g``, ``a``)."""
        rendered = "".join(
            f' {name.rstrip("_").replace("_", "-")}="{_esc(value)}"'
            for name, value in attrs.items()
            if value is not None
        )
        self.parts.append(f"<{tag}{rendered}>")

    def close(self, tag: str) -> None:
        """End a container element."""
        self.parts.append(f"</{tag}>")

    def text(self) -> str:
        """The finished SVG."""
        return "".join([*self.parts, "</svg>"])


@dataclass(frozen=True)
class _Departure:
    who: str
    url: str | None
    origin: str | None
    destinations: tuple[str, ...]
    date: DateText | None


def _departures(catalog: Catalog, ctx: PageContext, emigrations: Sequence[str]) -> list[_Departure]:
    found = []
    for emigration in emigrations:
        pairs = pairs_of(catalog, emigration)
        record = record_of(catalog, emigration)
        origins = nodes(pairs, p("emigre:origin"))
        found.append(
            _Departure(
                catalog.label(record) if record else catalog.label(emigration),
                page_url(catalog, ctx, emigration),
                origins[0] if origins else None,
                tuple(nodes(pairs, p("emigre:destination"))),
                first_date(pairs, p("schema:startDate"), is_approximate(pairs)),
            )
        )
    return found


# -- departures as flows --------------------------------------------------------------------------

_NO_ORIGIN = "origin not given"
_NO_DESTINATION = "destination not given"


def render_departures_svg(
    catalog: Catalog,
    ctx: PageContext,
    emigrations: Sequence[str] | None = None,
    ident: str = "departures",
    max_places: int = 16,
    by_country: bool = True,
) -> str:
    """Departures as flows from origin to destination; with ``by_country``, cities are counted
    with their countries (origins always are).

    Each band is one origin–destination pair, as wide as the number of departures; its
    ``<title>`` names the people. Places beyond the ``max_places`` busiest on either side are
    drawn together as "other places".
    """
    chosen = nodes_of_class(catalog, "emigre:Emigration") if emigrations is None else emigrations
    departures = _departures(catalog, ctx, chosen)
    flows: dict[tuple[str, str], list[str]] = defaultdict(list)
    for departure in departures:
        origin = country_of(catalog, departure.origin) if departure.origin else _NO_ORIGIN
        targets = sorted(
            {country_of(catalog, d) if by_country else d for d in departure.destinations}
        )
        for target in targets or [_NO_DESTINATION]:
            flows[(origin, target)].append(departure.who)
    flows = _fold_small(flows, max_places)
    total = sum(len(people) for people in flows.values())

    def label(place: str) -> str:
        return place if place in (_NO_ORIGIN, _NO_DESTINATION, _OTHER) else catalog.label(place)

    def totals(side: int) -> list[tuple[str, int]]:
        counts: dict[str, int] = defaultdict(int)
        for pair, people in flows.items():
            counts[pair[side]] += len(people)
        return sorted(counts.items(), key=lambda i: (i[0] in _UNKNOWN, -i[1], label(i[0])))

    left, right = totals(0), totals(1)
    unit = min(16.0, 520.0 / max(total, 1))
    gap, top = 14.0, 48.0
    height = top + max(len(left), len(right)) * gap + total * unit + 40
    svg = _Svg(
        ident,
        height,
        "Departures: where people left from, and where they went",
        f"{len(departures)} departures as flows from origin (left) to destination (right)"
        + ("; cities are counted with their country" if by_country else "")
        + ". Band width is the number of departures; one to two countries is drawn to both.",
    )
    x_left, x_right, bar = 210.0, WIDTH - 222.0, 12.0
    svg.add("text", "Left from", x=x_left + bar, y=24, text_anchor="end", font_weight="bold")
    svg.add("text", "Went to", x=x_right, y=24, font_weight="bold")
    if total == 0:
        svg.add("text", "No departures recorded.", x=WIDTH / 2, y=top, text_anchor="middle")
        return svg.text()
    position: dict[tuple[int, str], float] = {}
    for side, column in ((0, left), (1, right)):
        y = top
        for place, count in column:
            position[(side, place)] = y
            y += count * unit + gap
    colours = {place: PALETTE[i % len(PALETTE)] for i, (place, _) in enumerate(right)}
    offsets: dict[tuple[int, str], float] = defaultdict(float)
    order = {place: i for i, (place, _) in enumerate(right)}
    order_left = {place: i for i, (place, _) in enumerate(left)}
    svg.open("g", class_="flows")
    for (origin, target), people in sorted(
        flows.items(), key=lambda i: (order_left[i[0][0]], order[i[0][1]])
    ):
        band = len(people) * unit
        y0 = position[(0, origin)] + offsets[(0, origin)]
        offsets[(0, origin)] += band
        y1 = position[(1, target)] + _inbound_offset(flows, order_left, unit, origin, target)
        x0, x1 = x_left + bar, x_right
        mid = (x0 + x1) / 2
        path = (
            f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
            f"L{x1:.1f},{y1 + band:.1f} C{mid:.1f},{y1 + band:.1f} {mid:.1f},{y0 + band:.1f} "
            f"{x0:.1f},{y0 + band:.1f} Z"
        )
        names = ", ".join(sorted(people))
        svg.add(
            "path",
            d=path,
            fill=colours[target],
            fill_opacity="0.45",
            title=f"{label(origin)} → {label(target)}: {len(people)} ({names})",
        )
    svg.close("g")
    for side, column in ((0, left), (1, right)):
        for place, count in column:
            y = position[(side, place)]
            x = x_left if side == 0 else x_right
            colour = "#444444" if side == 0 else colours[place]
            words = f"{label(place)} ({count})"
            href = _place_link(catalog, ctx, place, side)
            if href:
                svg.open("a", href=href)
            svg.add("rect", x=x, y=y, width=bar, height=max(count * unit, 1.5), fill=colour)
            svg.add(
                "text",
                words,
                x=x - 8 if side == 0 else x + bar + 8,
                y=y + count * unit / 2 + 4.5,
                text_anchor="end" if side == 0 else "start",
                title=f"{words}: {'left from' if side == 0 else 'went to'} {label(place)}",
            )
            if href:
                svg.close("a")
    return svg.text()


_OTHER = "other places"
_UNKNOWN = (_NO_ORIGIN, _NO_DESTINATION, _OTHER)


def _fold_small(
    flows: dict[tuple[str, str], list[str]], max_places: int
) -> dict[tuple[str, str], list[str]]:
    """Merge places beyond the ``max_places`` busiest on each side into "other places"."""
    keep: list[set[str]] = []
    for side in (0, 1):
        counts: dict[str, int] = defaultdict(int)
        for pair, people in flows.items():
            counts[pair[side]] += len(people)
        ranked = sorted(counts, key=lambda place: (-counts[place], place))
        keep.append(set(ranked[:max_places]) if len(ranked) > max_places else set(ranked))
    folded: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (origin, target), people in flows.items():
        key = (
            origin if origin in keep[0] else _OTHER,
            target if target in keep[1] else _OTHER,
        )
        folded[key].extend(people)
    return dict(folded)


def _inbound_offset(
    flows: dict[tuple[str, str], list[str]],
    order_left: dict[str, int],
    unit: float,
    origin: str,
    target: str,
) -> float:
    """Where the band from ``origin`` starts within ``target``'s bar (bands in origin order)."""
    return sum(
        len(people) * unit
        for (o, t), people in flows.items()
        if t == target and order_left[o] < order_left[origin]
    )


def _place_link(catalog: Catalog, ctx: PageContext, place: str, side: int) -> str | None:
    split = iris.split_entity_iri(catalog.base, place)
    if split is None:
        return None
    if side == 1:
        return iris.browse_url(ctx.root, "destination", split[1])
    return page_url(catalog, ctx, place)


# -- departures and persecutions on a timeline ----------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    date: DateText
    title: str
    url: str | None


def _persecution_marks(
    catalog: Catalog, ctx: PageContext, persecutions: Sequence[str]
) -> list[_Mark]:
    marks = []
    for persecution in persecutions:
        pairs = pairs_of(catalog, persecution)
        date = first_date(pairs, p("schema:startDate"), is_approximate(pairs))
        if date is None:
            continue
        record = record_of(catalog, persecution)
        who = catalog.label(record) if record else ""
        kinds = ", ".join(term_words(n) for n in nodes(pairs, p("emigre:persecutionType")))
        marks.append(_Mark(date, f"{who}: {kinds}, {date}", page_url(catalog, ctx, persecution)))
    return marks


def render_timeline_svg(
    catalog: Catalog,
    ctx: PageContext,
    emigrations: Sequence[str] | None = None,
    persecutions: Sequence[str] | None = None,
    ident: str = "timeline",
    max_stack: int = 20,
) -> str:
    """Departures (above the axis) and persecutions (below) by year, from 1917 to today.

    A mark is as precise as its date: a dot for a date known to the month or day, a bar the
    width of the year for a date known only to the year, hollow when the date is approximate.
    Emigration waves are shaded behind. Columns taller than ``max_stack`` end in "+n".
    """
    if emigrations is None:
        emigrations = nodes_of_class(catalog, "emigre:Emigration")
    if persecutions is None:
        persecutions = nodes_of_class(catalog, "emigre:Persecution")
    departures = [
        _Mark(d.date, _departure_title(catalog, d), d.url)
        for d in _departures(catalog, ctx, emigrations)
        if d.date is not None
    ]
    persecuted = _persecution_marks(catalog, ctx, persecutions)
    undated = len(emigrations) - len(departures)
    years = [m.date.year for m in (*departures, *persecuted)]
    start = min([1917, *years])
    end = max([*years, ctx.today.year if ctx.today else start + 1])
    found_waves = _waves(catalog, ctx, start)
    end = max([end, *(last for _, _, last, _ in found_waves if last is not None)])
    waves = [(name, first, last or end, url) for name, first, last, url in found_waves]

    def stack_height(marks: list[_Mark]) -> int:
        columns: dict[int, int] = defaultdict(int)
        for mark in marks:
            columns[mark.date.year] += 1
        return min(max(columns.values(), default=0), max_stack)

    left, right = 44.0, 16.0
    column = (WIDTH - left - right) / (end - start + 1)
    radius = max(2.0, min(4.5, column / 2 - 0.6))
    step = radius * 2 + 1.5
    lanes = 16.0 * len(waves) + 4
    up = max(stack_height(departures), 3) * step + 26
    down = max(stack_height(persecuted), 3) * step + 50
    axis = 16 + lanes + up
    height = axis + down + 80
    svg = _Svg(
        ident,
        height,
        f"Departures and persecutions, {start}–{end}",
        f"{len(departures)} dated departures above the axis and {len(persecuted)} dated "
        f"persecutions below it, by year"
        + (f"; {undated} departures without a known date are not shown" if undated else "")
        + ". The bars at the top are emigration waves.",
    )

    def x_of(year: int) -> float:
        return left + (year - start) * column

    for year in range(start, end + 1):
        x = x_of(year) + column / 2
        if year % 10 == 0:
            svg.add(
                "line",
                x1=f"{x:.1f}",
                x2=f"{x:.1f}",
                y1=12 + lanes,
                y2=axis + down - 10,
                stroke="#e4e1d8",
            )
    for lane, (name, first, last, url) in enumerate(waves):
        x0, x1 = x_of(first), x_of(last) + column
        y = 10 + lane * 16
        if url:
            svg.open("a", href=url)
        svg.add(
            "rect",
            x=f"{x0:.1f}",
            y=f"{y:.1f}",
            width=f"{x1 - x0:.1f}",
            height="10",
            rx="2",
            fill=PALETTE[(lane + 4) % len(PALETTE)],
            fill_opacity="0.35",
            title=f"{name} ({first}–{last})",
        )
        svg.add("text", name, font_size="11", **_lane_label(name, x0, x1, y + 9, left, right))
        if url:
            svg.close("a")
    svg.add("line", x1=left, x2=WIDTH - right, y1=axis, y2=axis, stroke="#222222")
    decades = [year for year in range(start, end + 1) if year % 10 == 0]
    for year in range(start, end + 1):
        x = x_of(year) + column / 2
        labelled = year % 10 == 0 or (
            year in (start, end) and all(abs(year - d) >= 5 for d in decades)
        )
        if labelled:
            svg.add("line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=axis, y2=axis + 6, stroke="#222222")
            svg.add("text", str(year), x=f"{x:.1f}", y=axis + 19, text_anchor="middle")
        elif year % 5 == 0:
            svg.add("line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=axis, y2=axis + 3, stroke="#222222")
    for marks, direction, colour in ((departures, -1, PALETTE[0]), (persecuted, 1, PALETTE[1])):
        _draw_marks(svg, marks, direction, colour, axis, x_of, column, radius, step, max_stack)
    _legend(svg, height - 18, radius, undated)
    return svg.text()


def _lane_label(
    name: str, x0: float, x1: float, y: float, left: float, right: float
) -> dict[str, str]:
    """Where a wave's name goes: inside its bar if it fits, else beside it where there is room."""
    width = len(name) * 6.2
    if x1 - x0 >= width + 8:
        return {"x": f"{x0 + 4:.1f}", "y": f"{y:.1f}"}
    if x1 + 4 + width <= WIDTH - right:
        return {"x": f"{x1 + 4:.1f}", "y": f"{y:.1f}"}
    return {"x": f"{max(x0 - 4, left + width):.1f}", "y": f"{y:.1f}", "text_anchor": "end"}


def _departure_title(catalog: Catalog, departure: _Departure) -> str:
    places = ", ".join(catalog.label(d) for d in departure.destinations)
    return f"{departure.who} left{f' for {places}' if places else ''}, {departure.date}"


def _waves(
    catalog: Catalog, ctx: PageContext, start: int
) -> list[tuple[str, int, int | None, str | None]]:
    """(name, first year, last year or None when open, page) of every wave, by date."""
    found = []
    for iri, name in catalog.records("wave"):
        pairs = pairs_of(catalog, iri)
        first = first_date(pairs, p("schema:startDate"))
        last = first_date(pairs, p("schema:endDate"))
        if first is None:
            continue
        found.append(
            (name, max(first.year, start), last.year if last else None, page_url(catalog, ctx, iri))
        )
    return sorted(found, key=lambda w: (w[1], w[2] or 9999, w[0]))


def _draw_marks(
    svg: _Svg,
    marks: list[_Mark],
    direction: int,
    colour: str,
    axis: float,
    x_of: Callable[[int], float],
    column: float,
    radius: float,
    step: float,
    max_stack: int,
) -> None:
    by_year: dict[int, list[_Mark]] = defaultdict(list)
    for mark in sorted(marks, key=lambda m: (m.date.iso, m.title)):
        by_year[mark.date.year].append(mark)
    for year, column_marks in sorted(by_year.items()):
        x0 = x_of(year)
        centre = x0 + column / 2
        for i, mark in enumerate(column_marks[:max_stack]):
            y = axis + (-(10 + i * step) if direction < 0 else 34 + i * step)
            if mark.url:
                svg.open("a", href=mark.url)
            hollow = mark.date.approximate
            style = {
                "fill": "#ffffff" if hollow else colour,
                "stroke": colour,
                "stroke_width": "1.5",
            }
            if mark.date.precision == "year":
                svg.add(
                    "rect",
                    x=f"{x0 + 0.5:.1f}",
                    y=f"{y - radius * 0.7:.1f}",
                    width=f"{max(column - 1, 2):.1f}",
                    height=f"{radius * 1.4:.1f}",
                    rx="1.5",
                    title=mark.title,
                    **style,
                )
            else:
                svg.add(
                    "circle",
                    cx=f"{centre:.1f}",
                    cy=f"{y:.1f}",
                    r=f"{radius:.1f}",
                    title=mark.title,
                    **style,
                )
            if mark.url:
                svg.close("a")
        hidden = len(column_marks) - max_stack
        if hidden > 0:
            y = axis + (
                -(10 + max_stack * step + 4) if direction < 0 else 34 + max_stack * step + 8
            )
            svg.add(
                "text",
                f"+{hidden}",
                x=f"{centre:.1f}",
                y=f"{y:.1f}",
                text_anchor="middle",
                font_size="10",
            )


def _legend(svg: _Svg, y: float, radius: float, undated: int) -> None:
    x = 44.0
    note = f" {undated} departures without a known date are not shown." if undated else ""
    svg.add("text", f"Above the line: departures; below: persecutions.{note}", x=x, y=y - 20)
    svg.add("circle", cx=x + 4, cy=y - 4, r=radius, fill=PALETTE[0])
    svg.add("text", "month or day known", x=x + 14, y=y)
    x += 160
    svg.add("rect", x=x, y=y - 7, width=9, height=6, fill=PALETTE[0])
    svg.add("text", "only the year known", x=x + 14, y=y)
    x += 160
    svg.add(
        "circle",
        cx=x + 4,
        cy=y - 4,
        r=radius,
        fill="#ffffff",
        stroke=PALETTE[0],
        stroke_width="1.5",
    )
    svg.add("text", "approximate", x=x + 14, y=y)
    x += 110
    svg.add("circle", cx=x + 4, cy=y - 4, r=radius, fill=PALETTE[1])
    svg.add("text", "persecution", x=x + 14, y=y)

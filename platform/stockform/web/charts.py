"""Charts drawn on the server as inline SVG (no CDN, no script): a line chart (the stock-over-time
report, the dashboard's value trend) and a horizontal bar chart (the dashboard's others).

Each SVG has a viewBox and no fixed size, so CSS stretches it to the width of a phone or a
desk; `role="img"` and `aria-label` name it for screen readers, and each bar carries a
`<title>` with its label and figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from ..reports.export import Table

WIDTH, HEIGHT, PAD = 720, 220, 36
COLOURS = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626")
BAR_ROW, BAR_LABEL = 26, 200  # a bar's height with its gap; the width of the labels' column

Series = tuple[str, Sequence[Decimal]]  # a line's name and its values, one per point


def line_chart(title: str, first: str, last: str, series: Sequence[Series]) -> Markup:
    """Lines of equally many points from `first` to `last` (the labels under the ends)."""
    points = min((len(values) for _, values in series), default=0)
    if points < 2:
        return Markup("")
    top = max((value for _, values in series for value in values), default=Decimal(0))
    top = top if top > 0 else Decimal(1)
    step = Decimal(WIDTH - 2 * PAD) / (points - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>',
        f'<text x="{PAD}" y="{PAD - 12}" font-size="11">{escape(_plain(top))}</text>',
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11">{escape(first)}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" text-anchor="end">'
        f"{escape(last)}</text>",
    ]
    scale = Decimal(HEIGHT - 2 * PAD) / top
    for n, (name, values) in enumerate(series):
        heights = [value * scale for value in values]
        drawn = " ".join(
            f"{PAD + step * i:.1f},{HEIGHT - PAD - h:.1f}" for i, h in enumerate(heights)
        )
        colour = COLOURS[n % len(COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{drawn}"/>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{PAD - 12 + 14 * n}" font-size="11" '
            f'text-anchor="end" fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(title: str, bars: Sequence[tuple[str, Decimal | None, str]]) -> Markup:
    """Horizontal bars, one per (label, value, the value as shown); a bar without a value
    (None) or below zero is drawn empty, its figure still written beside it."""
    if not bars:
        return Markup("")
    top = max((value for _, value, _ in bars if value is not None), default=Decimal(0))
    top = top if top > 0 else Decimal(1)
    room = WIDTH - BAR_LABEL - 2 * PAD - 60  # leaves space for the figure after the longest bar
    height = BAR_ROW * len(bars) + 2 * 8
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for n, (label, value, shown) in enumerate(bars):
        y = 8 + BAR_ROW * n
        width = max(value or Decimal(0), Decimal(0)) * room / top
        x = PAD + BAR_LABEL
        parts.append(
            f"<g><title>{escape(label)}: {escape(shown)}</title>"
            f'<text x="{x - 8}" y="{y + 16}" font-size="12" text-anchor="end">'
            f"{escape(_shorten(label))}</text>"
            f'<rect x="{x}" y="{y + 3}" width="{width:.1f}" height="{BAR_ROW - 8}" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{x + width + 6:.1f}" y="{y + 16}" font-size="12">{escape(shown)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(table: Table, lines: int = 2) -> Markup:
    """The first `lines` quantity columns of a table against its first (date) column."""
    rows = list(table.rows)
    columns = [c for c in table.columns[1:] if c.kind == "qty"][:lines]
    if len(rows) < 2 or not columns:
        return Markup("")
    index = {c.key: n for n, c in enumerate(table.columns)}
    series = [(c.title, [Decimal(row[index[c.key]] or 0) for row in rows]) for c in columns]
    return line_chart(table.title, str(rows[0][0]), str(rows[-1][0]), series)


def _shorten(label: str, most: int = 28) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))

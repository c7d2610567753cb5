"""A line chart of the stock-over-time table, drawn on the server as inline SVG (no CDN, no
script): one line per computed quantity (physical, sellable…), days along the bottom."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from ..reports.export import Table

WIDTH, HEIGHT, PAD = 720, 220, 36
COLOURS = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626")


def trend_chart(table: Table, lines: int = 2) -> Markup:
    """The first `lines` number columns of the table against its first (date) column."""
    rows = list(table.rows)
    columns = [c for c in table.columns[1:] if c.kind == "qty"][:lines]
    if len(rows) < 2 or not columns:
        return Markup("")
    index = {c.key: n for n, c in enumerate(table.columns)}
    top = max(
        (Decimal(row[index[c.key]] or 0) for row in rows for c in columns), default=Decimal(0)
    )
    top = top if top > 0 else Decimal(1)
    step = Decimal(WIDTH - 2 * PAD) / (len(rows) - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(table.title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>',
        f'<text x="{PAD}" y="{PAD - 12}" font-size="11">{escape(_plain(top))}</text>',
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11">{escape(str(rows[0][0]))}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" text-anchor="end">'
        f"{escape(str(rows[-1][0]))}</text>",
    ]
    for n, column in enumerate(columns):
        scale = Decimal(HEIGHT - 2 * PAD) / top
        heights = [Decimal(row[index[column.key]] or 0) * scale for row in rows]
        points = " ".join(
            f"{PAD + step * i:.1f},{HEIGHT - PAD - h:.1f}" for i, h in enumerate(heights)
        )
        colour = COLOURS[n % len(COLOURS)]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{PAD - 12 + 14 * n}" font-size="11" '
            f'text-anchor="end" fill="{colour}">{escape(column.title)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))

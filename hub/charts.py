"""Charts drawn on the server as inline SVG: no JavaScript, nothing to load, allowed by the
Content-Security-Policy (presentation attributes and classes from static/hub/hub.css, never a
style attribute).

Each chart is an image with a title and a description (role="img", aria-labelledby); the
figures themselves are in the table printed with every chart, which is the text alternative.
Colour is never the only difference: bars carry their values, and each line of a line chart
has its own marker shape and dash pattern as well as its own colour."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 720
SERIES_COUNT = 9  # classes hub-chart__series--0 .. --8 in static/hub/hub.css


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


def _number(value: float, unit: str = "") -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _frame(chart_id: str, title: str, description: str, height: int, body: list[str]) -> SafeString:
    head = format_html(
        '<svg class="hub-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'width="{}" height="{}" role="img" aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        WIDTH,
        height,
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
    )
    # Each part is already escaped (format_html); a plain string among them would be escaped here.
    return format_html("{}{}</svg>", head, format_html_join("", "{}", ((part,) for part in body)))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    unit: str = "",
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars, the label above each bar and the value at its end."""
    top = max([value for _, value in items] + [maximum or 0, 1])
    row, bar, left, room = 44, 18, 4, WIDTH - 80
    body = []
    for index, (label, value) in enumerate(items):
        y = 8 + index * row
        length = 0 if not value else max(2, round(room * value / top))
        body.append(
            format_html(
                '<text class="hub-chart__label" x="{}" y="{}">{}</text>'
                '<rect class="hub-chart__bar" x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="hub-chart__value" x="{}" y="{}">{}</text>',
                left,
                y + 12,
                label,
                left,
                y + 18,
                length,
                bar,
                left + length + 6,
                y + 32,
                _number(value, unit),
            )
        )
    height = 16 + len(items) * row
    description = "; ".join(f"{label}: {_number(value, unit)}" for label, value in items)
    return _frame(chart_id, title, description or "No figures.", height, body)


def column_chart(
    *, chart_id: str, title: str, items: Sequence[tuple[str, float]], unit: str = ""
) -> SafeString:
    """Vertical columns, one per category (typically a month), value above each."""
    top = max([value for _, value in items] + [1])
    base, plot, left = 200, 160, 8
    step = max(36, min(90, (WIDTH - 2 * left) // max(1, len(items))))
    body = [
        format_html(
            '<line class="hub-chart__axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
            left,
            base,
            WIDTH - left,
            base,
        )
    ]
    for index, (label, value) in enumerate(items):
        x = left + index * step
        height = 0 if not value else max(2, round(plot * value / top))
        centre = x + step // 2
        body.append(
            format_html(
                '<rect class="hub-chart__bar" x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="hub-chart__value" x="{}" y="{}" text-anchor="middle">{}</text>'
                '<text class="hub-chart__tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                x + 4,
                base - height,
                step - 8,
                height,
                centre,
                base - height - 6,
                _number(value, unit),
                centre,
                base + 16,
                label,
            )
        )
    description = "; ".join(f"{label}: {_number(value, unit)}" for label, value in items)
    return _frame(chart_id, title, description or "No figures.", base + 28, body)


MARKERS = ["circle", "square", "diamond", "triangle"]


def _marker(kind: str, x: float, y: float, css: str) -> str:
    if kind == "circle":
        return format_html('<circle class="{}" cx="{}" cy="{}" r="4"></circle>', css, x, y)
    if kind == "square":
        return format_html(
            '<rect class="{}" x="{}" y="{}" width="8" height="8"></rect>', css, x - 4, y - 4
        )
    if kind == "diamond":
        points = f"{x},{y - 5} {x + 5},{y} {x},{y + 5} {x - 5},{y}"
    else:
        points = f"{x},{y - 5} {x + 5},{y + 4} {x - 5},{y + 4}"
    return format_html('<polygon class="{}" points="{}"></polygon>', css, points)


def line_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    low: float = 1,
    high: float = 6,
) -> SafeString:
    """Lines over categories (months) on a fixed scale, such as the six-point scale."""
    left, right, top, plot = 36, 30, 12, 200
    width = WIDTH - left - right
    step = width / max(1, len(categories) - 1) if len(categories) > 1 else 0
    body = []

    def y_of(value: float) -> float:
        return round(top + plot - (value - low) / (high - low) * plot, 1)

    for tick in range(int(low), int(high) + 1):
        body.append(
            format_html(
                '<line class="hub-chart__grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
                '<text class="hub-chart__tick" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                y_of(tick),
                left + width,
                y_of(tick),
                left - 6,
                y_of(tick) + 4,
                tick,
            )
        )
    for index, label in enumerate(categories):
        x = round(left + index * step + (width / 2 if len(categories) == 1 else 0), 1)
        body.append(
            format_html(
                '<text class="hub-chart__tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                x,
                top + plot + 18,
                label,
            )
        )
    descriptions = []
    for number, line in enumerate(series):
        css = f"hub-chart__series--{number % SERIES_COUNT}"
        marker = MARKERS[number % len(MARKERS)]
        points = [
            (
                round(left + index * step + (width / 2 if len(categories) == 1 else 0), 1),
                y_of(value),
            )
            for index, value in enumerate(line.values)
            if value is not None
        ]
        if len(points) > 1:
            body.append(
                format_html(
                    '<polyline class="hub-chart__line {}" points="{}"></polyline>',
                    css,
                    " ".join(f"{x},{y}" for x, y in points),
                )
            )
        body.extend(_marker(marker, x, y, f"hub-chart__marker {css}") for x, y in points)
        shown = ", ".join(
            f"{category} {_number(value)}"
            for category, value in zip(categories, line.values, strict=False)
            if value is not None
        )
        descriptions.append(f"{line.label}: {shown or 'no scores'}")
    legend_top = top + plot + 36
    for number, line in enumerate(series):
        css = f"hub-chart__series--{number % SERIES_COUNT}"
        column, row = number % 2, number // 2
        x, y = left + column * (width // 2), legend_top + row * 22
        body.append(
            format_html(
                '<line class="hub-chart__line {}" x1="{}" y1="{}" x2="{}" y2="{}"></line>',
                css,
                x,
                y,
                x + 28,
                y,
            )
        )
        body.append(_marker(MARKERS[number % len(MARKERS)], x + 14, y, f"hub-chart__marker {css}"))
        body.append(
            format_html(
                '<text class="hub-chart__label" x="{}" y="{}">{}</text>', x + 36, y + 4, line.label
            )
        )
    height = legend_top + ((len(series) + 1) // 2) * 22 + 8
    return _frame(chart_id, title, "; ".join(descriptions) or "No figures.", height, body)

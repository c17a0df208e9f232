"""Server-rendered SVG charts (the app runs offline: no chart library, no script). This module computes
each chart's geometry and texts as plain numbers and strings; templates/analytics/charts/ draw them, so
every text goes through Django's escaping. Colours come from CSS classes (static/analytics/), which
follow the light or dark scheme.

Every chart has a title and a description that says what a sighted reader takes from it (total, highest
day, shares); the page puts the same numbers in a table next to it.
"""

import math
from dataclasses import dataclass

from chatbot.analytics import formatting
from chatbot.analytics.selectors import Csat, DayCount, IntentRow, Outcomes

# Drawing widths close to the width on a desktop screen, so that the text is drawn at about its size:
# a chart across the page, and one in a half-width panel. A chart across the page is drawn a second time
# at the half width for narrow screens (the page's CSS shows one of the two).
WIDE, HALF = 1160, 560
# Column chart: the plot area inside the axis labels; a day label every 100 px at most.
COLUMNS_HEIGHT = 240
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM, PLOT_RIGHT_MARGIN = 56, 12, COLUMNS_HEIGHT - 30, 12
PIXELS_PER_X_LABEL = 100
# Bar chart rows, and the room kept right of the longest bar for its value.
ROW_HEIGHT, BAR_THICKNESS, VALUE_ROOM = 28, 16, 170
CHAR_WIDTH = 7.2  # average width of a 13 px system-ui character: sizes the label column
SHARE_HEIGHT = 36


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str  # its tooltip


@dataclass(frozen=True)
class ColumnChart:
    id: str
    title: str
    description: str
    columns: list[Column]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int
    height: int = COLUMNS_HEIGHT
    left: float = PLOT_LEFT
    top: float = PLOT_TOP
    bottom: float = PLOT_BOTTOM

    @property
    def right(self) -> float:
        return self.width - PLOT_RIGHT_MARGIN

    @property
    def y_label_x(self) -> float:
        return self.left - 8

    @property
    def x_label_y(self) -> float:
        return self.bottom + 18


@dataclass(frozen=True)
class BarRow:
    label: str
    value_text: str
    y: float  # top of the bar
    length: float
    variant: str  # a CSS modifier: "plain", "warn", "muted"
    text_y: float  # the baseline of its label and value, level with the bar's middle
    value_x: float  # where the value is written, right of the bar


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    rows: list[BarRow]
    label_width: float
    width: int
    bar_thickness: int = BAR_THICKNESS

    @property
    def height(self) -> int:
        return len(self.rows) * ROW_HEIGHT + 4

    @property
    def label_x(self) -> float:
        return self.label_width - 8


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    variant: str
    label: str


@dataclass(frozen=True)
class ShareBar:
    id: str
    title: str
    description: str
    segments: list[Segment]
    width: int = HALF
    height: int = SHARE_HEIGHT


def nice_scale(largest: float, *, most_steps: int = 5) -> tuple[int, int]:
    """An axis top and step for counts up to `largest`: the step is 1, 2, 2.5 or 5 times a power of ten
    (whole numbers only), the smallest that reaches `largest` in at most `most_steps` steps."""
    if largest <= 4:
        return 4, 1
    power = 10 ** math.floor(math.log10(largest / most_steps))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if float(step).is_integer() and math.ceil(largest / step) <= most_steps:
            break
    step = int(step)
    return step * math.ceil(largest / step), step


def conversations_per_day(per_day: list[DayCount], *, width: int = WIDE) -> ColumnChart:
    top, step = nice_scale(max((day.conversations for day in per_day), default=0))
    plot_width = width - PLOT_RIGHT_MARGIN - PLOT_LEFT
    plot_height, slot = PLOT_BOTTOM - PLOT_TOP, plot_width / len(per_day)
    columns = []
    for index, day in enumerate(per_day):
        height = plot_height * day.conversations / top
        columns.append(
            Column(
                x=round(PLOT_LEFT + index * slot + slot * 0.14, 2),
                y=round(PLOT_BOTTOM - height, 2),
                width=round(max(slot * 0.72, 1), 2),
                height=round(height, 2),
                label=f"{day.day:%a} {formatting.long_date(day.day)}: {formatting.count(day.conversations)}",
            )
        )
    y_ticks = [
        Tick(round(PLOT_BOTTOM - plot_height * value / top, 2), formatting.count(value))
        for value in range(0, top + 1, step)
    ]
    every = math.ceil(len(per_day) / (plot_width // PIXELS_PER_X_LABEL))
    x_ticks = [
        Tick(round(PLOT_LEFT + (index + 0.5) * slot, 2), formatting.short_date(day.day))
        for index, day in enumerate(per_day)
        if index % every == 0
    ]
    total = sum(day.conversations for day in per_day)
    busiest = max(per_day, key=lambda day: day.conversations)
    first, last = per_day[0].day, per_day[-1].day
    description = (
        f"{len(per_day)} days from {formatting.long_date(first)} to {formatting.long_date(last)}: "
        f"{formatting.count(total)} conversations"
    )
    if busiest.conversations:
        description += (
            f", the most ({formatting.count(busiest.conversations)}) on {formatting.long_date(busiest.day)}"
        )
    return ColumnChart(
        id=f"chart-per-day-{width}",
        title="Conversations started per day",
        description=description + ".",
        columns=columns,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        width=width,
    )


def counted(value: int, share: float | None) -> str:
    """ "1,234 (5.6 %)"."""
    return f"{formatting.count(value)} ({formatting.percent(share)})"


def bar_chart(
    *, id: str, title: str, items: list[tuple[str, float, str, str]], scale: float, width: int = HALF
) -> BarChart:
    """Horizontal bars: (label, value, value text, variant) each; `scale` is the value of a full bar."""
    label_width = min(260.0, max((len(label) for label, *_ in items), default=0) * CHAR_WIDTH + 16)
    room = width - label_width - VALUE_ROOM
    rows = []
    for index, (label, value, value_text, variant) in enumerate(items):
        length = round(room * value / scale, 2) if scale else 0.0
        rows.append(
            BarRow(
                label=label,
                value_text=value_text,
                y=index * ROW_HEIGHT + (ROW_HEIGHT - BAR_THICKNESS) / 2,
                length=length,
                variant=variant,
                text_y=index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4.5,
                value_x=round(label_width + length + 6, 2),
            )
        )
    description = "; ".join(f"{label}: {value_text}" for label, _, value_text, _ in items) + "."
    return BarChart(
        id=id, title=title, description=description, rows=rows, label_width=label_width, width=width
    )


def outcome_share(outcomes: Outcomes) -> ShareBar:
    """One bar split in two: answered by the bot alone, handed to staff."""
    parts = [
        ("bot", f"Bot alone {formatting.percent(outcomes.bot_alone_share)}", outcomes.bot_alone),
        ("warn", f"Handed to staff {formatting.percent(outcomes.escalated_share)}", outcomes.escalated),
    ]
    segments, x = [], 0.0
    for variant, label, value in parts:
        width = HALF * value / outcomes.conversations if outcomes.conversations else 0.0
        segments.append(Segment(x=round(x, 2), width=round(width, 2), variant=variant, label=label))
        x += width
    return ShareBar(
        id="chart-outcomes",
        title="Conversations answered by the bot alone and handed to staff",
        description=f"{formatting.count(outcomes.conversations)} conversations: "
        + ", ".join(label for _, label, _ in parts)
        + ".",
        segments=segments,
    )


def escalation_reasons(outcomes: Outcomes) -> BarChart:
    return bar_chart(
        id="chart-reasons",
        title="Conversations handed to staff, by the reason of the first escalation",
        items=[
            (
                row.label,
                row.conversations,
                counted(row.conversations, row.share),
                "warn",
            )
            for row in outcomes.by_reason
        ],
        scale=max((row.conversations for row in outcomes.by_reason), default=0),
    )


def csat_distribution(csat: Csat) -> BarChart:
    return bar_chart(
        id="chart-csat",
        title="CSAT ratings, 5 (best) to 1",
        items=[
            (
                f"{rating} of 5",
                csat.distribution[rating],
                counted(csat.distribution[rating], csat.share_of(rating)),
                "plain" if rating >= 4 else ("muted" if rating == 3 else "warn"),
            )
            for rating in range(5, 0, -1)
        ],
        scale=max(csat.distribution.values(), default=0),
    )


def top_intents(intents: list[IntentRow], *, width: int = WIDE) -> BarChart:
    return bar_chart(
        id=f"chart-intents-{width}",
        title="Bot replies by intent, with the share of their conversations handed to staff",
        items=[
            (
                row.intent,
                row.replies,
                f"{formatting.count(row.replies)} · {formatting.percent(row.escalation_rate)} to staff",
                "plain",
            )
            for row in intents
        ],
        scale=max((row.replies for row in intents), default=0),
        width=width,
    )

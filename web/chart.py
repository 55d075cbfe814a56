"""Bar charts as plain SVG geometry, drawn by ``_chart.html``: no JavaScript, nothing from the network.

One helper for every chart in the app: ``grouped_bar_chart`` draws one or more series per day side by side
(the health page: posts and flags per source), ``bar_chart`` is its one-series form (the dashboard). Only the
geometry is made here: the template writes each bar's day, value and tooltip in the reader's language
(``|day``, ``|num``, ``_()``), so a Vietnamese page says "01/05/2024: 3 bị gắn cờ".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

__all__ = ["Bar", "BarChart", "bar_chart", "grouped_bar_chart"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    day: date
    name: str  # the series, as the caller named it (in the page's language)
    tick: bool  # the day is written under the axis for some bars
    series: int = 0  # index into BarChart.legend (a CSS class picks the colour)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    max_value: int
    grid: list[tuple[float, int]]  # (y, value) of horizontal grid lines
    baseline: float
    left: float
    title: str = ""
    legend: list[str] = field(default_factory=list)  # series names, shown when there are several


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        candidate = int(step * magnitude)
        if candidate >= value and candidate % 4 == 0:
            return candidate
    return ((value + 3) // 4) * 4


def grouped_bar_chart(days: Sequence[date], series: Mapping[str, Sequence[int]], *, width: int = 720,
                      height: int = 220, title: str = "", tick_every: int = 7) -> BarChart:
    """Per day, one bar per series (in the mapping's order); ``series`` values line up with ``days``."""
    left, right, top, bottom = 44.0, 8.0, 10.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    names = list(series)
    top_value = _nice_max(max((v for values in series.values() for v in values), default=0))
    slot = plot_w / max(1, len(days))
    group_w = slot * 0.7
    bar_w = group_w / max(1, len(names))
    bars = []
    for i, day in enumerate(days):
        tick = (len(days) - 1 - i) % max(1, tick_every) == 0
        for k, name in enumerate(names):
            value = int(series[name][i]) if i < len(series[name]) else 0
            h = plot_h * value / top_value if top_value else 0.0
            bars.append(Bar(x=round(left + i * slot + slot * 0.15 + k * bar_w, 2), y=round(top + plot_h - h, 2),
                            width=round(bar_w, 2), height=round(h, 2), value=value, day=day, name=name,
                            tick=tick and k == 0, series=k))
    grid = [(round(top + plot_h - plot_h * k / 4, 2), top_value * k // 4) for k in range(5)]
    return BarChart(width=width, height=height, bars=bars, max_value=top_value, grid=grid, baseline=top + plot_h,
                    left=left, title=title, legend=names if len(names) > 1 else [])


def bar_chart(series: list[tuple[date, int]], *, unit: str, title: str, width: int = 720, height: int = 220
              ) -> BarChart:
    """One bar per day; ``unit`` names what is counted ("flagged", in the page's language)."""
    return grouped_bar_chart([d for d, _ in series], {unit: [v for _, v in series]}, width=width, height=height,
                             title=title)


"""A bar chart as plain SVG geometry, drawn by the template: no JavaScript, nothing from the network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Bar", "BarChart", "bar_chart"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    tick: str | None  # shown under the axis for some bars


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    max_value: int
    grid: list[tuple[float, int]]  # (y, value) of horizontal grid lines
    baseline: float
    left: float


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        candidate = int(step * magnitude)
        if candidate >= value and candidate % 4 == 0:
            return candidate
    return ((value + 3) // 4) * 4


def bar_chart(series: list[tuple[date, int]], *, width: int = 720, height: int = 220) -> BarChart:
    left, right, top, bottom = 44.0, 8.0, 10.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, v in series), default=0))
    slot = plot_w / max(1, len(series))
    bars = []
    for i, (day, value) in enumerate(series):
        h = plot_h * value / top_value if top_value else 0.0
        tick = day.strftime("%d/%m") if (len(series) - 1 - i) % 7 == 0 else None
        bars.append(Bar(x=round(left + i * slot + slot * 0.15, 2), y=round(top + plot_h - h, 2),
                        width=round(slot * 0.7, 2), height=round(h, 2), value=value,
                        label=f"{day:%Y-%m-%d}: {value} flagged", tick=tick))
    grid = [(round(top + plot_h - plot_h * k / 4, 2), top_value * k // 4) for k in range(5)]
    return BarChart(width=width, height=height, bars=bars, max_value=top_value, grid=grid,
                    baseline=top + plot_h, left=left)

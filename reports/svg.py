"""Inline SVG charts for the HTML report: no JavaScript, no external assets."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 190
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 12, 24, 28
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


@dataclass(frozen=True)
class Band:
    """A shaded stretch of time (a round, or its fault window)."""

    start: float
    end: float
    label: str
    strong: bool = False


@dataclass(frozen=True)
class Line:
    label: str
    t: Sequence[float]
    y: Sequence[float | None]


def clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


class _Frame:
    """Maps (time, value) onto the plot area."""

    def __init__(self, t0: float, t1: float, y0: float, y1: float, width: int, height: int) -> None:
        self.t0, self.t1 = t0, max(t1, t0 + 1)
        self.y0, self.y1 = y0, y1 if y1 > y0 else y0 + 1
        self.left, self.right = MARGIN_LEFT, width - MARGIN_RIGHT
        self.top, self.bottom = MARGIN_TOP, height - MARGIN_BOTTOM

    def x(self, t: float) -> float:
        share = (min(max(t, self.t0), self.t1) - self.t0) / (self.t1 - self.t0)
        return round(self.left + share * (self.right - self.left), 1)

    def y(self, value: float) -> float:
        share = (min(max(value, self.y0), self.y1) - self.y0) / (self.y1 - self.y0)
        return round(self.bottom - share * (self.bottom - self.top), 1)


def _time_axis(frame: _Frame, ticks: int = 5) -> list[str]:
    parts = []
    for index in range(ticks + 1):
        t = frame.t0 + (frame.t1 - frame.t0) * index / ticks
        x = frame.x(t)
        parts.append(f'<line class="grid" x1="{x}" y1="{frame.top}" x2="{x}" y2="{frame.bottom}"/>')
        anchor = "start" if index == 0 else "end" if index == ticks else "middle"
        parts.append(
            f'<text class="tick" x="{x}" y="{frame.bottom + 16}" '
            f'text-anchor="{anchor}">{clock(t)}</text>'
        )
    return parts


def _bands(frame: _Frame, bands: Sequence[Band]) -> list[str]:
    parts = []
    for band in bands:
        x0, x1 = frame.x(band.start), frame.x(band.end)
        css = "fault" if band.strong else "round"
        parts.append(
            f'<rect class="{css}" x="{x0}" y="{frame.top}" width="{max(x1 - x0, 1)}" '
            f'height="{frame.bottom - frame.top}"><title>{escape(band.label)}</title></rect>'
        )
    return parts


def _path(frame: _Frame, line: Line) -> str:
    """An SVG path; a None value breaks the line (no traffic at that time)."""
    commands, pen_down = [], False
    for t, value in zip(line.t, line.y, strict=False):
        if value is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{frame.x(t)},{frame.y(value)}")
        pen_down = True
    return " ".join(commands)


def line_chart(
    title: str,
    lines: Sequence[Line],
    t_range: tuple[float, float],
    y_range: tuple[float, float],
    y_format: Callable[[float], str],
    bands: Sequence[Band] = (),
    reference: tuple[float, str] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    frame = _Frame(*t_range, *y_range, width, height)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text class="title" x="{MARGIN_LEFT}" y="15">{escape(title)}</text>',
        *_bands(frame, bands),
        *_time_axis(frame),
    ]
    for index in range(5):
        value = frame.y0 + (frame.y1 - frame.y0) * index / 4
        y = frame.y(value)
        parts.append(f'<line class="grid" x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}"/>')
        parts.append(
            f'<text class="tick" x="{frame.left - 4}" y="{y + 4}" '
            f'text-anchor="end">{escape(y_format(value))}</text>'
        )
    if reference is not None:
        y = frame.y(reference[0])
        parts.append(
            f'<line class="reference" x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}">'
            f"<title>{escape(reference[1])}</title></line>"
        )
    for index, line in enumerate(lines):
        color = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<path class="series" d="{_path(frame, line)}" stroke="{color}" fill="none">'
            f"<title>{escape(line.label)}</title></path>"
        )
    parts.append(
        f'<rect class="frame" x="{frame.left}" y="{frame.top}" '
        f'width="{frame.right - frame.left}" height="{frame.bottom - frame.top}"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def timeline_chart(
    t_range: tuple[float, float],
    rows: Sequence[tuple[str, Sequence[Band]]],
    markers: Sequence[tuple[str, float, str]] = (),
    width: int = 1100,
) -> str:
    """A Gantt of the game: one row per item (rounds, each alert), spans as bars;
    `markers` are (row label, time, tooltip) ticks such as received notifications."""
    row_height = 22
    height = MARGIN_TOP + MARGIN_BOTTOM + row_height * max(len(rows), 1)
    left = 230
    frame = _Frame(*t_range, 0, 1, width, height)
    frame.left = left
    parts = [
        f'<svg class="chart timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="game timeline">',
        '<text class="title" x="4" y="15">Timeline: rounds (fault windows dark) and firing '
        "alerts</text>",
        *_time_axis(frame, ticks=8),
    ]
    row_of = {label: index for index, (label, _) in enumerate(rows)}
    for index, (label, spans) in enumerate(rows):
        y = MARGIN_TOP + index * row_height
        parts.append(
            f'<text class="row" x="{left - 6}" y="{y + 15}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for span in spans:
            x0, x1 = frame.x(span.start), frame.x(span.end)
            css = "fault" if span.strong else ("round" if index == 0 else "firing")
            parts.append(
                f'<rect class="{css} bar" x="{x0}" y="{y + 3}" width="{max(x1 - x0, 2)}" '
                f'height="{row_height - 6}">'
                f"<title>{escape(span.label)}</title></rect>"
            )
    for label, t, tooltip in markers:
        if label not in row_of:
            continue
        y = MARGIN_TOP + row_of[label] * row_height
        x = frame.x(t)
        parts.append(
            f'<path class="marker" d="M{x},{y + 2} l4,-0 l-4,8 l-4,-8 '
            f'z"><title>{escape(tooltip)}</title></path>'
        )
    parts.append("</svg>")
    return "\n".join(parts)

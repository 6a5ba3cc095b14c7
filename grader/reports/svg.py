"""Small inline SVG plots for the HTML reports: a histogram and a line plot.

Pure functions: data in, a standalone ``<svg>`` string out (with ``xmlns``, so it parses as
XML on its own and renders inline in HTML). Every label is escaped here, so callers may
insert the result into a page unescaped. No external assets, no scripts, no fonts.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Sequence

from grader.reports.model import as_floats, first_non_finite, format_points

FONT = "font-family=\"system-ui, sans-serif\" font-size=\"11\""
AXIS_COLOUR = "#555"
GRID_COLOUR = "#e3e3e3"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Frame:
    """The plotting area inside an SVG of ``width`` x ``height`` pixels."""

    width: int
    height: int
    left: int = 52
    right: int = 14
    top: int = 26
    bottom: int = 38

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:  # bottom edge of the plot area (SVG y grows downwards)
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top


def _open(frame: _Frame, title: str, css_class: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
        f'aria-label="{_esc(title)}" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}">',
        f"<title>{_esc(title)}</title>",
    ]


def _text(x: float, y: float, text: object, anchor: str = "middle", extra: str = "",
          fill: str = "#222") -> str:
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" {FONT} '
            f'fill="{fill}"{extra}>{_esc(text)}</text>')


def _axes(frame: _Frame, x_label: str, y_label: str) -> list[str]:
    f = frame
    return [
        f'<line x1="{f.x0}" y1="{f.y0}" x2="{f.x1}" y2="{f.y0}" stroke="{AXIS_COLOUR}"/>',
        f'<line x1="{f.x0}" y1="{f.y0}" x2="{f.x0}" y2="{f.y1}" stroke="{AXIS_COLOUR}"/>',
        _text((f.x0 + f.x1) / 2, f.height - 6, x_label),
        _text(12, (f.y0 + f.y1) / 2, y_label,
              extra=f' transform="rotate(-90 12 {_num((f.y0 + f.y1) / 2)})"'),
    ]


def _tick_label(value: float) -> str:
    """``10 -> "10"``, ``0.01 -> "0.01"``, ``1e-5 -> "1e-05"``, ``250000 -> "2.5e+05"``."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2g}"


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``raw`` (> 0)."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-12))


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (about ``count`` of them)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    step = nice_step((hi - lo) / max(count, 1))
    first = math.floor(lo / step + 1e-9) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        if value >= lo - step * 1e-9:
            ticks.append(round(value, 12))
        value += step
    return ticks


# --------------------------------------------------------------------------- histogram

def histogram(values: Sequence[float], *, lo: float, hi: float, bins: int | None = None,
              title: str = "Score distribution", x_label: str = "score",
              y_label: str = "submissions", width: int = 520, height: int = 220) -> str:
    """Bar chart of how many ``values`` fall in each of ``bins`` equal bins over ``[lo, hi]``.

    Without ``bins``, about ten bins of a round width (1, 2, 2.5, 5 x 10^k) are used and
    ``hi`` is raised to the next multiple of that width, so bin edges read as round scores.
    The last bin is closed (a full score lands in it); values outside the range are clamped
    into the first or last bin; non-finite values are ignored. Each bar carries its count.
    """
    frame = _Frame(width, height)
    if not hi > lo:
        hi = lo + 1.0
    if bins is None:
        step = nice_step((hi - lo) / 10)
        bins = max(1, math.ceil((hi - lo) / step - 1e-9))
        hi = lo + bins * step
    bins = max(1, int(bins))
    counts = [0] * bins
    for v in as_floats(values):
        if math.isfinite(v):
            counts[min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))] += 1
    top = max(max(counts), 1)
    bar_w = (frame.x1 - frame.x0) / bins
    parts = _open(frame, title, "plot histogram")
    for tick in nice_ticks(0, top, min(top, 4)):
        y = frame.y0 - tick / top * (frame.y0 - frame.y1)
        parts.append(f'<line x1="{frame.x0}" y1="{_num(y)}" x2="{frame.x1}" y2="{_num(y)}" '
                     f'stroke="{GRID_COLOUR}"/>')
        parts.append(_text(frame.x0 - 6, y + 4, format_points(tick), anchor="end"))
    for n, count in enumerate(counts):
        x = frame.x0 + n * bar_w
        h = count / top * (frame.y0 - frame.y1)
        left, right = lo + n * (hi - lo) / bins, lo + (n + 1) * (hi - lo) / bins
        label = f"{format_points(left)}–{format_points(right)}: {count}"
        parts.append(f'<rect x="{_num(x + 1)}" y="{_num(frame.y0 - h)}" width="{_num(bar_w - 2)}" '
                     f'height="{_num(h)}" fill="#4a78b5"><title>{_esc(label)}</title></rect>')
        if count:
            parts.append(_text(x + bar_w / 2, frame.y0 - h - 4, count))
    for n in range(bins + 1):
        if bins <= 10 or n % 2 == 0:
            parts.append(_text(frame.x0 + n * bar_w, frame.y0 + 14,
                               format_points(lo + n * (hi - lo) / bins)))
    parts += _axes(frame, x_label, y_label)
    parts.append("</svg>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- line plot

@dataclass(frozen=True)
class Series:
    """One curve: y values at x = 1, 2, ...; ``dashed`` tells it apart without colour."""

    label: str
    values: Sequence[float]
    colour: str = "#1f5fa8"
    dashed: bool = False


def use_log_scale(series: Sequence[Series], min_ratio: float = 50.0) -> bool:
    """True when every finite value is positive and they span at least ``min_ratio``."""
    finite = [v for s in series for v in as_floats(s.values) if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) >= min_ratio


def _segments(ys: list[float]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive finite points as (x, y) with x starting at 1."""
    runs: list[list[tuple[int, float]]] = [[]]
    for n, y in enumerate(ys, start=1):
        if math.isfinite(y):
            runs[-1].append((n, y))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _y_scale(finite: list[float], log: bool) -> tuple[float, float, list[float]]:
    """(lo, hi, ticks) in plot units (log10 of the value when ``log``)."""
    if log:
        lo, hi = math.floor(math.log10(min(finite))), math.ceil(math.log10(max(finite)))
        hi = hi if hi > lo else lo + 1
        return lo, hi, [float(e) for e in range(int(lo), int(hi) + 1)]
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        lo, hi = lo - max(abs(lo) * 0.1, 0.5), hi + max(abs(hi) * 0.1, 0.5)
    ticks = nice_ticks(lo, hi, 4)
    return min([lo, *ticks]), max([hi, *ticks]), ticks


def line_plot(series: Sequence[Series], *, title: str = "", x_label: str = "epoch",
              y_label: str = "", width: int = 460, height: int = 230) -> str:
    """Curves against their index (1, 2, ...), log-scale y when positive values span decades.

    NaN/inf/``None`` points break a curve and are marked by a red cross at the top edge,
    and the legend says from which x on a curve stopped being finite. Empty input gives a
    framed "no data" plot.
    """
    frame = _Frame(width, height)
    ys = [as_floats(s.values) for s in series]
    finite = [v for curve in ys for v in curve if math.isfinite(v)]
    log = use_log_scale(series)
    parts = _open(frame, title or y_label or "curves", "plot curves")
    parts += _axes(frame, x_label, y_label + (" (log scale)" if log else ""))
    if not finite:
        parts.append(_text((frame.x0 + frame.x1) / 2, (frame.y0 + frame.y1) / 2, "no data"))
        parts += _legend(frame, series, ys)
        parts.append("</svg>")
        return "\n".join(parts)
    lo, hi, ticks = _y_scale(finite, log)
    n_max = max(len(c) for c in ys)

    def px(x: float) -> float:
        return frame.x0 + (x - 1) / max(n_max - 1, 1) * (frame.x1 - frame.x0)

    def py(y: float) -> float:
        y = math.log10(y) if log else y
        return frame.y0 - (y - lo) / (hi - lo) * (frame.y0 - frame.y1)

    for t in ticks:
        y = frame.y0 - (t - lo) / (hi - lo) * (frame.y0 - frame.y1)
        label = _tick_label(10.0 ** t if log else t)
        parts.append(f'<line x1="{frame.x0}" y1="{_num(y)}" x2="{frame.x1}" y2="{_num(y)}" '
                     f'stroke="{GRID_COLOUR}"/>')
        parts.append(_text(frame.x0 - 6, y + 4, label, anchor="end"))
    for t in nice_ticks(1, n_max, 5):
        if float(t).is_integer():
            parts.append(_text(px(t), frame.y0 + 14, format_points(t)))
    for s, curve in zip(series, ys):
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        for run in _segments(curve):
            if len(run) == 1:
                x, y = run[0]
                parts.append(f'<circle cx="{_num(px(x))}" cy="{_num(py(y))}" r="2.5" fill="{s.colour}"/>')
                continue
            points = " ".join(f"{_num(px(x))},{_num(py(y))}" for x, y in run)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" '
                         f'stroke-width="2"{dash}/>')
        for n, y in enumerate(curve, start=1):
            if not math.isfinite(y):
                parts.append(_text(px(n), frame.y1 + 4, "×", fill="#c0392b", extra=' font-weight="bold"'))
    parts += _legend(frame, series, ys)
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(frame: _Frame, series: Sequence[Series], ys: list[list[float]]) -> list[str]:
    parts, x = [], float(frame.x0)
    for s, curve in zip(series, ys):
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        bad = first_non_finite(curve)
        label = s.label + ("" if curve else " (empty)") + (f" (not finite from {bad})" if bad else "")
        parts.append(f'<line x1="{_num(x)}" y1="12" x2="{_num(x + 22)}" y2="12" stroke="{s.colour}" '
                     f'stroke-width="2"{dash}/>')
        parts.append(_text(x + 27, 16, label, anchor="start"))
        x += 40 + 6.2 * len(label)
    return parts

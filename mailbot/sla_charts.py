"""Charts of the SLA report for the review UI and the digest: PNG and SVG.

Two charts, both per local day of the report: the volume of customer
messages and replies, and the share of clocks answered within target. Drawn
with matplotlib's object API on the Agg canvas (no pyplot, so no global
figure state and no display needed); SVG output carries no date and uses a
fixed id salt, so the same report gives the same file.
"""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import Literal

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from mailbot.sla_report import SlaReport

ImageFormat = Literal["png", "svg"]
FORMATS: tuple[ImageFormat, ...] = ("png", "svg")

_SIZE = (8.0, 3.2)  # inches: fits the review UI's report column and an e-mail
_DPI = 100
_MAX_LABELS = 12
_INCOMING, _REPLIES, _SHARE = "#3465a4", "#73a946", "#c4572a"


class Chart(StrEnum):
    """Which chart; the value is the file name stem after ``sla-``."""

    VOLUME = "volume"
    WITHIN_TARGET = "within-target"


def _day_axis(ax: Axes, report: SlaReport) -> list[int]:
    """Integer positions for the days, labelled MM-DD, at most ``_MAX_LABELS`` labels."""
    positions = list(range(len(report.days)))
    step = max(1, -(-len(positions) // _MAX_LABELS))
    ax.set_xticks(positions[::step], [d.day.strftime("%m-%d") for d in report.days][::step])
    ax.set_xlim(-0.6, max(len(positions) - 0.4, 0.4))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return positions


def _volume(ax: Axes, report: SlaReport) -> None:
    positions = _day_axis(ax, report)
    width = 0.4
    ax.bar(
        [p - width / 2 for p in positions],
        [d.customer_messages for d in report.days],
        width,
        label="customer messages",
        color=_INCOMING,
    )
    ax.bar(
        [p + width / 2 for p in positions],
        [d.replies for d in report.days],
        width,
        label="replies",
        color=_REPLIES,
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("messages per day")
    ax.set_title(f"Daily volume ({report.time_zone})", fontsize=11)


def _within_target(ax: Axes, report: SlaReport) -> None:
    positions = _day_axis(ax, report)
    shares = [d.within_target_share for d in report.days]
    ax.plot(
        positions,
        [float("nan") if s is None else s * 100 for s in shares],
        marker="o",
        markersize=3,
        color=_SHARE,
        label="answered within target",
    )
    total = report.total.within_target_share
    if total is not None:
        ax.axhline(total * 100, color=_SHARE, linestyle="--", linewidth=1, alpha=0.6, label="whole period")
    ax.set_ylim(0, 105)
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_ylabel("within target")
    ax.set_title("Clocks answered within target, by day the customer wrote", fontsize=11)


_DRAW = {Chart.VOLUME: _volume, Chart.WITHIN_TARGET: _within_target}


def render_chart(report: SlaReport, chart: Chart, fmt: ImageFormat) -> bytes:
    """One chart as PNG or SVG bytes (for the web UI to serve, or to attach)."""
    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    if report.days:
        _DRAW[chart](ax, report)
        figure.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no days in the report period", ha="center", va="center")
    buffer = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": "mailbot", "svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def write_charts(report: SlaReport, directory: Path) -> list[Path]:
    """Write every chart in every format to ``directory`` (created); returns the files.

    Names: ``sla-volume.png``, ``sla-volume.svg``, ``sla-within-target.png``,
    ``sla-within-target.svg``. Existing files are replaced.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for chart in Chart:
        for fmt in FORMATS:
            path = directory / f"sla-{chart.value}.{fmt}"
            path.write_bytes(render_chart(report, chart, fmt))
            written.append(path)
    return written

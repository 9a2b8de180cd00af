"""SLA charts are written as valid PNG and SVG files."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from mailbot.sla_charts import Chart, render_chart, write_charts
from mailbot.sla_report import DayFigures, GroupFigures, SlaReport

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def make(days: int = 30, shift: int = 0) -> SlaReport:
    rows = tuple(
        DayFigures(
            date(2026, 10, 25) + timedelta(days=i),
            customer_messages=20 + (i * 7 + shift) % 13,
            replies=18 + (i * 5) % 11,
            decided=i % 4,  # some days with nothing decided: a gap in the line
            within_target=(i % 4) - (i % 2 if i % 4 else 0),
        )
        for i in range(days)
    )
    total = GroupFigures(key="(all)", within_target=40, late=5)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    return SlaReport(now, now - timedelta(days=days), "Europe/Amsterdam", None, total, (), rows)


def test_write_charts_writes_valid_png_and_svg(tmp_path: Path) -> None:
    out = tmp_path / "charts" / "nested"
    written = write_charts(make(), out)
    assert sorted(p.name for p in written) == [
        "sla-volume.png",
        "sla-volume.svg",
        "sla-within-target.png",
        "sla-within-target.svg",
    ]
    for path in written:
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(PNG_SIGNATURE)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                assert image.size == (800, 320)
        else:
            root = ET.fromstring(data)  # noqa: S314 (our own output)
            assert root.tag == f"{SVG}svg"
            texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
            expected = "Daily volume" if "volume" in path.name else "within target"
            assert expected in texts


@pytest.mark.parametrize("chart", list(Chart))
def test_svg_is_reproducible_and_follows_the_data(chart: Chart) -> None:
    first = render_chart(make(), chart, "svg")
    assert render_chart(make(), chart, "svg") == first
    if chart is Chart.VOLUME:
        assert render_chart(make(shift=3), chart, "svg") != first
    else:
        assert render_chart(make(days=10), chart, "svg") != first


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_a_report_without_days_still_gives_an_image(fmt: str) -> None:
    data = render_chart(make(days=0), Chart.WITHIN_TARGET, fmt)  # type: ignore[arg-type]
    if fmt == "png":
        assert data.startswith(PNG_SIGNATURE)
    else:
        assert b"no days in the report period" in data


def test_long_periods_keep_the_labels_readable() -> None:
    root = ET.fromstring(render_chart(make(days=365), Chart.VOLUME, "svg"))  # noqa: S314 (our own output)
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text[:2].isdigit() and "-" in t.text]
    assert 0 < len(labels) <= 12

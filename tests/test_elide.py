"""elide_base64_runs: huge base64 blocks shortened, sizes remembered."""

from __future__ import annotations

import base64

from mailbot.mail import elide
from mailbot.mail.elide import KEEP_LINES, MARKER, elide_base64_runs


def test_small_messages_are_untouched() -> None:
    raw = b"Subject: x\n\n" + base64.encodebytes(b"x" * 100_000)
    assert elide_base64_runs(raw).data is raw


def test_long_run_is_cut_and_its_size_recorded(monkeypatch) -> None:
    monkeypatch.setattr(elide, "MIN_MESSAGE_BYTES", 0)
    payload = bytes(range(256)) * 40_000  # 10,240,000 bytes, 57 per line
    encoded = base64.encodebytes(payload)
    raw = b"Subject: x\n\n" + encoded + b"tail\n"
    result = elide_base64_runs(raw)
    lines = result.data.split(b"\n")
    # header, blank line, the kept lines, the marker, the last short line, "tail", ""
    assert len(lines) == 2 + KEEP_LINES + 4
    (marker,) = result.removed
    assert MARKER.fullmatch(marker)
    assert marker.encode() in result.data
    kept_bytes = KEEP_LINES * 57
    last_line_bytes = len(payload) % 57
    assert result.removed[marker] == len(payload) - kept_bytes - last_line_bytes
    assert result.data.endswith(b"tail\n")


def test_marker_is_invisible_to_base64() -> None:
    assert base64.b64decode(b"QUJD~~~~!~~~~", validate=False) == b"ABC"

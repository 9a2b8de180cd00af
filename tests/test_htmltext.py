"""html_to_text: what a reader sees, never scripts or styles."""

from __future__ import annotations

import pytest

from mailbot.mail import htmltext
from mailbot.mail.htmltext import html_to_text

CASES = [
    ("paragraphs", "<p>Dear support,</p><p>Refund please.</p>", "Dear support,\n\nRefund please."),
    ("line-breaks", "Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three"),
    ("entities", "<p>Tom &amp; Jerry &euro;5 &lt;3</p>", "Tom & Jerry €5 <3"),
    ("script-and-style", "<style>p{x:y}</style><script>alert(1)</script><p>Visible</p>", "Visible"),
    ("head-title", "<html><head><title>Secret title</title></head><body>Body</body></html>", "Body"),
    ("nested-divs-not-indented", "<div><div><div>Deep</div></div></div>", "Deep"),
    ("list", "<ul><li>one</li><li>two</li></ul>", "  * one\n  * two"),
    ("thai", "<p>สวัสดีครับ</p>", "สวัสดีครับ"),
    ("empty", "", ""),
    ("whitespace", "   \n  ", ""),
    ("not-html", "just text", "just text"),
    ("xml-declaration", '<?xml version="1.0" encoding="utf-8"?><html><body>x</body></html>', "x"),
]


@pytest.mark.parametrize(("html", "text"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_html_to_text(html: str, text: str) -> None:
    result = html_to_text(html)
    assert result.text == text
    assert result.defect is None


def test_long_html_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(htmltext, "MAX_HTML_CHARS", 20)
    result = html_to_text("<p>" + "a" * 50 + "</p>")
    assert result.text == "a" * 17
    assert result.defect is not None
    assert "longer than 20" in result.defect


def test_layout_failure_falls_back_to_stripping(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> str:
        raise ValueError("lxml said no")

    monkeypatch.setattr(htmltext, "get_text", broken)
    result = html_to_text("<script>x()</script><p>Keep &amp; this</p><br>line")
    assert result.text == "Keep & this\n\nline"
    assert result.defect is not None
    assert "ValueError" in result.defect

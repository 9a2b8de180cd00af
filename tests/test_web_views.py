"""Pure helpers of the review UI: time formatting, diff and highlight markup, sanitising, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.web import sanitize, timefmt, views

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (NOW + timedelta(hours=3, minutes=20), "3h 20m left"),
        (NOW + timedelta(minutes=5), "5m left"),
        (NOW + timedelta(days=2, hours=1), "2d 1h left"),
        (NOW - timedelta(hours=2, minutes=5), "overdue by 2h 05m"),
        (None, "no due time"),
    ],
)
def test_time_left(due: datetime | None, expected: str) -> None:
    assert timefmt.left(due, NOW) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "Mon 23 Nov 2026, 12:00"),
        ("Asia/Bangkok", "Mon 23 Nov 2026, 19:00"),
        ("America/New_York", "Mon 23 Nov 2026, 07:00"),
    ],
)
def test_times_in_the_users_zone_from_store_text(zone: str, expected: str) -> None:
    assert timefmt.when("2026-11-23T12:00:00.000000Z", ZoneInfo(zone)) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("We will check.", "We will check.", "We will check."),
        (
            "We will check.",
            "We guarantee it.",
            "We <del>will</del><ins>guarantee</ins> <del>check.</del><ins>it.</ins>",
        ),
        ("a <b>", "a <b> & c", "a &lt;b&gt;<ins> &amp; c</ins>"),
    ],
)
def test_word_diff_escapes_everything(before: str, after: str, expected: str) -> None:
    assert str(views.word_diff(before, after)) == expected


def test_highlight_marks_spans_clips_overlaps_and_escapes() -> None:
    findings = [
        {"start": 3, "end": 12, "severity": "blocker", "message": 'no "guarantee"'},
        {"start": 6, "end": 14, "severity": "warning", "message": "overlap"},
        {"start": 16, "end": 19, "severity": "info", "message": "x"},
    ]
    marked = str(views.highlight("We guarantee <it> now", findings))
    assert marked == (
        'We <mark class="blocker" title="no &quot;guarantee&quot;">guarantee</mark>'
        '<mark class="warning" title="overlap"> &lt;</mark>it<mark class="info" title="x">&gt; n</mark>ow'
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, views.QueueFilter()),
        ({"state": "closed", "triage": "1"}, views.QueueFilter(state="closed", triage=True)),
        ({"state": "bogus", "approval": "yes"}, views.QueueFilter()),
        (
            {"mailbox": "sales", "language": "th", "intent": "refund", "approval": "1"},
            views.QueueFilter("sales", "th", "refund", approval=True),
        ),
    ],
)
def test_queue_filter_from_query(query: dict[str, str], expected: views.QueueFilter) -> None:
    assert views.QueueFilter.from_query(query) == expected


@pytest.mark.parametrize(
    ("html", "must_not", "must"),
    [
        ("<script>alert(1)</script><p>hi</p>", ["<script", "alert"], ["<p>hi</p>"]),
        ('<img src="x" onerror="alert(1)">', ["onerror", "alert"], [sanitize.BLOCKED_IMAGE_ALT]),
        ('<a href="javascript:alert(1)">x</a>', ["javascript"], ["x</a>"]),
        ('<img src="https://t.example/p.gif">', ["t.example"], [sanitize.BLOCKED_IMAGE_ALT]),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', ["svg"], [sanitize.BLOCKED_IMAGE_ALT]),
        (
            '<iframe src="https://e.example"></iframe><form action="/x"><input></form>',
            ["iframe", "form", "input"],
            [],
        ),
        ('<p style="background:url(https://t.example/x)">t</p>', ["t.example", "style"], ["<p>t</p>"]),
        (
            '<a href="https://ok.example">ok</a>',
            [],
            ['href="https://ok.example"', 'rel="noopener noreferrer nofollow"'],
        ),
    ],
)
def test_clean_html(html: str, must_not: list[str], must: list[str]) -> None:
    cleaned = sanitize.clean_html(html)
    for bad in must_not:
        assert bad not in cleaned.lower()
    for good in must:
        assert good in cleaned


def test_cid_images_become_data_urls_from_the_message_itself() -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg.set_content("see picture")
    msg.add_alternative('<p>Look: <img src="cid:pic1@x"></p>', subtype="html")
    html_part = msg.get_payload()[1]  # type: ignore[index]
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", cid="<pic1@x>")
    raw = msg.as_bytes()
    indexes = {part.get("Content-ID"): n for n, part in enumerate(msg.walk()) if part.get("Content-ID")}
    images = sanitize.inline_images(raw, {k: v for k, v in indexes.items() if k})
    cleaned = sanitize.clean_html('<p>Look: <img src="cid:pic1@x"></p>', images)
    assert 'src="data:image/png;base64,iVBORw0KGgpmYWtl"' in cleaned


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice.pdf", "invoice.pdf"),
        ("../../etc/passwd", "passwd"),
        ('a"b;c.txt', "a_b_c.txt"),
        ("", "fallback"),
        (None, "fallback"),
    ],
)
def test_download_names_are_safe(name: str | None, expected: str) -> None:
    assert sanitize.download_name(name, "fallback") == expected

"""``mailbot sla`` on a real store seeded through the pipeline: text, JSON, CSV, charts, --since."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from mailbot.commands.common import App
from mailbot.commands.sla import sla
from mailbot.model import Channel, Classification, RawMessage, Stage
from mailbot.pipeline import PipelineContext, sweep
from mailbot.policy.response import load_response_policy
from mailbot.sla_service import SlaClock
from mailbot.store import Store

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = "support@demo.mailbot.example"
ZONE = "Europe/Riga"
H = timedelta(hours=1)
NOW = datetime.now(UTC).replace(microsecond=0)


ReportStore = Store  # Store includes the report queries


def eml(mid: str, *, sender: str, to: str, body: str, in_reply_to: str = "") -> bytes:
    extra = f"In-Reply-To: <{in_reply_to}>\r\n" if in_reply_to else ""
    return (
        f"From: <{sender}>\r\nTo: {to}\r\nSubject: Case {mid}\r\nMessage-ID: <{mid}>\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def classify(text: str, subject: str, reference: datetime) -> Classification:
    """Reads 'lang intent' from the first line of the test message."""
    language, intent = text.split()[:2]
    return Classification(language, 0.99, intent, 0.9)


def unused(*_: object) -> object:
    raise AssertionError("not reached: the sweep stops after classify")


# (case, hours ago the customer wrote, hours ago we replied or None, language, intent)
CASES = [
    ("a", 10, 8, "en", "refund"),  # 2 h: within target
    ("b", 40, 5, "nl", "billing"),  # 35 h: late
    ("c", 3, None, "lv", "refund"),  # waiting, ok
    ("d", 30, None, "th", "billing"),  # overdue: breached
    ("e", 20, None, "en", "delivery"),  # due soon (18 of 24 hours used)
]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    policies = tmp_path / "policies"
    policies.mkdir()
    text = (ROOT / "policies" / "response.toml").read_text(encoding="utf-8")
    (policies / "response.toml").write_text(text.replace('"Europe/Amsterdam"', f'"{ZONE}"'), encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\npath = "store.sqlite3"\n[paths]\npolicies = "policies"\n'
        f'[[mailboxes]]\nname = "support"\naddress = "{SUPPORT}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def store(config: Path) -> Iterator[ReportStore]:
    store = ReportStore(config.parent / "store.sqlite3")
    policy = load_response_policy(config.parent / "policies" / "response.toml")
    ctx = PipelineContext(
        own_addresses=frozenset({SUPPORT}),
        classify=classify,
        draft=unused,  # type: ignore[arg-type]
        check=unused,  # type: ignore[arg-type]
        clock=SlaClock(policy),
        now=lambda: NOW,
    )
    reply_ids: dict[str, int] = {}
    for case, wrote, replied, language, intent in CASES:
        customer = f"{case}@example.com"
        raw = eml(f"{case}@x", sender=customer, to=SUPPORT, body=f"{language} {intent}\nHelp please.")
        store.store_raw(RawMessage(raw, "test", case, NOW - wrote * H, Channel.EMAIL), mailbox="support")
        if replied is not None:
            ours = eml(
                f"{case}-re@x", sender=SUPPORT, to=customer, body="en other\nDone.", in_reply_to=f"{case}@x"
            )
            reply_ids[case], _ = store.store_raw(
                RawMessage(ours, "test", f"{case}-re", NOW - replied * H, Channel.EMAIL), mailbox="support"
            )
    result = sweep(store, ctx, until=Stage.CLASSIFIED)
    assert result.failed == []
    store.audit(actor="ann", role="agent", action="send", entity="message", entity_id=reply_ids["a"])
    yield store
    store.close()


def invoke(config: Path, store: ReportStore, *args: str) -> Result:
    return CliRunner().invoke(sla, list(args), obj=App(str(config), _store=store))


def test_text(config: Path, store: ReportStore) -> None:
    result = invoke(config, store, "--since", "7d")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("SLA report since ") and f"({ZONE})" in lines[0]
    assert "open now: 3 (due soon 1, breached 1)" in lines
    assert "within target: 1 of 3 decided (33%)" in lines
    assert "first response: median 18h30m, 90th percentile 31h42m" in lines  # of 2 h and 35 h


def test_text_by_language_has_a_table_with_a_total_row(config: Path, store: ReportStore) -> None:
    result = invoke(config, store, "--since", "7d", "--by", "language")
    assert result.exit_code == 0, result.output
    table = result.stdout.split("\n\n", 1)[1].splitlines()
    assert table[0].split()[:2] == ["language", "open"]
    assert [row.split()[0] for row in table[1:]] == ["en", "lv", "nl", "th", "(all)"]


def test_json(config: Path, store: ReportStore) -> None:
    result = invoke(config, store, "--format", "json", "--since", "7d", "--by", "agent")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    total = data["total"]
    assert (total["open_threads"], total["due_soon"], total["breached"]) == (3, 1, 1)
    assert (total["clocks"], total["answered"], total["within_target"], total["decided"]) == (5, 2, 1, 3)
    assert total["median_first_response_s"] == pytest.approx(18.5 * 3600)
    assert data["time_zone"] == ZONE and data["by"] == "agent"
    agents = {g["group"]: (g["clocks"], g["within_target"], g["open_threads"]) for g in data["groups"]}
    assert agents == {"ann": (1, 1, 0), "(unknown)": (1, 0, 0), "(unanswered)": (3, 0, 3)}
    assert len(data["days"]) == 8  # the seven days before today and today


def test_csv(config: Path, store: ReportStore) -> None:
    result = invoke(config, store, "--format", "csv", "--since", "7d", "--by", "intent")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["group"] for r in rows] == ["(all)", "billing", "delivery", "refund"]
    billing = rows[1]
    assert (billing["clocks"], billing["late"], billing["overdue"], billing["within_target_share"]) == (
        "2",
        "1",
        "1",
        "0.0",
    )
    assert float(rows[0]["p90_first_response_s"]) == pytest.approx(31.7 * 3600)


def test_since_a_date_counts_clocks_from_that_local_midnight(config: Path, store: ReportStore) -> None:
    day = (NOW - 1 * H * 24).astimezone(ZoneInfo(ZONE)).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(ZONE))
    expected = sum(1 for _, wrote, *_ in CASES if NOW - wrote * H >= midnight)
    result = invoke(config, store, "--format", "json", "--since", day.isoformat())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"]["clocks"] == expected
    assert json.loads(result.stdout)["total"]["open_threads"] == 3  # the snapshot ignores --since


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("yesterday", "'yesterday' is not a date: write YYYY-MM-DD"),
        ("2026-02-30", "is not a date (day is out of range for month)"),
        ("2999-01-01", "'2999-01-01' is after today"),
    ],
)
def test_since_errors(config: Path, store: ReportStore, since: str, message: str) -> None:
    result = invoke(config, store, "--since", since)
    assert result.exit_code == 2
    assert "Invalid value for '--since'" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_charts(config: Path, store: ReportStore, tmp_path: Path) -> None:
    result = invoke(config, store, "--since", "7d", "--charts", str(tmp_path / "charts"))
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert written == ["sla-volume.png", "sla-volume.svg", "sla-within-target.png", "sla-within-target.svg"]
    assert "wrote " in result.stderr

"""The SLA report for people: plain dicts (JSON, CSV, web UI) and the daily digest text.

Pure: a :class:`~mailbot.sla_report.SlaReport` in, text or dicts out. The
digest is written in the four languages mailbot supports; sending it is the
outbox's job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.sla_report import GroupFigures, SlaReport

DIGEST_DAYS = 7
"""How many of the most recent days the digest lists."""


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 3)


def group_as_dict(group: GroupFigures) -> dict[str, Any]:
    """One group as plain values (durations in seconds) for JSON, CSV and the web UI."""
    return {
        "group": group.key,
        "open_threads": group.open_threads,
        "due_soon": group.due_soon,
        "breached": group.breached,
        "clocks": group.clocks,
        "answered": group.answered,
        "decided": group.decided,
        "within_target": group.within_target,
        "late": group.late,
        "overdue": group.overdue,
        "waiting": group.waiting,
        "closed_unanswered": group.closed_unanswered,
        "within_target_share": group.within_target_share,
        "median_first_response_s": _seconds(group.median_first_response),
        "p90_first_response_s": _seconds(group.p90_first_response),
    }


def report_as_dict(report: SlaReport) -> dict[str, Any]:
    """The report as one JSON-ready object (times ISO 8601 UTC, durations in seconds)."""
    return {
        "generated_at": report.generated_at.isoformat(),
        "since": report.since.isoformat(),
        "time_zone": report.time_zone,
        "by": report.by.value if report.by else None,
        "total": group_as_dict(report.total),
        "groups": [group_as_dict(g) for g in report.groups],
        "days": [
            {
                "day": d.day.isoformat(),
                "customer_messages": d.customer_messages,
                "replies": d.replies,
                "decided": d.decided,
                "within_target": d.within_target,
                "within_target_share": d.within_target_share,
            }
            for d in report.days
        ],
    }


def format_duration(value: timedelta | None, hours: str = "h", minutes: str = "m") -> str:
    """``3h05m`` style (whole minutes, hours not rolled into days); ``-`` for none."""
    if value is None:
        return "-"
    total = round(value.total_seconds() / 60)
    return f"{total // 60}{hours}{total % 60:02d}{minutes}"


def format_share(share: float | None) -> str:
    """A share as a whole percentage; ``-`` when nothing was decided."""
    return "-" if share is None else f"{share * 100:.0f}%"


# One table of phrases per language; every language has every key (a test checks).
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "subject": "SLA digest {day}: {open} open, {breached} breached, {share} within target",
        "period": "Response policy report for {first} to {last} ({zone}).",
        "now": "Now: {open} open threads, {due_soon} due soon, {breached} breached.",
        "clocks": "Since {first}: {clocks} customer messages waited for an answer; {answered} were answered.",
        "share": "Within target: {within} of {decided} ({share}).",
        "times": "First response: median {median}, 90th percentile {p90}.",
        "group": "  {key}: {within}/{decided} within target ({share}), median {median}, {open} open, "
        "{breached} breached",
        "days": "Last days:",
        "day": "  {day}: {incoming} in, {replies} replies, {share} within target",
        "h": "h",
        "m": "m",
        "by.mailbox": "By mailbox:",
        "by.intent": "By intent:",
        "by.language": "By language:",
        "by.agent": "By agent:",
    },
    "nl": {
        "subject": "SLA-overzicht {day}: {open} open, {breached} te laat, {share} binnen de termijn",
        "period": "Overzicht van de antwoordtermijnen van {first} tot {last} ({zone}).",
        "now": "Nu: {open} open gesprekken, {due_soon} bijna te laat, {breached} te laat.",
        "clocks": "Sinds {first}: {clocks} klantberichten wachtten op antwoord; {answered} zijn beantwoord.",
        "share": "Binnen de termijn: {within} van {decided} ({share}).",
        "times": "Eerste antwoord: mediaan {median}, 90e percentiel {p90}.",
        "group": "  {key}: {within}/{decided} binnen de termijn ({share}), mediaan {median}, {open} open, "
        "{breached} te laat",
        "days": "Laatste dagen:",
        "day": "  {day}: {incoming} binnen, {replies} antwoorden, {share} binnen de termijn",
        "h": "u",
        "m": "m",
        "by.mailbox": "Per mailbox:",
        "by.intent": "Per soort vraag:",
        "by.language": "Per taal:",
        "by.agent": "Per medewerker:",
    },
    "lv": {
        "subject": "SLA kopsavilkums {day}: {open} atvērtas, {breached} nokavētas, {share} laikā",
        "period": "Atbildes termiņu pārskats no {first} līdz {last} ({zone}).",
        "now": "Tagad: {open} atvērtas sarunas, {due_soon} drīz jāatbild, {breached} nokavētas.",
        "clocks": "Kopš {first}: {clocks} klientu ziņas gaidīja atbildi; {answered} ir atbildētas.",
        "share": "Atbildēts laikā: {within} no {decided} ({share}).",
        "times": "Pirmā atbilde: mediāna {median}, 90. procentile {p90}.",
        "group": "  {key}: {within}/{decided} laikā ({share}), mediāna {median}, {open} atvērtas, "
        "{breached} nokavētas",
        "days": "Pēdējās dienas:",
        "day": "  {day}: {incoming} saņemtas, {replies} atbildes, {share} laikā",
        "h": " h ",
        "m": " min",
        "by.mailbox": "Pa pastkastēm:",
        "by.intent": "Pa tēmām:",
        "by.language": "Pa valodām:",
        "by.agent": "Pa darbiniekiem:",
    },
    "th": {
        "subject": "สรุป SLA {day}: เปิดอยู่ {open}, เกินกำหนด {breached}, ตอบทันเวลา {share}",
        "period": "รายงานเวลาตอบกลับตั้งแต่ {first} ถึง {last} ({zone})",
        "now": "ขณะนี้: เปิดอยู่ {open} เรื่อง, ใกล้ครบกำหนด {due_soon}, เกินกำหนด {breached}",
        "clocks": "ตั้งแต่ {first}: ข้อความลูกค้า {clocks} รายการรอคำตอบ; ตอบแล้ว {answered}",
        "share": "ตอบทันเวลา: {within} จาก {decided} ({share})",
        "times": "การตอบครั้งแรก: มัธยฐาน {median}, เปอร์เซ็นไทล์ที่ 90 {p90}",
        "group": "  {key}: ทันเวลา {within}/{decided} ({share}), มัธยฐาน {median}, เปิดอยู่ {open}, "
        "เกินกำหนด {breached}",
        "days": "วันล่าสุด:",
        "day": "  {day}: เข้า {incoming}, ตอบ {replies}, ทันเวลา {share}",
        "h": " ชม. ",
        "m": " นาที",
        "by.mailbox": "ตามกล่องจดหมาย:",
        "by.intent": "ตามประเภทคำขอ:",
        "by.language": "ตามภาษา:",
        "by.agent": "ตามเจ้าหน้าที่:",
    },
}

LANGUAGES = tuple(_PHRASES)


def digest_text(report: SlaReport, language: str = "en") -> tuple[str, str]:
    """Subject and plain-text body of the daily digest e-mail.

    Dates are local days of the policy's time zone. Raises ValueError for a
    language mailbot has no digest phrases for.
    """
    if language not in _PHRASES:
        raise ValueError(f"no digest text for language '{language}' (known: {', '.join(LANGUAGES)})")
    say = _PHRASES[language]
    zone = ZoneInfo(report.time_zone)
    first = report.since.astimezone(zone).date().isoformat()
    last = report.generated_at.astimezone(zone).date().isoformat()
    total = report.total

    def duration(value: timedelta | None) -> str:
        return format_duration(value, say["h"], say["m"])

    subject = say["subject"].format(
        day=last,
        open=total.open_threads,
        breached=total.breached,
        share=format_share(total.within_target_share),
    )
    lines = [
        say["period"].format(first=first, last=last, zone=report.time_zone),
        "",
        say["now"].format(open=total.open_threads, due_soon=total.due_soon, breached=total.breached),
        say["clocks"].format(first=first, clocks=total.clocks, answered=total.answered),
        say["share"].format(
            within=total.within_target, decided=total.decided, share=format_share(total.within_target_share)
        ),
        say["times"].format(
            median=duration(total.median_first_response), p90=duration(total.p90_first_response)
        ),
    ]
    if report.by is not None and report.groups:
        lines += ["", say[f"by.{report.by.value}"]]
        lines += [
            say["group"].format(
                key=g.key,
                within=g.within_target,
                decided=g.decided,
                share=format_share(g.within_target_share),
                median=duration(g.median_first_response),
                open=g.open_threads,
                breached=g.breached,
            )
            for g in report.groups
        ]
    if report.days:
        lines += ["", say["days"]]
        lines += [
            say["day"].format(
                day=d.day.isoformat(),
                incoming=d.customer_messages,
                replies=d.replies,
                share=format_share(d.within_target_share),
            )
            for d in report.days[-DIGEST_DAYS:]
        ]
    return subject, "\n".join(lines) + "\n"

"""The plan as an iCalendar file (RFC 5545, written by the ``icalendar`` library): one all-day
event per topic and week, Monday to Sunday.

Each event's UID names the topic and which of its weeks it is (``part``), not the dates: when
the plan moves (a week of holiday, a faster pace), exporting again gives the same events new
dates and a higher SEQUENCE, and a calendar app that imports or subscribes to the file updates
them in place rather than adding copies. The events of the plan written there before that the
new one no longer has are written once more as cancelled, so that the app removes them.
"""

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from mlpath.plan import Slot, Week
from mlpath.render.output import hours
from mlpath.tuples import NamedTuple

PRODID = "-//mlpath//plan//EN"
DOMAIN = "plan.mlpath"
MAX_PREVIOUS = 64 * 1024 * 1024  # a plan file larger than this is not read back


def uid(slot: Slot) -> str:
    return f"{slot.topic.replace('/', '.')}.part-{slot.part}@{DOMAIN}"


class Earlier(NamedTuple):
    """An event of the plan this command wrote to the file before."""

    start: dt.date
    end: dt.date
    summary: str
    sequence: int
    cancelled: bool


def previous_events(file: Path) -> dict[str, Earlier]:
    """The events of an mlpath plan already in ``file``, by UID; nothing when the file is
    missing, is not a plan this command wrote, or cannot be read as one. The file is ours, so
    its few properties are read line by line (the library's full parser would double the
    time of `plan --ics` on a long plan)."""
    try:
        if not file.is_file() or file.stat().st_size > MAX_PREVIOUS:
            return {}
        text = file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    lines: list[str] = []
    for raw in text.splitlines():  # unfold: a line starting with a space continues the last
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    if f"PRODID:{PRODID}" not in lines[:8]:
        return {}
    found: dict[str, Earlier] = {}
    fields: dict[str, str] | None = None
    try:
        for line in lines:
            if line == "BEGIN:VEVENT":
                fields = {}
            elif line == "END:VEVENT" and fields is not None:
                found[fields["UID"]] = Earlier(
                    _date(fields["DTSTART"]), _date(fields["DTEND"]),
                    _unescape(fields.get("SUMMARY", "")), int(fields.get("SEQUENCE", "0")),
                    fields.get("STATUS", "").upper() == "CANCELLED",
                )  # fmt: skip
                fields = None
            elif fields is not None and ":" in line:
                head, value = line.split(":", 1)
                fields.setdefault(head.split(";", 1)[0].upper(), value)
    except (KeyError, ValueError):  # not as this command writes it: a new plan over it
        return {}
    return found


def _date(value: str) -> dt.date:
    return dt.datetime.strptime(value[:8], "%Y%m%d").date()


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def calendar(
    weeks: Sequence[Week],
    remind: dt.time | None,
    stamp: dt.datetime,
    earlier: dict[str, Earlier] | None = None,
) -> bytes:
    """``remind``: a time of day to be reminded on each event's Monday; ``earlier``: the
    events of the plan the file held (see ``previous_events``)."""
    import icalendar

    earlier = earlier or {}
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "mlpath plan")
    written: set[str] = set()
    for week in weeks:
        monday = dt.date.fromisoformat(week.start)
        for slot in week.topics:
            event = icalendar.Event()
            ident = uid(slot)
            written.add(ident)
            summary = _text(f"{slot.title} ({hours(slot.hours)})")
            sunday = monday + dt.timedelta(days=7)  # all-day: the end is exclusive
            event.add("uid", ident)
            event.add("dtstamp", stamp)
            event.add("dtstart", monday)
            event.add("dtend", sunday)
            event.add("sequence", _sequence(earlier.get(ident), monday, sunday, summary))
            event.add("summary", summary)
            event.add(
                "description",
                _text(f"{slot.topic}: {hours(slot.hours)} in {week.week}, week {slot.part} of "
                      f"{slot.parts}.\nSee it with: mlpath show {slot.topic}"),
            )  # fmt: skip
            event.add("categories", [_text(slot.roadmap)])
            event.add("transp", "TRANSPARENT")  # a plan to learn, not a busy time
            if remind is not None:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", _text(f"This week: {slot.title}"))
                alarm.add("trigger", dt.timedelta(hours=remind.hour, minutes=remind.minute))
                event.add_component(alarm)
            cal.add_component(event)
    for ident, old in sorted(earlier.items()):  # planned before, not any more: cancelled once
        if ident in written or old.cancelled:
            continue
        gone = icalendar.Event()
        gone.add("uid", ident)
        gone.add("dtstamp", stamp)
        gone.add("dtstart", old.start)
        gone.add("dtend", old.end)
        gone.add("sequence", old.sequence + 1)
        gone.add("summary", old.summary)
        gone.add("status", "CANCELLED")
        gone.add("transp", "TRANSPARENT")
        cal.add_component(gone)
    return bytes(cal.to_ical())


def _sequence(old: Earlier | None, start: dt.date, end: dt.date, summary: str) -> int:
    """RFC 5545's revision number: one more than before when the event moved or changed."""
    if old is None:
        return 0
    same = (old.start, old.end, old.summary, old.cancelled) == (start, end, summary, False)
    return old.sequence if same else old.sequence + 1


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text(value: str) -> str:
    """Text as a calendar value may hold it: no control characters but newlines and tabs."""
    return _CONTROL.sub("", value)

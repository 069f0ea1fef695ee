"""The plan as an iCalendar file (RFC 5545, written by the ``icalendar`` library): one all-day
event per topic and week, Monday to Sunday.

Each event's UID names the topic and which of its weeks it is (``part``), not the dates: when
the plan moves (a week of holiday, a faster pace), exporting again gives the same events new
dates, and a calendar app that imports or subscribes to the file updates them in place rather
than adding copies.
"""

import datetime as dt
from collections.abc import Sequence

from mlpath.plan import Slot, Week
from mlpath.render.output import hours

PRODID = "-//mlpath//plan//EN"
DOMAIN = "plan.mlpath"


def uid(slot: Slot) -> str:
    return f"{slot.topic.replace('/', '.')}.part-{slot.part}@{DOMAIN}"


def calendar(weeks: Sequence[Week], remind: dt.time | None, stamp: dt.datetime) -> bytes:
    """``remind``: a time of day to be reminded on each event's Monday."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "mlpath plan")
    for week in weeks:
        monday = dt.date.fromisoformat(week.start)
        for slot in week.topics:
            event = icalendar.Event()
            event.add("uid", uid(slot))
            event.add("dtstamp", stamp)
            event.add("dtstart", monday)
            event.add("dtend", monday + dt.timedelta(days=7))  # all-day: the end is exclusive
            event.add("summary", f"{slot.title} ({hours(slot.hours)})")
            event.add(
                "description",
                f"{slot.topic}: {hours(slot.hours)} in {week.week}, week {slot.part} of "
                f"{slot.parts}.\nSee it with: mlpath show {slot.topic}",
            )
            event.add("categories", [slot.roadmap])
            event.add("transp", "TRANSPARENT")  # a plan to learn, not a busy time
            if remind is not None:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"This week: {slot.title}")
                alarm.add("trigger", dt.timedelta(hours=remind.hour, minutes=remind.minute))
                event.add_component(alarm)
            cal.add_component(event)
    return bytes(cal.to_ical())

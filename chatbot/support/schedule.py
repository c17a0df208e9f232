"""Support hours: a weekly schedule in a small text syntax, the same in the environment and the admin.

    mon-fri 09:00-17:00; sat 10:00-14:00       two parts, separated by ";" (or a new line)
    daily 08:00-12:00 13:00-18:00              several ranges for the same days
    always                                     around the clock (also: an empty value)
    never                                      no hours at all: every escalation is "outside hours"

Days are mon tue wed thu fri sat sun, a range of them ("mon-fri", "fri-mon" wraps) or "daily". Times are
HH:MM in the support timezone; a range ends after it starts and may end at 24:00. A night shift is two
parts ("mon-fri 22:00-24:00; tue-sat 00:00-06:00"). Pure Python: chatbot/settings.py validates the
environment's value with it at start-up.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 24 * 60
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    """The schedule text does not follow the syntax; the message says where."""


@dataclass(frozen=True)
class WeeklySchedule:
    """Opening ranges per weekday (0 = Monday), in minutes since midnight: [start, end)."""

    ranges: tuple[tuple[tuple[int, int], ...], ...] = field(default_factory=lambda: ((),) * 7)
    always: bool = False

    def is_open(self, local: datetime) -> bool:
        """Whether `local` (already in the support timezone) falls inside the opening hours."""
        if self.always:
            return True
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.ranges[local.weekday()])

    def describe(self) -> str:
        """For customers: "Mon–Fri 09:00–17:00, Sat 10:00–14:00"."""
        if self.always:
            return "around the clock"
        if not any(self.ranges):
            return "no hours set"
        parts: list[str] = []
        day = 0
        while day < 7:
            if not self.ranges[day]:
                day += 1
                continue
            last = day
            while last + 1 < 7 and self.ranges[last + 1] == self.ranges[day]:
                last += 1
            days = DAY_LABELS[day] if last == day else f"{DAY_LABELS[day]}–{DAY_LABELS[last]}"
            hours = " ".join(f"{_clock(start)}–{_clock(end)}" for start, end in self.ranges[day])
            parts.append(f"{days} {hours}")
            day = last + 1
        return ", ".join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_schedule(text: str) -> WeeklySchedule:
    """The schedule in `text`; raises ScheduleError naming the part it cannot read."""
    cleaned = text.strip().lower()
    if cleaned in {"", "always", "24/7"}:
        return WeeklySchedule(always=True)
    if cleaned == "never":
        return WeeklySchedule()
    days: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for part in re.split(r"[;\n]", cleaned):
        part = part.strip()
        if not part:
            continue
        words = part.split()
        if len(words) < 2:
            raise ScheduleError(f"{part!r}: expected days then at least one HH:MM-HH:MM range")
        for weekday in _parse_days(words[0]):
            days[weekday].extend(_parse_range(word, part) for word in words[1:])
    ranges = []
    for weekday, day_ranges in enumerate(days):
        day_ranges.sort()
        for (_, end), (start, _) in zip(day_ranges, day_ranges[1:], strict=False):
            if start < end:
                raise ScheduleError(f"the ranges on {DAYS[weekday]} overlap")
        ranges.append(tuple(day_ranges))
    return WeeklySchedule(ranges=tuple(ranges))


def _parse_days(word: str) -> list[int]:
    if word == "daily":
        return list(range(7))
    first, _, last = word.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ScheduleError(f"{word!r}: days are mon, tue, ..., sun, a range like mon-fri, or daily")
    start = DAYS.index(first)
    end = DAYS.index(last) if last else start
    return [(start + offset) % 7 for offset in range((end - start) % 7 + 1)]


def _parse_range(word: str, part: str) -> tuple[int, int]:
    match = _RANGE.match(word)
    if not match:
        raise ScheduleError(f"{word!r} in {part!r}: hours are written HH:MM-HH:MM")
    open_h, open_m, close_h, close_m = (int(group) for group in match.groups())
    if open_h > 23 or close_h > 24 or open_m > 59 or close_m > 59 or (close_h == 24 and close_m):
        raise ScheduleError(f"{word!r}: not a time of day")
    start, end = open_h * 60 + open_m, close_h * 60 + close_m
    if end <= start:
        raise ScheduleError(f"{word!r}: a range must end after it starts (split a night shift in two)")
    return start, end


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA timezone ("Europe/Berlin"); raises ScheduleError for an unknown name."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name!r} is not an IANA timezone such as Europe/Berlin or UTC") from None

"""Dates as the sources write them ("June 2024", "7 June 2024", "2022"), normalised to as much
as they say: a year, a month or a day, never a made-up day of a month or month of a year.

dateparser reads the text; it fills what the text leaves out from today's date, so the
value is cut back to the period it reports.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache


@lru_cache(maxsize=1)
def _parser():  # type: ignore[no-untyped-def]
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first",
                                                      "PREFER_DATES_FROM": "past"})


_FORMAT = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
_ISO_PREFIX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
#: How many times farther ahead than behind a day without its year may stand from its source's.
AHEAD = 3
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def normalise(text: str, written: date | None = None) -> str:
    """"2024-06" for "June 2024", "2022" for "2022", "" for what is not a calendar date
    ("three years", "last year": relative to an unknown day). A day or month without its year
    ("a hearing on 23 November") is the one nearest ``written``, the day the source was
    published, a day ahead counting a third as far as one behind (news names days to come
    months ahead, days past only recent ones); "" without it (dateparser would take this
    year's)."""
    if not any(ch.isdigit() for ch in text):
        return ""  # "last year", "Tuesday": relative to a day the text does not give
    data = _parser().get_date_data(text)
    if data.date_obj is None or data.period not in _FORMAT:
        return ""
    found = data.date_obj.date()
    if not _YEAR.search(text):
        if written is None or data.period == "year":
            return ""
        found = min((_same_day(found, written.year + k) for k in (-1, 0, 1)),
                    key=lambda d: (d - written).days / AHEAD if d >= written else (written - d).days)
    return found.strftime(_FORMAT[data.period])


def _same_day(d: date, year: int) -> date:
    return date(year, d.month, min(d.day, calendar.monthrange(year, d.month)[1]))


def human(value: str) -> str:
    """One human date format everywhere: "7 June 2024" for "2024-06-07", "June 2024" for
    "2024-06", "2024" for "2024"; an ISO timestamp gives its day; anything else as it is."""
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$", (value or "").strip())
    if not m:
        return (value or "").strip()
    year, month, day = m[1], m[2], m[3]
    try:
        if month and not 1 <= int(month) <= 12:
            return value.strip()
        if day:
            date(int(year), int(month), int(day))  # a real day, or ValueError
            return f"{int(day)} {calendar.month_name[int(month)]} {year}"
        if month:
            return f"{calendar.month_name[int(month)]} {year}"
    except ValueError:
        return value.strip()
    return year


def span(prefix: str) -> tuple[date, date] | None:
    """The first and last day an ISO prefix names ("2022", "2022-11", "2024-06-07"), or None."""
    m = _ISO_PREFIX.match((prefix or "").strip())
    if not m:
        return None
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if day:
            d = date(year, int(month), int(day))
            return d, d
        if month:
            mo = int(month)
            return date(year, mo, 1), date(year, mo, calendar.monthrange(year, mo)[1])
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None

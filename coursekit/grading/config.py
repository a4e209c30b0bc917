"""The course's grading settings: ``coursekit.toml`` in the course root (optional).

Everything has a default (no due dates: no late policy), and every command-line option wins over
the file. Example (the README's "Course settings" shows the same)::

    [course]
    timezone = "Europe/Berlin"        # for due dates and times that carry no zone (zip entries)
    mapping = "roster.csv"            # student-id mapping / roster (CSV), relative to the course

    [late]                            # the late policy of every assignment
    grace = "15m"                     # this late still counts as on time
    penalty_per_day = 0.10            # fraction of the assignment's points per day (or part) late
    cutoff = "7d"                     # later than this after the due date: not accepted (zero)

    [assignments.hw1_gaussian]
    due = 2025-10-10T23:59:00         # in the course's time zone unless an offset is given
    lms_column = "Homework 1 (98765)" # the Canvas gradebook column (name and Canvas id)
    late = { penalty_per_day = 0.2 }  # this assignment's own policy (optional)

    [assignments.hw1_gaussian.extensions]
    ada = 2025-10-12T23:59:00         # a new due date for one student
    ben = "2d"                        # or a delay added to the due date
"""

import datetime as dt
import os
import re
import tomllib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FILE_NAME = "coursekit.toml"
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value, what):
    """``"15m"``, ``"2d"``, ``"1d12h"``, or a number of seconds -> timedelta."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{what}: must not be negative, got {value!r}")
        return dt.timedelta(seconds=value)
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a duration such as '15m' or '2d', got {value!r}")
    text = value.replace(" ", "").lower()
    parts = DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{what}: expected a duration such as '15m', '2d' or '1d12h', "
                         f"got {value!r}")
    return dt.timedelta(seconds=sum(float(n) * UNITS[u] for n, u in parts))


def parse_datetime(value, tz, what):
    """A TOML datetime or ISO text -> aware datetime (``tz`` when it has no offset)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{what}: expected a date and time such as 2025-10-10T23:59:00, "
                             f"got {value!r}") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, 23, 59, 59)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{what}: expected a date and time, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=tz)


class LatePolicy:
    """Grace period, penalty per day late (fraction of the points), cut-off."""

    def __init__(self, grace=dt.timedelta(0), penalty_per_day=0.0, cutoff=None):
        self.grace = grace
        self.penalty_per_day = penalty_per_day
        self.cutoff = cutoff

    @classmethod
    def from_dict(cls, d, what, base=None):
        base = base or cls()
        unknown = set(d) - {"grace", "penalty_per_day", "cutoff"}
        if unknown:
            raise ValueError(f"{what}: unknown setting(s) {', '.join(sorted(unknown))} "
                             "(known: grace, penalty_per_day, cutoff)")
        grace = parse_duration(d["grace"], f"{what}.grace") if "grace" in d else base.grace
        ppd = d.get("penalty_per_day", base.penalty_per_day)
        if isinstance(ppd, bool) or not isinstance(ppd, (int, float)) or not 0 <= ppd <= 1:
            raise ValueError(f"{what}.penalty_per_day: a fraction of the points between 0 and 1 "
                             f"(0.1 = 10% per day), got {ppd!r}")
        cutoff = (parse_duration(d["cutoff"], f"{what}.cutoff") if "cutoff" in d
                  else base.cutoff)
        return cls(grace, float(ppd), cutoff)

    def describe(self):
        parts = [f"{100 * self.penalty_per_day:g}% of the points per day (or part of a day) late"]
        if self.grace:
            parts.append(f"grace period {_fmt_delta(self.grace)}")
        if self.cutoff is not None:
            parts.append(f"not accepted more than {_fmt_delta(self.cutoff)} late")
        return "; ".join(parts)


def _fmt_delta(td):
    s = int(td.total_seconds())
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    out = "".join(f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m"), (s, "s")) if v)
    return out or "0s"


class AssignmentSettings:
    def __init__(self, aid, due=None, extensions=None, late=None, lms_column=None):
        self.id = aid
        self.due = due
        self.extensions = extensions or {}
        self.late = late or LatePolicy()
        self.lms_column = lms_column or aid

    def due_for(self, student):
        """The student's due date (an extension, or the assignment's), or None."""
        ext = self.extensions.get(student)
        if ext is None:
            return self.due
        if isinstance(ext, dt.timedelta):
            return self.due + ext if self.due else None
        return ext


class CourseConfig:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.path = os.path.join(self.root, FILE_NAME)
        self.data = {}
        if os.path.isfile(self.path):
            with open(self.path, "rb") as fh:
                try:
                    self.data = tomllib.load(fh)
                except tomllib.TOMLDecodeError as exc:
                    raise ValueError(f"{self.path}: {exc}") from None
        course = self.data.get("course", {})
        unknown = set(self.data) - {"course", "late", "assignments"}
        if unknown:
            raise ValueError(f"{self.path}: unknown section(s) {', '.join(sorted(unknown))} "
                             "(known: course, late, assignments)")
        tzname = course.get("timezone", "UTC")
        try:
            self.tz = ZoneInfo(tzname)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.path}: course.timezone {tzname!r} is not a time zone name "
                             "such as 'Europe/Berlin' or 'America/New_York'") from None
        mapping = course.get("mapping")
        self.mapping = os.path.join(self.root, mapping) if mapping else None
        self.late = LatePolicy.from_dict(self.data.get("late", {}), f"{FILE_NAME}: late")

    def assignment(self, aid):
        d = dict(self.data.get("assignments", {}).get(aid, {}))
        where = f"{FILE_NAME}: assignments.{aid}"
        unknown = set(d) - {"due", "extensions", "late", "lms_column"}
        if unknown:
            raise ValueError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))} "
                             "(known: due, extensions, late, lms_column)")
        due = parse_datetime(d["due"], self.tz, f"{where}.due") if "due" in d else None
        extensions = {}
        for student, v in d.get("extensions", {}).items():
            w = f"{where}.extensions.{student}"
            if isinstance(v, str) and DURATION_RE.match(v.replace(" ", "").lower()) and not \
                    re.match(r"^\d{4}-", v.strip()):
                extensions[student] = parse_duration(v, w)
            else:
                extensions[student] = parse_datetime(v, self.tz, w)
            if isinstance(extensions[student], dt.timedelta) and due is None:
                raise ValueError(f"{w}: a delay needs the assignment's due date")
        late = LatePolicy.from_dict(d.get("late", {}), f"{where}.late", base=self.late)
        return AssignmentSettings(aid, due, extensions, late, d.get("lms_column"))

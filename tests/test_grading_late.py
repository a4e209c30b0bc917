"""Course settings (coursekit.toml) and the late policy, against hand-computed cases."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coursekit.grading.config import CourseConfig, LatePolicy, parse_duration
from coursekit.grading.late import assess

TZ = ZoneInfo("Europe/Berlin")
DUE = dt.datetime(2025, 10, 10, 23, 59, tzinfo=TZ)
POLICY = LatePolicy(grace=dt.timedelta(minutes=15), penalty_per_day=0.1,
                    cutoff=dt.timedelta(days=7))


def test_durations():
    assert parse_duration("15m", "x") == dt.timedelta(minutes=15)
    assert parse_duration("1d12h", "x") == dt.timedelta(hours=36)
    assert parse_duration("2 w", "x") == dt.timedelta(days=14)
    assert parse_duration(90, "x") == dt.timedelta(seconds=90)
    for bad in ("soon", "15", "-1d", "1d junk"):
        with pytest.raises(ValueError, match="x: expected a duration"):
            parse_duration(bad, "x")
    with pytest.raises(TypeError, match="x: expected a duration"):
        parse_duration(None, "x")


@pytest.mark.parametrize("after, status, days, fraction", [
    (dt.timedelta(minutes=-1), "on_time", 0, 0.0),
    (dt.timedelta(0), "on_time", 0, 0.0),
    (dt.timedelta(minutes=15), "grace", 0, 0.0),          # the grace period's last minute
    (dt.timedelta(minutes=16), "late", 1, 0.1),           # a started day counts
    (dt.timedelta(hours=24), "late", 1, 0.1),
    (dt.timedelta(hours=24, seconds=1), "late", 2, 0.2),
    (dt.timedelta(days=7), "late", 7, 0.7),               # the cut-off's last second
    (dt.timedelta(days=7, seconds=1), "cutoff", 8, 1.0),
])
def test_lateness(after, status, days, fraction):
    late = assess(POLICY, DUE, DUE + after)
    assert (late.status, late.days) == (status, days)
    assert late.fraction == pytest.approx(fraction)


def test_penalty_is_a_share_of_the_full_points_and_never_below_zero():
    late = assess(POLICY, DUE, DUE + dt.timedelta(days=2, hours=3))  # 3 started days: 30%
    assert late.penalty_points(earned=13, max_points=17) == pytest.approx(5.1)
    assert late.penalty_points(earned=2, max_points=17) == pytest.approx(2)   # total stays 0
    assert "3 days x 10% = 30% of the points taken off" in late.message
    assert assess(POLICY, DUE, None).status == "unknown"
    assert assess(POLICY, None, DUE).status == "no_due_date"
    # Times in another zone compare as instants.
    utc = DUE.astimezone(dt.timezone.utc) + dt.timedelta(minutes=5)
    assert assess(POLICY, DUE, utc).status == "grace"


def _config(tmp_path, text):
    (tmp_path / "coursekit.toml").write_text(text)
    return CourseConfig(str(tmp_path))


def test_course_config(tmp_path):
    cfg = _config(tmp_path, """
[course]
timezone = "Europe/Berlin"
mapping = "roster.csv"

[late]
grace = "15m"
penalty_per_day = 0.1
cutoff = "7d"

[assignments.hw1_gaussian]
due = 2025-10-10T23:59:00
lms_column = "Homework 1 (98765)"
late = { penalty_per_day = 0.25 }

[assignments.hw1_gaussian.extensions]
ada = 2025-10-12T23:59:00
ben = "2d"
cy = "2025-10-11T12:00:00+00:00"
""")
    assert cfg.mapping == str(tmp_path / "roster.csv")
    a = cfg.assignment("hw1_gaussian")
    assert a.due == DUE and a.lms_column == "Homework 1 (98765)"
    assert a.late.penalty_per_day == 0.25 and a.late.grace == dt.timedelta(minutes=15)
    assert a.late.cutoff == dt.timedelta(days=7)
    assert a.due_for("ada") == dt.datetime(2025, 10, 12, 23, 59, tzinfo=TZ)
    assert a.due_for("ben") == DUE + dt.timedelta(days=2)
    assert a.due_for("cy") == dt.datetime(2025, 10, 11, 12, 0, tzinfo=dt.timezone.utc)
    assert a.due_for("dora") == DUE
    other = cfg.assignment("hw2_sampling")  # not configured: no due date, the course's policy
    assert other.due is None and other.late.penalty_per_day == 0.1
    assert CourseConfig(str(tmp_path / "nowhere")).assignment("x").due is None


@pytest.mark.parametrize("text, message", [
    ('[course]\ntimezone = "Mars/Olympus"\n', "course.timezone 'Mars/Olympus' is not a time zone"),
    ('[late]\npenalty_per_day = 10\n', "penalty_per_day: a fraction of the points between 0 and 1"),
    ('[late]\ngrace = "soon"\n', "late.grace: expected a duration"),
    ('[grading]\n', "unknown section(s) grading"),
    ('[assignments.hw1]\ndue = "tomorrow"\n', "assignments.hw1.due: expected a date and time"),
    ('[assignments.hw1]\ndeadline = 2025-10-10\n', "unknown setting(s) deadline"),
    ('[assignments.hw1.extensions]\nada = "2d"\n', "a delay needs the assignment's due date"),
    ('[course\n', "coursekit.toml"),
])
def test_bad_settings_name_the_setting(tmp_path, text, message):
    with pytest.raises((ValueError, TypeError)) as err:
        _config(tmp_path, text).assignment("hw1")
    assert message in str(err.value)

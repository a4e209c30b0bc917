"""How late a submission is, and what the late policy takes off.

The penalty is a fraction of the assignment's *full* points (hand-graded parts included, as in
Canvas's late policy), so it is known before the manual grades are in; it never takes a total
below zero. Lateness counts in started days: 1 minute past the grace period is one day late.
"""

import datetime as dt
import math


class Lateness:
    """``status``: on_time, grace (late, but within the grace period), late, cutoff (past the
    cut-off: zero), unknown (no submission time), no_due_date, no_submission (nothing graded:
    set by :func:`coursekit.grading.outputs.build_grades`)."""

    def __init__(self, status, late_by=None, days=0, fraction=0.0, due=None, submitted=None,
                 message=""):
        self.status = status
        self.late_by = late_by
        self.days = days
        self.fraction = fraction
        self.due = due
        self.submitted = submitted
        self.message = message

    @property
    def is_late(self):
        return self.status in ("late", "cutoff")

    def penalty_points(self, earned, max_points):
        """Points taken off a total of ``earned`` out of ``max_points``."""
        return min(earned, self.fraction * max_points) if self.fraction else 0.0

    def as_dict(self):
        return {"status": self.status, "days": self.days, "fraction": self.fraction,
                "late_by_hours": round(self.late_by.total_seconds() / 3600, 2)
                if self.late_by is not None else None,
                "due": self.due.isoformat() if self.due else None,
                "submitted": self.submitted.isoformat() if self.submitted else None,
                "message": self.message}


def _human(td):
    s = int(td.total_seconds())
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m = s // 60
    parts = [f"{d} day{'s' * (d != 1)}" if d else "", f"{h} h" if h else "",
             f"{m} min" if m and not d else ""]
    return " ".join(p for p in parts if p) or "less than a minute"


def assess(policy, due, submitted, extended=False):
    """The :class:`Lateness` of a submission made at ``submitted`` for ``due`` (aware datetimes
    or None) under ``policy`` (:class:`coursekit.grading.config.LatePolicy`)."""
    if due is None:
        return Lateness("no_due_date", submitted=submitted)
    ext = " (with an extension)" if extended else ""
    if submitted is None:
        return Lateness("unknown", due=due,
                        message="no submission time known: the late policy was not applied")
    late_by = submitted - due
    if late_by <= dt.timedelta(0):
        return Lateness("on_time", late_by, due=due, submitted=submitted,
                        message=f"on time{ext}")
    if late_by <= policy.grace:
        return Lateness("grace", late_by, due=due, submitted=submitted,
                        message=f"{_human(late_by)} late, within the grace period: no penalty")
    if policy.cutoff is not None and late_by > policy.cutoff:
        return Lateness("cutoff", late_by, days=math.ceil(late_by / dt.timedelta(days=1)),
                        fraction=1.0, due=due, submitted=submitted,
                        message=f"{_human(late_by)} late{ext}, past the cut-off: not accepted "
                                f"(the whole score is taken off)")
    days = math.ceil(late_by / dt.timedelta(days=1))
    fraction = min(1.0, days * policy.penalty_per_day)
    return Lateness("late", late_by, days=days, fraction=fraction, due=due, submitted=submitted,
                    message=f"{_human(late_by)} late{ext}: {days} day{'s' * (days != 1)} x "
                            f"{100 * policy.penalty_per_day:g}% = {100 * fraction:g}% of the "
                            "points taken off")

"""The homework's checks: what the test cells of the assignments in ``solutions/`` call.

One module per assignment (``hw1_gaussian`` ... ``hw4_em``), each with its tasks (``TASKS``),
its visible tests (``visible_*``: small worked instances, the message shows the student's value
and the expected one), its hidden tests (``check_*``: random instances from fixed seeds, the
message names the misconception) and ``summary()``, the "where you stand" table of the
assignment's last cell.  The modules they share:

``_guard``      the in-kernel guard: watches the student's code for calls into coursekit,
                scipy.stats and scikit-learn, substitutes reference versions of earlier tasks,
                converts outputs to plain arrays, seals the checks against tampering
``_progress``   tasks, the visible tests' verdicts and the "where you stand" table
``_instances``  random instances and the formatting of the visible tests' numbers

The grading engine that runs the notebooks is elsewhere (``coursekit.grading``).
"""

import importlib

from . import _guard, _instances, _progress

ASSIGNMENT_IDS = ("hw1_gaussian", "hw2_sampling", "hw3_kmeans", "hw4_em")
ASSIGNMENTS = {aid: importlib.import_module(f"{__name__}.{aid}") for aid in ASSIGNMENT_IDS}

_guard.seal([_guard, _instances, _progress, *ASSIGNMENTS.values()])

__all__ = ["ASSIGNMENTS", "ASSIGNMENT_IDS", "assignment_of"]


def assignment_of(function_names):
    """The assignment whose graded functions all appear among ``function_names`` (None if none does)."""
    names = set(function_names)
    for aid, module in ASSIGNMENTS.items():
        if {t.function for t in module.TASKS if t.function} <= names:
            return aid
    return None
